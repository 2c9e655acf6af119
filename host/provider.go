package host

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

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
//
// Every call through the object graph is an event (see Events): it runs the
// handlers registered on p.Events, is retried as RetryPolicy allows, and fails
// with an *sdk.Error. Set WaitPolicy, RetryPolicy and Transfer before sharing
// p between goroutines; everything else is safe for concurrent use.
type Provider struct {
	// Name is the provider name (the plugin's).
	Name string
	// Version is the plugin's version.
	Version string
	// Region and Zone are where this provider works; WithZone gives a view
	// working in another zone of the region.
	Region string
	Zone   string

	Compute    *ComputeService
	Storage    *StorageService
	Networking *NetworkingService
	Security   *SecurityService
	DNS        *DNSService

	// Events dispatches every call to the observers and interceptors
	// registered on it. Zone views share their parent's.
	Events *Events
	// WaitPolicy is how WaitFor and WaitReady poll unless a call says
	// otherwise (WaitTimeout, WaitInterval).
	WaitPolicy WaitPolicy
	// RetryPolicy is how failed calls are retried.
	RetryPolicy RetryPolicy
	// Transfer tunes the transfer manager (ObjectService.Upload, Download
	// and their File forms) for this provider, over the CB_MULTIPART_*
	// environment variables and the defaults; a call's options override it.
	Transfer TransferConfig

	conn    *connection
	drivers sdk.Plugin
	caps    map[string]bool
	info    Description
	log     hclog.Logger
	// parent is the provider a zone view was made from; nil for a provider
	// that owns its plugin process.
	parent *Provider
	closed atomic.Bool
}

// Open finds the plugin binary for a provider name (see SearchDirs), starts it
// and configures it with settings. Close the provider to stop the plugin.
// Settings a caller leaves out come from the environment variables the plugin
// declares for them, then from the plugin's own defaults (see OpenWith for the
// whole order, with a profile of the config file).
func Open(ctx context.Context, name string, settings Settings) (*Provider, error) {
	return OpenWith(ctx, name, settings, Options{})
}

// OpenWith is Open with options: an explicit binary path, a pinned checksum, a
// start timeout, a logger, a profile of the config file. With a profile, name
// may be "" for the profile's provider; with neither a name nor a profile,
// the config file's default_profile is used.
//
// Each setting is taken from the first of these that has it:
//
//  1. settings, the explicit values;
//  2. the profile's settings in the config file (see ConfigPath);
//  3. the environment variables the plugin declares for the setting
//     (SettingInfo.Env, e.g. AWS_REGION), the first one set;
//  4. nothing: the plugin applies its default or its own credential chain.
func OpenWith(ctx context.Context, name string, settings Settings, opts Options) (*Provider, error) {
	name, layers, err := opts.settingLayers(name, settings)
	if err != nil {
		return nil, err
	}
	path := opts.Path
	if path == "" {
		if path, err = FindPlugin(name); err != nil {
			return nil, err
		}
	} else if _, err := checkExecutable(path); err != nil {
		return nil, err
	}
	sum := opts.SHA256
	if sum == nil {
		if sum, err = pinnedChecksum(path); err != nil {
			return nil, err
		}
	}
	conn, err := launch(ctx, name, path, sum, opts)
	if err != nil {
		return nil, err
	}
	p, err := newProvider(ctx, conn, layers, opts.logger())
	if err != nil {
		conn.close()
		return nil, err
	}
	return p, nil
}

// OpenProfile opens the provider of a profile of the config file (the
// default_profile when profile is ""), with overrides on top of its settings.
func OpenProfile(ctx context.Context, profile string, overrides Settings) (*Provider, error) {
	return OpenWith(ctx, "", overrides, Options{Profile: profile})
}

// OpenInProcess serves plugin in this process (over a real gRPC connection, as
// a plugin binary would be) and opens it. Tests use it to run the conformance
// suite with the race detector and coverage.
func OpenInProcess(ctx context.Context, plugin sdk.Plugin, settings Settings) (*Provider, error) {
	return OpenInProcessWith(ctx, plugin, settings, Options{})
}

// OpenInProcessWith is OpenInProcess with options (Logger, Profile and
// ConfigFile apply; a profile must be for the plugin's provider).
func OpenInProcessWith(ctx context.Context, plugin sdk.Plugin, settings Settings, opts Options) (*Provider, error) {
	_, layers, err := opts.settingLayers(plugin.Name, settings)
	if err != nil {
		return nil, err
	}
	srv, err := sdk.ServeInProcess(ctx, plugin)
	if err != nil {
		return nil, err
	}
	conn, err := attach(ctx, plugin.Name, srv, opts)
	if err != nil {
		srv.Close()
		return nil, err
	}
	p, err := newProvider(ctx, conn, layers, opts.logger())
	if err != nil {
		conn.close()
		return nil, err
	}
	return p, nil
}

// newProvider asks the plugin who it is and what it can do, configures it, and
// builds the object graph.
func newProvider(ctx context.Context, conn *connection, layers settingLayers, log hclog.Logger) (*Provider, error) {
	rc := conn.remote
	info, err := rc.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: get plugin info: %w", conn.name, err)
	}
	caps, err := rc.Capabilities(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: get capabilities: %w", conn.name, err)
	}
	settings, err := layers.resolve(info.Name, info.Settings, log)
	if err != nil {
		return nil, err
	}
	plain, secrets, err := splitSettings(info.Name, info.Settings, settings)
	if err != nil {
		return nil, err
	}
	loc, err := rc.Configure(ctx, plain, secrets)
	if err != nil {
		return nil, fmt.Errorf("configure plugin %s: %w", info.Name, scrubSecrets(err, secrets))
	}
	p := &Provider{
		Name: info.Name, Version: info.Version, Region: loc.Region, Zone: loc.Zone,
		Events: newEvents(), conn: conn, drivers: rc.Services(), caps: map[string]bool{}, log: log,
		info: Description{Name: info.Name, Version: info.Version, SDKVersion: info.SDKVersion,
			ProtocolVersions: []int{info.ProtocolVersion}, Capabilities: caps, Settings: settingInfos(info.Settings)},
	}
	for _, c := range caps {
		p.caps[c] = true
	}
	p.build()
	if log.IsDebug() {
		if _, err := p.Events.Use(DebugLogging(log.Named("calls"))); err != nil {
			return nil, err
		}
	}
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

// Close stops the plugin; calls made after Close fail with
// ErrFailedPrecondition. Closing a zone view only ends the view: the plugin
// belongs to the provider that started it, and stops with it (and with it,
// every view).
func (p *Provider) Close() error {
	p.closed.Store(true)
	if p.parent == nil && p.conn != nil {
		p.conn.close()
	}
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
	return do(ctx, p, "provider.probe", "", nil, p.conn.remote.Probe)
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
