package conformance

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"regexp/syntax"
	"runtime"
	"strings"
	"sync"
	"time"
)

// RunnerOptions configure a [Runner].
type RunnerOptions struct {
	// Run selects tests by full name, the slash-separated path of test and
	// subtest names ("Objects/PutGet/empty"). Unlike go test -run it is one
	// regular expression matched against the whole path. Nil runs every test.
	// See [Runner] for how tests that contain subtests are treated.
	Run *regexp.Regexp
	// Verbose prints the log of passing and skipped tests too; the log of a
	// failing test is always printed.
	Verbose bool
	// Context is the parent of every test's Context. Nil means
	// context.Background().
	Context context.Context
}

// Runner runs conformance tests without the testing package, for the
// command-line tool. It prints one line per test as the test ends:
//
//	PASS  Objects/PutGet (0.12s)
//	FAIL  Objects/Delete (0.03s)
//	    objects.go:88: delete "a": not found
//	SKIP  Compute/Create: provider has no compute
//
// and [Runner.PrintSummary] ends the output with "N passed, N failed, N skipped".
//
// Tests are run as with go test: each in its own goroutine, so FailNow, Fatal
// and SkipNow end only that test; a panic is recovered and fails the test;
// Cleanup functions run last-in first-out once the test has ended, however it
// ended. Subtests run one at a time, each to the end before Run returns.
//
// Counting and filtering work on leaves. A test that calls Run is a group: it
// is counted and printed only if it fails or skips by itself (an error,
// panic, failing Cleanup or Skip of its own, not just a failing subtest). A test
// that never calls Run is a leaf and is always counted when reported.
//
// With a filter, a test is selected when the filter matches its full name or
// it is below a selected test, so "^Objects$" selects every test under
// Objects. A test that is not selected is still run if the filter could match
// the name of a test below it, because only running its body reveals its
// subtests; if it then turns out to be a leaf that passed, it is dropped
// without a line and not counted. It is reported if it fails or skips, since it
// may be a group that stopped before reaching its subtests. Any other test is
// not run. An unanchored filter such as "PutGet" can match below any test, so
// every test body runs to look for subtests; anchor the filter
// ("^Objects/PutGet") to run only the tests on the way to a match.
type Runner struct {
	w    io.Writer
	opts RunnerOptions

	mu                      sync.Mutex // serialises output and guards the counts
	passed, failed, skipped int
}

// NewRunner returns a Runner that writes its report to w.
func NewRunner(w io.Writer, opts RunnerOptions) *Runner {
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	return &Runner{w: w, opts: opts}
}

// Run runs f as the top-level test name and reports whether it succeeded.
// It returns true for a test that was skipped or not run because of the filter.
func (r *Runner) Run(name string, f func(T)) bool {
	return r.run(nil, name, f)
}

// Summary returns the number of tests that passed, failed and were skipped.
func (r *Runner) Summary() (passed, failed, skipped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.passed, r.failed, r.skipped
}

// Failed reports whether any test failed.
func (r *Runner) Failed() bool {
	_, failed, _ := r.Summary()
	return failed > 0
}

// PrintSummary writes the line "N passed, N failed, N skipped", which CI
// scripts look for as the last line of the output.
func (r *Runner) PrintSummary() {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped)
}

func (r *Runner) run(parent *test, name string, f func(T)) bool {
	full, ctx := name, r.opts.Context
	selected := r.opts.Run == nil
	if parent != nil {
		parent.mu.Lock()
		parent.group = true
		parent.mu.Unlock()
		full, ctx = parent.name+"/"+name, parent.ctx
		selected = selected || parent.selected
	}
	selected = selected || r.opts.Run.MatchString(full)
	if !selected && !mayMatchBelow(r.opts.Run, full) {
		return true
	}

	t := &test{r: r, parent: parent, name: full, selected: selected}
	t.ctx, t.cancel = context.WithCancel(ctx)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.exec(f)
	}()
	<-done
	r.report(t, time.Since(start))
	return !t.Failed()
}

// report prints and counts a finished test, following the rules in the
// Runner documentation.
func (r *Runner) report(t *test, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var status string
	switch {
	case t.ownFailed:
		status = "FAIL"
	case t.skipped:
		status = "SKIP"
	case t.group || !t.selected:
		if !t.group || !r.opts.Verbose || len(t.logs) == 0 {
			return
		}
		status = "GROUP" // a verbose group's own log; not counted
	default:
		status = "PASS"
	}

	var b strings.Builder
	if status == "SKIP" {
		b.WriteString("SKIP  " + t.name)
		if t.skipReason != "" {
			b.WriteString(": " + t.skipReason)
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "%-5s %s (%.2fs)\n", status, t.name, d.Seconds())
	}
	if status == "FAIL" || r.opts.Verbose {
		for _, entry := range t.logs {
			b.WriteString(indent(entry))
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	switch status {
	case "PASS":
		r.passed++
	case "FAIL":
		r.failed++
	case "SKIP":
		r.skipped++
	}
	io.WriteString(r.w, b.String())
}

// late reports output from a test that has already finished, typically
// written by a goroutine the test left running. An error counts as a failure.
func (r *Runner) late(t *test, msg string, isError bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if isError {
		r.failed++
		fmt.Fprintf(r.w, "FAIL  %s: reported after the test finished:\n%s", t.name, indent(msg))
		return
	}
	fmt.Fprintf(r.w, "      %s: logged after the test finished:\n%s", t.name, indent(msg))
}

// indent formats one log entry for the report: four spaces before its first
// line, eight before the others.
func indent(entry string) string {
	return "    " + strings.ReplaceAll(entry, "\n", "\n        ") + "\n"
}

// test is the T a Runner passes to a test function.
type test struct {
	r        *Runner
	parent   *test
	name     string // full name
	selected bool
	ctx      context.Context
	cancel   context.CancelFunc

	mu         sync.Mutex
	logs       []string // "file.go:12: message" entries, in order
	failed     bool     // this test or one of its subtests failed
	ownFailed  bool     // this test failed by itself, not only through subtests
	skipped    bool
	skipReason string
	group      bool // Run was called
	finished   bool // the test and its Cleanup functions have returned
	cleanups   []func()
	helpers    map[string]bool // functions marked by Helper
}

// exec runs the test function, then its Cleanup functions, on the calling
// goroutine, which the test may end with runtime.Goexit.
func (t *test) exec(f func(T)) {
	defer func() {
		// Runs whether f returned, called runtime.Goexit or panicked.
		if p := recover(); p != nil {
			t.errorEntry(fmt.Sprintf("panic: %v\n%s", p, panicStack()))
		}
		t.cancel()
		t.runCleanups()
		t.mu.Lock()
		t.finished = true
		t.mu.Unlock()
	}()
	f(t)
}

func (t *test) runCleanups() {
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			return
		}
		fn := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()

		// A goroutine per function, so that a FailNow in one ends only that one.
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if p := recover(); p != nil {
					t.errorEntry(fmt.Sprintf("panic in Cleanup: %v\n%s", p, panicStack()))
				}
			}()
			fn()
		}()
		<-done
	}
}

// Run runs f as a subtest of t; see [Runner.Run].
func (t *test) Run(name string, f func(T)) bool { return t.r.run(t, name, f) }

func (t *test) Name() string { return t.name }

func (t *test) Context() context.Context { return t.ctx }

func (t *test) Log(args ...any) { t.logEntry(sprintln(args...)) }

func (t *test) Logf(format string, args ...any) { t.logEntry(fmt.Sprintf(format, args...)) }

func (t *test) Error(args ...any) { t.errorEntry(t.callSite() + sprintln(args...)) }

func (t *test) Errorf(format string, args ...any) {
	t.errorEntry(t.callSite() + fmt.Sprintf(format, args...))
}

func (t *test) Fatal(args ...any) {
	t.errorEntry(t.callSite() + sprintln(args...))
	runtime.Goexit()
}

func (t *test) Fatalf(format string, args ...any) {
	t.errorEntry(t.callSite() + fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (t *test) Skip(args ...any) { t.skip(sprintln(args...)) }

func (t *test) Skipf(format string, args ...any) { t.skip(fmt.Sprintf(format, args...)) }

func (t *test) SkipNow() { t.skip("") }

func (t *test) skip(reason string) {
	t.mu.Lock()
	if !t.skipped {
		t.skipped, t.skipReason = true, reason
	}
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *test) Fail() { t.fail("", false) }

func (t *test) FailNow() {
	t.fail("", false)
	runtime.Goexit()
}

func (t *test) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *test) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

func (t *test) Cleanup(f func()) {
	t.mu.Lock()
	finished := t.finished
	if !finished {
		t.cleanups = append(t.cleanups, f)
	}
	t.mu.Unlock()
	if finished {
		t.r.late(t, "Cleanup called after the test finished; the function is not run", true)
	}
}

func (t *test) Helper() {
	var pc [1]uintptr
	if runtime.Callers(2, pc[:]) == 0 {
		return
	}
	frame, _ := runtime.CallersFrames(pc[:]).Next()
	t.mu.Lock()
	if t.helpers == nil {
		t.helpers = make(map[string]bool)
	}
	t.helpers[frame.Function] = true
	t.mu.Unlock()
}

func (t *test) logEntry(msg string) {
	entry := t.callSite() + msg
	t.mu.Lock()
	finished := t.finished
	if !finished {
		t.logs = append(t.logs, entry)
	}
	t.mu.Unlock()
	if finished {
		t.r.late(t, entry, false)
	}
}

// errorEntry logs entry and marks the test as failed by itself.
func (t *test) errorEntry(entry string) { t.fail(entry, true) }

// fail logs entry, if any, and marks t failed, and its ancestors, as testing
// does. A Fail without a message on a test already failed by a subtest (a
// group checking what Run returned) adds nothing to report, so it does not
// count as a failure of its own.
func (t *test) fail(entry string, withMessage bool) {
	t.mu.Lock()
	if t.finished {
		t.mu.Unlock()
		if !withMessage {
			entry = "Fail called after the test finished"
		}
		t.r.late(t, entry, true)
		return
	}
	if withMessage {
		t.logs = append(t.logs, entry)
	}
	if withMessage || !t.failed {
		t.ownFailed = true
	}
	t.failed = true
	t.mu.Unlock()
	for p := t.parent; p != nil; p = p.parent {
		p.mu.Lock()
		p.failed = true
		p.mu.Unlock()
	}
}

// callSite returns "file.go:line: " for the first caller outside this type
// and outside functions marked by Helper, as testing does.
func (t *test) callSite() string {
	var pcs [50]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	self := selfPrefix()
	var outer runtime.Frame // the outermost helper seen, for a test whose body is a helper
	for {
		frame, more := frames.Next()
		switch {
		case frame.Function == self+"exec":
			more = false
		case strings.HasPrefix(frame.Function, self):
		case t.isHelper(frame.Function):
			outer = frame
		default:
			return fmt.Sprintf("%s:%d: ", filepath.Base(frame.File), frame.Line)
		}
		if !more {
			break
		}
	}
	if outer.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", filepath.Base(outer.File), outer.Line)
}

// isHelper reports whether fn was marked by Helper on t or an ancestor: a
// helper called with a parent T stays a helper in its subtests, as in testing.
func (t *test) isHelper(fn string) bool {
	for c := t; c != nil; c = c.parent {
		c.mu.Lock()
		ok := c.helpers[fn]
		c.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// selfPrefix is the prefix of the function names of test's methods.
func selfPrefix() string {
	return reflect.TypeFor[test]().PkgPath() + ".(*test)."
}

// sprintln formats like fmt.Sprintln without the newline, as testing's Log does.
func sprintln(args ...any) string {
	return strings.TrimSuffix(fmt.Sprintln(args...), "\n")
}

// maxStackFrames bounds the stack printed for a panic: the frames nearest the
// panic locate it; the rest is the suite and the runner.
const maxStackFrames = 10

// panicStack returns the stack of the panic being recovered by its caller,
// from the panicking function up to the test function.
func panicStack() string {
	var pcs [64]uintptr
	n := runtime.Callers(2, pcs[:])
	var all []runtime.Frame
	frames := runtime.CallersFrames(pcs[:n])
	for {
		frame, more := frames.Next()
		all = append(all, frame)
		if !more {
			break
		}
	}
	// Drop the recovering function and the runtime's panic machinery.
	start := 0
	for i, frame := range all {
		if frame.Function == "runtime.gopanic" {
			start = i + 1
		}
	}
	for start < len(all) && strings.HasPrefix(all[start].Function, "runtime.") {
		start++
	}

	var b strings.Builder
	self := selfPrefix()
	for i, frame := range all[start:] {
		if i == maxStackFrames || strings.HasPrefix(frame.Function, self) ||
			strings.HasPrefix(frame.Function, "runtime.") {
			break
		}
		fmt.Fprintf(&b, "%s\n    %s:%d\n", frame.Function, frame.File, frame.Line)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// mayMatchBelow reports whether re could match the full name of a test below
// the test called name, that is whether re matches name + "/" + s for some s.
// It runs re's program over name + "/" and asks whether a thread is still
// alive. An unanchored re can always start matching inside s, so the answer
// is then yes; an anchored one prunes the tests off its path.
func mayMatchBelow(re *regexp.Regexp, name string) bool {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return true // cannot tell, so run the test
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return true
	}
	var pending []uint32 // instructions reached by consuming the previous rune
	prev := rune(-1)
	for _, r := range name + "/" {
		// MatchString searches, so a match may start at every position.
		live := closure(prog, append(pending, uint32(prog.Start)), syntax.EmptyOpContext(prev, r))
		pending = pending[:0]
		for _, pc := range live {
			inst := &prog.Inst[pc]
			switch {
			case inst.Op == syntax.InstMatch:
				return true // re matches inside name + "/", so below it too
			case consumes(inst, r):
				pending = append(pending, inst.Out)
			}
		}
		prev = r
	}
	// The next rune is unknown: allow every empty-width assertion that some
	// continuation (end of text, a word rune, a separator, a newline) allows.
	var flags syntax.EmptyOp
	for _, next := range []rune{-1, 'a', '/', '\n'} {
		flags |= syntax.EmptyOpContext(prev, next)
	}
	return len(closure(prog, append(pending, uint32(prog.Start)), flags)) > 0
}

// closure follows the instructions that consume no input from pcs and
// returns the ones that do, or that match.
func closure(prog *syntax.Prog, pcs []uint32, flags syntax.EmptyOp) []uint32 {
	seen := make([]bool, len(prog.Inst))
	stack := append([]uint32(nil), pcs...)
	var out []uint32
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		inst := &prog.Inst[pc]
		switch inst.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, inst.Out, inst.Arg)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, inst.Out)
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(inst.Arg)&^flags == 0 {
				stack = append(stack, inst.Out)
			}
		case syntax.InstFail:
		default:
			out = append(out, pc)
		}
	}
	return out
}

func consumes(inst *syntax.Inst, r rune) bool {
	switch inst.Op {
	case syntax.InstRune, syntax.InstRune1:
		return inst.MatchRune(r)
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return r != '\n'
	}
	return false
}
