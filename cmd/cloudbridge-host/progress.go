package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
)

// What a long command shows on stderr while it works, never on stdout (so
// that `objects download … -` can pipe the object): on a terminal a line
// redrawn in place, otherwise plain lines now and then, for logs.

// isTerminal reports whether w is a terminal: a character device that is not
// a dumb terminal. (A character device such as /dev/null passes too, which
// costs nothing: the redraws go nowhere.)
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

const (
	// redrawEvery is how often a terminal line is redrawn.
	redrawEvery = 100 * time.Millisecond
	// plainEvery is how often a plain line is written: short tasks write
	// only their final line.
	plainEvery = 10 * time.Second
	// rateWindow is how far back the transfer rate (and so the ETA) looks.
	rateWindow = 5 * time.Second
)

// ---- progress bar ----

// progressBar shows a transfer's bytes, rate and ETA:
//
//	upload big.iso  [=========>          ]  45%  90.0 MiB / 200.0 MiB  12.3 MiB/s  ETA 9s
//
// redrawn in place on a terminal, or as a plain line every plainEvery
// otherwise. Update is the transfer's Progress callback.
type progressBar struct {
	w     io.Writer
	tty   bool
	label string
	now   func() time.Time

	mu          sync.Mutex
	start, last time.Time
	done, total int64
	samples     []sample
	drawn       bool
}

type sample struct {
	at   time.Time
	done int64
}

func newProgressBar(w io.Writer, tty bool, label string, now func() time.Time) *progressBar {
	t := now()
	return &progressBar{w: w, tty: tty, label: label, now: now, start: t, last: t, total: -1}
}

// Update records the transfer's progress and redraws when it is time to.
func (b *progressBar) Update(p host.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.done, b.total = p.Done, p.Total
	b.samples = append(b.samples, sample{now, p.Done})
	for len(b.samples) > 2 && now.Sub(b.samples[1].at) >= rateWindow {
		b.samples = b.samples[1:]
	}
	switch {
	case b.tty && (now.Sub(b.last) >= redrawEvery || !b.drawn):
		fmt.Fprintf(b.w, "\r%s\x1b[K", b.line(now))
	case !b.tty && now.Sub(b.last) >= plainEvery:
		fmt.Fprintln(b.w, b.line(now))
	default:
		return
	}
	b.last, b.drawn = now, true
}

// Finish ends the display with a summary line, or with nothing after a
// failure (the error says what happened).
func (b *progressBar) Finish(verb string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
	if err != nil {
		return
	}
	elapsed := b.now().Sub(b.start)
	fmt.Fprintf(b.w, "%s %s in %s (%s/s)\n", verb, formatBytes(b.done), formatDuration(elapsed), formatBytes(rate(b.done, elapsed)))
}

// line is the progress line as of now.
func (b *progressBar) line(now time.Time) string {
	var r int64
	if first := b.samples[0]; len(b.samples) > 1 {
		r = rate(b.done-first.done, now.Sub(first.at))
	}
	if b.total < 0 {
		return fmt.Sprintf("%s  %s  %s/s", b.label, formatBytes(b.done), formatBytes(r))
	}
	const width = 20
	frac := 1.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	filled := int(frac * width)
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	eta := "--"
	if r > 0 {
		eta = formatDuration(time.Duration(float64(b.total-b.done) / float64(r) * float64(time.Second)))
	}
	return fmt.Sprintf("%s  [%s] %3.0f%%  %s / %s  %s/s  ETA %s", b.label, bar, frac*100,
		formatBytes(b.done), formatBytes(b.total), formatBytes(r), eta)
}

// rate is bytes per second over d, 0 when d is too short to tell.
func rate(bytes int64, d time.Duration) int64 {
	if d < time.Millisecond {
		return 0
	}
	return int64(float64(bytes) / d.Seconds())
}

// formatBytes is a byte count in binary units: 512 B, 1.5 KiB, 200.0 MiB.
func formatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// formatDuration is a duration for people: 850ms, 12.3s, 3m05s, 1h02m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// ---- spinner ----

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinner shows what a task is waiting for and the state it last saw:
//
//	⠹ instance i-0a1b2c: pending (3.2s)
//
// redrawn in place on a terminal, or as a plain line every plainEvery
// otherwise ("instance i-0a1b2c is still pending after 10s"). Draw is called
// by a ticker (see startSpinner) or, in tests, by hand.
type spinner struct {
	w     io.Writer
	tty   bool
	label string
	now   func() time.Time

	mu          sync.Mutex
	start, last time.Time
	state       string
	frame       int
	drawn       bool
}

func newSpinner(w io.Writer, tty bool, label string, now func() time.Time) *spinner {
	t := now()
	return &spinner{w: w, tty: tty, label: label, now: now, start: t, last: t}
}

// Set records the current state.
func (s *spinner) Set(state string) {
	s.mu.Lock()
	s.state = state
	s.mu.Unlock()
}

// Draw shows the current state when it is time to.
func (s *spinner) Draw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	elapsed := now.Sub(s.start)
	state := s.state
	if state == "" {
		state = "waiting"
	}
	switch {
	case s.tty:
		fmt.Fprintf(s.w, "\r%s %s: %s (%s)\x1b[K", spinnerFrames[s.frame%len(spinnerFrames)], s.label, state, elapsed.Round(100*time.Millisecond))
		s.frame++
	case now.Sub(s.last) >= plainEvery:
		fmt.Fprintf(s.w, "%s is still %s after %s\n", s.label, state, formatDuration(elapsed))
	default:
		return
	}
	s.last, s.drawn = now, true
}

// Clear removes the spinner's line from a terminal.
func (s *spinner) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty && s.drawn {
		fmt.Fprint(s.w, "\r\x1b[K")
	}
}

// startSpinner shows a spinner on w, drawn every redrawEvery, until the
// returned function is called, which clears it.
func startSpinner(w io.Writer, label string) (*spinner, func()) {
	s := newSpinner(w, isTerminal(w), label, time.Now)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(redrawEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.Draw()
			}
		}
	})
	return s, func() {
		close(stop)
		wg.Wait()
		s.Clear()
	}
}

// ---- waiting for a new resource ----

// eventsKey is the context key of the provider's Events, which withProvider
// puts in the context of every command body so that a wait can watch the
// states its polls see.
type eventsKey struct{}

func withEvents(ctx context.Context, ev *host.Events) context.Context {
	return context.WithValue(ctx, eventsKey{}, ev)
}

// stateObserverPriority is after the plugin call (host.ImplementPriority),
// clear of DebugLogging's.
const stateObserverPriority = 4990

// waitWithSpinner runs wait, the WaitReady of the new resource kind id,
// showing a spinner on w with the state each poll sees (watched through the
// provider's events, when ctx carries them: see withEvents). When the wait
// ends it clears the spinner and says on w what state the resource reached
// (final) and after how long.
//
// It is what every create command's --wait uses, through waitReady:
//
//	inst, err := p.Compute.Instances.Create(ctx, spec)
//	…
//	if err := waitReady(ctx, cmd, wait, "instance", inst.ID, inst, &inst.State); err != nil {
//		return err
//	}
func waitWithSpinner(ctx context.Context, w io.Writer, kind, id string, wait func(context.Context) error, final func() string) error {
	sp, stop := startSpinner(w, kind+" "+id)
	defer watchStates(ctx, id, sp.Set)()
	start := time.Now()
	err := wait(ctx)
	stop()
	if err != nil {
		return fmt.Errorf("%s %s was created but did not become ready: %w", kind, id, err)
	}
	fmt.Fprintf(w, "%s %s is %s after %s\n", kind, id, final(), time.Since(start).Round(time.Millisecond))
	return nil
}

// watchStates calls set with the state of resource id that each call's
// result shows, through the provider's events when ctx carries them, until
// the returned function is called.
func watchStates(ctx context.Context, id string, set func(string)) (unwatch func()) {
	ev, ok := ctx.Value(eventsKey{}).(*host.Events)
	if !ok || ev == nil {
		return func() {}
	}
	h, err := ev.Observe("provider.*", stateObserverPriority, func(_ context.Context, e *host.Event) {
		if state, ok := stateOf(reflect.ValueOf(e.Result), id); ok {
			set(state)
		}
	})
	if err != nil { // a clash of priorities only costs the live state
		return func() {}
	}
	return h.Remove
}

// stateOf finds the State of the resource id in a call's result: the
// resource itself (a get) or an item of a page (a list, as a gateway's
// refresh does).
func stateOf(v reflect.Value, id string) (string, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return "", false
	}
	if rid, state := v.FieldByName("ID"), v.FieldByName("State"); rid.Kind() == reflect.String && rid.String() == id && state.Kind() == reflect.String {
		return state.String(), true
	}
	if items := v.FieldByName("Items"); items.Kind() == reflect.Slice {
		for i := range items.Len() {
			if state, ok := stateOf(items.Index(i), id); ok {
				return state, true
			}
		}
	}
	return "", false
}
