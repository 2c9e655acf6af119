package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// contractTests check the plugin protocol itself rather than a resource.
func contractTests() []Test {
	return []Test{
		{Name: "contract/describe-matches-plugin-info", Run: testDescribeMatchesInfo},
		{Name: "contract/capabilities-consistent", Run: testCapabilitiesConsistent},
		{Name: "contract/advertised-works-unadvertised-unsupported", Run: testAdvertisedBothWays},
		{Name: "contract/region-and-zone", Run: testRegionAndZone},
		{Name: "contract/probe", Run: testProbe},
		{Name: "contract/canceled-context", Run: testCanceledContext},
		{Name: "contract/negative-page-size", Needs: []string{sdk.CapKeyPairs}, Run: testNegativePageSize},
		{Name: "contract/plugin-validates-labels", Needs: []string{sdk.CapVMFirewalls}, Run: testPluginValidatesLabels},
	}
}

func testDescribeMatchesInfo(t T, e *Env) {
	d, err := e.h.Describe(e.Ctx)
	if errors.Is(err, ErrNoBinary) {
		t.Skip("in-process harness: there is no binary to describe")
	}
	must(t, err, "describe")
	info := e.P.Describe()
	if d.Name != info.Name || d.Version != info.Version {
		t.Errorf("describe says %s %s, GetPluginInfo says %s %s", d.Name, d.Version, info.Name, info.Version)
	}
	if !slices.Contains(d.ProtocolVersions, 1) {
		t.Errorf("describe protocol_versions %v lacks 1", d.ProtocolVersions)
	}
	want, got := e.P.Capabilities(), slices.Sorted(slices.Values(d.Capabilities))
	if !slices.Equal(want, got) {
		t.Errorf("describe capabilities %v != GetCapabilities %v", got, want)
	}
}

// testCapabilitiesConsistent: a service or feature implies its family, and
// every name is one of the contract's.
func testCapabilitiesConsistent(t T, e *Env) {
	for _, c := range e.P.Capabilities() {
		if family, _, ok := strings.Cut(c, "."); ok && !e.P.Has(family) {
			t.Errorf("capability %s advertised without its family %s", c, family)
		}
	}
	if len(e.P.Capabilities()) == 0 {
		t.Errorf("plugin advertises no capability at all")
	}
}

// probes lists one cheap read per service capability, called on the raw
// drivers (below the host's own capability check) so that the plugin's answer
// is what is tested.
func probes(d sdk.Plugin) map[string]func(context.Context) error {
	one := sdk.ListOptions{PageSize: 1}
	return map[string]func(context.Context) error{
		sdk.CapRegions: func(ctx context.Context) error { _, err := d.Compute.Regions.List(ctx, one); return err },
		sdk.CapVMTypes: func(ctx context.Context) error { _, err := d.Compute.VMTypes.List(ctx, one); return err },
		sdk.CapImages: func(ctx context.Context) error {
			_, err := d.Compute.Images.List(ctx, sdk.ImageListOptions{ListOptions: one})
			return err
		},
		sdk.CapInstances: func(ctx context.Context) error { _, err := d.Compute.Instances.List(ctx, one); return err },
		sdk.CapVolumes:   func(ctx context.Context) error { _, err := d.Storage.Volumes.List(ctx, one); return err },
		sdk.CapSnapshots: func(ctx context.Context) error { _, err := d.Storage.Snapshots.List(ctx, one); return err },
		sdk.CapBuckets:   func(ctx context.Context) error { _, err := d.ObjectStore.Buckets.List(ctx, one); return err },
		sdk.CapNetworks:  func(ctx context.Context) error { _, err := d.Network.Networks.List(ctx, one); return err },
		sdk.CapSubnets: func(ctx context.Context) error {
			_, err := d.Network.Subnets.List(ctx, sdk.SubnetListOptions{ListOptions: one})
			return err
		},
		sdk.CapRouters:     func(ctx context.Context) error { _, err := d.Network.Routers.List(ctx, one); return err },
		sdk.CapKeyPairs:    func(ctx context.Context) error { _, err := d.Security.KeyPairs.List(ctx, one); return err },
		sdk.CapVMFirewalls: func(ctx context.Context) error { _, err := d.Security.VMFirewalls.List(ctx, one); return err },
		sdk.CapDNSZones:    func(ctx context.Context) error { _, err := d.DNS.Zones.List(ctx, one); return err },
	}
}

// testAdvertisedBothWays: an advertised service answers; one that is not
// advertised answers Unsupported, from the plugin itself and from the host.
func testAdvertisedBothWays(t T, e *Env) {
	for capability, probe := range probes(e.P.Drivers()) {
		err := probe(e.Ctx)
		if e.P.Has(capability) {
			if err != nil {
				t.Errorf("advertised %s: list failed: %v", capability, err)
			}
			continue
		}
		if !errors.Is(err, sdk.ErrUnsupported) {
			t.Errorf("unadvertised %s: plugin answered %v, want Unsupported", capability, err)
		}
	}
	if !e.P.Has(sdk.CapDNSZones) {
		_, err := e.P.DNS.Zones.List(e.Ctx, sdk.ListOptions{})
		wantCode(t, err, sdk.ErrUnsupported, "host call of unadvertised dns.zones")
	}
}

// testRegionAndZone is test_provider_always_has_zone and
// test_provider_zone_in_region.
func testRegionAndZone(t T, e *Env) {
	if e.P.Region == "" || e.P.Zone == "" {
		t.Fatalf("provider region %q zone %q: both must be set after Configure", e.P.Region, e.P.Zone)
	}
	if !e.P.Has(sdk.CapRegions) {
		return
	}
	r, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	for _, z := range r.Zones {
		if z.Name == e.P.Zone || z.ID == e.P.Zone {
			return
		}
	}
	t.Errorf("zone %s is not among region %s's zones %v", e.P.Zone, r.Name, r.Zones)
}

func testProbe(t T, e *Env) {
	must(t, e.P.Probe(e.Ctx), "probe")
}

// testCanceledContext: cancellation crosses the plugin boundary as Canceled.
func testCanceledContext(t T, e *Env) {
	ctx, cancel := context.WithCancel(e.Ctx)
	cancel()
	for capability, probe := range probes(e.P.Drivers()) {
		if !e.P.Has(capability) {
			continue
		}
		err := probe(ctx)
		if !errors.Is(err, sdk.ErrCanceled) || !errors.Is(err, context.Canceled) {
			t.Errorf("%s list with a canceled context: err = %v, want Canceled (and context.Canceled)", capability, err)
		}
	}
}

// testNegativePageSize: the plugin itself refuses a negative page size.
func testNegativePageSize(t T, e *Env) {
	_, err := e.P.Drivers().Security.KeyPairs.List(e.Ctx, sdk.ListOptions{PageSize: -1})
	wantCode(t, err, sdk.ErrInvalidArgument, "plugin list key pairs with page size -1")
}

// testPluginValidatesLabels: the plugin enforces label rules itself, so a
// caller that skips the host (a non-Go host, a buggy one) cannot store a bad
// label.
func testPluginValidatesLabels(t T, e *Env) {
	drv := e.P.Drivers().Security.VMFirewalls
	for _, bad := range []string{"", "ab", "Bad", "has space", "trailing-", strings.Repeat("a", 64)} {
		fw, err := drv.Create(e.Ctx, sdk.VMFirewallSpec{Label: bad})
		if err == nil {
			e.Track("firewall", fw.ID, func(ctx context.Context) error { return drv.Delete(ctx, fw.ID) })
		}
		wantCode(t, err, sdk.ErrInvalidArgument, "plugin create firewall with label %q", bad)
	}
}
