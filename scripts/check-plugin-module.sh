#!/usr/bin/env bash
# Copies a plugin directory out of this repository, makes it a module of its own
# that requires this one through a replace, and checks that it builds and that
# its packages import nothing of this repository but sdk: a third party who has
# only sdk must be able to write the same plugin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: check-plugin-module.sh plugins/NAME}
module=github.com/cloudbridge-go/cloudbridge
name=$(basename "$dir")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$root/$dir" "$scratch/$name"
cd "$scratch/$name"
rm -f go.mod go.sum
# The copy is its own module: its packages import each other by its path.
own=example.com/cloudbridge-plugin-$name
grep -rl "$module/$dir" --include='*.go' . | xargs -r sed -i "s#$module/$dir#$own#g"
cat > go.mod <<MOD
module $own

go 1.26

require $module v0.0.0

replace $module => $root
MOD
go mod tidy >/dev/null 2>&1 || { go mod tidy; exit 1; }
go build ./...
bad=$(go list -f '{{range .Imports}}{{.}}{{"\n"}}{{end}}{{range .TestImports}}{{.}}{{"\n"}}{{end}}' ./... | grep "^$module" | grep -v "^$module/sdk\$" | sort -u || true)
if [ -n "$bad" ]; then
	echo "FAIL $dir imports more of this repository than sdk:" >&2
	echo "$bad" >&2
	exit 1
fi
echo "ok    $dir builds as its own module importing only $module/sdk"
