package host

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The event-system cases of pyeventsystem's test_event_system.py and
// test_middleware_system.py, and CloudBridge's test_middleware_system.py,
// ported to real events of a provider over in-process drivers.

const (
	getRegion   = "provider.compute.regions.get"
	listRegions = "provider.compute.regions.list"
)

// fakeRegions is a Regions driver that answers Get with a region named after
// the id, or with the next of its queued errors.
type fakeRegions struct {
	mu    sync.Mutex
	calls []string
	errs  []error
}

func (f *fakeRegions) Get(_ context.Context, id string) (sdk.Region, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, id)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return sdk.Region{}, err
	}
	return sdk.Region{ID: id, Name: id}, nil
}

func (f *fakeRegions) List(context.Context, sdk.ListOptions) (sdk.Page[sdk.Region], error) {
	return sdk.Page[sdk.Region]{Items: []sdk.Region{{ID: "r1", Name: "r1"}}}, nil
}

func (f *fakeRegions) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// eventProvider is a provider over a fakeRegions driver, with an event system.
func eventProvider(t *testing.T) (*Provider, *fakeRegions) {
	t.Helper()
	drv := &fakeRegions{}
	p := driverProvider(sdk.Plugin{Compute: &sdk.Compute{Regions: drv}})
	p.Events = newEvents()
	return p, drv
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// trace records the order handlers run in.
type trace struct {
	mu    sync.Mutex
	steps []string
}

func (tr *trace) add(s string) {
	tr.mu.Lock()
	tr.steps = append(tr.steps, s)
	tr.mu.Unlock()
}

func (tr *trace) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.steps, "_")
}

func (tr *trace) observer(name string) ObserverFunc {
	return func(context.Context, *Event) { tr.add(name) }
}

func (tr *trace) interceptor(name string) InterceptorFunc {
	return func(ctx context.Context, _ *Event, next func(context.Context) error) error {
		tr.add(name)
		return next(ctx)
	}
}

func TestEmitWithNoHandlersRunsTheImplementation(t *testing.T) {
	p, drv := eventProvider(t)
	r, err := p.Compute.Regions.Get(t.Context(), "r1")
	if err != nil || r.Name != "r1" || drv.count() != 1 {
		t.Fatalf("Get = %+v, %v after %d calls", r, err, drv.count())
	}
	if got := p.Events.Handlers(getRegion); !reflect.DeepEqual(got, []HandlerInfo{{"*", ImplementPriority, KindImplement}}) {
		t.Fatalf("chain = %+v, want the implementation alone", got)
	}
}

func TestObserverSeesArgumentsAndResultButChangesNothing(t *testing.T) {
	p, _ := eventProvider(t)
	var before, after Event
	must[*Handle](t)(p.Events.Observe(getRegion, 1000, func(_ context.Context, e *Event) { before = *e }))
	must[*Handle](t)(p.Events.Observe("provider.compute.regions.*", 3000, func(_ context.Context, e *Event) { after = *e }))
	r, err := p.Compute.Regions.Get(t.Context(), "r1")
	if err != nil || r.Name != "r1" {
		t.Fatalf("Get = %+v, %v", r, err)
	}
	if before.Name != getRegion || *before.Args.(*string) != "r1" || before.Result != nil || before.Provider != p {
		t.Errorf("observer before the implementation saw %+v", before)
	}
	if after.Result.(Region).Name != "r1" || after.Err != nil || after.Attempts != 1 || after.Duration <= 0 {
		t.Errorf("observer after the implementation saw %+v", after)
	}
}

func TestObserverAfterTheImplementationSeesTheError(t *testing.T) {
	p, drv := eventProvider(t)
	drv.errs = []error{sdk.NotFound("region", "nowhere")}
	var seen error
	must[*Handle](t)(p.Events.Observe(getRegion, 3000, func(_ context.Context, e *Event) { seen = e.Err }))
	_, err := p.Compute.Regions.Get(t.Context(), "nowhere")
	if !errors.Is(err, ErrNotFound) || !errors.Is(seen, ErrNotFound) {
		t.Fatalf("err = %v, observer saw %v; want NotFound both", err, seen)
	}
}

func TestHandlersRunInPriorityOrder(t *testing.T) {
	for name, tc := range map[string]struct {
		register func(ev *Events, tr *trace)
		want     string
	}{
		"observe precedes intercept": {func(ev *Events, tr *trace) {
			ev.Observe(getRegion, 1000, tr.observer("obs"))
			ev.Intercept(getRegion, 1001, tr.interceptor("intcpt"))
		}, "obs_intcpt_impl"},
		"observe follows intercept, registered out of order": {func(ev *Events, tr *trace) {
			ev.Observe(getRegion, 1001, tr.observer("obs"))
			ev.Intercept(getRegion, 1000, tr.interceptor("intcpt"))
		}, "intcpt_obs_impl"},
		"intercept follows intercept": {func(ev *Events, tr *trace) {
			ev.Intercept(getRegion, 2020, tr.interceptor("intcpt2"))
			ev.Intercept(getRegion, 2000, tr.interceptor("intcpt1"))
		}, "intcpt1_intcpt2_impl"},
		"implementation precedes a later handler": {func(ev *Events, tr *trace) {
			ev.Observe(getRegion, 4000, tr.observer("obs"))
			ev.Intercept(getRegion, 2000, tr.interceptor("intcpt"))
		}, "intcpt_impl_obs"},
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := eventProvider(t)
			tr := &trace{}
			tc.register(p.Events, tr)
			must[*Handle](t)(p.Events.Observe(getRegion, ImplementPriority-1, tr.observer("impl")))
			if _, err := p.Compute.Regions.Get(t.Context(), "r1"); err != nil {
				t.Fatal(err)
			}
			if got := tr.String(); got != tc.want {
				t.Fatalf("order = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestInterceptorsRewriteResultAcrossTheChain(t *testing.T) {
	p, _ := eventProvider(t)
	rename := func(f func(string) string) InterceptorFunc {
		return func(ctx context.Context, e *Event, next func(context.Context) error) error {
			if err := next(ctx); err != nil {
				return err
			}
			r := e.Result.(Region)
			r.Name = f(r.Name)
			e.Result = r
			return nil
		}
	}
	must[*Handle](t)(p.Events.Intercept(getRegion, 2000, rename(func(s string) string { return "hello" + s })))
	must[*Handle](t)(p.Events.Intercept(getRegion, 2020, rename(func(string) string { return "world" })))
	r, err := p.Compute.Regions.Get(t.Context(), "r1")
	if err != nil || r.Name != "helloworld" {
		t.Fatalf("Get = %+v, %v; want the name helloworld", r, err)
	}
}

func TestInterceptorAfterTheImplementationSeesItsResult(t *testing.T) {
	p, _ := eventProvider(t)
	var seen any
	must[*Handle](t)(p.Events.Intercept(getRegion, 2600, func(ctx context.Context, e *Event, next func(context.Context) error) error {
		seen = e.Result
		return next(ctx)
	}))
	if _, err := p.Compute.Regions.Get(t.Context(), "r1"); err != nil {
		t.Fatal(err)
	}
	if r, ok := seen.(Region); !ok || r.Name != "r1" {
		t.Fatalf("interceptor after the implementation saw %#v", seen)
	}
}

func TestInterceptorRewritesArguments(t *testing.T) {
	p, drv := eventProvider(t)
	must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(ctx context.Context, e *Event, next func(context.Context) error) error {
		*e.Args.(*string) = "rewritten"
		return next(ctx)
	}))
	r, err := p.Compute.Regions.Get(t.Context(), "asked")
	if err != nil || r.Name != "rewritten" || drv.calls[0] != "rewritten" {
		t.Fatalf("Get = %+v, %v; driver got %v", r, err, drv.calls)
	}
}

func TestReplacedArgumentsReachTheCall(t *testing.T) {
	p, drv := eventProvider(t)
	h := must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(ctx context.Context, e *Event, next func(context.Context) error) error {
		id := "replaced"
		e.Args = &id
		return next(ctx)
	}))
	if _, err := p.Compute.Regions.Get(t.Context(), "asked"); err != nil || drv.calls[0] != "replaced" {
		t.Fatalf("err = %v, driver got %v; want the replaced id", err, drv.calls)
	}
	h.Remove()
	must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(ctx context.Context, e *Event, next func(context.Context) error) error {
		e.Args = 42
		return next(ctx)
	}))
	if _, err := p.Compute.Regions.Get(t.Context(), "asked"); !errors.Is(err, ErrInternal) {
		t.Fatalf("err = %v, want ErrInternal for Args of another type", err)
	}
}

func TestResultOfAnotherTypeIsRefused(t *testing.T) {
	p, _ := eventProvider(t)
	must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(ctx context.Context, e *Event, next func(context.Context) error) error {
		err := next(ctx)
		e.Result = "not a region"
		return err
	}))
	if _, err := p.Compute.Regions.Get(t.Context(), "r1"); !errors.Is(err, ErrInternal) {
		t.Fatalf("err = %v, want ErrInternal", err)
	}
}

func TestInterceptorMayRefuseButMustNotSkipSilently(t *testing.T) {
	p, drv := eventProvider(t)
	denied := sdk.Errorf(sdk.CodePermissionDenied, "regions are off limits")
	h := must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(context.Context, *Event, func(context.Context) error) error {
		return denied
	}))
	if _, err := p.Compute.Regions.Get(t.Context(), "r1"); !errors.Is(err, ErrPermissionDenied) || drv.count() != 0 {
		t.Fatalf("err = %v after %d driver calls; want the interceptor's refusal and no call", err, drv.count())
	}
	h.Remove()
	must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(context.Context, *Event, func(context.Context) error) error {
		return nil
	}))
	if _, err := p.Compute.Regions.Get(t.Context(), "r1"); !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "without calling next") {
		t.Fatalf("err = %v, want ErrInternal saying next was not called", err)
	}
}

func TestDuplicatePriorityIsRefusedAtRegistration(t *testing.T) {
	noop := func(context.Context, *Event) {}
	for name, tc := range map[string]struct {
		first, second string
		wantErr       bool
	}{
		"same event":                      {getRegion, getRegion, true},
		"wildcard over the event":         {getRegion, "provider.compute.*", true},
		"wildcards meeting on one event":  {"*.regions.get", "provider.compute.*", true},
		"different namespaces":            {getRegion, "provider.storage.*", false},
		"patterns sharing no event":       {"*.get", "*.list", false},
		"implementation's priority taken": {"", getRegion, true},
	} {
		t.Run(name, func(t *testing.T) {
			ev := newEvents()
			if tc.first != "" {
				must[*Handle](t)(ev.Observe(tc.first, 1000, noop))
			}
			prio := 1000
			if tc.first == "" {
				prio = ImplementPriority
			}
			_, err := ev.Observe(tc.second, prio, noop)
			if tc.wantErr {
				wantParam(t, err, "priority")
			} else if err != nil {
				t.Fatalf("err = %v, want the handler registered", err)
			}
		})
	}
}

func TestBadPatternsAreRefused(t *testing.T) {
	ev := newEvents()
	for _, pattern := range []string{"", "provider.[", "provider.compute.instance.*"} {
		_, err := ev.Observe(pattern, 1, func(context.Context, *Event) {})
		wantParam(t, err, "pattern")
	}
	if _, err := ev.Observe("*", 1, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil observer: err = %v", err)
	}
}

func TestHandlersOnlyRunForTheirEvents(t *testing.T) {
	p, _ := eventProvider(t)
	tr := &trace{}
	must[*Handle](t)(p.Events.Observe(getRegion, 2000, tr.observer("event1")))
	must[*Handle](t)(p.Events.Observe(listRegions, 2000, tr.observer("event2")))
	must[*Handle](t)(p.Events.Intercept(listRegions, 2020, tr.interceptor("event3")))
	p.Compute.Regions.Get(t.Context(), "r1")
	if tr.String() != "event1" {
		t.Fatalf("after get: %s, want event1", tr)
	}
	p.Compute.Regions.List(t.Context(), ListOptions{})
	if tr.String() != "event1_event2_event3" {
		t.Fatalf("after list: %s, want event1_event2_event3", tr)
	}
}

func TestWildcardPatterns(t *testing.T) {
	p, _ := eventProvider(t)
	tr := &trace{}
	must[*Handle](t)(p.Events.Intercept("provider.*", 2000, tr.interceptor("event1")))
	must[*Handle](t)(p.Events.Intercept("provider.compute.*", 2010, tr.interceptor("event2")))
	must[*Handle](t)(p.Events.Intercept("*.regions.get", 2020, tr.interceptor("event3")))
	must[*Handle](t)(p.Events.Intercept("provider.compute.regions.?et", 2030, tr.interceptor("event4")))
	must[*Handle](t)(p.Events.Intercept("provider.storage.*", 2020, tr.interceptor("never")))
	p.Compute.Regions.Get(t.Context(), "r1")
	if tr.String() != "event1_event2_event3_event4" {
		t.Fatalf("get: %s", tr)
	}
	p.Compute.Regions.List(t.Context(), ListOptions{})
	if tr.String() != "event1_event2_event3_event4_event1_event2" {
		t.Fatalf("then list: %s", tr)
	}
	want := []string{"provider.*", "provider.compute.*", "*.regions.get", "provider.compute.regions.?et", "*"}
	var got []string
	for _, h := range p.Events.Handlers(getRegion) {
		got = append(got, h.Pattern)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Handlers = %v, want %v", got, want)
	}
}

func TestSubscribeAfterEmitAndRemove(t *testing.T) {
	p, _ := eventProvider(t)
	tr := &trace{}
	h1 := must[*Handle](t)(p.Events.Intercept(getRegion, 1000, tr.interceptor("event1")))
	p.Compute.Regions.Get(t.Context(), "r1")
	h2 := must[*Handle](t)(p.Events.Observe("provider.compute.regions.*", 1001, tr.observer("event2")))
	p.Compute.Regions.Get(t.Context(), "r1")
	if tr.String() != "event1_event1_event2" {
		t.Fatalf("%s: a handler registered after a call must run on the next", tr)
	}
	h1.Remove()
	h1.Remove() // harmless
	p.Compute.Regions.Get(t.Context(), "r1")
	if tr.String() != "event1_event1_event2_event2" {
		t.Fatalf("%s: a removed handler ran", tr)
	}
	h2.Remove()
	if got := p.Events.Handlers(getRegion); len(got) != 1 || got[0].Kind != KindImplement {
		t.Fatalf("after removing both: %+v", got)
	}
	// The freed priority can be taken again.
	must[*Handle](t)(p.Events.Observe("*", 1000, tr.observer("again")))
}

// dummyMiddleware is pyeventsystem's DummyMiddleWare: handlers of every kind
// around the implementation.
type dummyMiddleware struct {
	tr             *trace
	intcpt, obs    int
	pattern, label string
}

func (m dummyMiddleware) Install(ev *Events) error {
	if _, err := ev.Intercept(m.pattern, m.intcpt, m.tr.interceptor(m.label+"intcpt")); err != nil {
		return err
	}
	_, err := ev.Observe(m.pattern, m.obs, m.tr.observer(m.label+"obs"))
	return err
}

func TestMiddlewareInstallsAndRemovesItsHandlers(t *testing.T) {
	p, _ := eventProvider(t)
	tr := &trace{}
	h := must[*Handle](t)(p.Events.Use(dummyMiddleware{tr: tr, intcpt: 900, obs: 3000, pattern: "provider.compute.*"}))
	p.Compute.Regions.Get(t.Context(), "r1")
	if tr.String() != "intcpt_obs" {
		t.Fatalf("order = %s", tr)
	}
	h.Remove()
	if got := p.Events.Handlers(getRegion); len(got) != 1 {
		t.Fatalf("after Remove: %+v", got)
	}
}

func TestMultipleMiddlewareInterleaveByPriority(t *testing.T) {
	p, _ := eventProvider(t)
	tr := &trace{}
	m1 := dummyMiddleware{tr: tr, intcpt: 900, obs: 3000, pattern: "provider.*", label: "m1"}
	m2 := dummyMiddleware{tr: tr, intcpt: 950, obs: 2900, pattern: "*", label: "m2"}
	h1 := must[*Handle](t)(p.Events.Use(m1))
	must[*Handle](t)(p.Events.Use(m2))
	kinds := func() string {
		var s []string
		for _, h := range p.Events.Handlers(getRegion) {
			s = append(s, h.Pattern+"@"+strconv.Itoa(h.Priority))
		}
		return strings.Join(s, " ")
	}
	all := "provider.*@900 *@950 *@2500 *@2900 provider.*@3000"
	if got := kinds(); got != all {
		t.Fatalf("chain = %s, want %s", got, all)
	}
	h1.Remove()
	if got := kinds(); got != "*@950 *@2500 *@2900" {
		t.Fatalf("without m1: %s", got)
	}
	must[*Handle](t)(p.Events.Use(m1))
	if got := kinds(); got != all {
		t.Fatalf("m1 added back: %s, want %s", got, all)
	}
}

func TestMiddlewareThatFailsToInstallLeavesNothing(t *testing.T) {
	ev := newEvents()
	must[*Handle](t)(ev.Observe("*", 3000, func(context.Context, *Event) {}))
	// Its interceptor registers, then its observer clashes at 3000.
	_, err := ev.Use(dummyMiddleware{tr: &trace{}, intcpt: 900, obs: 3000, pattern: "*"})
	wantParam(t, err, "priority")
	if got := ev.Handlers(getRegion); len(got) != 2 {
		t.Fatalf("chain = %+v; the failed middleware's interceptor was left behind", got)
	}
}

// CloudBridge's ExceptionWrappingMiddleware: a foreign error leaves the chain
// as Internal, keeping its cause; a contract error passes through unchanged.
func TestForeignErrorsAreWrappedAsInternal(t *testing.T) {
	p, drv := eventProvider(t)
	foreign := errors.New("some unhandled exception")
	h := must[*Handle](t)(p.Events.Intercept(getRegion, 1000, func(context.Context, *Event, func(context.Context) error) error {
		return foreign
	}))
	_, err := p.Compute.Regions.Get(t.Context(), "r1")
	var e *Error
	if !errors.As(err, &e) || e.Code != sdk.CodeInternal || !errors.Is(err, foreign) {
		t.Fatalf("err = %#v, want an Internal *sdk.Error wrapping the cause", err)
	}
	if !strings.HasPrefix(err.Error(), getRegion+": ") {
		t.Errorf("err = %q, want it prefixed with the event", err)
	}
	h.Remove()
	drv.errs = []error{sdk.NotFound("region", "r1")}
	if _, err := p.Compute.Regions.Get(t.Context(), "r1"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrInternal) {
		t.Fatalf("err = %v, want the driver's NotFound passed through", err)
	}
}

func TestConcurrentCallsAndRegistrations(t *testing.T) {
	p, _ := eventProvider(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				h, err := p.Events.Observe("*", 10+i*100+j, func(context.Context, *Event) {})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := p.Compute.Regions.Get(t.Context(), "r1"); err != nil {
					t.Error(err)
				}
				h.Remove()
			}
		})
	}
	wg.Wait()
}

// TestEveryEventIsCatalogued keeps the catalogue (eventnames.go) and the
// event names the host's code passes to the funnel in step: registration
// checks patterns against the catalogue, and retries take their class from it.
func TestEveryEventIsCatalogued(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	used := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "eventnames.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, _ := strconv.Unquote(lit.Value); strings.HasPrefix(s, "provider.") && !strings.ContainsAny(s, " *") {
					used[s] = true
				}
			}
			return true
		})
	}
	for name := range used {
		if _, ok := eventClasses[name]; !ok {
			t.Errorf("event %s is dispatched but missing from eventClasses", name)
		}
	}
	for name := range eventClasses {
		if !used[name] {
			t.Errorf("event %s is catalogued but never dispatched", name)
		}
	}
}

// Every event carries a pointer to its arguments, so that observers can audit
// them and interceptors rewrite them; this drives calls of every shape.
func TestEveryEventCarriesItsArguments(t *testing.T) {
	p := openMockInProcess(t, Settings{"boot_time": "1ms"}, nil)
	ctx := t.Context()
	seen := map[string]bool{}
	var mu sync.Mutex
	must[*Handle](t)(p.Events.Observe("*", 10, func(_ context.Context, e *Event) {
		mu.Lock()
		defer mu.Unlock()
		seen[e.Name] = true
		if e.Name == "provider.probe" { // the one call without arguments
			return
		}
		if v := reflect.ValueOf(e.Args); !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
			t.Errorf("%s: Args = %#v, want a pointer to the arguments", e.Name, e.Args)
		}
	}))
	inst := launchInstance(t, p)
	fw := must[*VMFirewall](t)(p.Security.VMFirewalls.Create(ctx, VMFirewallSpec{Label: "args-fw"}))
	for _, err := range []error{
		inst.WaitReady(ctx), inst.SetLabel(ctx, "args-renamed"), inst.AddVMFirewall(ctx, fw.ID),
		inst.RemoveVMFirewall(ctx, fw.ID), inst.Reboot(ctx), fw.SetDescription(ctx, "d"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	vol := must[*Volume](t)(p.Storage.Volumes.Create(ctx, VolumeSpec{Label: "args-vol", SizeGB: 1}))
	if err := vol.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vol.Attach(ctx, inst.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := vol.Detach(ctx, true); err != nil {
		t.Fatal(err)
	}
	b := must[*Bucket](t)(p.Storage.Buckets.Create(ctx, BucketSpec{Name: "args-bucket"}))
	must[ObjectInfo](t)(b.Objects.Put(ctx, "k", strings.NewReader("v"), PutOptions{}))
	must[ObjectInfo](t)(b.Objects.Head(ctx, "k"))
	must[ObjectPage](t)(b.Objects.List(ctx, ObjectListOptions{}))
	if err := b.Delete(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := p.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 20 {
		t.Fatalf("only %d events seen: %v", len(seen), seen)
	}
}
