#!/usr/bin/env bash
# Installs (once, into .tools/) and starts the AWS wire-protocol emulators the
# aws plugin is tested against, each on 127.0.0.1 and a free port:
#   moto_server  EC2 and Route 53 (moto 5, installed with the machine's
#                Python: this script only checks that it is there)
#   gofakes3     S3, the most faithful listing and multipart (go install)
#   seaweedfs    S3 that checks SigV4 signatures, of requests and of presigned
#                URLs, and their expiry (`weed mini`, built from the module
#                source: its go.mod has replace directives, which go install
#                refuses); key and secret in $AWS_EMU_DIR/ports.env
#   s3rver       S3 in Node.js; it checks that the access key is S3RVER and
#                that presigned URLs have not expired, not V4 signatures (npm)
# The ports are written to $AWS_EMU_DIR/ports.env (MOTO_PORT, GOFAKES3_PORT,
# SEAWEEDFS_PORT, S3RVER_PORT) for scripts/conformance-aws.sh. Each emulator
# runs in its own process group, its pid in $AWS_EMU_DIR/pids;
# scripts/aws-env-down.sh stops them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${TOOLS_DIR:-$root/.tools}
emu=${AWS_EMU_DIR:-$root/.tools/aws-emu}
GOFAKES3_VERSION=v1.2.0
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
# The S3 identity seaweedfs checks signatures against; test-only values.
SEAWEEDFS_ACCESS_KEY=CBSEAWEEDKEY
SEAWEEDFS_SECRET_KEY=cloudbridge-seaweedfs-secret
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
	if [ ! -x "$tools/bin/weed" ]; then
		echo "building seaweedfs $SEAWEEDFS_VERSION (several minutes on a fresh machine)"
		build_seaweedfs & pids+=($!)
	fi
	local failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	[ "$failed" = 0 ] || { echo "FAIL  an emulator did not install" >&2; exit 1; }
}

# build_seaweedfs builds weed inside the module cache's copy of the module, as
# its main module, so that its replace directives apply.
build_seaweedfs() {
	local src
	src=$(go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$src" ] || { echo "FAIL  go mod download of seaweedfs gave no directory" >&2; return 1; }
	(cd "$src" && go build -o "$tools/bin/weed.partial" ./weed) && mv "$tools/bin/weed.partial" "$tools/bin/weed"
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

# ready waits for the emulator name to answer on url (any HTTP answer), or,
# given a command, for that command to succeed.
ready() {
	local name=$1 url=$2
	shift 2
	local check=("$@")
	[ ${#check[@]} -gt 0 ] || check=(curl -s -o /dev/null "$url")
	for _ in $(seq 1 600); do
		if "${check[@]}"; then
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
	echo "FAIL  $name did not answer on $url in 120s; its log:" >&2
	tail -20 "$emu/log/$name.log" >&2
	exit 1
}

# start_seaweedfs runs `weed mini` (master, volume, filer, S3 in one process)
# with every port it opens chosen free and bound to 127.0.0.1, telemetry off,
# no bucket made by a PUT, and one S3 identity whose signatures it checks.
start_seaweedfs() {
	local port=$1
	rm -rf "$emu/seaweedfs-data" && mkdir -p "$emu/seaweedfs-data"
	cat >"$emu/seaweedfs-s3.json" <<EOF
{"identities": [{"name": "cloudbridge",
  "credentials": [{"accessKey": "$SEAWEEDFS_ACCESS_KEY", "secretKey": "$SEAWEEDFS_SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
	local flags=(-dir="$emu/seaweedfs-data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false
		-webdav=false -admin.ui=false -s3.port="$port" -s3.config="$emu/seaweedfs-s3.json"
		-s3.autoCreateBucket=false -s3.port.iceberg=0 -s3.port.lance=0 -admin.port.legacy=0)
	local p
	for p in master.port master.port.grpc filer.port filer.port.grpc volume.port volume.port.grpc s3.port.grpc admin.port admin.port.grpc; do
		flags+=("-$p=$(freeport)")
	done
	start seaweedfs "$tools/bin/weed" mini "${flags[@]}"
}

# seaweedfs_lists succeeds once ListBuckets, signed with the seaweedfs key
# pair, does: its S3 port opens before its filer can serve. The key pair
# goes through curl's config on stdin, not its argv.
seaweedfs_lists() {
	printf 'user = "%s:%s"\n' "$SEAWEEDFS_ACCESS_KEY" "$SEAWEEDFS_SECRET_KEY" |
		curl -sf -o /dev/null -K - --aws-sigv4 "aws:amz:us-east-1:s3" "$1"
}

install
moto_port=$(freeport)
gofakes3_port=$(freeport)
seaweedfs_port=$(freeport)
s3rver_port=$(freeport)
rm -rf "$emu/s3rver-data" && mkdir -p "$emu/s3rver-data"
start moto "$moto" -H 127.0.0.1 -p "$moto_port"
start gofakes3 "$tools/bin/gofakes3" -host "127.0.0.1:$gofakes3_port" -backend memory -quiet
start_seaweedfs "$seaweedfs_port"
start s3rver node "$tools/npm/node_modules/s3rver/bin/s3rver.js" -d "$emu/s3rver-data" -a 127.0.0.1 -p "$s3rver_port" --silent
cat >"$emu/ports.env" <<EOF
MOTO_PORT=$moto_port
GOFAKES3_PORT=$gofakes3_port
SEAWEEDFS_PORT=$seaweedfs_port
SEAWEEDFS_ACCESS_KEY=$SEAWEEDFS_ACCESS_KEY
SEAWEEDFS_SECRET_KEY=$SEAWEEDFS_SECRET_KEY
S3RVER_PORT=$s3rver_port
EOF
ready moto "http://127.0.0.1:$moto_port/"
ready gofakes3 "http://127.0.0.1:$gofakes3_port/"
ready seaweedfs "http://127.0.0.1:$seaweedfs_port/" seaweedfs_lists "http://127.0.0.1:$seaweedfs_port/"
ready s3rver "http://127.0.0.1:$s3rver_port/"
