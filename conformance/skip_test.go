package conformance

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/host"
)

// A skip pattern can name one subtest, however deep: the others still run,
// under a Runner and under go test alike.
func TestSkipListSkipsSubtests(t *testing.T) {
	skips, err := compileSkips(map[string]string{
		`^a/b/skipped$`:   "emulator lacks X",
		`^a/c/deep/gone$`: "emulator lacks Y",
	})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	body := func(t T) {
		for _, name := range []string{"b/kept", "b/skipped", "c/deep/gone", "c/deep/kept"} {
			parts := regexp.MustCompile("/").Split(name, -1)
			nest(t, parts, func(T) { ran = append(ran, name) })
		}
	}

	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	r.Run("a", func(t T) { body(skippingT{t, "a", skips}) })
	if got, want := summary(r), (counts{2, 0, 2}); got != want {
		t.Errorf("Summary() = %+v, want %+v\n%s", got, want, out.String())
	}
	if want := []string{"b/kept", "c/deep/kept"}; !slices.Equal(ran, want) {
		t.Errorf("ran %q, want %q", ran, want)
	}
	for _, line := range []string{"SKIP  a/b/skipped: emulator lacks X", "SKIP  a/c/deep/gone: emulator lacks Y"} {
		if !bytes.Contains(out.Bytes(), []byte(line)) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}

	ran = nil
	t.Run("a", func(gt *testing.T) { body(skippingT{gt, "a", skips}) })
	if want := []string{"b/kept", "c/deep/kept"}; !slices.Equal(ran, want) {
		t.Errorf("under go test ran %q, want %q", ran, want)
	}
}

// nest runs f as the subtest path parts below t, one level per part.
func nest(t T, parts []string, f func(T)) {
	if len(parts) == 0 {
		f(t)
		return
	}
	run(t, parts[0], func(t T) { nest(t, parts[1:], f) })
}

// A bad pattern stops the run before the plugin is opened, naming the pattern.
func TestSkipListRefusesBadPattern(t *testing.T) {
	if _, err := compileSkips(map[string]string{`^compute/(`: "x"}); err == nil {
		t.Error("compileSkips accepted the pattern ^compute/(")
	}
	h := &openCounter{}
	err := RunWith(t.Context(), NewRunner(io.Discard, RunnerOptions{}), h, Config{Skip: map[string]string{`^compute/(`: "x"}})
	if err == nil || !strings.Contains(err.Error(), `skip pattern "^compute/("`) {
		t.Errorf("RunWith with a bad skip pattern: err = %v, want one naming the pattern", err)
	}
	if h.opened {
		t.Error("RunWith opened the plugin before refusing the bad skip pattern")
	}
}

// openCounter is a Harness that records being opened and opens nothing.
type openCounter struct{ opened bool }

func (h *openCounter) Open(context.Context) (*host.Provider, error) {
	h.opened = true
	return nil, errors.New("no plugin here")
}

func (h *openCounter) Describe(context.Context) (host.Description, error) {
	return host.Description{}, ErrNoBinary
}
