# CloudBridge for Go. `make run` builds and runs the quickstart on the mock
# cloud; `make test` runs every test. See README.md.
MODULE  := github.com/cloudbridge-go/cloudbridge
BIN     := bin
VERSION ?= 0.1.0-dev
LDFLAGS := -X main.version=$(VERSION)
GO      ?= go

.PHONY: build test run proto proto-check vet fmt-check unit conformance-mock plugin-modules clean
.PHONY: build-aws unit-aws plugin-module-aws conformance-aws
.PHONY: build-openstack unit-openstack plugin-module-openstack conformance-openstack

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/cloudbridge-host ./plugins/mock/cmd/cloudbridge-plugin-mock

run: build
	$(BIN)/cloudbridge-host quickstart

test: vet fmt-check proto-check plugin-modules unit conformance-mock unit-aws plugin-module-aws unit-openstack plugin-module-openstack

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^internal/pb/') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

# The suite through the real binaries, as a user runs it.
conformance-mock: build
	$(BIN)/cloudbridge-host conformance --plugin $(BIN)/cloudbridge-plugin-mock

# Each plugin must build as its own module importing only sdk.
plugin-modules:
	scripts/check-plugin-module.sh plugins/mock

# The AWS plugin is a module of its own (plugins/aws/go.mod), so that the
# main module does not pull in the AWS SDK.
build-aws:
	cd plugins/aws && $(GO) build -ldflags "$(LDFLAGS)" -o ../../$(BIN)/ ./cmd/cloudbridge-plugin-aws ./cmd/aws-emulator-probe

unit-aws:
	cd plugins/aws && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# plugins/aws imports nothing of this repository but sdk.
plugin-module-aws:
	scripts/check-nested-module.sh plugins/aws

# The suite through the AWS plugin against local emulators (moto for EC2 and
# Route 53; gofakes3, seaweedfs and s3rver for S3), which scripts/aws-env-up.sh
# installs into .tools/ (moto comes with the machine) and starts.
conformance-aws: build build-aws
	scripts/conformance-aws.sh

# The OpenStack plugin is a module of its own (plugins/openstack/go.mod), so
# that the main module does not pull in gophercloud.
build-openstack:
	cd plugins/openstack && $(GO) build -ldflags "$(LDFLAGS)" -o ../../$(BIN)/ ./cmd/cloudbridge-plugin-openstack

unit-openstack:
	cd plugins/openstack && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# plugins/openstack imports nothing of this repository but sdk, and nothing
# outside the standard library but gophercloud v2.
plugin-module-openstack:
	scripts/check-nested-module.sh plugins/openstack '^github.com/gophercloud/gophercloud/v2\(/\|$$\)' 'gophercloud v2'

# The suite through the OpenStack plugin against real OpenStack services on
# 127.0.0.1 (scripts/openstack-env-up.sh: Debian's packages, fake virt, volume
# and DNS backends), configured by openrc and by clouds.yaml; the environment
# is taken down at the end, whatever happened.
conformance-openstack: build build-openstack
	scripts/conformance-openstack.sh

proto:
	protoc -I proto \
	  --plugin=protoc-gen-go=$$($(GO) tool -n protoc-gen-go) \
	  --plugin=protoc-gen-go-grpc=$$($(GO) tool -n protoc-gen-go-grpc) \
	  --go_out=. --go_opt=module=$(MODULE) \
	  --go-grpc_out=. --go-grpc_opt=module=$(MODULE) \
	  proto/cloudbridge/v1/*.proto

# Fails when the committed generated code differs from what the protos give.
proto-check:
	@scripts/check-proto.sh

clean:
	rm -rf $(BIN)
