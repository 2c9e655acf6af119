#!/usr/bin/env bash
# Checks a plugin that is a module of its own (its go.mod requires this module
# through a replace): it builds, and its packages import nothing of this
# repository but sdk, and nothing from elsewhere but the standard library and
# the modules its go.mod names, so that a third party with only sdk could
# write the same plugin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: check-nested-module.sh plugins/NAME}
module=github.com/cloudbridge-go/cloudbridge
cd "$root/$dir"
own=$(go list -m)
go build ./...
imports=$(go list -f '{{range .Imports}}{{.}}{{"\n"}}{{end}}{{range .TestImports}}{{.}}{{"\n"}}{{end}}' ./... | sort -u)
bad=$(grep "^$module/" <<<"$imports" | grep -v "^$module/sdk\$" | grep -v "^$own\(/\|\$\)" || true)
if [ -n "$bad" ]; then
	echo "FAIL $dir imports more of this repository than sdk:" >&2
	echo "$bad" >&2
	exit 1
fi
# Outside the standard library (no dot in the first element), only the cloud's
# SDK (the AWS SDK unless the second argument, a regexp of import paths, says
# which; the third names it) and hclog (whose Logger is part of sdk.Config) are
# allowed.
allowed=${2:-'^github.com/aws/'}
sdkname=${3:-the AWS SDK}
others=$(grep '^[^/]*\.' <<<"$imports" | grep -v "^$module/" | grep -v "$allowed" | grep -v '^github.com/hashicorp/go-hclog$' || true)
if [ -n "$others" ]; then
	echo "FAIL $dir imports modules other than $sdkname:" >&2
	echo "$others" >&2
	exit 1
fi
echo "ok    $dir builds as module $own importing only $module/sdk and $sdkname"
