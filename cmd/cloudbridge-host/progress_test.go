package main

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/plugins/mock"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

// On a terminal the bar is redrawn in place (carriage return, clear to the
// end of the line) at most every redrawEvery, with bytes, percentage, rate
// and ETA; the summary replaces it.
func TestProgressBarOnATerminal(t *testing.T) {
	clock := newFakeClock()
	var out bytes.Buffer
	bar := newProgressBar(&out, true, "upload big.iso", clock.now)
	const total = 100 << 20

	bar.Update(host.Progress{Done: 0, Total: total})
	first := out.String()
	if !strings.HasPrefix(first, "\r") || !strings.HasSuffix(first, "\x1b[K") || !strings.Contains(first, "0 B / 100.0 MiB") {
		t.Fatalf("first draw %q", first)
	}
	clock.advance(50 * time.Millisecond)
	bar.Update(host.Progress{Done: 1 << 20, Total: total})
	if out.String() != first {
		t.Fatalf("redrawn within %v: %q", redrawEvery, out.String())
	}
	clock.advance(950 * time.Millisecond) // 10 MiB/s over the window
	bar.Update(host.Progress{Done: 10 << 20, Total: total})
	second := strings.TrimPrefix(out.String(), first)
	want := "\rupload big.iso  [==>                 ]  10%  10.0 MiB / 100.0 MiB  10.0 MiB/s  ETA 9s\x1b[K"
	if second != want {
		t.Fatalf("redraw\n got %q\nwant %q", second, want)
	}

	clock.advance(9 * time.Second)
	bar.Update(host.Progress{Done: total, Total: total})
	out.Reset()
	bar.Finish("uploaded", nil)
	if got, want := out.String(), "\r\x1b[Kuploaded 100.0 MiB in 10s (10.0 MiB/s)\n"; got != want {
		t.Fatalf("finish %q, want %q", got, want)
	}
}

// Elsewhere (a pipe, a log) the bar writes a plain line every plainEvery and
// a summary at the end, never a control character; a failure writes no
// summary (the error says what happened).
func TestProgressBarInALog(t *testing.T) {
	clock := newFakeClock()
	var out bytes.Buffer
	bar := newProgressBar(&out, false, "download k", clock.now)
	bar.Update(host.Progress{Done: 0, Total: -1})
	for i := range 9 { // 3 MiB/s
		clock.advance(time.Second)
		bar.Update(host.Progress{Done: int64(i+1) * 3 << 20, Total: -1})
	}
	if out.Len() != 0 {
		t.Fatalf("wrote before %v: %q", plainEvery, out.String())
	}
	clock.advance(time.Second)
	bar.Update(host.Progress{Done: 30 << 20, Total: -1})
	if got, want := out.String(), "download k  30.0 MiB  3.0 MiB/s\n"; got != want {
		t.Fatalf("plain line %q, want %q (unknown total: no bar, no ETA)", got, want)
	}
	out.Reset()
	bar.Finish("downloaded", nil)
	if got, want := out.String(), "downloaded 30.0 MiB in 10s (3.0 MiB/s)\n"; got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	out.Reset()
	failed := newProgressBar(&out, false, "download k", clock.now)
	failed.Update(host.Progress{Done: 5, Total: 10})
	failed.Finish("downloaded", context.Canceled)
	if out.Len() != 0 {
		t.Fatalf("a failed transfer wrote %q", out.String())
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 200 << 20: "200.0 MiB", 3 << 30: "3.0 GiB", 5 << 40: "5.0 TiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850ms", 12340 * time.Millisecond: "12.3s", 185 * time.Second: "3m05s", 62 * time.Minute: "1h02m",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for in, want := range map[string]int64{"1048576": 1 << 20, "16MiB": 16 << 20, "16M": 16 << 20, "16mb": 16 << 20, "512KiB": 512 << 10, "2GiB": 2 << 30, "0": 0} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("byteSize %q = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"ten", "16XB", "-1", "1.5MiB", "", "99999999999T"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("byteSize %q = %d, want an error", in, b)
		}
	}
}

// On a terminal the spinner animates with the state it last saw; elsewhere it
// says nothing for short waits and a plain line every plainEvery for long ones.
func TestSpinner(t *testing.T) {
	clock := newFakeClock()
	var out bytes.Buffer
	sp := newSpinner(&out, true, "instance i-1", clock.now)
	sp.Draw()
	clock.advance(100 * time.Millisecond)
	sp.Set("pending")
	sp.Draw()
	if got, want := out.String(), "\r⠋ instance i-1: waiting (0s)\x1b[K\r⠙ instance i-1: pending (100ms)\x1b[K"; got != want {
		t.Fatalf("terminal\n got %q\nwant %q", got, want)
	}
	out.Reset()
	sp.Clear()
	if out.String() != "\r\x1b[K" {
		t.Fatalf("clear wrote %q", out.String())
	}

	out.Reset()
	plain := newSpinner(&out, false, "volume vol-1", clock.now)
	plain.Set("creating")
	for range 99 {
		clock.advance(100 * time.Millisecond)
		plain.Draw()
	}
	if out.Len() != 0 {
		t.Fatalf("plain spinner wrote within %v: %q", plainEvery, out.String())
	}
	clock.advance(100 * time.Millisecond)
	plain.Draw()
	plain.Clear()
	if got, want := out.String(), "volume vol-1 is still creating after 10s\n"; got != want {
		t.Fatalf("plain line %q, want %q", got, want)
	}
}

func TestStateOfACallResult(t *testing.T) {
	inst := sdk.Instance{ID: "i-1", State: sdk.InstanceRunning}
	for name, tc := range map[string]struct {
		result any
		want   string
		ok     bool
	}{
		"a resource":              {result: inst, want: "running", ok: true},
		"a pointer to a resource": {result: &host.Instance{Instance: inst}, want: "running", ok: true},
		"another resource":        {result: sdk.Instance{ID: "i-2", State: "pending"}},
		"a page":                  {result: host.Page[*host.Gateway]{Items: []*host.Gateway{{Gateway: sdk.Gateway{ID: "i-1", State: "available"}}}}, want: "available", ok: true},
		"no result":               {result: nil},
		"a nil pointer":           {result: (*host.Instance)(nil)},
		"not a resource":          {result: "i-1"},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := stateOf(reflect.ValueOf(tc.result), "i-1")
			if got != tc.want || ok != tc.ok {
				t.Fatalf("stateOf = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// A wait sees the states its polls fetch through the provider's events.
func TestWatchStatesSeesTheWaitsPolls(t *testing.T) {
	ctx := t.Context()
	p, err := host.OpenInProcess(ctx, mock.New().Plugin("test"), host.Settings{"boot_time": "300ms"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	inst, err := p.Compute.Instances.Create(ctx, host.InstanceSpec{Label: "web-one", ImageID: "img-cirros-06", VMTypeID: "m.tiny"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	unwatch := watchStates(withEvents(ctx, p.Events), inst.ID, func(s string) {
		mu.Lock()
		seen = append(seen, s)
		mu.Unlock()
	})
	if err := inst.WaitReady(ctx, host.WaitInterval(20*time.Millisecond, 50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	unwatch()
	if err := inst.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != "pending" || seen[len(seen)-1] != "running" || len(slices.Compact(slices.Clone(seen))) != 2 {
		t.Fatalf("states seen %v, want pending… then running, and none after unwatching", seen)
	}
}
