package conformance

import (
	"context"
	"testing"
)

// T is what a conformance test needs from its runner; *testing.T satisfies it,
// and so does the T a [Runner] hands to its tests.
//
// The methods mean what they mean on *testing.T: FailNow, Fatal, Fatalf, SkipNow,
// Skip and Skipf end the test by calling runtime.Goexit, so they must be called
// from the goroutine running the test, and Context is canceled just before the
// Cleanup functions run.
type T interface {
	Helper()
	Name() string
	Log(args ...any)
	Logf(format string, args ...any)
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Skipf(format string, args ...any)
	Fail()
	FailNow()
	SkipNow()
	Failed() bool
	Skipped() bool
	Cleanup(func())
	Context() context.Context
}

// Subtester is implemented by a T that can run subtests. *testing.T has its own
// Run, taking a func(*testing.T), and is handled separately by the suite.
type Subtester interface {
	// Run runs f as a subtest of the receiver called name and reports whether
	// it succeeded. It returns when f has returned or ended the test.
	Run(name string, f func(T)) bool
}

var (
	_ T         = (*testing.T)(nil)
	_ T         = (*test)(nil)
	_ Subtester = (*test)(nil)
	_ Subtester = (*Runner)(nil)
)

// run runs f as the subtest name of t and reports whether it succeeded.
//
// A T that can neither be a *testing.T nor a Subtester gets f run inline, on
// t itself: the subtest has no name of its own, and a FailNow or SkipNow in f
// ends the caller too.
func run(t T, name string, f func(T)) bool {
	switch t := t.(type) {
	case *testing.T:
		return t.Run(name, func(st *testing.T) { f(st) })
	case Subtester:
		return t.Run(name, f)
	}
	f(t)
	return !t.Failed()
}
