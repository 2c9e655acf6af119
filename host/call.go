package host

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/cloudbridge-go/cloudbridge/internal/remote"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// call is the funnel every portable operation goes through. It dispatches the
// event (observers and interceptors around the implementation); the
// implementation refuses an unadvertised capability locally, then calls fn,
// retrying as RetryPolicy allows. Whatever escapes the chain comes out as an
// *sdk.Error (CloudBridge's exception wrapping), prefixed with the event name.
//
// args points at the variables fn reads, so that an interceptor's rewrite of
// e.Args reaches the plugin (see Event.Args).
func call[T any](ctx context.Context, p *Provider, event, capability string, args any, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	res, err := p.invoke(ctx, event, capability, args, func(ctx context.Context) (any, error) {
		v, err := fn(ctx)
		if err != nil {
			return nil, err
		}
		return v, nil
	})
	if err != nil {
		return zero, err
	}
	v, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("%s: %w", event, &Error{Code: sdk.CodeInternal, Message: fmt.Sprintf(
			"an interceptor set the result to a %T, want a %T", res, zero)})
	}
	return v, nil
}

// callAs is call for a method of an optional driver interface D: a plugin
// that advertises the capability but whose driver lacks the interface gets
// Unsupported, not a panic.
func callAs[D, T any](ctx context.Context, p *Provider, drv any, event, capability string, args any, fn func(context.Context, D) (T, error)) (T, error) {
	return call(ctx, p, event, capability, args, func(ctx context.Context) (T, error) {
		d, ok := drv.(D)
		if !ok {
			var zero T
			return zero, sdk.Unsupported(capability)
		}
		return fn(ctx, d)
	})
}

// do is call for operations without a result.
func do(ctx context.Context, p *Provider, event, capability string, args any, fn func(context.Context) error) error {
	_, err := p.invoke(ctx, event, capability, args, func(ctx context.Context) (any, error) {
		return nil, fn(ctx)
	})
	return err
}

func (p *Provider) invoke(ctx context.Context, event, capability string, args any, fn func(context.Context) (any, error)) (any, error) {
	e := &Event{Name: event, Provider: p, Args: args, Start: time.Now()}
	err := p.Events.dispatch(ctx, e, func(ctx context.Context) error {
		return p.implement(ctx, e, capability, args, fn)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", event, contractError(err))
	}
	return e.Result, nil
}

// implement is the link of the chain at ImplementPriority: the plugin call.
func (p *Provider) implement(ctx context.Context, e *Event, capability string, args any, fn func(context.Context) (any, error)) error {
	defer func() { e.Duration = time.Since(e.Start) }()
	if err := p.usable(capability); err != nil {
		return err
	}
	if err := restoreArgs(args, e.Args); err != nil {
		return err
	}
	v, err := p.retry(ctx, e, fn)
	if err != nil {
		return p.crashed(ctx, err)
	}
	e.Result = v
	return nil
}

// usable refuses a call on a closed provider or view, and one the plugin did
// not advertise, without a round trip.
func (p *Provider) usable(capability string) error {
	if p.closed.Load() || p.conn != nil && p.conn.closed.Load() {
		return &Error{Code: sdk.CodeFailedPrecondition, Message: fmt.Sprintf("provider %s is closed", p.Name)}
	}
	if capability != "" && !p.caps[capability] {
		return &Error{Code: sdk.CodeUnsupported, Message: fmt.Sprintf("plugin %s does not support %s", p.Name, capability)}
	}
	return nil
}

// crashed turns the error of a call during which the plugin died into a
// *PluginCrashedError with its last stderr lines. A gRPC error can arrive a
// moment before the process is reaped, hence the grace period; a call the
// caller canceled says nothing about the plugin.
func (p *Provider) crashed(ctx context.Context, err error) error {
	if p.conn == nil || ctx.Err() != nil {
		return err
	}
	// Only an error the plugin did not answer itself can mean it died; waiting
	// for the process on every Internal error (a failing upload body, say)
	// would cost each such call the grace period.
	if errors.Is(err, remote.ErrNoAnswer) && p.conn.exited(time.Second) {
		return &PluginCrashedError{Plugin: p.Name, Stderr: p.conn.stderr.Lines(), Err: err}
	}
	return err
}

// ctxDone reports whether err is the caller's own context ending.
func ctxDone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// contractError makes sure the caller gets an *sdk.Error (or a
// *PluginCrashedError, which wraps one), as CloudBridge's
// ExceptionWrappingMiddleware does: a plain error from an interceptor, say,
// becomes Internal, and a context error gets its contract code.
func contractError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if ctxDone(err) {
		return contextError(err)
	}
	return &Error{Code: sdk.CodeInternal, Message: err.Error(), Err: err}
}

// newToken returns a fresh idempotency token: fixed once per logical create,
// before the first try, so that a retry of the same create cannot make a
// second resource.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
