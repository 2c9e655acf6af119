#!/usr/bin/env bash
# Installs (once, into .tools/) and starts the AWS wire-protocol emulators the
# aws plugin is tested against, each on 127.0.0.1 and a free port:
#   moto_server  EC2 and Route 53 (moto 5, installed with the machine's
#                Python: this script only checks that it is there)
#   gofakes3     S3, the most faithful listing and multipart (go install)
#   s3rver       S3 that checks SigV4 signatures, key and secret S3RVER (npm)
# The ports are written to $AWS_EMU_DIR/ports.env (MOTO_PORT, GOFAKES3_PORT,
# S3RVER_PORT) for scripts/conformance-aws.sh. Each emulator runs in its own
# process group, its pid in $AWS_EMU_DIR/pids; scripts/aws-env-down.sh stops
# them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${TOOLS_DIR:-$root/.tools}
emu=${AWS_EMU_DIR:-$root/.tools/aws-emu}
GOFAKES3_VERSION=v1.2.0
S3RVER_VERSION=3.7.1
mkdir -p "$tools/bin" "$emu/log" "$emu/pids"

# moto cannot be installed from here (PyPI is not reachable); it comes with
# the machine image, on PATH through pyenv's shims.
moto=$(command -v moto_server || true)
if [ -z "$moto" ] && [ -x "${PYENV_ROOT:-$HOME/.pyenv}/shims/moto_server" ]; then
	moto=${PYENV_ROOT:-$HOME/.pyenv}/shims/moto_server
fi
if [ -z "$moto" ]; then
	echo "FAIL  moto_server is not on PATH: the AWS emulator for EC2 and Route 53 is the" >&2
	echo "      Python package moto (5.x, with its server extra: pip install 'moto[server]')," >&2
	echo "      which this script cannot install; install it, or put it on PATH." >&2
	exit 1
fi

install() {
	local pids=()
	if [ ! -x "$tools/bin/gofakes3" ]; then
		echo "installing gofakes3 $GOFAKES3_VERSION"
		GOBIN="$tools/bin" go install "github.com/johannesboyne/gofakes3/cmd/gofakes3@$GOFAKES3_VERSION" & pids+=($!)
	fi
	if [ ! -f "$tools/npm/node_modules/s3rver/bin/s3rver.js" ]; then
		echo "installing s3rver $S3RVER_VERSION"
		(mkdir -p "$tools/npm" && cd "$tools/npm" && npm install --no-audit --no-fund --silent --prefix . "s3rver@$S3RVER_VERSION") & pids+=($!)
	fi
	for p in "${pids[@]}"; do wait "$p"; done
}

# freeport prints a TCP port nothing listens on at 127.0.0.1 (the kernel's
# choice; the emulator binds it a moment later).
freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
	local name=$1; shift
	if [ -f "$emu/pids/$name.pid" ] && kill -0 "$(cat "$emu/pids/$name.pid")" 2>/dev/null; then
		echo "FAIL  $name is already running (pid $(cat "$emu/pids/$name.pid")); stop it with scripts/aws-env-down.sh" >&2
		exit 1
	fi
	setsid "$@" >"$emu/log/$name.log" 2>&1 </dev/null &
	echo $! >"$emu/pids/$name.pid"
}

ready() {
	local name=$1 url=$2
	for _ in $(seq 1 300); do
		if curl -s -o /dev/null "$url"; then
			echo "ok    $name on $url"
			return
		fi
		if ! kill -0 "$(cat "$emu/pids/$name.pid")" 2>/dev/null; then
			echo "FAIL  $name exited; its log:" >&2
			tail -20 "$emu/log/$name.log" >&2
			exit 1
		fi
		sleep 0.2
	done
	echo "FAIL  $name did not answer on $url in 60s; its log:" >&2
	tail -20 "$emu/log/$name.log" >&2
	exit 1
}

install
moto_port=$(freeport)
gofakes3_port=$(freeport)
s3rver_port=$(freeport)
rm -rf "$emu/s3rver-data" && mkdir -p "$emu/s3rver-data"
start moto "$moto" -H 127.0.0.1 -p "$moto_port"
start gofakes3 "$tools/bin/gofakes3" -host "127.0.0.1:$gofakes3_port" -backend memory -quiet
start s3rver node "$tools/npm/node_modules/s3rver/bin/s3rver.js" -d "$emu/s3rver-data" -a 127.0.0.1 -p "$s3rver_port" --silent
cat >"$emu/ports.env" <<EOF
MOTO_PORT=$moto_port
GOFAKES3_PORT=$gofakes3_port
S3RVER_PORT=$s3rver_port
EOF
ready moto "http://127.0.0.1:$moto_port/"
ready gofakes3 "http://127.0.0.1:$gofakes3_port/"
ready s3rver "http://127.0.0.1:$s3rver_port/"
