package conformance

import (
	"fmt"
	"regexp"
	"sort"
)

// skipList is Config.Skip compiled once: each pattern is matched against the
// full name of every test and subtest ("compute/instances/floating-ips" and
// "compute/instances/floating-ips/freed-by-instance-delete"), so a harness can
// skip the one check an emulator cannot serve and still run the rest.
type skipList []skipRule

type skipRule struct {
	pattern *regexp.Regexp
	reason  string
}

// compileSkips checks every pattern up front: a typo in a skip file should stop
// the run, not silently skip nothing.
func compileSkips(skips map[string]string) (skipList, error) {
	patterns := make([]string, 0, len(skips))
	for p := range skips {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns) // the first match gives the reason; keep that stable
	out := make(skipList, 0, len(patterns))
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("skip pattern %q: %w", p, err)
		}
		out = append(out, skipRule{re, skips[p]})
	}
	return out, nil
}

// reason returns why the test or subtest called name is skipped, if it is.
func (l skipList) reason(name string) (string, bool) {
	for _, r := range l {
		if r.pattern.MatchString(name) {
			return r.reason, true
		}
	}
	return "", false
}

// skippingT runs a test's subtests through the skip list. It wraps the T of a
// test (and, in turn, of each subtest), remembering the full name the skip
// patterns are matched against, which t.Name() cannot give: under go test it
// starts with the Go test function's name.
type skippingT struct {
	T
	path  string
	skips skipList
}

// Run implements Subtester: a subtest the skip list names is reported as
// skipped with its reason, and the others run with their own skippingT.
func (t skippingT) Run(name string, f func(T)) bool {
	full := t.path + "/" + name
	if reason, ok := t.skips.reason(full); ok {
		return run(t.T, name, func(st T) { st.Skip(reason) })
	}
	return run(t.T, name, func(st T) { f(skippingT{st, full, t.skips}) })
}
