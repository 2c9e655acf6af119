package sdk

import (
	"context"
	"sort"
	"strconv"

	"github.com/hashicorp/go-hclog"
)

// Version is the version of this sdk, reported by every plugin built with it.
const Version = "0.1.0"

// ProtocolVersion is the contract version this sdk serves (proto/cloudbridge/v1).
const ProtocolVersion = 1

// Plugin is a provider plugin: who it is, how it is configured, and the service
// families it implements. A nil family is not advertised, and calls to it answer
// Unsupported.
//
//	func main() {
//		cloud := mycloud.New()
//		sdk.Serve(sdk.Plugin{
//			Name: "mycloud", Version: "1.0.0",
//			Configure: cloud.Configure,
//			Compute:   &sdk.Compute{Instances: cloud.Instances()},
//		})
//	}
type Plugin struct {
	// Name is the provider name: the binary is cloudbridge-plugin-<Name>.
	Name    string
	Version string
	// Settings documents the settings Configure accepts; those marked Secret are
	// passed in Config.Secrets and never logged.
	Settings []SettingSpec
	// Configure is called once, before any service call, with the account's
	// settings. It returns the region and zone the plugin will work in.
	Configure func(ctx context.Context, cfg Config) (Location, error)
	// Probe checks that the cloud is reachable with the configured credentials;
	// nil means "always ready".
	Probe func(ctx context.Context) error
	// Features lists optional feature capabilities the plugin has beyond those
	// derived from the optional interfaces its services implement.
	Features []string

	Compute     *Compute
	Storage     *Storage
	ObjectStore *ObjectStore
	Network     *Network
	Security    *Security
	DNS         *DNS

	// Shutdown, when set, is called once when the plugin stops serving: by
	// Serve after the host shut the plugin down or went away, and by
	// InProcessServer.Close. It releases what the plugin holds beyond its
	// calls, such as a listener it started or temporary files.
	Shutdown func()
}

// SettingSpec documents one provider setting.
type SettingSpec struct {
	Name        string
	Description string
	Secret      bool
	Required    bool
	Default     string
	// Env lists environment variables the plugin falls back to.
	Env []string
}

// Config is what Configure receives.
type Config struct {
	Settings map[string]string
	// Secrets holds the values of settings marked Secret.
	Secrets map[string]string
	// Logger writes to the plugin's stderr, which the host re-logs under the
	// plugin's name.
	Logger hclog.Logger
}

// Get returns a setting or secret by name, and whether it was given.
func (c Config) Get(name string) (string, bool) {
	if v, ok := c.Secrets[name]; ok {
		return v, true
	}
	v, ok := c.Settings[name]
	return v, ok
}

// Location is the region and zone a configured plugin works in.
type Location struct {
	Region string
	Zone   string
}

// Capability names. A family name ("compute") is advertised when any of its
// services is; a service ("compute.instances") when its driver is non-nil; a
// feature when the driver implements the optional interface.
const (
	CapCompute         = "compute"
	CapRegions         = "compute.regions"
	CapVMTypes         = "compute.vm_types"
	CapImages          = "compute.images"
	CapInstances       = "compute.instances"
	CapStartStop       = "compute.instances.start_stop"
	CapStorage         = "storage"
	CapVolumes         = "storage.volumes"
	CapSnapshots       = "storage.snapshots"
	CapObjectStore     = "objectstore"
	CapBuckets         = "objectstore.buckets"
	CapObjects         = "objectstore.objects"
	CapMultipart       = "objectstore.multipart"
	CapPresignedURLs   = "objectstore.presigned_urls"
	CapNetwork         = "network"
	CapNetworks        = "network.networks"
	CapSubnets         = "network.subnets"
	CapRouters         = "network.routers"
	CapGateways        = "network.gateways"
	CapFloatingIPs     = "network.floating_ips"
	CapSecurity        = "security"
	CapKeyPairs        = "security.key_pairs"
	CapVMFirewalls     = "security.vm_firewalls"
	CapVMFirewallRules = "security.vm_firewall_rules"
	CapDNS             = "dns"
	CapDNSZones        = "dns.zones"
	CapDNSRecords      = "dns.records"
)

// Capabilities derives the plugin's capability list, sorted.
func (p Plugin) Capabilities() []string {
	set := map[string]bool{}
	add := func(family string, services map[string]bool) {
		for name, ok := range services {
			if ok {
				set[name] = true
				set[family] = true
			}
		}
	}
	if c := p.Compute; c != nil {
		_, startStop := c.Instances.(InstanceStartStopper)
		add(CapCompute, map[string]bool{
			CapRegions: c.Regions != nil, CapVMTypes: c.VMTypes != nil,
			CapImages: c.Images != nil, CapInstances: c.Instances != nil,
			CapStartStop: c.Instances != nil && startStop,
		})
	}
	if s := p.Storage; s != nil {
		add(CapStorage, map[string]bool{CapVolumes: s.Volumes != nil, CapSnapshots: s.Snapshots != nil})
	}
	if o := p.ObjectStore; o != nil {
		_, multipart := o.Objects.(MultipartUploader)
		_, presign := o.Objects.(URLSigner)
		add(CapObjectStore, map[string]bool{
			CapBuckets: o.Buckets != nil, CapObjects: o.Objects != nil,
			CapMultipart: o.Objects != nil && multipart, CapPresignedURLs: o.Objects != nil && presign,
		})
	}
	if n := p.Network; n != nil {
		add(CapNetwork, map[string]bool{
			CapNetworks: n.Networks != nil, CapSubnets: n.Subnets != nil, CapRouters: n.Routers != nil,
			CapGateways: n.Gateways != nil, CapFloatingIPs: n.FloatingIPs != nil,
		})
	}
	if s := p.Security; s != nil {
		add(CapSecurity, map[string]bool{
			CapKeyPairs: s.KeyPairs != nil, CapVMFirewalls: s.VMFirewalls != nil, CapVMFirewallRules: s.Rules != nil,
		})
	}
	if d := p.DNS; d != nil {
		add(CapDNS, map[string]bool{CapDNSZones: d.Zones != nil, CapDNSRecords: d.Records != nil})
	}
	for _, f := range p.Features {
		set[f] = true
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
