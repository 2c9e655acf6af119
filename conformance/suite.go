package conformance

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
)

// Config tunes a run. The zero value is ready to use.
type Config struct {
	// NamePrefix starts the name of every resource the suite makes ("cbconf").
	NamePrefix string
	// PageSize is the page size of paging tests, small to force several pages (2).
	PageSize int
	// ImageID and VMTypeID pick what test instances run; "" picks the first
	// available public image and the smallest VM type.
	ImageID  string
	VMTypeID string
	// Timeout bounds each test (5 minutes when 0).
	Timeout time.Duration
	// Skip maps a name pattern (regexp) to a reason: the tests and subtests
	// whose full name it matches ("network/subnets/crud",
	// "compute/instances/floating-ips/freed-by-instance-delete") are skipped
	// with it. Harness authors use it for known gaps of an emulator.
	Skip map[string]string
	// WaitPolicy is how waits poll; zero uses a policy suited to fast clouds.
	WaitPolicy host.WaitPolicy
}

func (c Config) withDefaults() Config {
	if c.NamePrefix == "" {
		c.NamePrefix = "cbconf"
	}
	if c.PageSize <= 0 {
		c.PageSize = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.WaitPolicy == (host.WaitPolicy{}) {
		c.WaitPolicy = host.WaitPolicy{MinInterval: 20 * time.Millisecond, MaxInterval: 2 * time.Second}
	}
	return c
}

// Test is one conformance check.
type Test struct {
	// Name is slash-separated, family first: "compute/instances/crud".
	Name string
	// Needs lists the capabilities the test exercises; without them it is skipped.
	Needs []string
	// Run performs the check.
	Run func(t T, e *Env)
}

// registry collects the suite's tests; each family file adds its own in a
// function listed in Tests.
func Tests() []Test {
	var all []Test
	for _, group := range [][]Test{
		contractTests(),
		computeTests(),
		securityTests(),
		interfaceTests(),
		storageTests(),
		objectStoreTests(),
		transferTests(),
		networkTests(),
		dnsTests(),
	} {
		all = append(all, group...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// Names lists the names of the tests that filter selects (nil = all).
func Names(filter *regexp.Regexp) []string {
	var out []string
	for _, test := range Tests() {
		if filter == nil || filter.MatchString(test.Name) {
			out = append(out, test.Name)
		}
	}
	return out
}

// Run runs the whole suite against the harness's plugin, one subtest per Test.
// t is typically a *testing.T.
func Run(t T, h Harness, cfg Config) {
	t.Helper()
	s, err := start(t.Context(), h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	for _, test := range Tests() {
		run(t, test.Name, func(t T) { s.runTest(t, test) })
	}
}

// RunWith runs the whole suite under a Runner, each test at top level, as the
// CLI does. It fails only when a skip pattern does not compile or the plugin
// cannot be opened; test failures are in the Runner's summary.
func RunWith(ctx context.Context, r *Runner, h Harness, cfg Config) error {
	s, err := start(ctx, h, cfg)
	if err != nil {
		return err
	}
	defer s.close()
	for _, test := range Tests() {
		r.Run(test.Name, func(t T) { s.runTest(t, test) })
	}
	return nil
}

func start(ctx context.Context, h Harness, cfg Config) (*suite, error) {
	cfg = cfg.withDefaults()
	skips, err := compileSkips(cfg.Skip)
	if err != nil {
		return nil, err
	}
	p, err := h.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open plugin: %w", err)
	}
	p.WaitPolicy = cfg.WaitPolicy
	return &suite{p: p, h: h, cfg: cfg, skips: skips}, nil
}

func (s *suite) close() { _ = s.p.Close() }

type suite struct {
	p     *host.Provider
	h     Harness
	cfg   Config
	skips skipList
}

func (s *suite) runTest(t T, test Test) {
	if reason, ok := s.skips.reason(test.Name); ok {
		t.Skip(reason)
	}
	t = skippingT{t, test.Name, s.skips}
	if missing := s.missing(test.Needs); len(missing) > 0 {
		t.Skipf("plugin %s does not advertise %s", s.p.Name, strings.Join(missing, ", "))
	}
	ctx, cancel := context.WithTimeout(t.Context(), s.cfg.Timeout)
	t.Cleanup(cancel)
	e := newEnv(ctx, t, s)
	test.Run(t, e)
}

func (s *suite) missing(needs []string) []string {
	var out []string
	for _, c := range needs {
		if !s.p.Has(c) {
			out = append(out, c)
		}
	}
	return slices.Compact(out)
}

// must fails the test at once when err is not nil.
func must(t T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
