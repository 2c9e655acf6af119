#!/usr/bin/env bash
# Stops the emulators scripts/aws-env-up.sh started, each by its process group.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
emu=${AWS_EMU_DIR:-$root/.tools/aws-emu}
for f in "$emu"/pids/*.pid; do
	[ -f "$f" ] || continue
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$f"
	echo "stopped $(basename "$f" .pid)"
done
rm -f "$emu/ports.env"
