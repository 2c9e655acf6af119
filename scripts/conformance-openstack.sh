#!/usr/bin/env bash
# Runs the conformance suite through bin/cloudbridge-plugin-openstack against
# the local OpenStack of scripts/openstack-env-up.sh, configured both ways a
# user configures it:
#   1. the OS_* variables of the generated openrc: the whole suite;
#   2. a clouds.yaml cloud (OS_CLOUD, no other OS_* variable): the contract,
#      region and key pair tests, which prove the account works that way too;
#   3. an application credential and 4. a token (OS_AUTH_TOKEN): a few tests;
# and checks that bad credentials fail as Unauthenticated naming where they
# came from, without the secret. Tests the fake drivers cannot serve are
# skipped with that reason (scripts/openstack-skips.yaml). The environment is
# taken down at the end, whatever happened, unless CB_OPENSTACK_KEEP=1.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CB_OPENSTACK_DIR=${CB_OPENSTACK_DIR:-/tmp/cloudbridge-openstack}
dir=$CB_OPENSTACK_DIR
# take_down stops the environment; one that leaves a process behind fails
# the target.
take_down() {
	status=$?
	if ! scripts/openstack-env-down.sh; then
		echo "FAIL  the OpenStack environment left processes behind" >&2
		exit 1
	fi
	exit $status
}
if [ "${CB_OPENSTACK_KEEP:-0}" != 1 ]; then
	trap take_down EXIT
	# A timeout's TERM must still take the environment down.
	trap 'exit 143' TERM INT
fi

scripts/openstack-env-up.sh || exit 1
work=$dir/run
mkdir -p "$work"
plugin=bin/cloudbridge-plugin-openstack
skips=scripts/openstack-skips.yaml

# Every OS_* variable of the caller is dropped, so that each run uses exactly
# the configuration it names.
clean_env() { env $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/-u \1/p') "$@"; }

echo "== conformance: OS_* variables (openrc)"
# shellcheck disable=SC2016
clean_env bash -c '. "$1" && exec bin/cloudbridge-host conformance --plugin "$2" --skip-file "$3"' openrc \
	"$dir/openrc" "$plugin" "$skips" | tee "$work/openrc.txt"
openrc=${PIPESTATUS[0]}

echo "== conformance: clouds.yaml (OS_CLOUD=cloudbridge)"
clean_env OS_CLOUD=cloudbridge OS_CLIENT_CONFIG_FILE="$dir/clouds.yaml" \
	bin/cloudbridge-host conformance --plugin "$plugin" --skip-file "$skips" \
	--run '^(contract|compute/regions|security/key-pairs)/' | tee "$work/clouds.txt"
clouds=${PIPESTATUS[0]}

# The other two ways to authenticate, on a few tests each: an application
# credential and an existing token (scoped to the project by name).
subset='^(contract/probe|compute/regions/standard|security/key-pairs/crud)$'
creds=$(clean_env bash -c '. "$1" && openstack application credential create "cb-conformance-$$" -f value -c id -c secret' sh "$dir/openrc" 2>/dev/null)
token=$(clean_env bash -c '. "$1" && openstack token issue -f value -c id' sh "$dir/openrc" 2>/dev/null)
echo "== conformance: application credential"
clean_env OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_REGION_NAME=RegionOne \
	OS_APPLICATION_CREDENTIAL_ID="$(sed -n 1p <<<"$creds")" OS_APPLICATION_CREDENTIAL_SECRET="$(sed -n 2p <<<"$creds")" \
	bin/cloudbridge-host conformance --plugin "$plugin" --run "$subset" | tee "$work/appcred.txt"
appcred=${PIPESTATUS[0]}
echo "== conformance: token"
clean_env OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_REGION_NAME=RegionOne OS_AUTH_TOKEN="$token" \
	OS_PROJECT_NAME=admin OS_PROJECT_DOMAIN_ID=default \
	bin/cloudbridge-host conformance --plugin "$plugin" --run "$subset" | tee "$work/token.txt"
tokenrun=${PIPESTATUS[0]}

echo "== bad credentials"
bad=0
out=$(clean_env OS_CLOUD=cloudbridge OS_CLIENT_CONFIG_FILE="$dir/clouds.yaml" \
	bin/cloudbridge-host -p openstack --plugin-path "$plugin" --set password=not-the-password-x7 regions list 2>&1)
if grep -q Unauthenticated <<<"$out" && grep -q 'clouds.yaml' <<<"$out" && ! grep -q not-the-password-x7 <<<"$out"; then
	echo "ok    a wrong password is Unauthenticated, names clouds.yaml and does not show the password"
else
	echo "FAIL  wrong password: $out"
	bad=1
fi
out=$(clean_env bin/cloudbridge-host -p openstack --plugin-path "$plugin" regions list 2>&1)
if grep -q Unauthenticated <<<"$out" && grep -q OS_AUTH_URL <<<"$out"; then
	echo "ok    no credentials at all is Unauthenticated and says what to set"
else
	echo "FAIL  no credentials: $out"
	bad=1
fi

echo "== summary"
echo "openrc:      $(tail -n1 "$work/openrc.txt")"
echo "clouds.yaml: $(tail -n1 "$work/clouds.txt")"
echo "app cred:    $(tail -n1 "$work/appcred.txt")"
echo "token:       $(tail -n1 "$work/token.txt")"
# One closing line for the whole target, as the conformance CLI prints it.
awk '/^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { p += $1; f += $3; s += $5 }
	END { printf "openstack: %d passed, %d failed, %d skipped\n", p, f + bad, s }' bad="$bad" \
	"$work/openrc.txt" "$work/clouds.txt" "$work/appcred.txt" "$work/token.txt"
[ "$openrc" = 0 ] && [ "$clouds" = 0 ] && [ "$appcred" = 0 ] && [ "$tokenrun" = 0 ] && [ "$bad" = 0 ]
