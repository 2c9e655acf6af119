package host

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Settings configure one provider account: region, endpoints, credentials. Which
// keys a plugin accepts, and which are secret, it says in its Description.
type Settings map[string]string

// Provider is one configured cloud account, served by one plugin process. Its
// fields are the object graph of the portable API (DESIGN §3); every family is
// there whatever the plugin supports, and calls to what the plugin lacks fail
// with ErrUnsupported.
type Provider struct {
	// Name is the provider name (the plugin's).
	Name string
	// Version is the plugin's version.
	Version string
	// Region and Zone are where this provider works.
	Region string
	Zone   string

	Compute    *ComputeService
	Storage    *StorageService
	Networking *NetworkingService
	Security   *SecurityService
	DNS        *DNSService

	// WaitPolicy is how WaitFor and WaitReady poll.
	WaitPolicy WaitPolicy

	conn    *connection
	drivers sdk.Plugin
	caps    map[string]bool
	info    Description
}

// Open finds the plugin binary for a provider name (see SearchDirs), starts it
// and configures it with settings. Close the provider to stop the plugin.
func Open(ctx context.Context, name string, settings Settings) (*Provider, error) {
	return OpenWith(ctx, name, settings, Options{})
}

// OpenWith is Open with options: an explicit binary path, a pinned checksum, a
// start timeout, a logger.
func OpenWith(ctx context.Context, name string, settings Settings, opts Options) (*Provider, error) {
	path := opts.Path
	if path == "" {
		var err error
		if path, err = FindPlugin(name); err != nil {
			return nil, err
		}
	} else if _, err := checkExecutable(path); err != nil {
		return nil, err
	}
	sum := opts.SHA256
	if sum == nil {
		var err error
		if sum, err = pinnedChecksum(path); err != nil {
			return nil, err
		}
	}
	conn, err := launch(ctx, name, path, sum, opts)
	if err != nil {
		return nil, err
	}
	p, err := newProvider(ctx, conn, settings)
	if err != nil {
		conn.close()
		return nil, err
	}
	return p, nil
}

// OpenInProcess serves plugin in this process (over a real gRPC connection, as
// a plugin binary would be) and opens it. Tests use it to run the conformance
// suite with the race detector and coverage.
func OpenInProcess(ctx context.Context, plugin sdk.Plugin, settings Settings) (*Provider, error) {
	return OpenInProcessWith(ctx, plugin, settings, Options{})
}

// OpenInProcessWith is OpenInProcess with options (only Logger applies).
func OpenInProcessWith(ctx context.Context, plugin sdk.Plugin, settings Settings, opts Options) (*Provider, error) {
	srv, err := sdk.ServeInProcess(ctx, plugin)
	if err != nil {
		return nil, err
	}
	conn, err := attach(ctx, plugin.Name, srv, opts)
	if err != nil {
		srv.Close()
		return nil, err
	}
	p, err := newProvider(ctx, conn, settings)
	if err != nil {
		conn.close()
		return nil, err
	}
	return p, nil
}

// newProvider asks the plugin who it is and what it can do, configures it, and
// builds the object graph.
func newProvider(ctx context.Context, conn *connection, settings Settings) (*Provider, error) {
	rc := conn.remote
	info, err := rc.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: get plugin info: %w", conn.name, err)
	}
	caps, err := rc.Capabilities(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: get capabilities: %w", conn.name, err)
	}
	plain, secrets, err := splitSettings(info.Name, info.Settings, settings)
	if err != nil {
		return nil, err
	}
	loc, err := rc.Configure(ctx, plain, secrets)
	if err != nil {
		return nil, fmt.Errorf("configure plugin %s: %w", info.Name, err)
	}
	p := &Provider{
		Name: info.Name, Version: info.Version, Region: loc.Region, Zone: loc.Zone,
		conn: conn, drivers: rc.Services(), caps: map[string]bool{},
		info: Description{Name: info.Name, Version: info.Version, SDKVersion: info.SDKVersion,
			ProtocolVersions: []int{info.ProtocolVersion}, Capabilities: caps, Settings: settingInfos(info.Settings)},
	}
	for _, c := range caps {
		p.caps[c] = true
	}
	p.build()
	return p, nil
}

// splitSettings routes settings the plugin marks secret into the secrets map, so
// they travel only in Configure's secret field, and refuses unknown keys (a typo
// in a setting name should not pass silently).
func splitSettings(plugin string, specs []sdk.SettingSpec, settings Settings) (plain, secrets map[string]string, err error) {
	known := map[string]sdk.SettingSpec{}
	for _, s := range specs {
		known[s.Name] = s
	}
	plain, secrets = map[string]string{}, map[string]string{}
	for k, v := range settings {
		spec, ok := known[k]
		if !ok {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, nil, &Error{Code: sdk.CodeInvalidArgument, Param: k, Message: fmt.Sprintf(
				"unknown setting %q for plugin %s (known: %s)", k, plugin, strings.Join(names, ", "))}
		}
		if spec.Secret {
			secrets[k] = v
		} else {
			plain[k] = v
		}
	}
	return plain, secrets, nil
}

func settingInfos(specs []sdk.SettingSpec) []SettingInfo {
	out := make([]SettingInfo, 0, len(specs))
	for _, s := range specs {
		out = append(out, SettingInfo{Name: s.Name, Description: s.Description, Secret: s.Secret,
			Required: s.Required, Default: s.Default, Env: s.Env})
	}
	return out
}

// Close stops the plugin. Calls made after Close fail.
func (p *Provider) Close() error {
	p.conn.close()
	return nil
}

// Capabilities lists what the plugin advertises, sorted.
func (p *Provider) Capabilities() []string {
	out := slices.Clone(p.info.Capabilities)
	sort.Strings(out)
	return out
}

// Has reports whether the plugin advertises a capability, e.g.
// "compute.instances" or "objectstore.multipart".
func (p *Provider) Has(capability string) bool { return p.caps[capability] }

// Describe returns what the plugin said of itself once connected.
func (p *Provider) Describe() Description { return p.info }

// Probe checks that the cloud is reachable with the configured credentials.
func (p *Provider) Probe(ctx context.Context) error {
	return p.finish("provider.probe", p.conn.remote.Probe(ctx))
}

// call runs one portable operation: it refuses an unadvertised capability
// locally, then maps the error (a dead plugin becomes ErrPluginCrashed) and
// prefixes it with the event name ("provider.compute.instances.create").
func call[T any](ctx context.Context, p *Provider, event, capability string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if capability != "" && !p.caps[capability] {
		return zero, fmt.Errorf("%s: %w", event, &Error{Code: sdk.CodeUnsupported,
			Message: fmt.Sprintf("plugin %s does not support %s", p.Name, capability)})
	}
	v, err := fn(ctx)
	if err != nil {
		return zero, p.finish(event, err)
	}
	return v, nil
}

// callAs is call for a method of an optional driver interface D: a plugin
// that advertises the capability but whose driver lacks the interface gets
// Unsupported, not a panic.
func callAs[D, T any](ctx context.Context, p *Provider, drv any, event, capability string, fn func(context.Context, D) (T, error)) (T, error) {
	return call(ctx, p, event, capability, func(ctx context.Context) (T, error) {
		d, ok := drv.(D)
		if !ok {
			var zero T
			return zero, sdk.Unsupported(capability)
		}
		return fn(ctx, d)
	})
}

// do is call for operations without a result.
func do(ctx context.Context, p *Provider, event, capability string, fn func(context.Context) error) error {
	_, err := call(ctx, p, event, capability, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	})
	return err
}

func (p *Provider) finish(event string, err error) error {
	if err == nil {
		return nil
	}
	code := sdk.CodeOf(err)
	if (code == sdk.CodeUnavailable || code == sdk.CodeInternal || code == sdk.CodeCanceled) && p.conn.exited(time.Second) {
		err = &PluginCrashedError{Plugin: p.Name, Stderr: p.conn.stderr.Lines(), Err: err}
	}
	return fmt.Errorf("%s: %w", event, err)
}

// newToken returns a fresh idempotency token: fixed once per logical create, so
// that a retry of the same create cannot make a second resource.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func defaultLogger() hclog.Logger {
	level := os.Getenv("CLOUDBRIDGE_LOG_LEVEL")
	if level == "" {
		return hclog.NewNullLogger()
	}
	return hclog.New(&hclog.LoggerOptions{Name: "cloudbridge", Level: hclog.LevelFromString(level), Output: os.Stderr})
}

// Drivers returns the plugin's raw driver interfaces, without the host's
// validation, capability checks and error wrapping: an escape hatch for the
// conformance suite (which checks that the plugin itself enforces the contract)
// and for debugging. Applications should use the portable services.
func (p *Provider) Drivers() sdk.Plugin { return p.drivers }
