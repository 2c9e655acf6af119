#!/usr/bin/env bash
# Stops everything scripts/openstack-env-up.sh started and checks that no
# process of it is left. Each daemon was started with setsid and recorded in
# $DIR/pids; it is stopped by its process group and, for children that made
# sessions of their own (RabbitMQ's su and Erlang port programs do), by their
# pids found through the process tree under it. TERM first, KILL for what is
# left after a grace period. Idempotent.
set -uo pipefail
DIR=${CB_OPENSTACK_DIR:-/tmp/cloudbridge-openstack}
[ -d "$DIR/pids" ] || exit 0
rm -f "$DIR/ready"

roots=()
for f in "$DIR"/pids/*.pid; do
	[ -f "$f" ] && roots+=("$(cat "$f")")
done
[ ${#roots[@]} -gt 0 ] || exit 0

# ours lists the live pids of the recorded process groups and all their
# descendants.
ours() {
	ps -eo pid=,ppid=,pgid= | awk -v roots="${roots[*]}" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) group[r[i]] = 1 }
		{ pid[NR] = $1; parent[$1] = $2; if ($3 in group) keep[$1] = 1 }
		END {
			do {
				added = 0
				for (i = 1; i <= NR; i++) { p = pid[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; added = 1 } }
			} while (added)
			for (p in keep) print p
		}'
}

# living: the process exists and is not a zombie (a zombie is dead, waiting
# for a parent to reap it).
living() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# The data stores first, cleanly, while the services that use them go down.
if [ -f "$DIR/pids/rabbitmq.pid" ] && kill -0 -- -"$(cat "$DIR/pids/rabbitmq.pid")" 2>/dev/null; then
	HOME=/var/lib/rabbitmq timeout 60 rabbitmqctl -q stop >/dev/null 2>&1 || true
fi
if [ -f "$DIR/pids/mysqld.pid" ] && kill -0 -- -"$(cat "$DIR/pids/mysqld.pid")" 2>/dev/null; then
	timeout 60 mysqladmin shutdown >/dev/null 2>&1 || true
fi
mapfile -t left < <(ours)
for g in "${roots[@]}"; do kill -TERM -- -"$g" 2>/dev/null; done
[ ${#left[@]} -eq 0 ] || kill -TERM "${left[@]}" 2>/dev/null
for _ in $(seq 1 40); do
	alive=0
	for p in "${left[@]}"; do living "$p" && alive=1 && break; done
	[ $alive = 0 ] && break
	sleep 0.5
done
mapfile -t still < <(ours)
for p in "${left[@]}"; do living "$p" && still+=("$p"); done
if [ ${#still[@]} -gt 0 ]; then
	kill -KILL "${still[@]}" 2>/dev/null
	for _ in $(seq 1 20); do
		gone=1
		for p in "${still[@]}"; do living "$p" && gone=0 && break; done
		[ $gone = 1 ] && break
		sleep 0.5
	done
fi
status=0
for p in "${still[@]}"; do
	if living "$p"; then
		echo "openstack-env-down: process $p ($(ps -o comm= -p "$p")) is still alive" >&2
		status=1
	fi
done
[ $status = 0 ] && rm -f "$DIR"/pids/*.pid
exit $status
