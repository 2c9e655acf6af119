package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/plugins/mock"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// openMock serves the mock cloud in this process, as the examples' stand-in
// for host.Open(ctx, "aws", settings).
func openMock(ctx context.Context, settings host.Settings) *host.Provider {
	p, err := host.OpenInProcess(ctx, mock.New().Plugin("example"), settings)
	if err != nil {
		panic(err)
	}
	return p
}

// firstImageAndType picks an image and a VM type to launch.
func firstImageAndType(ctx context.Context, p *host.Provider) (image, vmType string) {
	images, err := p.Compute.Images.List(ctx, sdk.ImageListOptions{})
	if err != nil {
		panic(err)
	}
	types, err := p.Compute.VMTypes.List(ctx, host.ListOptions{})
	if err != nil {
		panic(err)
	}
	return images.Items[0].ID, types.Items[0].ID
}

// An application embeds the host: it opens a provider, makes resources
// through the portable object graph, and waits for them.
func Example() {
	ctx := context.Background()
	p := openMock(ctx, host.Settings{"region": "mock-west-1", "boot_time": "20ms"})
	defer p.Close() // stops the plugin

	image, vmType := firstImageAndType(ctx, p)
	inst, err := p.Compute.Instances.Create(ctx, host.InstanceSpec{Label: "web-1", ImageID: image, VMTypeID: vmType})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := inst.WaitReady(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inst.Label, inst.State, inst.Zone)
	// Output: web-1 running mock-west-1a
}

// Observers see every call of the events their pattern matches: here an
// audit trail of every create, after the call (priority above
// host.ImplementPriority), with its outcome.
func ExampleEvents_Observe() {
	ctx := context.Background()
	p := openMock(ctx, nil)
	defer p.Close()

	_, err := p.Events.Observe("provider.*.create", 3000, func(_ context.Context, e *host.Event) {
		fmt.Printf("%s attempts=%d err=%v\n", e.Name, e.Attempts, e.Err)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Security.VMFirewalls.Create(ctx, host.VMFirewallSpec{Label: "web"})
	p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: "deploy"})
	// Output:
	// provider.security.vm_firewalls.create attempts=1 err=<nil>
	// provider.security.key_pairs.create attempts=1 err=<nil>
}

// Interceptors wrap the call: this one rewrites the arguments of every
// firewall create (Args points at the spec) and refuses deletes outright.
func ExampleEvents_Intercept() {
	ctx := context.Background()
	p := openMock(ctx, nil)
	defer p.Close()

	p.Events.Intercept("provider.security.vm_firewalls.create", 1000,
		func(ctx context.Context, e *host.Event, next func(context.Context) error) error {
			spec := e.Args.(*host.VMFirewallSpec)
			spec.Label = "team-a-" + spec.Label
			return next(ctx)
		})
	p.Events.Intercept("provider.*.delete", 1000,
		func(context.Context, *host.Event, func(context.Context) error) error {
			return sdk.Errorf(sdk.CodePermissionDenied, "deletes are disabled")
		})

	fw, _ := p.Security.VMFirewalls.Create(ctx, host.VMFirewallSpec{Label: "web"})
	fmt.Println(fw.Label)
	err := fw.Delete(ctx)
	fmt.Println(errors.Is(err, host.ErrPermissionDenied), err)
	// Output:
	// team-a-web
	// true provider.security.vm_firewalls.delete: PermissionDenied: deletes are disabled
}

// callCounter is a middleware: handlers installed and removed together.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) Install(ev *host.Events) error {
	_, err := ev.Observe("provider.compute.*", 3000, func(_ context.Context, e *host.Event) {
		c.mu.Lock()
		c.calls[e.Name]++
		c.mu.Unlock()
	})
	return err
}

func ExampleEvents_Use() {
	ctx := context.Background()
	p := openMock(ctx, nil)
	defer p.Close()

	counter := &callCounter{calls: map[string]int{}}
	h, err := p.Events.Use(counter)
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Compute.Regions.List(ctx, host.ListOptions{})
	p.Compute.Regions.Current(ctx)
	h.Remove() // uninstalls every handler of the middleware
	p.Compute.Regions.List(ctx, host.ListOptions{})

	fmt.Println(counter.calls)
	// Output: map[provider.compute.regions.get:1 provider.compute.regions.list:1]
}

// DebugLogging logs every call with its duration and outcome, redacting
// private keys, user data and signed URLs. A provider opened with a logger at
// debug level (or with CLOUDBRIDGE_LOG_LEVEL=debug) installs it by itself.
func ExampleDebugLogging() {
	ctx := context.Background()
	p := openMock(ctx, nil)
	defer p.Close()

	log := hclog.New(&hclog.LoggerOptions{Name: "calls", Level: hclog.Debug, Output: os.Stderr})
	h, err := p.Events.Use(host.DebugLogging(log))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Remove()
	p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: "deploy"})
	// stderr: [DEBUG] calls: call done: event=provider.security.key_pairs.create
	//   args="{\"name\":\"deploy\",…}" duration=1.2ms attempts=1
	//   result="{\"id\":\"deploy\",\"material\":\"[redacted]\",…}"
}

// WaitReady polls with capped exponential backoff until the resource is
// ready, stops at once at a terminal state (a *StateError), and gives up with
// DeadlineExceeded naming the last state when its time is up: the context's
// deadline, the provider's WaitPolicy (600 s by default), or a per-call
// WaitTimeout, whichever ends first.
func ExampleInstance_WaitReady() {
	ctx := context.Background()
	p := openMock(ctx, host.Settings{"boot_time": "1h"}) // a slow boot
	defer p.Close()
	image, vmType := firstImageAndType(ctx, p)
	inst, _ := p.Compute.Instances.Create(ctx, host.InstanceSpec{Label: "slow", ImageID: image, VMTypeID: vmType})

	err := inst.WaitReady(ctx, host.WaitTimeout(200*time.Millisecond), host.WaitInterval(10*time.Millisecond, time.Second))
	fmt.Println(errors.Is(err, host.ErrDeadlineExceeded))
	fmt.Println(strings.Replace(err.Error(), inst.ID, "<id>", 1))

	inst.Delete(ctx)
	err = inst.WaitReady(ctx)
	var stateErr *host.StateError
	fmt.Println(errors.As(err, &stateErr), stateErr.State)
	// Output:
	// true
	// waiting for instance <id> to be running (last state "pending"): DeadlineExceeded: context deadline exceeded
	// true deleted
}

// Calls that fail with a retryable error are retried: here the mock loses
// the answer of half its changes after making them (fail_phase=after), and
// every create still makes exactly one firewall, because each carries an
// idempotency token fixed before its first try.
func ExampleRetryPolicy() {
	ctx := context.Background()
	p := openMock(ctx, host.Settings{"fail_rate": "0.5", "fail_phase": "after"})
	defer p.Close()
	p.RetryPolicy = host.RetryPolicy{MaxAttempts: 40, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}

	for _, label := range []string{"web", "database", "cache"} {
		if _, err := p.Security.VMFirewalls.Create(ctx, host.VMFirewallSpec{Label: label}); err != nil {
			fmt.Println(err)
		}
	}
	var labels []string
	for fw, err := range p.Security.VMFirewalls.All(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		labels = append(labels, fw.Label)
	}
	sort.Strings(labels)
	fmt.Println(labels)
	// Output: [cache database web]
}

// Settings come from explicit values, then a profile of the config file,
// then the environment variables the plugin declares, then the plugin's own
// defaults. host.OpenProfile(ctx, "west", nil) reads ConfigPath(); this
// example names its file.
func ExampleProfile() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "cloudbridge-example")
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "config.yaml")
	os.WriteFile(config, []byte(`
default_profile: west
profiles:
  west:
    provider: mock
    settings: {region: mock-west-1, zone: mock-west-1b}
`), 0o600)

	p, err := host.OpenInProcessWith(ctx, mock.New().Plugin("example"),
		host.Settings{"zone": "mock-west-1a"}, // explicit settings win
		host.Options{Profile: "west", ConfigFile: config})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	fmt.Println(p.Region, p.Zone)
	// Output: mock-west-1 mock-west-1a
}

// A zone view works in another zone of the region through the same plugin
// process; closing it leaves the provider open.
func ExampleProvider_WithZone() {
	ctx := context.Background()
	p := openMock(ctx, host.Settings{"region": "mock-east-1"})
	defer p.Close()

	view, err := p.WithZone(ctx, "mock-east-1c")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer view.Close()
	vol, err := view.Storage.Volumes.Create(ctx, host.VolumeSpec{Label: "data", SizeGB: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Zone, view.Zone, vol.Zone)

	_, err = p.WithZone(ctx, "mock-west-1a")
	fmt.Println(err)
	// Output:
	// mock-east-1a mock-east-1c mock-east-1c
	// InvalidArgument: invalid zone "mock-west-1a": not a zone of region mock-east-1 (zones: mock-east-1a, mock-east-1b, mock-east-1c) (param zone)
}

// The transfer manager moves whole objects of any size with memory bounded
// by PartSize × Concurrency: one request below the threshold, a parallel
// multipart upload and parallel ranged reads above it. Settings come from the
// call's options, then p.Transfer, then CB_MULTIPART_THRESHOLD,
// CB_MULTIPART_PART_SIZE and CB_MULTIPART_MAX_CONCURRENCY, then the defaults
// (100 MiB, 50 MiB, 5). Here a 12 MiB object crosses a lowered threshold: it
// goes up in three parts and comes down in three ranges, into a file that
// appears only once complete.
func ExampleObjectService_Upload() {
	ctx := context.Background()
	p := openMock(ctx, nil)
	defer p.Close()
	p.Transfer = host.TransferConfig{Threshold: 8 << 20, PartSize: 5 << 20, Concurrency: 3}

	var parts, ranges atomic.Int32
	p.Events.Observe("provider.storage.bucket_objects.upload_part", 3000, func(context.Context, *host.Event) { parts.Add(1) })
	p.Events.Observe("provider.storage.bucket_objects.download_range", 3000, func(context.Context, *host.Event) { ranges.Add(1) })

	bucket, err := p.Storage.Buckets.Create(ctx, host.BucketSpec{Name: "example-transfers"})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := bytes.Repeat([]byte("cloudbridge "), 1<<20) // 12 MiB
	info, err := bucket.Objects.Upload(ctx, "logs/big.txt", bytes.NewReader(data), host.UploadOptions{ContentType: "text/plain"})
	if err != nil {
		fmt.Println(err)
		return
	}

	dir, _ := os.MkdirTemp("", "cloudbridge-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "big.txt")
	var last host.Progress
	_, err = bucket.Objects.DownloadFile(ctx, "logs/big.txt", path, host.DownloadOptions{
		Progress: func(pr host.Progress) { last = pr }, // one call at a time
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	got, _ := os.ReadFile(path)
	fmt.Println(info.Size, "bytes in", parts.Load(), "parts and", ranges.Load(), "ranges; intact:", bytes.Equal(got, data))
	fmt.Printf("progress: %d of %d\n", last.Done, last.Total)
	// Output:
	// 12582912 bytes in 3 parts and 3 ranges; intact: true
	// progress: 12582912 of 12582912
}
