package host

import (
	"context"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// memNetworks and memSubnets keep what is created, for the default-network flow.
type memNetworks struct {
	sdk.Networks
	items []sdk.NetworkInfo
}

func (m *memNetworks) List(_ context.Context, opts sdk.ListOptions) (sdk.Page[sdk.NetworkInfo], error) {
	return sdk.Paginate(m.items, opts, func(n sdk.NetworkInfo) string { return n.ID })
}

func (m *memNetworks) Get(_ context.Context, id string) (sdk.NetworkInfo, error) {
	for _, n := range m.items {
		if n.ID == id {
			return n, nil
		}
	}
	return sdk.NetworkInfo{}, sdk.NotFound("network", id)
}

func (m *memNetworks) Create(_ context.Context, spec sdk.NetworkSpec) (sdk.NetworkInfo, error) {
	n := sdk.NetworkInfo{ID: "net-" + spec.Label, Label: spec.Label, CIDRBlock: spec.CIDRBlock, State: sdk.NetworkAvailable}
	m.items = append(m.items, n)
	return n, nil
}

type memSubnets struct {
	sdk.Subnets
	items []sdk.Subnet
}

func (m *memSubnets) List(_ context.Context, opts sdk.SubnetListOptions) (sdk.Page[sdk.Subnet], error) {
	return sdk.Paginate(m.items, opts.ListOptions, func(s sdk.Subnet) string { return s.ID })
}

func (m *memSubnets) Create(_ context.Context, spec sdk.SubnetSpec) (sdk.Subnet, error) {
	s := sdk.Subnet{ID: "subnet-" + spec.Zone, Label: spec.Label, NetworkID: spec.NetworkID, CIDRBlock: spec.CIDRBlock, Zone: spec.Zone}
	m.items = append(m.items, s)
	return s, nil
}

func TestSubnetGetOrCreateDefault(t *testing.T) {
	nets, subnets := &memNetworks{}, &memSubnets{}
	p := driverProvider(sdk.Plugin{Network: &sdk.Network{Networks: nets, Subnets: subnets}})

	sn, err := p.Networking.Subnets.GetOrCreateDefault(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(nets.items) != 1 || nets.items[0].Label != sdk.DefaultNetworkLabel || nets.items[0].CIDRBlock != sdk.DefaultNetworkCIDR {
		t.Fatalf("networks = %+v, want one %s with %s", nets.items, sdk.DefaultNetworkLabel, sdk.DefaultNetworkCIDR)
	}
	if sn.Label != sdk.DefaultSubnetLabel || sn.CIDRBlock != sdk.DefaultSubnetCIDR || sn.Zone != "zone-a" || sn.NetworkID != nets.items[0].ID {
		t.Fatalf("subnet = %+v, want %s with %s in zone-a of the default network", sn.Subnet, sdk.DefaultSubnetLabel, sdk.DefaultSubnetCIDR)
	}

	again, err := p.Networking.Subnets.GetOrCreateDefault(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != sn.ID || len(subnets.items) != 1 || len(nets.items) != 1 {
		t.Fatalf("second call made new resources: %d networks, %d subnets", len(nets.items), len(subnets.items))
	}
}

func TestDefaultSubnetPrefersTheProvidersZone(t *testing.T) {
	subnets := &memSubnets{items: []sdk.Subnet{
		{ID: "subnet-1", Label: sdk.DefaultSubnetLabel, Zone: "zone-a"},
		{ID: "subnet-2", Label: sdk.DefaultSubnetLabel, Zone: "zone-b"},
	}}
	p := driverProvider(sdk.Plugin{Network: &sdk.Network{Networks: &memNetworks{}, Subnets: subnets}})
	p.Zone = "zone-b"
	sn, err := p.Networking.Subnets.GetOrCreateDefault(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sn.ID != "subnet-2" {
		t.Fatalf("got %s in %s, want subnet-2 in zone-b", sn.ID, sn.Zone)
	}
}

type memFloatingIPs struct {
	sdk.FloatingIPs
	instances *memInstances
}

func (m *memFloatingIPs) Associate(_ context.Context, id, instanceID string) (sdk.FloatingIP, error) {
	m.instances.publicIPs = []string{"203.0.113.7"}
	return sdk.FloatingIP{ID: id, PublicIP: "203.0.113.7", InstanceID: instanceID}, nil
}

type memInstances struct {
	sdk.Instances
	publicIPs []string
}

func (m *memInstances) Get(_ context.Context, id string) (sdk.Instance, error) {
	return sdk.Instance{ID: id, PublicIPs: m.publicIPs}, nil
}

func TestAddFloatingIPRefreshesTheInstance(t *testing.T) {
	insts := &memInstances{}
	p := driverProvider(sdk.Plugin{
		Compute: &sdk.Compute{Instances: insts},
		Network: &sdk.Network{FloatingIPs: &memFloatingIPs{instances: insts}},
	})
	inst := p.Compute.Instances.wrap(sdk.Instance{ID: "i-1"})
	if err := inst.AddFloatingIP(t.Context(), "fip-1"); err != nil {
		t.Fatal(err)
	}
	if len(inst.PublicIPs) != 1 || inst.PublicIPs[0] != "203.0.113.7" {
		t.Fatalf("PublicIPs = %v after AddFloatingIP, want the floating IP", inst.PublicIPs)
	}
}
