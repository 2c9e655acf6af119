package mock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
	"github.com/hashicorp/go-hclog"
)

// Name is the provider name; the binary is cloudbridge-plugin-mock.
const Name = "mock"

// Defaults of the settings.
const (
	DefaultRegion   = "mock-east-1"
	DefaultBootTime = 50 * time.Millisecond
)

// Cloud is one mock cloud account. Its zero value is not usable; call New.
// All its methods are safe for concurrent use.
type Cloud struct {
	mu  sync.Mutex // guards everything below, and serialises every call's state access
	cfg config
	log hclog.Logger
	// mem is the state when no state file is configured.
	mem *state

	// data and urls have locks of their own: object bytes live in files of
	// the data directory, and presigned URLs are served over HTTP.
	data dataDir
	urls *urlServer
}

// config is the parsed settings.
type config struct {
	region, zone string
	latency      time.Duration
	bootTime     time.Duration
	stateFile    string
	dataDir      string // "" = a temporary directory (datadir.go)
	failRate     float64
	failCode     sdk.Code
	failAfter    bool // fail_phase=after: faults hit changes after they are kept
}

// New returns an empty cloud with the default settings, usable at once: Configure
// is needed only to change them.
func New() *Cloud {
	c := &Cloud{
		cfg: config{
			region:   DefaultRegion,
			zone:     regionByName(DefaultRegion).Zones[0].Name,
			bootTime: DefaultBootTime,
			failCode: sdk.CodeUnavailable,
		},
		log: hclog.NewNullLogger(),
		mem: newState(),
	}
	c.urls = &urlServer{c: c}
	return c
}

// Plugin returns the plugin serving c, to hand to sdk.Serve or to drive in
// process.
func (c *Cloud) Plugin(version string) sdk.Plugin {
	inst := &instances{c}
	return sdk.Plugin{
		Name:      Name,
		Version:   version,
		Settings:  Settings(),
		Configure: c.Configure,
		Probe:     c.Probe,
		Compute: &sdk.Compute{
			Regions:   &regions{c},
			VMTypes:   &vmTypes{c},
			Images:    &images{c},
			Instances: inst,
		},
		Storage: &sdk.Storage{
			Volumes:   &volumes{c},
			Snapshots: &snapshots{c},
		},
		ObjectStore: &sdk.ObjectStore{
			Buckets: &buckets{c},
			Objects: &objects{c},
		},
		Shutdown: func() { _ = c.Close() },
		Security: &sdk.Security{
			KeyPairs:    &keyPairs{c},
			VMFirewalls: &vmFirewalls{c},
			Rules:       &vmFirewallRules{c},
		},
		Network: &sdk.Network{
			Networks:    &networks{c},
			Subnets:     &subnets{c},
			Routers:     &routers{c},
			Gateways:    &gateways{c},
			FloatingIPs: &floatingIPs{c},
		},
		DNS: &sdk.DNS{
			Zones:   &dnsZones{c},
			Records: &dnsRecords{c},
		},
	}
}

// Settings documents the settings Configure accepts. None is secret and none is
// required.
func Settings() []sdk.SettingSpec {
	return []sdk.SettingSpec{
		{Name: "region", Default: DefaultRegion,
			Description: `Region to work in: "mock-east-1" (zones mock-east-1a, -1b, -1c) or "mock-west-1" (zones mock-west-1a, -1b).`},
		{Name: "zone",
			Description: "Zone to work in; default the region's first zone."},
		{Name: "state_file",
			Description: "Keep the cloud's state as JSON in this file instead of in memory, so that it outlives the process " +
				"and can be shared by several processes (the file is locked with flock around every change). " +
				"The file holds generated private keys of retried creates; keep it private."},
		{Name: "data_dir",
			Description: "Directory that holds object bytes, one file per object (the state holds only their info). " +
				"Default: <state_file>.data beside a state file, else a temporary directory removed when the plugin stops."},
		{Name: "latency", Default: "0s",
			Description: `Delay added before every call (a Go duration such as "20ms"); a call whose context ends first fails with Canceled or DeadlineExceeded.`},
		{Name: "boot_time", Default: DefaultBootTime.String(),
			Description: "How long instances stay pending (and rebooting), images, snapshots and networks pending and volumes creating, as a Go duration."},
		{Name: "fail_rate", Default: "0",
			Description: "Probability, from 0 to 1, that a service call fails with fail_code before doing anything (fault injection). Configure and Probe never fail this way."},
		{Name: "fail_code", Default: string(sdk.CodeUnavailable),
			Description: "Error code of injected faults, one of the contract's codes (e.g. Unavailable, ResourceExhausted, Internal)."},
		{Name: "fail_phase", Default: "before",
			Description: `When injected faults happen: "before" a call does anything, or "after" a call that changes the cloud has kept its change ` +
				`(the answer is lost, as when a connection drops after the cloud acted; calls that change nothing then never fail). ` +
				`"after" is how a client proves that its retries of creates and deletes are safe.`},
	}
}

// Configure applies the settings and returns where the cloud now works. A bad
// value is InvalidArgument naming the setting. With state_file set, the file is
// read at once so that a damaged file is reported here.
func (c *Cloud) Configure(ctx context.Context, cc sdk.Config) (sdk.Location, error) {
	if err := ctx.Err(); err != nil {
		return sdk.Location{}, ctxError(err)
	}
	log := cc.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Name] = true
	}
	for name := range cc.Settings {
		if !known[name] {
			log.Warn("ignoring unknown setting", "setting", name)
		}
	}

	cfg, err := parseConfig(cc)
	if err != nil {
		return sdk.Location{}, err
	}
	if cfg.stateFile != "" {
		if _, err := readStateFile(cfg.stateFile); err != nil {
			return sdk.Location{}, err
		}
	}

	c.mu.Lock()
	c.cfg = cfg
	c.log = log
	c.mu.Unlock()
	log.Debug("configured", "region", cfg.region, "zone", cfg.zone, "state_file", cfg.stateFile,
		"latency", cfg.latency, "boot_time", cfg.bootTime, "fail_rate", cfg.failRate)
	return sdk.Location{Region: cfg.region, Zone: cfg.zone}, nil
}

func parseConfig(cc sdk.Config) (config, error) {
	cfg := config{region: DefaultRegion, bootTime: DefaultBootTime, failCode: sdk.CodeUnavailable}
	if v, ok := cc.Get("region"); ok && v != "" {
		cfg.region = v
	}
	r := regionByName(cfg.region)
	if r == nil {
		return config{}, sdk.InvalidArgument("region", cfg.region, "unknown region; the mock has "+strings.Join(regionNames(), ", "))
	}
	cfg.zone = r.Zones[0].Name
	if v, ok := cc.Get("zone"); ok && v != "" {
		if !slices.ContainsFunc(r.Zones, func(z sdk.Zone) bool { return z.Name == v }) {
			return config{}, sdk.InvalidArgument("zone", v, "not a zone of region "+cfg.region)
		}
		cfg.zone = v
	}
	duration := func(name string, dst *time.Duration) error {
		v, ok := cc.Get(name)
		if !ok || v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return sdk.InvalidArgument(name, v, `not a non-negative Go duration such as "50ms"`)
		}
		*dst = d
		return nil
	}
	if err := duration("latency", &cfg.latency); err != nil {
		return config{}, err
	}
	if err := duration("boot_time", &cfg.bootTime); err != nil {
		return config{}, err
	}
	if v, ok := cc.Get("state_file"); ok && v != "" {
		abs, err := filepath.Abs(v)
		if err != nil {
			return config{}, sdk.InvalidArgument("state_file", v, err.Error())
		}
		if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
			return config{}, sdk.InvalidArgument("state_file", v, "its directory does not exist")
		}
		cfg.stateFile = abs
		cfg.dataDir = abs + ".data"
	}
	if v, ok := cc.Get("data_dir"); ok && v != "" {
		abs, err := filepath.Abs(v)
		if err != nil {
			return config{}, sdk.InvalidArgument("data_dir", v, err.Error())
		}
		if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
			return config{}, sdk.InvalidArgument("data_dir", v, "is not a directory")
		} else if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
			return config{}, sdk.InvalidArgument("data_dir", v, "its parent directory does not exist")
		}
		cfg.dataDir = abs
	}
	if v, ok := cc.Get("fail_rate"); ok && v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return config{}, sdk.InvalidArgument("fail_rate", v, "not a number from 0 to 1")
		}
		cfg.failRate = f
	}
	if v, ok := cc.Get("fail_code"); ok && v != "" {
		i := slices.IndexFunc(sdk.Codes, func(code sdk.Code) bool { return strings.EqualFold(string(code), v) })
		if i < 0 {
			return config{}, sdk.InvalidArgument("fail_code", v, "not one of the contract's error codes")
		}
		cfg.failCode = sdk.Codes[i]
	}
	switch v, _ := cc.Get("fail_phase"); v {
	case "", "before":
	case "after":
		cfg.failAfter = true
	default:
		return config{}, sdk.InvalidArgument("fail_phase", v, `must be "before" or "after"`)
	}
	return cfg, nil
}

// Probe answers whether the cloud is usable: always, unless the state file cannot
// be read. It is subject to the latency setting but not to fault injection, so
// that a host can start against a flaky mock.
func (c *Cloud) Probe(ctx context.Context) error {
	cfg, err := c.delay(ctx)
	if err != nil {
		return err
	}
	if cfg.stateFile != "" {
		_, err := readStateFile(cfg.stateFile)
		return err
	}
	return nil
}

// delay is the first thing every call does: check the context, then wait out the
// configured latency. It returns the settings in force for the call.
func (c *Cloud) delay(ctx context.Context) (config, error) {
	if err := ctx.Err(); err != nil {
		return config{}, ctxError(err)
	}
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if cfg.latency > 0 {
		t := time.NewTimer(cfg.latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return config{}, ctxError(ctx.Err())
		case <-t.C:
		}
	}
	return cfg, nil
}

// begin starts a service call: delay, then maybe an injected fault.
func (c *Cloud) begin(ctx context.Context) (config, error) {
	cfg, err := c.delay(ctx)
	if err != nil {
		return config{}, err
	}
	if !cfg.failAfter {
		if err := injectedFault(cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

// injectedFault rolls the fail_rate dice.
func injectedFault(cfg config) error {
	if cfg.failRate > 0 && rand.Float64() < cfg.failRate {
		return &sdk.Error{
			Code:         cfg.failCode,
			Message:      "fault injected by the mock's fail_rate setting",
			ProviderCode: "MockInjectedFault",
			Retryable:    cfg.failCode.Retryable(),
		}
	}
	return nil
}

// txn is what a call's body sees: the state (loaded fresh when it lives in a
// file), the settings, and one clock reading so that a call is consistent with
// itself.
type txn struct {
	*state
	cfg config
	now time.Time
}

// read runs fn on the current state without changing it.
func (c *Cloud) read(ctx context.Context, fn func(t *txn) error) error {
	return c.run(ctx, false, fn)
}

// write runs fn on the current state and keeps what it changed if it returns nil.
// fn must not change anything before it has decided to succeed: in memory there is
// no rollback.
func (c *Cloud) write(ctx context.Context, fn func(t *txn) error) error {
	return c.run(ctx, true, fn)
}

func (c *Cloud) run(ctx context.Context, mutate bool, fn func(t *txn) error) error {
	cfg, err := c.begin(ctx)
	if err != nil {
		return err
	}
	return c.locked(ctx, cfg, mutate, fn)
}

// locked is run without begin, for a call that needs the state more than once.
func (c *Cloud) locked(ctx context.Context, cfg config, mutate bool, fn func(t *txn) error) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if err == nil && mutate && cfg.failAfter {
			err = injectedFault(cfg) // the change is kept; its answer is lost
		}
	}()
	t := &txn{state: c.mem, cfg: cfg}
	if cfg.stateFile == "" {
		t.now = now()
		return fn(t)
	}

	// Another process may have changed the file since our last call, so it is
	// re-read every time; rename makes each version complete, so a reader needs
	// no lock, a writer does (to not lose a concurrent writer's change).
	if mutate {
		unlock, err := lockFile(ctx, cfg.stateFile+".lock")
		if err != nil {
			return err
		}
		defer unlock()
	}
	if t.state, err = readStateFile(cfg.stateFile); err != nil {
		return err
	}
	t.now = now()
	if err := fn(t); err != nil {
		return err
	}
	if mutate {
		return writeStateFile(cfg.stateFile, t.state)
	}
	return nil
}

// now is the clock of every state machine: wall time, in UTC and without a
// monotonic reading, so that times compare equal after a round trip through the
// state file or the wire.
func now() time.Time { return time.Now().UTC() }

// ctxError maps a context's error to the contract's code.
func ctxError(err error) error {
	code := sdk.CodeCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = sdk.CodeDeadlineExceeded
	}
	return &sdk.Error{Code: code, Message: err.Error(), Err: err}
}

// missing is NotFound for a resource named by a parameter of the call, so that
// the caller learns which argument was wrong.
func missing(param, kind, id string) *sdk.Error {
	e := sdk.NotFound(kind, id)
	e.Param = param
	return e
}

// failedPrecondition is FailedPrecondition with a formatted message.
func failedPrecondition(format string, args ...any) *sdk.Error {
	return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: fmt.Sprintf(format, args...)}
}

// validateDescription applies the strictest of the clouds' description limits
// (AWS: 255 characters).
func validateDescription(d string) error {
	if len(d) > 255 {
		return sdk.InvalidArgument("description", d[:32]+"...", fmt.Sprintf("must be at most 255 bytes, not %d", len(d)))
	}
	return nil
}
