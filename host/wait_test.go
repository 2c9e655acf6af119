package host

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// launch creates an instance on p and returns it.
func launchInstance(t *testing.T, p *Provider) *Instance {
	t.Helper()
	image, vmType := catalogue(t, p)
	inst, err := p.Compute.Instances.Create(t.Context(), InstanceSpec{Label: "waiter", ImageID: image, VMTypeID: vmType})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// countEvents counts the calls of an event.
func countEvents(t *testing.T, p *Provider, event string) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	if _, err := p.Events.Observe(event, 10, func(context.Context, *Event) { n.Add(1) }); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestWaitReadyWaitsOutTheBoot(t *testing.T) {
	p := openMockInProcess(t, Settings{"boot_time": "300ms"}, nil)
	inst := launchInstance(t, p)
	start := time.Now()
	if err := inst.WaitReady(t.Context(), WaitInterval(10*time.Millisecond, 50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 200*time.Millisecond || inst.State != sdk.InstanceRunning {
		t.Fatalf("ready after %v in state %s; want running after the 300ms boot", took, inst.State)
	}
}

// A wait that runs out of time says so with DeadlineExceeded and names the
// state it last saw.
func TestWaitTimeoutNamesTheLastState(t *testing.T) {
	p := openMockInProcess(t, Settings{"boot_time": "1m"}, nil)
	inst := launchInstance(t, p)
	for name, wait := range map[string]func() error{
		"per-call option": func() error {
			return inst.WaitReady(t.Context(), WaitTimeout(300*time.Millisecond), WaitInterval(10*time.Millisecond, 50*time.Millisecond))
		},
		"provider policy": func() error {
			p.WaitPolicy = WaitPolicy{Timeout: 300 * time.Millisecond, MinInterval: 10 * time.Millisecond}
			defer func() { p.WaitPolicy = WaitPolicy{} }()
			return inst.WaitReady(t.Context())
		},
		"context deadline before the timeout": func() error {
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			return inst.WaitForWith(ctx, []sdk.InstanceState{sdk.InstanceRunning}, WaitTimeout(time.Hour))
		},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := wait()
			took := time.Since(start)
			if !errors.Is(err, ErrDeadlineExceeded) || !strings.Contains(err.Error(), `last state "pending"`) {
				t.Fatalf("err = %v, want DeadlineExceeded naming the last state", err)
			}
			if took < 250*time.Millisecond || took > 2*time.Second {
				t.Errorf("the wait took %v, want about 300ms", took)
			}
		})
	}
}

// The mock's latency makes each refresh slow: the wait's deadline ends one in
// flight, and the error still names the last state seen.
func TestWaitDeadlineCutsASlowRefresh(t *testing.T) {
	p := openMockInProcess(t, Settings{"boot_time": "1m", "latency": "150ms"}, nil)
	inst := launchInstance(t, p)
	start := time.Now()
	err := inst.WaitReady(t.Context(), WaitTimeout(400*time.Millisecond), WaitInterval(10*time.Millisecond, 10*time.Millisecond))
	if !errors.Is(err, ErrDeadlineExceeded) || !strings.Contains(err.Error(), `last state "pending"`) {
		t.Fatalf("err = %v, want DeadlineExceeded naming the last state", err)
	}
	if took := time.Since(start); took > 700*time.Millisecond {
		t.Errorf("the wait took %v with a 400ms timeout", took)
	}
}

// A terminal state ends the wait at its first sight, with a *StateError.
func TestWaitStopsAtATerminalState(t *testing.T) {
	p := openMockInProcess(t, nil, nil)
	inst := launchInstance(t, p)
	if err := inst.Delete(t.Context()); err != nil {
		t.Fatal(err)
	}
	refreshes := countEvents(t, p, "provider.compute.instances.get")
	start := time.Now()
	err := inst.WaitReady(t.Context(), WaitInterval(time.Second, time.Second))
	var se *StateError
	if !errors.Is(err, ErrWaitTerminal) || !errors.As(err, &se) || se.State != "deleted" || se.ID != inst.ID {
		t.Fatalf("err = %v, want a *StateError in state deleted", err)
	}
	if n := refreshes.Load(); n != 1 || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("%d refreshes in %v; want one, at once", n, time.Since(start))
	}
}

func TestWaitForTheGoneState(t *testing.T) {
	p := openMockInProcess(t, nil, nil)
	inst := launchInstance(t, p)
	if err := inst.Delete(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := inst.WaitFor(t.Context(), sdk.InstanceDeleted, sdk.InstanceUnknown); err != nil {
		t.Fatalf("wait for deleted: %v", err)
	}
}

func TestWaitArgumentsAreChecked(t *testing.T) {
	p := openMockInProcess(t, nil, nil)
	inst := launchInstance(t, p)
	wantParam(t, inst.WaitForWith(t.Context(), nil), "targets")
	wantParam(t, inst.WaitReady(t.Context(), WaitTimeout(-time.Second)), "timeout")
	wantParam(t, inst.WaitReady(t.Context(), WaitInterval(-time.Second, 0)), "interval")
}

// Every lifecycle resource of the catalogue (instance, image, volume,
// snapshot, network, subnet, gateway, floating IP) waits the same way; this
// exercises those the mock serves in process.
func TestWaitersOfEveryLifecycleResource(t *testing.T) {
	p := openMockInProcess(t, Settings{"boot_time": "20ms"}, nil)
	ctx := t.Context()
	opts := []WaitOption{WaitTimeout(10 * time.Second), WaitInterval(5*time.Millisecond, 50*time.Millisecond)}
	inst := launchInstance(t, p)
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	check("instance", inst.WaitReady(ctx, opts...))
	img, err := inst.CreateImage(ctx, "waiter-image")
	check("create image", err)
	if err == nil {
		check("image", img.WaitReady(ctx, opts...))
	}
	if p.Has(sdk.CapVolumes) {
		vol, err := p.Storage.Volumes.Create(ctx, VolumeSpec{Label: "waiter-vol", SizeGB: 1})
		check("create volume", err)
		if err == nil {
			check("volume", vol.WaitReady(ctx, opts...))
			if p.Has(sdk.CapSnapshots) {
				snap, err := vol.CreateSnapshot(ctx, "waiter-snap", "")
				check("create snapshot", err)
				if err == nil {
					check("snapshot", snap.WaitReady(ctx, opts...))
				}
			}
		}
	}
	if p.Has(sdk.CapNetworks) && p.Has(sdk.CapSubnets) {
		net, err := p.Networking.Networks.Create(ctx, NetworkSpec{Label: "waiter-net", CIDRBlock: "10.1.0.0/16"})
		check("create network", err)
		if err == nil {
			check("network", net.WaitReady(ctx, opts...))
			sn, err := net.CreateSubnet(ctx, "waiter-subnet", "10.1.1.0/24")
			check("create subnet", err)
			if err == nil {
				check("subnet", sn.WaitReady(ctx, opts...))
			}
			if p.Has(sdk.CapGateways) {
				gw, err := net.Gateways.GetOrCreate(ctx)
				check("create gateway", err)
				if err == nil {
					check("gateway", gw.WaitReady(ctx, opts...))
					if p.Has(sdk.CapFloatingIPs) {
						fip, err := gw.FloatingIPs.Create(ctx)
						check("create floating IP", err)
						if err == nil {
							check("floating IP", fip.WaitReady(ctx, opts...))
						}
					}
				}
			}
		}
	}
}
