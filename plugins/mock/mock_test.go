package mock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// newPlugin returns a configured mock plugin. Settings default to a 30ms boot time.
func newPlugin(t *testing.T, settings map[string]string) sdk.Plugin {
	t.Helper()
	return configure(t, New(), settings)
}

func configure(t *testing.T, c *Cloud, settings map[string]string) sdk.Plugin {
	t.Helper()
	s := map[string]string{"boot_time": "30ms"}
	for k, v := range settings {
		s[k] = v
	}
	p := c.Plugin("test")
	if _, err := p.Configure(context.Background(), sdk.Config{Settings: s}); err != nil {
		t.Fatalf("Configure(%v): %v", s, err)
	}
	return p
}

// wantErr fails unless err is an *sdk.Error with code and, if param is not "",
// that param.
func wantErr(t *testing.T, err error, code sdk.Code, param string) {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *sdk.Error with code %s", err, code)
	}
	if e.Code != code || (param != "" && e.Param != param) {
		t.Fatalf("err = %v (code %s, param %q), want code %s, param %q", err, e.Code, e.Param, code, param)
	}
}

func TestConfigure(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		settings map[string]string
		want     sdk.Location
		badParam string
	}{
		{"defaults", nil, sdk.Location{Region: "mock-east-1", Zone: "mock-east-1a"}, ""},
		{"region picks its first zone", map[string]string{"region": "mock-west-1"}, sdk.Location{Region: "mock-west-1", Zone: "mock-west-1a"}, ""},
		{"zone", map[string]string{"zone": "mock-east-1c"}, sdk.Location{Region: "mock-east-1", Zone: "mock-east-1c"}, ""},
		{"everything", map[string]string{
			"region": "mock-west-1", "zone": "mock-west-1b", "latency": "1ms", "boot_time": "0s",
			"state_file": filepath.Join(dir, "state.json"), "fail_rate": "0", "fail_code": "internal",
		}, sdk.Location{Region: "mock-west-1", Zone: "mock-west-1b"}, ""},
		{"unknown region", map[string]string{"region": "us-east-1"}, sdk.Location{}, "region"},
		{"zone of another region", map[string]string{"zone": "mock-west-1a"}, sdk.Location{}, "zone"},
		{"bad latency", map[string]string{"latency": "fast"}, sdk.Location{}, "latency"},
		{"negative boot_time", map[string]string{"boot_time": "-1s"}, sdk.Location{}, "boot_time"},
		{"fail_rate above 1", map[string]string{"fail_rate": "1.5"}, sdk.Location{}, "fail_rate"},
		{"fail_rate NaN", map[string]string{"fail_rate": "NaN"}, sdk.Location{}, "fail_rate"},
		{"unknown fail_code", map[string]string{"fail_code": "Oops"}, sdk.Location{}, "fail_code"},
		{"state_file in a missing directory", map[string]string{"state_file": filepath.Join(dir, "no", "state.json")}, sdk.Location{}, "state_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New().Plugin("test")
			got, err := p.Configure(context.Background(), sdk.Config{Settings: tt.settings})
			if tt.badParam != "" {
				wantErr(t, err, sdk.CodeInvalidArgument, tt.badParam)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Configure = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestPluginAdvertisesComputeAndSecurity(t *testing.T) {
	p := New().Plugin("1.2.3")
	if p.Name != "mock" || p.Version != "1.2.3" {
		t.Errorf("Name, Version = %q, %q", p.Name, p.Version)
	}
	caps := p.Capabilities()
	for _, want := range []string{sdk.CapInstances, sdk.CapStartStop, sdk.CapImages, sdk.CapRegions,
		sdk.CapVMTypes, sdk.CapKeyPairs, sdk.CapVMFirewalls, sdk.CapVMFirewallRules, sdk.CapVolumes, sdk.CapSnapshots,
		sdk.CapNetworks, sdk.CapSubnets, sdk.CapRouters, sdk.CapGateways, sdk.CapFloatingIPs,
		sdk.CapDNSZones, sdk.CapDNSRecords, sdk.CapBuckets, sdk.CapObjects, sdk.CapMultipart, sdk.CapPresignedURLs} {
		if !slices.Contains(caps, want) {
			t.Errorf("capabilities %v lack %s", caps, want)
		}
	}
	for _, s := range p.Settings {
		if s.Description == "" {
			t.Errorf("setting %s is undocumented", s.Name)
		}
	}
}

func TestRegionsAndVMTypes(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	regions, err := p.Compute.Regions.List(ctx, sdk.ListOptions{})
	if err != nil || len(regions.Items) != 2 {
		t.Fatalf("Regions.List = %+v, %v; want 2 regions", regions, err)
	}
	r, err := p.Compute.Regions.Get(ctx, "mock-east-1")
	if err != nil || len(r.Zones) != 3 || r.Zones[0].Name != "mock-east-1a" || !r.Zones[0].Available {
		t.Fatalf("Regions.Get = %+v, %v", r, err)
	}
	_, err = p.Compute.Regions.Get(ctx, "nowhere")
	wantErr(t, err, sdk.CodeNotFound, "")

	types, err := p.Compute.VMTypes.List(ctx, sdk.ListOptions{PageSize: 2})
	if err != nil || len(types.Items) != 2 || types.NextPageToken == "" {
		t.Fatalf("VMTypes.List(page 2) = %+v, %v", types, err)
	}
	large, err := p.Compute.VMTypes.Get(ctx, "m.large")
	if err != nil || large.Family != "general" || large.NumEphemeralDisks != 2 || large.SizeTotalDiskGB() != 280 {
		t.Fatalf("VMTypes.Get(m.large) = %+v, %v", large, err)
	}
	_, err = p.Compute.VMTypes.Get(ctx, "m.huge")
	wantErr(t, err, sdk.CodeNotFound, "")
}

// Two Clouds on one state file stand for two processes: each sees the other's
// writes, and concurrent writers lose nothing.
func TestStateFileShared(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "cloud.json")
	a := newPlugin(t, map[string]string{"state_file": file})
	b := newPlugin(t, map[string]string{"state_file": file})

	fw, err := a.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "web"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Security.VMFirewalls.Get(ctx, fw.ID)
	if err != nil || !reflect.DeepEqual(got, fw) {
		t.Fatalf("other process: Get = %+v, %v; want %+v", got, err, fw)
	}
	in, err := b.Compute.Instances.Create(ctx, sdk.InstanceSpec{
		Label: "app", ImageID: "img-cirros-06", VMTypeID: "m.tiny", VMFirewallIDs: []string{fw.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The state machine runs on the clock, so the other process sees it move too.
	waitInstance(t, a, in.ID, sdk.InstanceRunning)
	err = a.Security.VMFirewalls.Delete(ctx, fw.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	if err := a.Compute.Instances.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.Compute.Instances.Get(ctx, in.ID)
	wantErr(t, err, sdk.CodeNotFound, "")

	// Interleaved writers: every create survives.
	var wg sync.WaitGroup
	const each = 10
	errs := make(chan error, 2*each)
	for i, p := range []sdk.Plugin{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				_, err := p.Security.Rules.Create(ctx, sdk.VMFirewallRuleSpec{
					FirewallID: fw.ID, Direction: sdk.Inbound, Protocol: "tcp",
					FromPort: 1000*i + j, ToPort: 1000*i + j, CIDR: "0.0.0.0/0",
				})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rules, err := a.Security.Rules.List(ctx, fw.ID, sdk.ListOptions{})
	if err != nil || len(rules.Items) != 2*each {
		t.Fatalf("rules after concurrent creates: %d, %v; want %d", len(rules.Items), err, 2*each)
	}

	// A third process starting later finds everything.
	c := newPlugin(t, map[string]string{"state_file": file})
	if page, err := c.Security.Rules.List(ctx, fw.ID, sdk.ListOptions{}); err != nil || len(page.Items) != 2*each {
		t.Fatalf("new process: %d rules, %v", len(page.Items), err)
	}
}

func TestStateFileDamaged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := New().Plugin("test")
	_, err := p.Configure(context.Background(), sdk.Config{Settings: map[string]string{"state_file": file}})
	wantErr(t, err, sdk.CodeFailedPrecondition, "state_file")
}

func TestLatencyAndDeadline(t *testing.T) {
	p := newPlugin(t, map[string]string{"latency": "300ms"})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "late"})
	wantErr(t, err, sdk.CodeDeadlineExceeded, "")
	if !errors.Is(err, sdk.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want it to match sdk.ErrDeadlineExceeded and context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("the call returned after %v; it should give up when its context ends", d)
	}

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = p.Compute.Regions.List(canceled, sdk.ListOptions{})
	wantErr(t, err, sdk.CodeCanceled, "")

	// Nothing was made by the call that timed out, and a patient call waits.
	start = time.Now()
	page, err := p.Security.VMFirewalls.List(context.Background(), sdk.ListOptions{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("List = %+v, %v; want empty", page, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("List took %v; want at least the 300ms latency", d)
	}
}

func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	c := New()
	p := configure(t, c, map[string]string{"fail_rate": "1", "fail_code": "ResourceExhausted"})
	_, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "flaky"})
	wantErr(t, err, sdk.CodeResourceExhausted, "")
	var e *sdk.Error
	if errors.As(err, &e); !e.Retryable {
		t.Errorf("injected %v is not retryable", err)
	}
	if err := p.Probe(ctx); err != nil {
		t.Errorf("Probe = %v; faults are not injected into Probe", err)
	}

	p = configure(t, c, map[string]string{"fail_rate": "0"})
	page, err := p.Security.VMFirewalls.List(ctx, sdk.ListOptions{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("List = %+v, %v; the failed create must have made nothing", page, err)
	}
}

// A retried create with the same token gets the first create's resource, even
// after that resource has changed state.
func TestIdempotentCreate(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	spec := sdk.InstanceSpec{Label: "once", ImageID: "img-debian-12", VMTypeID: "m.small", IdempotencyToken: "tok-1"}
	first, err := p.Compute.Instances.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitInstance(t, p, first.ID, sdk.InstanceRunning)
	again, err := p.Compute.Instances.Create(ctx, spec)
	if err != nil || again.ID != first.ID || again.State != sdk.InstanceRunning {
		t.Fatalf("retry = %+v, %v; want instance %s, now running", again, err, first.ID)
	}
	page, _ := p.Compute.Instances.List(ctx, sdk.ListOptions{})
	if len(page.Items) != 1 {
		t.Fatalf("%d instances after a retried create; want 1", len(page.Items))
	}

	other := spec
	other.Label = "twice"
	_, err = p.Compute.Instances.Create(ctx, other)
	wantErr(t, err, sdk.CodeInvalidArgument, "idempotency_token")

	// Tokens are per kind: the same token may make a firewall.
	fw1, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "fw-1", IdempotencyToken: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	fw2, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "fw-1", IdempotencyToken: "tok-1"})
	if err != nil || !reflect.DeepEqual(fw2, fw1) {
		t.Fatalf("firewall retry = %+v, %v; want %+v", fw2, err, fw1)
	}

	// Without a token, two creates make two resources.
	spec.IdempotencyToken = ""
	for range 2 {
		if _, err := p.Compute.Instances.Create(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	if page, _ := p.Compute.Instances.List(ctx, sdk.ListOptions{}); len(page.Items) != 3 {
		t.Fatalf("%d instances; want 3", len(page.Items))
	}
}

func TestConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	fw, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			in, err := p.Compute.Instances.Create(ctx, sdk.InstanceSpec{
				Label: fmt.Sprintf("vm-%d", i), ImageID: "img-cirros-06", VMTypeID: "m.tiny",
			})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := p.Compute.Instances.AddVMFirewall(ctx, in.ID, fw.ID); err != nil {
				t.Error(err)
			}
			if _, err := p.Compute.Instances.List(ctx, sdk.ListOptions{PageSize: 3}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	page, err := p.Compute.Instances.List(ctx, sdk.ListOptions{})
	if err != nil || len(page.Items) != 16 {
		t.Fatalf("%d instances, %v; want 16", len(page.Items), err)
	}
	ips := map[string]bool{}
	for _, in := range page.Items {
		if ips[in.PrivateIPs[0]] {
			t.Errorf("private IP %s given twice", in.PrivateIPs[0])
		}
		ips[in.PrivateIPs[0]] = true
	}
}
