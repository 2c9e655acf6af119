package host

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// DefaultWaitTimeout bounds a wait when the context has no deadline, as
// CloudBridge's default_wait_timeout.
const DefaultWaitTimeout = 600 * time.Second

// ErrWaitTerminal is matched by the error of a wait that ended in a terminal
// state other than the one waited for (e.g. "error"). errors.As gives a
// *StateError.
var ErrWaitTerminal = errors.New("resource reached a terminal state")

// StateError says what state a waited-for resource ended in.
type StateError struct {
	Kind    string
	ID      string
	State   string
	Targets []string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%s %s reached state %q while waiting for %s", e.Kind, e.ID, e.State, strings.Join(e.Targets, " or "))
}

// Is makes errors.Is(err, ErrWaitTerminal) true.
func (e *StateError) Is(target error) bool { return target == ErrWaitTerminal }

// WaitPolicy is how waits poll: capped exponential backoff with jitter.
type WaitPolicy struct {
	// Timeout bounds every wait (DefaultWaitTimeout if 0); the context's
	// deadline ends the wait sooner when it comes first.
	Timeout time.Duration
	// MinInterval is the first pause (50ms if 0); MaxInterval caps it (5s if 0).
	MinInterval time.Duration
	MaxInterval time.Duration
}

func (w WaitPolicy) withDefaults() WaitPolicy {
	if w.Timeout <= 0 {
		w.Timeout = DefaultWaitTimeout
	}
	if w.MinInterval <= 0 {
		w.MinInterval = 50 * time.Millisecond
	}
	if w.MaxInterval <= 0 {
		w.MaxInterval = 5 * time.Second
	}
	if w.MaxInterval < w.MinInterval {
		w.MaxInterval = w.MinInterval
	}
	return w
}

// WaitOption changes how one wait polls, over the provider's WaitPolicy:
//
//	inst.WaitReady(ctx, host.WaitTimeout(2*time.Minute))
type WaitOption func(*WaitPolicy)

// WaitTimeout bounds this wait (CloudBridge's timeout argument).
func WaitTimeout(d time.Duration) WaitOption { return func(w *WaitPolicy) { w.Timeout = d } }

// WaitInterval sets the first pause between polls and the cap of the pauses
// (CloudBridge's interval argument, with backoff up to limit).
func WaitInterval(first, limit time.Duration) WaitOption {
	return func(w *WaitPolicy) { w.MinInterval, w.MaxInterval = first, limit }
}

// waitPolicy is the provider's policy with a call's options applied.
func (p *Provider) waitPolicy(opts []WaitOption) WaitPolicy {
	w := p.WaitPolicy
	for _, o := range opts {
		o(&w)
	}
	return w
}

// check refuses what CloudBridge's wait_for asserts against: a negative
// timeout or interval.
func (w WaitPolicy) check() error {
	switch {
	case w.Timeout < 0:
		return sdk.InvalidArgument("timeout", w.Timeout, "must not be negative")
	case w.MinInterval < 0 || w.MaxInterval < 0:
		return sdk.InvalidArgument("interval", w.MinInterval, "must not be negative")
	}
	return nil
}

// waitState polls refresh until it reports one of targets. It fails with a
// *StateError on a terminal state, at once, and when the wait's time is up
// with DeadlineExceeded (or Canceled) naming the last state seen. gone is the
// state that a NotFound from refresh means ("" when NotFound is an error).
func waitState[S ~string](ctx context.Context, policy WaitPolicy, kind, id string, refresh func(context.Context) (S, error), targets, terminal []S, gone S) error {
	if len(targets) == 0 {
		return sdk.InvalidArgument("targets", "", "wait needs at least one target state")
	}
	if err := policy.check(); err != nil {
		return err
	}
	policy = policy.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, policy.Timeout)
	defer cancel()
	interval := policy.MinInterval
	var last S = "(none yet)"
	for {
		state, err := refresh(ctx)
		if errors.Is(err, sdk.ErrNotFound) && gone != "" {
			state, err = gone, nil
		}
		if err != nil && waitOver(ctx) {
			return waitEnded(ctx, kind, id, targets, last)
		}
		if err != nil {
			return err
		}
		last = state
		if slices.Contains(targets, state) {
			return nil
		}
		if slices.Contains(terminal, state) {
			return &StateError{Kind: kind, ID: id, State: string(state), Targets: toStrings(targets)}
		}
		// ±20% jitter keeps many waiters from polling in lockstep.
		pause := time.Duration(float64(interval) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-ctx.Done():
			return waitEnded(ctx, kind, id, targets, last)
		case <-time.After(pause):
		}
		interval = min(interval*2, policy.MaxInterval)
	}
}

// waitOver reports whether the wait's context has ended. A refresh that the
// plugin cut at the deadline we sent it can come back a moment before our
// own context's timer has fired, so a deadline that has passed counts too.
func waitOver(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

func waitEnded[S ~string](ctx context.Context, kind, id string, targets []S, last S) error {
	err := ctx.Err()
	if err == nil { // the deadline has passed, its timer not yet fired
		err = context.DeadlineExceeded
	}
	return fmt.Errorf("waiting for %s %s to be %s (last state %q): %w", kind, id,
		strings.Join(toStrings(targets), " or "), last, contextError(err))
}

func contextError(err error) *Error {
	code := sdk.CodeDeadlineExceeded
	if errors.Is(err, context.Canceled) {
		code = sdk.CodeCanceled
	}
	return &Error{Code: code, Message: err.Error(), Err: err}
}

func toStrings[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}
