package host

import (
	"context"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ImplementPriority is where the plugin call itself sits in the chain of every
// event, as CloudBridge's @dispatch(priority=2500). Handlers with a lower
// priority run before it (an observer sees the arguments; an interceptor wraps
// the call), handlers with a higher one after it (an observer sees the result
// or error). No handler may take this priority.
const ImplementPriority = 2500

// Event is one portable call as handlers see it. Its Name is the original's
// event name, e.g. "provider.compute.instances.create" (EventNames lists them).
type Event struct {
	// Name is the event, "provider.<service path>.<method>".
	Name string
	// Provider is the provider, or zone view, the call was made through.
	Provider *Provider
	// Args points at the call's arguments, so that an interceptor can rewrite
	// them in place before calling next:
	//
	//   - a create: the spec (*InstanceSpec, *VolumeSpec, …);
	//   - a list: its options (*ListOptions, *sdk.SubnetListOptions, …);
	//   - a call naming one resource (get, delete, reboot, start, stop, head):
	//     its id, key or name (*string);
	//   - an update: *UpdateArgs[U] with the resource's id and the change;
	//   - a call on two resources: *LinkArgs, *VolumeAttachArgs,
	//     *VolumeDetachArgs, *BucketDeleteArgs;
	//   - an object call: its sdk request (*sdk.GetObjectRequest, …).
	//
	// Assigning another value of the same type to Args works too; a value of
	// another type fails the call with ErrInternal.
	Args any
	// Result is what the call returns (e.g. *Instance, Page[*Volume]); nil
	// before the implementation has run, on error, and for calls without a
	// result. An interceptor may replace it with a value of the same type.
	Result any
	// Err is the call's error once the implementation has run.
	Err error
	// Start is when the call entered the chain; Duration is how long the
	// implementation (the plugin calls and the pauses between retries) took.
	Start    time.Time
	Duration time.Duration
	// Attempts is how many times the plugin was called: more than 1 when the
	// call was retried (see RetryPolicy).
	Attempts int
}

// ObserverFunc sees an event and changes nothing. Before ImplementPriority it
// sees the arguments; after it, the result and error too.
type ObserverFunc func(ctx context.Context, e *Event)

// InterceptorFunc wraps the rest of the chain: it may rewrite e.Args, then
// must call next (which runs the handlers after it and the implementation),
// and may then rewrite e.Result or return another error. Returning an error
// without calling next refuses the call; returning nil without calling next is
// a bug, reported as ErrInternal.
type InterceptorFunc func(ctx context.Context, e *Event, next func(context.Context) error) error

// HandlerKind says how a handler takes part in an event.
type HandlerKind string

// The kinds of handler in a chain.
const (
	KindObserver    HandlerKind = "observe"
	KindInterceptor HandlerKind = "intercept"
	KindImplement   HandlerKind = "implement"
)

// HandlerInfo describes one link of an event's chain.
type HandlerInfo struct {
	Pattern  string
	Priority int
	Kind     HandlerKind
}

// Events is a provider's event system (p.Events), the Go form of CloudBridge's
// pyeventsystem: handlers are registered for glob patterns over event names
// ("provider.storage.*", "*.create"; path.Match syntax, where "*" also spans
// dots) and run in ascending priority. It is safe for concurrent use; a
// handler registered or removed during a call takes effect from the next call.
// A provider and its zone views share one Events.
type Events struct {
	reg *registry
	// rec collects the ids registered through this value, for Use.
	rec *[]uint64
}

func newEvents() *Events { return &Events{reg: newRegistry()} }

// Observe registers an observer for the events matching pattern. Two
// handlers with the same priority on an event both their patterns match are
// refused (ErrInvalidArgument naming "priority"), as is a pattern that
// matches no event.
func (ev *Events) Observe(pattern string, priority int, fn ObserverFunc) (*Handle, error) {
	if fn == nil {
		return nil, sdk.InvalidArgument("observer", "<nil>", "must not be nil")
	}
	return ev.add(&handler{pattern: pattern, priority: priority, kind: KindObserver, observe: fn})
}

// Intercept registers an interceptor for the events matching pattern; the
// rules of Observe apply.
func (ev *Events) Intercept(pattern string, priority int, fn InterceptorFunc) (*Handle, error) {
	if fn == nil {
		return nil, sdk.InvalidArgument("interceptor", "<nil>", "must not be nil")
	}
	return ev.add(&handler{pattern: pattern, priority: priority, kind: KindInterceptor, intercept: fn})
}

func (ev *Events) add(h *handler) (*Handle, error) {
	if err := ev.reg.add(h); err != nil {
		return nil, err
	}
	if ev.rec != nil {
		*ev.rec = append(*ev.rec, h.id)
	}
	return &Handle{reg: ev.reg, ids: []uint64{h.id}}, nil
}

// Handlers lists the chain of an event in the order it runs, the
// implementation included.
func (ev *Events) Handlers(event string) []HandlerInfo {
	chain, _ := ev.reg.chain(event)
	out := make([]HandlerInfo, len(chain))
	for i, h := range chain {
		out[i] = HandlerInfo{Pattern: h.pattern, Priority: h.priority, Kind: h.kind}
	}
	return out
}

// Handle removes what Observe, Intercept or Use registered.
type Handle struct {
	reg *registry
	ids []uint64
}

// Remove unregisters the handler (or every handler of a middleware). Removing
// twice is harmless.
func (h *Handle) Remove() { h.reg.remove(h.ids) }

// handler is one registered observer or interceptor, or the implementation.
type handler struct {
	id        uint64
	pattern   string
	priority  int
	kind      HandlerKind
	observe   ObserverFunc
	intercept InterceptorFunc
}

func (h *handler) matches(event string) bool {
	ok, _ := path.Match(h.pattern, event)
	return ok
}

// implementation stands for the plugin call in every chain.
var implementation = &handler{pattern: "*", priority: ImplementPriority, kind: KindImplement}

// registry holds the handlers. Registration is rare and calls are many, so
// each change rebuilds the chain of every known event, and a call reads its
// chain from an immutable snapshot without locking.
type registry struct {
	mu       sync.Mutex
	handlers []*handler
	nextID   uint64
	chains   atomic.Pointer[map[string][]*handler]
}

func newRegistry() *registry {
	r := &registry{}
	r.rebuild()
	return r
}

func (r *registry) add(h *handler) error {
	if _, err := path.Match(h.pattern, ""); err != nil || h.pattern == "" {
		return sdk.InvalidArgument("pattern", h.pattern, "not a glob pattern over event names")
	}
	if h.priority == ImplementPriority {
		return &Error{Code: sdk.CodeInvalidArgument, Param: "priority", Message: fmt.Sprintf(
			"priority %d is the implementation's (host.ImplementPriority); choose another", h.priority)}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	matched := false
	for _, name := range eventNames() {
		if !h.matches(name) {
			continue
		}
		matched = true
		if err := r.conflict(h, name); err != nil {
			return err
		}
	}
	if !matched {
		return sdk.InvalidArgument("pattern", h.pattern, "matches no event (see host.EventNames)")
	}
	r.nextID++
	h.id = r.nextID
	r.handlers = append(r.handlers, h)
	r.rebuild()
	return nil
}

// conflict refuses a second handler with the same priority on one event, as
// pyeventsystem's HandlerException: their order would be undefined.
func (r *registry) conflict(h *handler, event string) error {
	for _, o := range r.handlers {
		if o.priority == h.priority && o.matches(event) {
			return &Error{Code: sdk.CodeInvalidArgument, Param: "priority", Message: fmt.Sprintf(
				"priority %d on event %s is taken by the %s handler for %q", h.priority, event, o.kind, o.pattern)}
		}
	}
	return nil
}

func (r *registry) remove(ids []uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers = slices.DeleteFunc(r.handlers, func(h *handler) bool { return slices.Contains(ids, h.id) })
	r.rebuild()
}

// rebuild computes every known event's chain; r.mu is held (or r is new).
func (r *registry) rebuild() {
	chains := make(map[string][]*handler, len(eventClasses))
	for _, name := range eventNames() {
		chains[name] = buildChain(r.handlers, name)
	}
	r.chains.Store(&chains)
}

func buildChain(handlers []*handler, event string) []*handler {
	chain := []*handler{implementation}
	for _, h := range handlers {
		if h.matches(event) {
			chain = append(chain, h)
		}
	}
	sort.SliceStable(chain, func(i, j int) bool { return chain[i].priority < chain[j].priority })
	return chain
}

// chain returns an event's chain. An event missing from the catalogue (a host
// bug that TestEveryEventIsCatalogued guards against) gets its chain built
// now, and fails if two of its handlers share a priority.
func (r *registry) chain(event string) ([]*handler, error) {
	if chain, ok := (*r.chains.Load())[event]; ok {
		return chain, nil
	}
	r.mu.Lock()
	chain := buildChain(r.handlers, event)
	r.mu.Unlock()
	for i := 1; i < len(chain); i++ {
		if chain[i].priority == chain[i-1].priority {
			return nil, &Error{Code: sdk.CodeInternal, Message: fmt.Sprintf(
				"handlers for %q and %q share priority %d on event %s", chain[i-1].pattern, chain[i].pattern, chain[i].priority, event)}
		}
	}
	return chain, nil
}

// dispatch runs an event's chain; impl is the plugin call. A nil *Events (a
// provider built without one, in tests) runs impl alone.
func (ev *Events) dispatch(ctx context.Context, e *Event, impl func(context.Context) error) error {
	chain := []*handler{implementation}
	if ev != nil {
		var err error
		if chain, err = ev.reg.chain(e.Name); err != nil {
			return err
		}
	}
	return runChain(ctx, e, chain, impl)
}

// runChain runs chain from its first link: observers in line, the
// implementation where it sits, and each interceptor around the rest.
func runChain(ctx context.Context, e *Event, chain []*handler, impl func(context.Context) error) error {
	for i, h := range chain {
		switch h.kind {
		case KindObserver:
			h.observe(ctx, e)
		case KindImplement:
			e.Err = impl(ctx)
		case KindInterceptor:
			rest := chain[i+1:]
			called := false
			next := func(ctx context.Context) error {
				called = true
				return runChain(ctx, e, rest, impl)
			}
			err := h.intercept(ctx, e, next)
			if err == nil && !called {
				err = &Error{Code: sdk.CodeInternal, Message: fmt.Sprintf(
					"the interceptor for %q (priority %d) returned without calling next", h.pattern, h.priority)}
			}
			e.Err = err
			return err
		}
	}
	return e.Err
}

// restoreArgs makes a replacement of e.Args by an interceptor reach the call:
// the call's closure reads the variable args points at.
func restoreArgs(args, now any) error {
	if now == args {
		return nil
	}
	want, got := reflect.ValueOf(args), reflect.ValueOf(now)
	if !want.IsValid() || !got.IsValid() || got.Type() != want.Type() || want.Kind() != reflect.Pointer || got.IsNil() {
		return &Error{Code: sdk.CodeInternal, Message: fmt.Sprintf(
			"an interceptor replaced the event's Args (%T) with a %T", args, now)}
	}
	want.Elem().Set(got.Elem())
	return nil
}
