// Package mock is the in-memory reference cloud: a complete, dependency-free
// implementation of the CloudBridge contract that the host, the conformance
// suite and the CLI are tested against.
//
// It behaves like a small cloud rather than a stub. Resources have real
// lifecycles driven by the clock, not by calls: an instance is "pending" when
// created and "running" once the boot_time setting has passed, whoever looks;
// an image made from an instance is "pending" for as long, as are a volume
// ("creating") and a snapshot. Ids look like a
// cloud's ("i-3f2a9c01b7de"), lists are paged, creates honour idempotency
// tokens, and the errors are the contract's codes with the parameter named.
//
// By default the state lives in memory and dies with the process. With the
// state_file setting it is kept as JSON in that file, re-read at the start of
// every call and replaced atomically after every change under an exclusive
// flock, so successive CLI commands build on each other and two processes can
// share one cloud. The latency, fail_rate and fail_code settings inject delay
// and faults for testing clients' timeouts and retries; with fail_phase=after
// a fault hits a change after it is kept, as when an answer is lost, which is
// how a client proves its retried creates make one resource.
//
// In process:
//
//	p := mock.New().Plugin("dev")
//	if _, err := p.Configure(ctx, sdk.Config{Settings: map[string]string{"boot_time": "10ms"}}); err != nil {
//		return err
//	}
//	inst, err := p.Compute.Instances.Create(ctx, sdk.InstanceSpec{
//		Label: "web-1", ImageID: "img-ubuntu-2404", VMTypeID: "m.small",
//	})
//
// As a plugin binary, see cmd/cloudbridge-plugin-mock.
//
// So far the compute (regions, VM types, images, instances with start/stop),
// block storage (volumes, attachments, snapshots and the block devices of a
// launch config: see volumes.go), object storage (buckets, objects streamed
// to files of a data directory, multipart uploads, and presigned URLs served
// over HTTP on 127.0.0.1 while the plugin runs: see datadir.go and
// presign.go), security (key pairs, firewalls, rules),
// networking (networks, subnets, routers, internet gateways, floating IPs)
// and DNS (zones, records) families are implemented; the others are not
// advertised. Networking follows AWS's VPC rules, the strictest: see
// networks.go.
package mock
