package host

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// fastRetries retries often and quickly, so that fault-injection tests with a
// 50% failure rate are both fast and all but certain to get through.
var fastRetries = RetryPolicy{MaxAttempts: 40, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// countRetried counts the calls of an event that took more than one attempt.
func countRetried(t *testing.T, p *Provider, event string) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	if _, err := p.Events.Observe(event, 4000, func(_ context.Context, e *Event) {
		if e.Attempts > 1 && e.Err == nil {
			n.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return &n
}

// The proof of exactly-once creates: the mock applies each create and then,
// half the time, loses the answer (fail_phase=after). The host retries with
// the token it fixed before the first try, so every create makes one
// instance, listed once, with the id the caller got.
func TestRetriedCreateMakesOneResource(t *testing.T) {
	faults := Settings{"fail_rate": "0.5", "fail_phase": "after", "boot_time": "1ms"}
	for name, open := range map[string]func(t *testing.T) *Provider{
		"in process":     func(t *testing.T) *Provider { return openMockInProcess(t, faults, nil) },
		"plugin process": func(t *testing.T) *Provider { return openMock(t, faults) },
	} {
		t.Run(name, func(t *testing.T) {
			p := open(t)
			p.RetryPolicy = fastRetries
			image, vmType := catalogue(t, p)
			retried := countRetried(t, p, "provider.compute.instances.create")
			made := map[string]int{}
			for i := 0; i < 40 && (i < 5 || retried.Load() < 3); i++ {
				inst, err := p.Compute.Instances.Create(t.Context(), InstanceSpec{Label: "exactly-once", ImageID: image, VMTypeID: vmType})
				if err != nil {
					t.Fatalf("create %d: %v", i, err)
				}
				made[inst.ID]++
			}
			if retried.Load() < 3 {
				t.Fatalf("only %d creates were retried; the test proves nothing", retried.Load())
			}
			listed := map[string]int{}
			for inst, err := range p.Compute.Instances.All(t.Context()) {
				if err != nil {
					t.Fatal(err)
				}
				listed[inst.ID]++
			}
			if len(listed) != len(made) {
				t.Fatalf("%d creates (%d retried) made %d instances", len(made), retried.Load(), len(listed))
			}
			for id, n := range made {
				if n != 1 || listed[id] != 1 {
					t.Errorf("instance %s: returned %d times, listed %d times; want once each", id, n, listed[id])
				}
			}
		})
	}
}

// A key pair whose first answer was lost still comes back with its private
// key: the plugin kept it under the token.
func TestRetriedKeyPairCreateKeepsTheMaterial(t *testing.T) {
	p := openMockInProcess(t, Settings{"fail_rate": "0.5", "fail_phase": "after"}, nil)
	p.RetryPolicy = fastRetries
	retried := countRetried(t, p, "provider.security.key_pairs.create")
	for i := 0; i < 30 && retried.Load() == 0; i++ {
		kp, err := p.Security.KeyPairs.Create(t.Context(), sdk.KeyPairSpec{Name: "kp-" + itoa(i)})
		if err != nil || kp.Material == "" {
			t.Fatalf("create %d = %v, material %d bytes", i, err, len(kp.Material))
		}
	}
	if retried.Load() == 0 {
		t.Fatal("no create was retried")
	}
}

// A delete whose answer was lost is retried; the retry's NotFound means the
// first try did it, so the caller sees success.
func TestRetriedDeleteAfterALostAnswerSucceeds(t *testing.T) {
	p := openMockInProcess(t, Settings{"fail_rate": "0.5", "fail_phase": "after"}, nil)
	p.RetryPolicy = fastRetries
	retried := countRetried(t, p, "provider.security.vm_firewalls.delete")
	for i := 0; i < 30 && (i < 3 || retried.Load() == 0); i++ {
		fw, err := p.Security.VMFirewalls.Create(t.Context(), VMFirewallSpec{Label: "doomed"})
		if err != nil {
			t.Fatal(err)
		}
		if err := fw.Delete(t.Context()); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if retried.Load() == 0 {
		t.Fatal("no delete was retried")
	}
	found, err := p.Security.VMFirewalls.Find(t.Context(), Filter{"label": "doomed"})
	if err != nil || len(found) != 0 {
		t.Fatalf("after the deletes: %d firewalls, %v", len(found), err)
	}
}

// catalogue returns an image and a VM type of the cloud.
func catalogue(t *testing.T, p *Provider) (image, vmType string) {
	t.Helper()
	images, err := p.Compute.Images.List(t.Context(), sdk.ImageListOptions{})
	if err != nil || len(images.Items) == 0 {
		t.Fatalf("images: %v", err)
	}
	types, err := p.Compute.VMTypes.List(t.Context(), ListOptions{})
	if err != nil || len(types.Items) == 0 {
		t.Fatalf("VM types: %v", err)
	}
	return images.Items[0].ID, types.Items[0].ID
}

var (
	unavailable = &sdk.Error{Code: sdk.CodeUnavailable, Message: "connection reset", Retryable: true}
	throttled   = &sdk.Error{Code: sdk.CodeResourceExhausted, Message: "slow down", Retryable: true}
	notFound    = sdk.NotFound("thing", "x")
)

// script is a driver whose calls answer with queued errors, then nil.
type script struct {
	mu    sync.Mutex
	errs  []error
	calls int
}

func (s *script) next() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

type scriptedKeyPairs struct {
	sdk.KeyPairs
	*script
}

func (k scriptedKeyPairs) Delete(context.Context, string) error { return k.next() }

type scriptedInstances struct {
	sdk.Instances
	*script
}

func (i scriptedInstances) Reboot(_ context.Context, id string) (sdk.Instance, error) {
	return sdk.Instance{ID: id}, i.next()
}

type scriptedObjects struct {
	sdk.Objects
	*script
}

func (o scriptedObjects) Put(_ context.Context, _ sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	io.Copy(io.Discard, body)
	return sdk.ObjectInfo{}, o.next()
}

// scriptedProvider is a provider whose key pairs, instances, objects and
// regions answer from one script.
func scriptedProvider(s *script) *Provider {
	regions := &fakeRegions{}
	p := driverProvider(sdk.Plugin{
		Compute:     &sdk.Compute{Regions: scriptedRegions{regions, s}, Instances: scriptedInstances{script: s}},
		Security:    &sdk.Security{KeyPairs: scriptedKeyPairs{script: s}},
		ObjectStore: &sdk.ObjectStore{Objects: scriptedObjects{script: s}},
	})
	p.Events = newEvents()
	p.RetryPolicy = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	return p
}

type scriptedRegions struct {
	*fakeRegions
	*script
}

func (r scriptedRegions) Get(_ context.Context, id string) (sdk.Region, error) {
	return sdk.Region{ID: id}, r.next()
}

func TestWhichFailuresAreRetried(t *testing.T) {
	get := func(p *Provider) error { _, err := p.Compute.Regions.Get(context.Background(), "r1"); return err }
	del := func(p *Provider) error { return p.Security.KeyPairs.Delete(context.Background(), "kp") }
	reboot := func(p *Provider) error {
		return p.Compute.Instances.wrap(sdk.Instance{ID: "i-1"}).Reboot(context.Background())
	}
	put := func(p *Provider) error {
		objects := p.Storage.Buckets.wrap(sdk.Bucket{Name: "b"}).Objects
		_, err := objects.Put(context.Background(), "k", strings.NewReader("body"), PutOptions{})
		return err
	}
	for name, tc := range map[string]struct {
		call     func(*Provider) error
		errs     []error
		calls    int
		wantCode sdk.Code // "" for success
	}{
		"read: retryable error":              {get, []error{unavailable, throttled}, 3, ""},
		"read: non-retryable error":          {get, []error{sdk.InvalidArgument("id", "r1", "bad")}, 1, sdk.CodeInvalidArgument},
		"read: Unavailable marked final":     {get, []error{&sdk.Error{Code: sdk.CodeUnavailable}}, 1, sdk.CodeUnavailable},
		"read: attempts run out":             {get, []error{unavailable, unavailable, unavailable, unavailable, unavailable}, 4, sdk.CodeUnavailable},
		"delete: NotFound at once":           {del, []error{notFound}, 1, sdk.CodeNotFound},
		"delete: NotFound after a lost try":  {del, []error{unavailable, notFound}, 2, ""},
		"delete: NotFound after a refusal":   {del, []error{throttled, notFound}, 2, sdk.CodeNotFound},
		"delete: lost, refused, NotFound":    {del, []error{unavailable, throttled, notFound}, 3, ""},
		"action: not retried after lost try": {reboot, []error{unavailable}, 1, sdk.CodeUnavailable},
		"action: retried after a refusal":    {reboot, []error{throttled}, 2, ""},
		"stream upload: never retried":       {put, []error{throttled}, 1, sdk.CodeResourceExhausted},
	} {
		t.Run(name, func(t *testing.T) {
			s := &script{errs: tc.errs}
			err := tc.call(scriptedProvider(s))
			if got := sdk.CodeOf(err); got != tc.wantCode {
				t.Errorf("err = %v (code %q), want code %q", err, got, tc.wantCode)
			}
			if s.calls != tc.calls {
				t.Errorf("%d calls, want %d", s.calls, tc.calls)
			}
		})
	}
}

func TestCanceledContextStopsRetryingAtOnce(t *testing.T) {
	s := &script{errs: []error{unavailable, unavailable, unavailable}}
	p := scriptedProvider(s)
	p.RetryPolicy = RetryPolicy{MaxAttempts: 10, BaseDelay: 10 * time.Second}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Compute.Regions.Get(ctx, "r1")
	if took := time.Since(start); took > time.Second {
		t.Errorf("the call took %v after its context was canceled at 100ms", took)
	}
	if !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want Canceled naming the last failure", err)
	}
	if s.calls != 1 {
		t.Errorf("%d calls, want 1", s.calls)
	}
}

func TestNoRetryThatCannotStartBeforeTheDeadline(t *testing.T) {
	s := &script{errs: []error{unavailable, unavailable}}
	p := scriptedProvider(s)
	p.RetryPolicy = RetryPolicy{MaxAttempts: 10, BaseDelay: 2 * time.Second}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Compute.Regions.Get(ctx, "r1")
	if !errors.Is(err, ErrUnavailable) || s.calls != 1 || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("err = %v after %d calls and %v; want the Unavailable at once", err, s.calls, time.Since(start))
	}
}

func TestRetryAfterHintIsHonoured(t *testing.T) {
	hint := &sdk.Error{Code: sdk.CodeResourceExhausted, Retryable: true, RetryAfter: 300 * time.Millisecond}
	s := &script{errs: []error{hint}}
	p := scriptedProvider(s)
	start := time.Now()
	if _, err := p.Compute.Regions.Get(t.Context(), "r1"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || s.calls != 2 {
		t.Fatalf("retried after %v with %d calls; want one retry after the 300ms hint", took, s.calls)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	r := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 20 {
			if d := r.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
}
