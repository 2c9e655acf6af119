package conformance

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// counts is what Runner.Summary returns.
type counts struct{ passed, failed, skipped int }

func summary(r *Runner) counts {
	p, f, s := r.Summary()
	return counts{p, f, s}
}

// duration matches the duration the runner prints after PASS and FAIL.
const duration = `\(\d+\.\d\ds\)`

// failHelper is a helper in the testing sense: errors point at its caller.
func failHelper(t T) {
	t.Helper()
	t.Errorf("from helper")
}

func TestRunnerOutcomes(t *testing.T) {
	cases := []struct {
		name    string
		verbose bool
		body    func(T)
		want    string // regexp the whole output must match
		wantOK  bool   // what Run returns
		counts  counts
	}{{
		name:   "pass",
		body:   func(T) {},
		want:   `PASS  test ` + duration + `\n`,
		wantOK: true,
		counts: counts{passed: 1},
	}, {
		name:   "log of passing test hidden",
		body:   func(t T) { t.Log("quiet") },
		want:   `PASS  test ` + duration + `\n`,
		wantOK: true,
		counts: counts{passed: 1},
	}, {
		name:    "log of passing test shown when verbose",
		verbose: true,
		body:    func(t T) { t.Log("said", 1); t.Logf("said %d", 2) },
		want:    `PASS  test ` + duration + `\n    runner_test.go:\d+: said 1\n    runner_test.go:\d+: said 2\n`,
		wantOK:  true,
		counts:  counts{passed: 1},
	}, {
		name: "Errorf fails and continues",
		body: func(t T) {
			t.Log("context")
			t.Errorf("first %d", 1)
			t.Error("second")
		},
		want:   `FAIL  test ` + duration + `\n    runner_test.go:\d+: context\n    runner_test.go:\d+: first 1\n    runner_test.go:\d+: second\n`,
		counts: counts{failed: 1},
	}, {
		name: "Fatalf stops the test",
		body: func(t T) {
			t.Fatalf("stop %s", "here")
			t.Error("not reached")
		},
		want:   `FAIL  test ` + duration + `\n    runner_test.go:\d+: stop here\n`,
		counts: counts{failed: 1},
	}, {
		name: "Fatal stops the test",
		body: func(t T) {
			t.Fatal("stop")
			t.Error("not reached")
		},
		want:   `FAIL  test ` + duration + `\n    runner_test.go:\d+: stop\n`,
		counts: counts{failed: 1},
	}, {
		name: "FailNow stops the test",
		body: func(t T) {
			t.FailNow()
			t.Error("not reached")
		},
		want:   `FAIL  test ` + duration + `\n`,
		counts: counts{failed: 1},
	}, {
		name: "Fail continues",
		body: func(t T) {
			t.Fail()
			if !t.Failed() {
				t.Error("Failed() = false after Fail")
			}
			t.Log("reached")
		},
		want:   `FAIL  test ` + duration + `\n    runner_test.go:\d+: reached\n`,
		counts: counts{failed: 1},
	}, {
		name: "Skipf prints the reason",
		body: func(t T) {
			t.Log("hidden")
			t.Skipf("no %s", "volumes")
			t.Error("not reached")
		},
		want:   `SKIP  test: no volumes\n`,
		wantOK: true,
		counts: counts{skipped: 1},
	}, {
		name:    "Skip shows the log when verbose",
		verbose: true,
		body:    func(t T) { t.Log("shown"); t.Skip("no", "volumes") },
		want:    `SKIP  test: no volumes\n    runner_test.go:\d+: shown\n`,
		wantOK:  true,
		counts:  counts{skipped: 1},
	}, {
		name:   "SkipNow",
		body:   func(t T) { t.SkipNow() },
		want:   `SKIP  test\n`,
		wantOK: true,
		counts: counts{skipped: 1},
	}, {
		name: "failure wins over skip",
		body: func(t T) {
			t.Error("bad")
			t.Skip("then skipped")
		},
		want:   `FAIL  test ` + duration + `\n    runner_test.go:\d+: bad\n`,
		counts: counts{failed: 1},
	}, {
		name:   "panic recovered with stack",
		body:   func(T) { panic("kaboom") },
		want:   `FAIL  test ` + duration + `\n    panic: kaboom\n        \S+TestRunnerOutcomes\S*\n            \S+/runner_test.go:\d+\n(?s:.*)`,
		counts: counts{failed: 1},
	}, {
		name: "runtime panic recovered, stack starts at the test",
		body: func(T) {
			var m map[string]int
			m["x"]++
		},
		want:   `FAIL  test ` + duration + `\n    panic: assignment to entry in nil map\n        \S+TestRunnerOutcomes\S*\n(?s:.*)`,
		counts: counts{failed: 1},
	}, {
		name:   "panic in Cleanup fails the test",
		body:   func(t T) { t.Cleanup(func() { panic("in cleanup") }) },
		want:   `FAIL  test ` + duration + `\n    panic in Cleanup: in cleanup\n(?s:.*)`,
		counts: counts{failed: 1},
	}, {
		name: "Fatal in Cleanup fails the test",
		body: func(t T) {
			t.Cleanup(func() { t.Log("earlier cleanup still runs") })
			t.Cleanup(func() { t.Fatal("cleanup failed"); t.Error("not reached") })
		},
		want:   `FAIL  test ` + duration + `\n    runner_test.go:\d+: cleanup failed\n    runner_test.go:\d+: earlier cleanup still runs\n`,
		counts: counts{failed: 1},
	}, {
		name: "Name and Skipped",
		body: func(t T) {
			if t.Name() != "test" {
				t.Errorf("Name() = %q", t.Name())
			}
			t.Cleanup(func() {
				if !t.Skipped() {
					t.Error("Skipped() = false after Skip")
				}
			})
			t.Skip("checked")
		},
		want:   `SKIP  test: checked\n`,
		wantOK: true,
		counts: counts{skipped: 1},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			r := NewRunner(&out, RunnerOptions{Verbose: c.verbose})
			if ok := r.Run("test", c.body); ok != c.wantOK {
				t.Errorf("Run returned %v, want %v", ok, c.wantOK)
			}
			if !regexp.MustCompile(`^` + c.want + `$`).MatchString(out.String()) {
				t.Errorf("output:\n%s\nwant match for:\n%s", out.String(), c.want)
			}
			if got := summary(r); got != c.counts {
				t.Errorf("Summary() = %+v, want %+v", got, c.counts)
			}
			if r.Failed() != (c.counts.failed > 0) {
				t.Errorf("Failed() = %v with %d failed", r.Failed(), c.counts.failed)
			}
		})
	}
}

func TestRunnerHelper(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	var line int
	r.Run("test", func(rt T) {
		_, _, line, _ = runtime.Caller(0)
		failHelper(rt) // line + 1
	})
	want := fmt.Sprintf("    runner_test.go:%d: from helper\n", line+1)
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to end with:\n%s", out.String(), want)
	}
}

func TestRunnerPanicDoesNotStopTheRun(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	r.Run("panics", func(T) { panic("kaboom") })
	r.Run("after", func(T) {})
	if got, want := summary(r), (counts{passed: 1, failed: 1}); got != want {
		t.Errorf("Summary() = %+v, want %+v\n%s", got, want, out.String())
	}
	if !strings.Contains(out.String(), "\nPASS  after ") {
		t.Errorf("test after the panic not reported:\n%s", out.String())
	}
}

func TestRunnerCleanupOrder(t *testing.T) {
	cases := []struct {
		name string
		end  func(T)
	}{
		{"return", func(T) {}},
		{"Errorf", func(t T) { t.Errorf("failed") }},
		{"Fatal", func(t T) { t.Fatal("stopped") }},
		{"Skip", func(t T) { t.Skip("skipped") }},
		{"panic", func(T) { panic("kaboom") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var order []string
			r := NewRunner(new(bytes.Buffer), RunnerOptions{})
			r.Run("test", func(rt T) {
				rt.Cleanup(func() { order = append(order, "registered first") })
				rt.Cleanup(func() {
					order = append(order, "registered second")
					rt.Cleanup(func() { order = append(order, "registered by a cleanup") })
				})
				order = append(order, "body")
				c.end(rt)
			})
			want := []string{"body", "registered second", "registered by a cleanup", "registered first"}
			if !slices.Equal(order, want) {
				t.Errorf("order = %q, want %q", order, want)
			}
		})
	}
}

func TestRunnerSubtests(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	var names []string
	var continued bool
	ok := r.Run("A", func(t T) {
		run(t, "B", func(t T) {
			run(t, "C", func(t T) { names = append(names, t.Name()) })
			run(t, "D", func(t T) { t.Fatal("bad") })
			continued = true
			if !t.Failed() {
				t.Error("group B: Failed() = false after a failing subtest")
			}
		})
		run(t, "E", func(t T) { t.Skip("later") })
	})
	if ok {
		t.Error("Run(A) = true with a failing subtest")
	}
	if !continued {
		t.Error("Fatal in a subtest ended its parent")
	}
	if !slices.Equal(names, []string{"A/B/C"}) {
		t.Errorf("names = %q", names)
	}
	want := `PASS  A/B/C ` + duration + `\nFAIL  A/B/D ` + duration + `\n    runner_test.go:\d+: bad\nSKIP  A/E: later\n`
	if !regexp.MustCompile(`^` + want + `$`).MatchString(out.String()) {
		t.Errorf("output:\n%s\nwant match for:\n%s", out.String(), want)
	}
	if got, want := summary(r), (counts{1, 1, 1}); got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
}

func TestRunnerGroupOwnOutcome(t *testing.T) {
	cases := []struct {
		name   string
		body   func(T)
		want   string
		counts counts
	}{{
		name: "error of its own is counted",
		body: func(t T) {
			run(t, "leaf", func(T) {})
			t.Error("group broke")
		},
		want:   `PASS  G/leaf ` + duration + `\nFAIL  G ` + duration + `\n    runner_test.go:\d+: group broke\n`,
		counts: counts{passed: 1, failed: 1},
	}, {
		name: "FailNow after a failing subtest is not counted again",
		body: func(t T) {
			if !run(t, "leaf", func(t T) { t.Error("bad") }) {
				t.FailNow()
			}
		},
		want:   `FAIL  G/leaf ` + duration + `\n    runner_test.go:\d+: bad\n`,
		counts: counts{failed: 1},
	}, {
		name: "skip of its own is counted",
		body: func(t T) {
			run(t, "leaf", func(T) {})
			t.Skip("rest unsupported")
		},
		want:   `PASS  G/leaf ` + duration + `\nSKIP  G: rest unsupported\n`,
		counts: counts{passed: 1, skipped: 1},
	}, {
		name: "passing group is not counted",
		body: func(t T) {
			t.Log("not shown")
			run(t, "leaf", func(T) {})
		},
		want:   `PASS  G/leaf ` + duration + `\n`,
		counts: counts{passed: 1},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			r := NewRunner(&out, RunnerOptions{})
			r.Run("G", c.body)
			if !regexp.MustCompile(`^` + c.want + `$`).MatchString(out.String()) {
				t.Errorf("output:\n%s\nwant match for:\n%s", out.String(), c.want)
			}
			if got := summary(r); got != c.counts {
				t.Errorf("Summary() = %+v, want %+v", got, c.counts)
			}
		})
	}
}

func TestRunnerVerboseGroupLog(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{Verbose: true})
	r.Run("G", func(t T) {
		t.Log("setup done")
		run(t, "leaf", func(T) {})
	})
	want := `PASS  G/leaf ` + duration + `\nGROUP G ` + duration + `\n    runner_test.go:\d+: setup done\n`
	if !regexp.MustCompile(`^` + want + `$`).MatchString(out.String()) {
		t.Errorf("output:\n%s\nwant match for:\n%s", out.String(), want)
	}
	if got, want := summary(r), (counts{passed: 1}); got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
}

func TestRunnerFilter(t *testing.T) {
	// suite runs a small tree of tests and records whose bodies ran.
	suite := func(r *Runner) []string {
		var ran []string
		body := func(t T) { ran = append(ran, t.Name()) }
		r.Run("Objects", func(t T) {
			body(t)
			run(t, "PutGet", body)
			run(t, "Delete", body)
		})
		r.Run("Compute", func(t T) {
			body(t)
			run(t, "Create", body)
		})
		r.Run("Solo", body)
		return ran
	}
	all := []string{"Objects", "Objects/PutGet", "Objects/Delete", "Compute", "Compute/Create", "Solo"}
	cases := []struct {
		filter   string // "" for none
		reported []string
		ran      []string
	}{
		{"", []string{"Objects/PutGet", "Objects/Delete", "Compute/Create", "Solo"}, all},
		{"^Objects/PutGet$", []string{"Objects/PutGet"}, []string{"Objects", "Objects/PutGet"}},
		{"^Objects$", []string{"Objects/PutGet", "Objects/Delete"}, []string{"Objects", "Objects/PutGet", "Objects/Delete"}},
		{"^Objects/", []string{"Objects/PutGet", "Objects/Delete"}, []string{"Objects", "Objects/PutGet", "Objects/Delete"}},
		{"^(Objects/Delete|Solo)$", []string{"Objects/Delete", "Solo"}, []string{"Objects", "Objects/Delete", "Solo"}},
		{"^Solo$", []string{"Solo"}, []string{"Solo"}},
		{"^Nothing$", nil, nil},
		// Unanchored: any test might have a PutGet below it, so every body runs;
		// only the match is reported.
		{"PutGet", []string{"Objects/PutGet"}, all},
		{"Create|Delete", []string{"Objects/Delete", "Compute/Create"}, all},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			var out bytes.Buffer
			opts := RunnerOptions{}
			if c.filter != "" {
				opts.Run = regexp.MustCompile(c.filter)
			}
			r := NewRunner(&out, opts)
			ran := suite(r)
			if !slices.Equal(ran, c.ran) {
				t.Errorf("ran %q, want %q", ran, c.ran)
			}
			var reported []string
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if name, ok := strings.CutPrefix(line, "PASS  "); ok {
					reported = append(reported, strings.Fields(name)[0])
				} else if line != "" {
					t.Errorf("unexpected line %q", line)
				}
			}
			if !slices.Equal(reported, c.reported) {
				t.Errorf("reported %q, want %q", reported, c.reported)
			}
			if got, want := summary(r), (counts{passed: len(c.reported)}); got != want {
				t.Errorf("Summary() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestRunnerFilterReportsStoppedGroup(t *testing.T) {
	// A group that is not selected but fails or skips before reaching the
	// selected subtest must say so, or the run would look empty.
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{Run: regexp.MustCompile(`^(Broken|Gated)/Child$`)})
	r.Run("Broken", func(t T) {
		t.Fatal("setup failed")
		run(t, "Child", func(T) {})
	})
	r.Run("Gated", func(t T) {
		t.Skip("unsupported")
		run(t, "Child", func(T) {})
	})
	want := `FAIL  Broken ` + duration + `\n    runner_test.go:\d+: setup failed\nSKIP  Gated: unsupported\n`
	if !regexp.MustCompile(`^` + want + `$`).MatchString(out.String()) {
		t.Errorf("output:\n%s\nwant match for:\n%s", out.String(), want)
	}
	if got, want := summary(r), (counts{failed: 1, skipped: 1}); got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
}

func TestMayMatchBelow(t *testing.T) {
	cases := []struct {
		re, name string
		want     bool
	}{
		{`^Objects/PutGet$`, "Objects", true},
		{`^Objects/PutGet$`, "Compute", false},
		{`^Objects/PutGet$`, "Objects/PutGet", false},
		{`^Objects/PutGet$`, "Objects/Delete", false},
		{`^Objects/Put`, "Objects/PutGet", true},
		{`^Objects$`, "Objects", false},
		{`^Objects\b`, "Objects", true},
		{`^Objects\B`, "Objects", false},
		{`^Obj`, "Objects", true},
		{`^(?i)objects/`, "Objects", true},
		{`^Compute/(Create|Delete)$`, "Compute", true},
		{`^Compute/(Create|Delete)$`, "Objects", false},
		{`^Compute/.*/empty$`, "Compute/Create", true},
		{`\Aab`, "xab", false},
		{`^$`, "x", false},
		{`PutGet`, "Compute", true},
		{`Put$`, "Objects", true},
	}
	for _, c := range cases {
		if got := mayMatchBelow(regexp.MustCompile(c.re), c.name); got != c.want {
			t.Errorf("mayMatchBelow(%s, %q) = %v, want %v", c.re, c.name, got, c.want)
		}
	}
}

func TestRunnerPrintSummary(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	r.Run("a", func(T) {})
	r.Run("b", func(T) {})
	r.Run("c", func(t T) { t.Error("bad") })
	r.Run("d", func(t T) { t.Skip("later") })
	r.PrintSummary()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if got, want := lines[len(lines)-1], "2 passed, 1 failed, 1 skipped"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	if !r.Failed() {
		t.Error("Failed() = false after a failure")
	}

	out.Reset()
	empty := NewRunner(&out, RunnerOptions{})
	empty.PrintSummary()
	if got, want := out.String(), "0 passed, 0 failed, 0 skipped\n"; got != want {
		t.Errorf("empty run printed %q, want %q", got, want)
	}
	if empty.Failed() {
		t.Error("Failed() = true for an empty run")
	}
}

func TestRunnerContext(t *testing.T) {
	type key struct{}
	base, cancelBase := context.WithCancel(context.WithValue(context.Background(), key{}, "from options"))
	defer cancelBase()
	r := NewRunner(new(bytes.Buffer), RunnerOptions{Context: base})

	var value any
	var inBody, inSubtest, inCleanup error
	r.Run("test", func(t T) {
		ctx := t.Context()
		value = ctx.Value(key{})
		t.Cleanup(func() { inCleanup = ctx.Err() })
		run(t, "sub", func(st T) { inSubtest = ctx.Err() })
		inBody = ctx.Err()
	})
	if value != "from options" {
		t.Errorf("Context() value = %v, want the options' context value", value)
	}
	if inBody != nil || inSubtest != nil {
		t.Errorf("Context() canceled during the test: %v, in a subtest: %v", inBody, inSubtest)
	}
	if inCleanup != context.Canceled {
		t.Errorf("Context().Err() in Cleanup = %v, want context.Canceled", inCleanup)
	}

	cancelBase()
	var afterCancel error
	r.Run("canceled", func(t T) { afterCancel = t.Context().Err() })
	if afterCancel != context.Canceled {
		t.Errorf("options' context canceled, test Context().Err() = %v", afterCancel)
	}
}

func TestRunnerConcurrentErrors(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	const n = 20
	r.Run("test", func(t T) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				t.Errorf("goroutine %d", i)
				t.Log("and a log")
				_ = t.Failed()
			})
		}
		wg.Wait()
	})
	if got := strings.Count(out.String(), ": goroutine "); got != n {
		t.Errorf("%d errors reported, want %d:\n%s", got, n, out.String())
	}
	if got, want := summary(r), (counts{failed: 1}); got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
}

func TestRunnerErrorAfterTestFinished(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	release, done := make(chan struct{}), make(chan struct{})
	r.Run("leaky", func(t T) {
		go func() {
			defer close(done)
			<-release
			t.Errorf("too late")
		}()
	})
	close(release)
	<-done
	want := `PASS  leaky ` + duration + `\nFAIL  leaky: reported after the test finished:\n    runner_test.go:\d+: too late\n`
	if !regexp.MustCompile(`^` + want + `$`).MatchString(out.String()) {
		t.Errorf("output:\n%s\nwant match for:\n%s", out.String(), want)
	}
	if !r.Failed() {
		t.Error("Failed() = false after a late error")
	}
}

func TestRunWithTestingT(t *testing.T) {
	var sub T
	ok := run(t, "sub", func(st T) { sub = st })
	if !ok {
		t.Error("run returned false for a passing subtest")
	}
	if _, isT := sub.(*testing.T); !isT || sub == T(t) {
		t.Fatalf("subtest got %T %p, want a new *testing.T", sub, sub)
	}
	if got, want := sub.Name(), t.Name()+"/sub"; got != want {
		t.Errorf("subtest name = %q, want %q", got, want)
	}
}

func TestRunWithSubtester(t *testing.T) {
	var out bytes.Buffer
	r := NewRunner(&out, RunnerOptions{})
	var name string
	r.Run("outer", func(rt T) {
		if run(rt, "inner", func(st T) { name = st.Name(); st.Error("bad") }) {
			rt.Error("run returned true for a failing subtest")
		}
	})
	if name != "outer/inner" {
		t.Errorf("subtest name = %q, want %q", name, "outer/inner")
	}
	if got, want := summary(r), (counts{failed: 1}); got != want {
		t.Errorf("Summary() = %+v, want %+v\n%s", got, want, out.String())
	}
}

// plainT is a T that cannot run subtests.
type plainT struct {
	T      // unused methods panic
	failed bool
}

func (p *plainT) Failed() bool { return p.failed }

func TestRunInline(t *testing.T) {
	p := &plainT{}
	var got T
	if !run(p, "sub", func(st T) { got = st }) {
		t.Error("run returned false for a passing function")
	}
	if got != T(p) {
		t.Errorf("f got %v, want the T itself", got)
	}
	if run(p, "sub", func(T) { p.failed = true }) {
		t.Error("run returned true after the T failed")
	}
}
