package conformance

import (
	"bytes"
	"regexp"
	"slices"
	"testing"
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

func TestSkipListRefusesBadPattern(t *testing.T) {
	if _, err := compileSkips(map[string]string{`^compute/(`: "x"}); err == nil {
		t.Error("compileSkips accepted the pattern ^compute/(")
	}
}
