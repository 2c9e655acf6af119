package host

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Defaults of RetryPolicy.
const (
	DefaultRetryAttempts  = 5
	DefaultRetryBaseDelay = 100 * time.Millisecond
	DefaultRetryMaxDelay  = 5 * time.Second
)

// RetryPolicy is how the host retries a call that failed with a retryable
// error (sdk.Error.Retryable: Unavailable, ResourceExhausted, throttling):
// capped exponential backoff with jitter, never past the context's deadline,
// and never sooner than the plugin's RetryAfter hint. Which calls are retried
// depends on what a repeat could do:
//
//   - reads and idempotent writes (updates, aborting an upload) always;
//   - creates always, because each carries an idempotency token fixed before
//     the first try: the plugin answers a repeat with what the first try made;
//   - deletes always; a repeat that answers NotFound after an earlier try
//     failed ambiguously (Unavailable: the cloud may have acted before the
//     answer was lost) counts as success: that try deleted it (or another
//     client did; either way it is gone, as asked). After a refusal
//     (ResourceExhausted: the cloud did nothing), NotFound stands;
//   - other actions (reboot, start, stop, attach, associate, completing a
//     multipart upload) only after a refusal, since a repeat of an action that
//     did happen could act twice or fail misleadingly;
//   - uploads of a stream (object put, upload part) never: the body is spent.
//
// A canceled context stops retrying at once, and a dead plugin is not retried.
type RetryPolicy struct {
	// MaxAttempts counts every try, the first included (DefaultRetryAttempts
	// if 0); 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first pause and MaxDelay caps the later ones
	// (DefaultRetryBaseDelay, DefaultRetryMaxDelay if 0).
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

func (r RetryPolicy) withDefaults() RetryPolicy {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultRetryAttempts
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = DefaultRetryBaseDelay
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = DefaultRetryMaxDelay
	}
	r.MaxDelay = max(r.MaxDelay, r.BaseDelay)
	return r
}

// backoff is the pause before try n+1 after try n failed: BaseDelay doubled
// per try, capped, with "equal jitter" (half fixed, half random) so that many
// callers throttled together do not retry in lockstep.
func (r RetryPolicy) backoff(n int) time.Duration {
	d := r.MaxDelay
	if n < 32 {
		d = min(r.BaseDelay<<(n-1), r.MaxDelay)
	}
	return d/2 + rand.N(d/2+1)
}

// retryClass says which failures of an event may be retried (see RetryPolicy).
type retryClass int

const (
	retryAction retryClass = iota // only refused calls; the zero value, the safe default
	retrySafe
	retryCreate
	retryDelete
	retryNever
)

func classOf(event string) retryClass { return eventClasses[event] }

// refused reports whether err says the cloud did nothing: throttling and
// quota errors are answered before any work, unlike an Unavailable whose
// answer may have been lost after the work was done.
func refused(err error) bool { return sdk.CodeOf(err) == sdk.CodeResourceExhausted }

func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// retry calls fn until it succeeds or a retry is not allowed, counting tries
// in e.Attempts.
func (p *Provider) retry(ctx context.Context, e *Event, fn func(context.Context) (any, error)) (any, error) {
	policy := p.RetryPolicy.withDefaults()
	class := classOf(e.Name)
	ambiguous := false
	for {
		e.Attempts++
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		if class == retryDelete && ambiguous && errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if !p.mayRetry(class, err, e.Attempts, policy) {
			return nil, err
		}
		ambiguous = ambiguous || !refused(err)
		if err := sleep(ctx, pauseFor(policy, e.Attempts, err), err); err != nil {
			return nil, err
		}
		if p.conn != nil && p.conn.dead() {
			return nil, err // it died during the pause: a crash, not a flaky cloud
		}
	}
}

func (p *Provider) mayRetry(class retryClass, err error, attempts int, policy RetryPolicy) bool {
	switch {
	case attempts >= policy.MaxAttempts || !retryable(err) || class == retryNever:
		return false
	case class == retryAction && !refused(err):
		return false
	}
	return p.conn == nil || !p.conn.dead()
}

// pauseFor honours the plugin's RetryAfter hint when it asks for more than
// the backoff.
func pauseFor(policy RetryPolicy, attempts int, err error) time.Duration {
	pause := policy.backoff(attempts)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > pause {
		pause = e.RetryAfter
	}
	return pause
}

// sleep waits d, or fails at once with last when the context would end first:
// a retry that cannot start before the deadline is not worth the wait.
func sleep(ctx context.Context, d time.Duration, last error) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return last
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		ce := contextError(ctx.Err())
		ce.Message = fmt.Sprintf("%s while waiting to retry after: %v", ce.Message, last)
		return ce
	case <-t.C:
		return nil
	}
}
