#!/usr/bin/env bash
# Regenerates the Go code of proto/ into a scratch directory and fails when it
# differs from the committed internal/pb: the committed code must never be stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v protoc >/dev/null; then
	echo "SKIP proto-check: protoc is not installed (apt-get install protobuf-compiler; CI does)"
	exit 0
fi
module=github.com/cloudbridge-go/cloudbridge
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
protoc -I proto \
	--plugin=protoc-gen-go="$(go tool -n protoc-gen-go)" \
	--plugin=protoc-gen-go-grpc="$(go tool -n protoc-gen-go-grpc)" \
	--go_out="$scratch" --go_opt=module=$module \
	--go-grpc_out="$scratch" --go-grpc_opt=module=$module \
	proto/cloudbridge/v1/*.proto
if ! diff -ru internal/pb "$scratch/internal/pb"; then
	echo "FAIL proto-check: internal/pb is stale; run 'make proto' and commit the result" >&2
	exit 1
fi
echo "ok    proto-check: internal/pb matches proto/"
