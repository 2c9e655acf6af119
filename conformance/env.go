package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Env is what one test works with: the provider, the config, a context bounded
// by the test's timeout, and a tracker that deletes what the test made.
type Env struct {
	P   *host.Provider
	Cfg Config
	Ctx context.Context

	t       T
	h       Harness
	run     string
	tracker *tracker
}

func newEnv(ctx context.Context, t T, s *suite) *Env {
	e := &Env{P: s.p, Cfg: s.cfg, Ctx: ctx, t: t, h: s.h, run: randomHex(3), tracker: &tracker{}}
	t.Cleanup(func() { e.tracker.cleanup(t) })
	return e
}

// Name returns a unique resource name for this test: cbconf-<random>-<purpose>.
// It is a valid CloudBridge label.
func (e *Env) Name(purpose string) string {
	return fmt.Sprintf("%s-%s-%s", e.Cfg.NamePrefix, e.run, purpose)
}

// Track registers a resource the test made; it is deleted when the test ends,
// after everything registered later. A delete that finds it gone is fine.
func (e *Env) Track(kind, id string, del func(context.Context) error) {
	e.tracker.push(kind, id, del)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tracker deletes what a test made, newest first, like csi-test's Resources.
type tracker struct {
	mu    sync.Mutex
	items []tracked
}

type tracked struct {
	kind, id string
	del      func(context.Context) error
}

func (tr *tracker) push(kind, id string, del func(context.Context) error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.items = append(tr.items, tracked{kind, id, del})
}

// cleanup deletes every tracked resource in reverse order. A resource still in
// use by one being torn down (FailedPrecondition) is retried for a while.
func (tr *tracker) cleanup(t T) {
	tr.mu.Lock()
	items := tr.items
	tr.items = nil
	tr.mu.Unlock()
	// The test's context is already canceled here; cleanup gets its own.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if err := deleteWithRetry(ctx, it.del); err != nil {
			t.Errorf("cleanup: delete %s %s: %v", it.kind, it.id, err)
		}
	}
}

func deleteWithRetry(ctx context.Context, del func(context.Context) error) error {
	pause := 50 * time.Millisecond
	for {
		err := del(ctx)
		switch {
		case err == nil, errors.Is(err, sdk.ErrNotFound):
			return nil
		case !errors.Is(err, sdk.ErrFailedPrecondition) && !errors.Is(err, sdk.ErrUnavailable):
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(pause*2, 2*time.Second)
	}
}
