package mock

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// createNetwork makes a network with range cidr ("" for the default).
func createNetwork(t *testing.T, p sdk.Plugin, cidr string) sdk.NetworkInfo {
	t.Helper()
	n, err := p.Network.Networks.Create(context.Background(), sdk.NetworkSpec{Label: "test-net", CIDRBlock: cidr})
	if err != nil {
		t.Fatalf("create network %q: %v", cidr, err)
	}
	return n
}

// createSubnet makes a subnet with range cidr in a new 10.0.0.0/16 network.
func createSubnet(t *testing.T, p sdk.Plugin, cidr string) sdk.Subnet {
	t.Helper()
	return createSubnetIn(t, p, createNetwork(t, p, "10.0.0.0/16").ID, cidr, "")
}

func createSubnetIn(t *testing.T, p sdk.Plugin, networkID, cidr, zone string) sdk.Subnet {
	t.Helper()
	sn, err := p.Network.Subnets.Create(context.Background(), sdk.SubnetSpec{Label: "test-subnet", NetworkID: networkID, CIDRBlock: cidr, Zone: zone})
	if err != nil {
		t.Fatalf("create subnet %q in %s: %v", cidr, networkID, err)
	}
	return sn
}

func TestNetworkLifecycle(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, map[string]string{"boot_time": "40ms"})
	n := createNetwork(t, p, "")
	if !strings.HasPrefix(n.ID, "vpc-") || n.Name != n.ID || n.Label != "test-net" || n.External ||
		n.CIDRBlock != sdk.DefaultNetworkCIDR || n.State != sdk.NetworkPending {
		t.Errorf("new network = %+v; want a pending, internal %s network", n, sdk.DefaultNetworkCIDR)
	}
	time.Sleep(50 * time.Millisecond)
	got, err := p.Network.Networks.Get(ctx, n.ID)
	if err != nil || got.State != sdk.NetworkAvailable {
		t.Fatalf("network after boot_time = %+v, %v; want available", got, err)
	}

	label := "renamed"
	if up, err := p.Network.Networks.Update(ctx, n.ID, sdk.NetworkUpdate{Label: &label}); err != nil || up.Label != label {
		t.Errorf("Update = %+v, %v", up, err)
	}
	bad := "Bad"
	_, err = p.Network.Networks.Update(ctx, n.ID, sdk.NetworkUpdate{Label: &bad})
	wantErr(t, err, sdk.CodeInvalidArgument, "label")
	_, err = p.Network.Networks.Update(ctx, "vpc-000000000000", sdk.NetworkUpdate{Label: &label})
	wantErr(t, err, sdk.CodeNotFound, "")

	page, err := p.Network.Networks.List(ctx, sdk.ListOptions{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != n.ID || page.Items[0].Label != label {
		t.Errorf("List = %+v, %v", page, err)
	}
	if err := p.Network.Networks.Delete(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Network.Networks.Delete(ctx, n.ID), sdk.CodeNotFound, "")
}

func TestNetworkCIDRValidation(t *testing.T) {
	p := newPlugin(t, nil)
	for _, cidr := range []string{"10.0.0.0/8", "10.0.0.0/15", "10.0.0.0/29", "10.0.0.1/16", "fd00::/48", "10.0.0.0", "nonsense"} {
		_, err := p.Network.Networks.Create(context.Background(), sdk.NetworkSpec{Label: "net", CIDRBlock: cidr})
		wantErr(t, err, sdk.CodeInvalidArgument, "cidr_block")
	}
	for _, cidr := range []string{"10.0.0.0/16", "172.16.0.0/28", "192.168.0.0/24"} {
		if n := createNetwork(t, p, cidr); n.CIDRBlock != cidr {
			t.Errorf("network made with %s has range %s", cidr, n.CIDRBlock)
		}
	}
}

func TestNetworkIdempotentCreate(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	spec := sdk.NetworkSpec{Label: "idem", CIDRBlock: "10.1.0.0/16", IdempotencyToken: "tok-1"}
	a, err := p.Network.Networks.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Network.Networks.Create(ctx, spec)
	if err != nil || b.ID != a.ID {
		t.Fatalf("retried create = %+v, %v; want network %s", b, err, a.ID)
	}
	spec.CIDRBlock = "10.2.0.0/16"
	_, err = p.Network.Networks.Create(ctx, spec)
	wantErr(t, err, sdk.CodeInvalidArgument, "idempotency_token")
}

func TestSubnetRanges(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	net := createNetwork(t, p, "10.0.0.0/16")
	first := createSubnetIn(t, p, net.ID, "10.0.1.0/24", "")
	if !strings.HasPrefix(first.ID, "subnet-") || first.NetworkID != net.ID || first.CIDRBlock != "10.0.1.0/24" ||
		first.Zone != "mock-east-1a" || first.State != sdk.NetworkAvailable {
		t.Errorf("subnet = %+v", first)
	}
	tests := []struct {
		name, cidr string
		code       sdk.Code
	}{
		{"outside the network", "10.1.0.0/24", sdk.CodeInvalidArgument},
		{"larger than the network", "10.0.0.0/15", sdk.CodeInvalidArgument},
		{"the same as another", "10.0.1.0/24", sdk.CodeInvalidArgument},
		{"inside another", "10.0.1.128/25", sdk.CodeInvalidArgument},
		{"around another", "10.0.0.0/22", sdk.CodeInvalidArgument},
		{"too small", "10.0.2.0/29", sdk.CodeInvalidArgument},
		{"host bits set", "10.0.2.1/24", sdk.CodeInvalidArgument},
		{"IPv6", "fd00::/64", sdk.CodeInvalidArgument},
		{"adjacent", "10.0.2.0/24", ""},
		{"the whole rest of a /20", "10.0.16.0/20", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn, err := p.Network.Subnets.Create(ctx, sdk.SubnetSpec{Label: "sub", NetworkID: net.ID, CIDRBlock: tt.cidr})
			if tt.code == "" {
				if err != nil || sn.CIDRBlock != tt.cidr {
					t.Fatalf("Create(%s) = %+v, %v", tt.cidr, sn, err)
				}
				return
			}
			wantErr(t, err, tt.code, "cidr_block")
		})
	}
	// Another network may reuse the same range: networks are separate.
	other := createNetwork(t, p, "10.0.0.0/16")
	createSubnetIn(t, p, other.ID, "10.0.1.0/24", "")

	_, err := p.Network.Subnets.Create(ctx, sdk.SubnetSpec{Label: "sub", NetworkID: "vpc-000000000000", CIDRBlock: "10.0.9.0/24"})
	wantErr(t, err, sdk.CodeNotFound, "network_id")
	_, err = p.Network.Subnets.Create(ctx, sdk.SubnetSpec{Label: "sub", CIDRBlock: "10.0.9.0/24"})
	wantErr(t, err, sdk.CodeInvalidArgument, "network_id")
	_, err = p.Network.Subnets.Create(ctx, sdk.SubnetSpec{Label: "sub", NetworkID: net.ID, CIDRBlock: "10.0.9.0/24", Zone: "mock-west-1a"})
	wantErr(t, err, sdk.CodeInvalidArgument, "zone")
	if sn := createSubnetIn(t, p, net.ID, "10.0.9.0/24", "mock-east-1c"); sn.Zone != "mock-east-1c" {
		t.Errorf("subnet asked for zone mock-east-1c is in %s", sn.Zone)
	}

	page, err := p.Network.Subnets.List(ctx, sdk.SubnetListOptions{NetworkID: other.ID})
	if err != nil || len(page.Items) != 1 || page.Items[0].NetworkID != other.ID {
		t.Errorf("List(network %s) = %+v, %v; want its one subnet", other.ID, page, err)
	}
	all, err := p.Network.Subnets.List(ctx, sdk.SubnetListOptions{})
	if err != nil || len(all.Items) != 5 {
		t.Errorf("List() = %d subnets, %v; want 5", len(all.Items), err)
	}
	_, err = p.Network.Subnets.List(ctx, sdk.SubnetListOptions{NetworkID: "vpc-000000000000"})
	wantErr(t, err, sdk.CodeNotFound, "network_id")

	label := "relabelled"
	if up, err := p.Network.Subnets.Update(ctx, first.ID, sdk.SubnetUpdate{Label: &label}); err != nil || up.Label != label || up.CIDRBlock != first.CIDRBlock {
		t.Errorf("Update = %+v, %v", up, err)
	}
}

// TestNetworkDeleteRefused: whatever is left in a network keeps it from being
// deleted, and the refused delete changes nothing.
func TestNetworkDeleteRefused(t *testing.T) {
	ctx := context.Background()
	for _, what := range []string{"subnet", "router", "gateway", "firewall"} {
		t.Run(what, func(t *testing.T) {
			p := newPlugin(t, nil)
			net := createNetwork(t, p, "")
			var undo func() error
			switch what {
			case "subnet":
				sn := createSubnetIn(t, p, net.ID, "10.0.0.0/24", "")
				undo = func() error { return p.Network.Subnets.Delete(ctx, sn.ID) }
			case "router":
				r, err := p.Network.Routers.Create(ctx, sdk.RouterSpec{Label: "rtr", NetworkID: net.ID})
				if err != nil {
					t.Fatal(err)
				}
				undo = func() error { return p.Network.Routers.Delete(ctx, r.ID) }
			case "gateway":
				gw, err := p.Network.Gateways.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: net.ID})
				if err != nil {
					t.Fatal(err)
				}
				undo = func() error { return p.Network.Gateways.Delete(ctx, net.ID, gw.ID) }
			case "firewall":
				fw, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "fw1", NetworkID: net.ID})
				if err != nil {
					t.Fatal(err)
				}
				undo = func() error { return p.Security.VMFirewalls.Delete(ctx, fw.ID) }
			}
			wantErr(t, p.Network.Networks.Delete(ctx, net.ID), sdk.CodeFailedPrecondition, "")
			if got, err := p.Network.Networks.Get(ctx, net.ID); err != nil || got.Label != net.Label || got.CIDRBlock != net.CIDRBlock {
				t.Fatalf("network after a refused delete = %+v, %v", got, err)
			}
			if err := undo(); err != nil {
				t.Fatal(err)
			}
			if err := p.Network.Networks.Delete(ctx, net.ID); err != nil {
				t.Fatalf("delete emptied network: %v", err)
			}
		})
	}
}

func TestFirewallNetworkMustExist(t *testing.T) {
	p := newPlugin(t, nil)
	_, err := p.Security.VMFirewalls.Create(context.Background(), sdk.VMFirewallSpec{Label: "fw1", NetworkID: "vpc-000000000000"})
	wantErr(t, err, sdk.CodeNotFound, "network_id")
}

func TestInstancesInSubnet(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	net := createNetwork(t, p, "10.0.0.0/16")
	sn := createSubnetIn(t, p, net.ID, "10.0.5.0/28", "")

	// A /28 has 16 addresses; EC2 keeps the first four and the last.
	var made []sdk.Instance
	for i := range 11 {
		in := createInstance(t, p, sdk.InstanceSpec{Label: fmt.Sprintf("vm-%d", i), SubnetID: sn.ID})
		want := fmt.Sprintf("10.0.5.%d", 4+i)
		if in.SubnetID != sn.ID || in.Zone != sn.Zone || !slices.Equal(in.PrivateIPs, []string{want}) {
			t.Fatalf("instance %d = subnet %s zone %s IPs %v; want %s, %s, [%s]", i, in.SubnetID, in.Zone, in.PrivateIPs, sn.ID, sn.Zone, want)
		}
		made = append(made, in)
	}
	_, err := p.Compute.Instances.Create(ctx, sdk.InstanceSpec{Label: "one-too-many", ImageID: "img-ubuntu-2404", VMTypeID: "m.small", SubnetID: sn.ID})
	wantErr(t, err, sdk.CodeResourceExhausted, "subnet_id")
	// A deleted instance's address is free again.
	if err := p.Compute.Instances.Delete(ctx, made[3].ID); err != nil {
		t.Fatal(err)
	}
	if in := createInstance(t, p, sdk.InstanceSpec{SubnetID: sn.ID}); !slices.Equal(in.PrivateIPs, made[3].PrivateIPs) {
		t.Errorf("instance in a subnet with one free address got %v, want %v", in.PrivateIPs, made[3].PrivateIPs)
	}

	_, err = p.Compute.Instances.Create(ctx, sdk.InstanceSpec{Label: "lost", ImageID: "img-ubuntu-2404", VMTypeID: "m.small", SubnetID: "subnet-000000000000"})
	wantErr(t, err, sdk.CodeNotFound, "subnet_id")

	// The instance goes in its subnet's zone; asking for another is refused.
	other := createSubnetIn(t, p, net.ID, "10.0.6.0/24", "mock-east-1b")
	_, err = p.Compute.Instances.Create(ctx, sdk.InstanceSpec{Label: "astray", ImageID: "img-ubuntu-2404", VMTypeID: "m.small", SubnetID: other.ID, Zone: "mock-east-1a"})
	wantErr(t, err, sdk.CodeInvalidArgument, "zone")
	if in := createInstance(t, p, sdk.InstanceSpec{SubnetID: other.ID}); in.Zone != "mock-east-1b" {
		t.Errorf("instance in a subnet of zone mock-east-1b is in %s", in.Zone)
	}
	if in := createInstance(t, p, sdk.InstanceSpec{SubnetID: other.ID, Zone: "mock-east-1b"}); in.Zone != "mock-east-1b" || in.PrivateIPs[0] != "10.0.6.5" {
		t.Errorf("second instance in subnet %s: zone %s IPs %v", other.ID, in.Zone, in.PrivateIPs)
	}

	// A subnet with an instance cannot be deleted, and is kept whole.
	wantErr(t, p.Network.Subnets.Delete(ctx, other.ID), sdk.CodeFailedPrecondition, "")
	if got, err := p.Network.Subnets.Get(ctx, other.ID); err != nil || got.CIDRBlock != other.CIDRBlock {
		t.Fatalf("subnet after a refused delete = %+v, %v", got, err)
	}
}

func TestRouters(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	rs := p.Network.Routers
	net := createNetwork(t, p, "")
	sn := createSubnetIn(t, p, net.ID, "10.0.0.0/24", "")
	foreignNet := createNetwork(t, p, "")
	foreign := createSubnetIn(t, p, foreignNet.ID, "10.0.0.0/24", "")

	_, err := rs.Create(ctx, sdk.RouterSpec{Label: "rtr", NetworkID: "vpc-000000000000"})
	wantErr(t, err, sdk.CodeNotFound, "network_id")
	r, err := rs.Create(ctx, sdk.RouterSpec{Label: "rtr", NetworkID: net.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.ID, "rtb-") || r.State != sdk.RouterDetached || r.NetworkID != net.ID || len(r.SubnetIDs) != 0 || r.GatewayID != "" {
		t.Errorf("new router = %+v", r)
	}

	_, err = rs.AttachSubnet(ctx, r.ID, foreign.ID)
	wantErr(t, err, sdk.CodeInvalidArgument, "subnet_id")
	_, err = rs.AttachSubnet(ctx, r.ID, "subnet-000000000000")
	wantErr(t, err, sdk.CodeNotFound, "subnet_id")
	for range 2 { // the second attach changes nothing
		if r, err = rs.AttachSubnet(ctx, r.ID, sn.ID); err != nil || r.State != sdk.RouterAttached || !slices.Equal(r.SubnetIDs, []string{sn.ID}) {
			t.Fatalf("AttachSubnet = %+v, %v", r, err)
		}
	}
	r2, err := rs.Create(ctx, sdk.RouterSpec{Label: "rtr-2", NetworkID: net.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rs.AttachSubnet(ctx, r2.ID, sn.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	wantErr(t, p.Network.Subnets.Delete(ctx, sn.ID), sdk.CodeFailedPrecondition, "")

	gw, err := p.Network.Gateways.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: net.ID})
	if err != nil {
		t.Fatal(err)
	}
	foreignGW, err := p.Network.Gateways.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: foreignNet.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rs.AttachGateway(ctx, r.ID, foreignGW.ID)
	wantErr(t, err, sdk.CodeInvalidArgument, "gateway_id")
	if r, err = rs.AttachGateway(ctx, r.ID, gw.ID); err != nil || r.GatewayID != gw.ID {
		t.Fatalf("AttachGateway = %+v, %v", r, err)
	}
	wantErr(t, p.Network.Gateways.Delete(ctx, net.ID, gw.ID), sdk.CodeFailedPrecondition, "")

	// Deleting a router that joins anything is refused; detach first.
	wantErr(t, rs.Delete(ctx, r.ID), sdk.CodeFailedPrecondition, "")
	if r, err = rs.DetachSubnet(ctx, r.ID, sn.ID); err != nil || len(r.SubnetIDs) != 0 || r.State != sdk.RouterAttached {
		t.Fatalf("DetachSubnet = %+v, %v; want still attached to the gateway", r, err)
	}
	wantErr(t, rs.Delete(ctx, r.ID), sdk.CodeFailedPrecondition, "")
	for range 2 { // detaching what is not attached changes nothing
		if r, err = rs.DetachGateway(ctx, r.ID, gw.ID); err != nil || r.GatewayID != "" || r.State != sdk.RouterDetached {
			t.Fatalf("DetachGateway = %+v, %v", r, err)
		}
	}
	if _, err := rs.DetachSubnet(ctx, r.ID, sn.ID); err != nil {
		t.Errorf("detach a detached subnet: %v", err)
	}
	if err := rs.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = rs.Get(ctx, r.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
	if err := p.Network.Gateways.Delete(ctx, net.ID, gw.ID); err != nil {
		t.Errorf("delete detached gateway: %v", err)
	}
}

func TestGateways(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	gs := p.Network.Gateways
	net := createNetwork(t, p, "")
	gw, err := gs.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: net.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(gw.ID, "igw-") || gw.Name != sdk.DefaultGatewayName || gw.NetworkID != net.ID || gw.State != sdk.GatewayAvailable {
		t.Errorf("gateway = %+v", gw)
	}
	again, err := gs.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: net.ID, Name: "another-name"})
	if err != nil || again.ID != gw.ID || again.Name != gw.Name {
		t.Errorf("second GetOrCreate = %+v, %v; want gateway %s", again, err, gw.ID)
	}
	page, err := gs.List(ctx, net.ID, sdk.ListOptions{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != gw.ID {
		t.Errorf("List = %+v, %v", page, err)
	}
	_, err = gs.List(ctx, "vpc-000000000000", sdk.ListOptions{})
	wantErr(t, err, sdk.CodeNotFound, "network_id")
	_, err = gs.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: "vpc-000000000000"})
	wantErr(t, err, sdk.CodeNotFound, "network_id")
	_, err = gs.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: net.ID, Name: "Bad Name"})
	wantErr(t, err, sdk.CodeInvalidArgument, "name")

	other := createNetwork(t, p, "")
	wantErr(t, gs.Delete(ctx, other.ID, gw.ID), sdk.CodeNotFound, "")

	fip, err := p.Network.FloatingIPs.Create(ctx, sdk.FloatingIPSpec{GatewayID: gw.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, gs.Delete(ctx, net.ID, gw.ID), sdk.CodeFailedPrecondition, "")
	if err := p.Network.FloatingIPs.Delete(ctx, gw.ID, fip.ID); err != nil {
		t.Fatal(err)
	}
	if err := gs.Delete(ctx, net.ID, gw.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, gs.Delete(ctx, net.ID, gw.ID), sdk.CodeNotFound, "")
	if fresh, err := gs.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: net.ID}); err != nil || fresh.ID == gw.ID {
		t.Errorf("GetOrCreate after delete = %+v, %v; want a new gateway", fresh, err)
	}
}

// wiredInstance makes a network with a gateway and a subnet routed to it, and
// a running instance in the subnet.
func wiredInstance(t *testing.T, p sdk.Plugin) (sdk.Instance, sdk.Gateway, sdk.Router) {
	t.Helper()
	ctx := context.Background()
	sn := createSubnet(t, p, "10.0.0.0/24")
	gw, err := p.Network.Gateways.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: sn.NetworkID})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Network.Routers.Create(ctx, sdk.RouterSpec{Label: "rtr", NetworkID: sn.NetworkID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Network.Routers.AttachSubnet(ctx, r.ID, sn.ID); err != nil {
		t.Fatal(err)
	}
	if r, err = p.Network.Routers.AttachGateway(ctx, r.ID, gw.ID); err != nil {
		t.Fatal(err)
	}
	in := createInstance(t, p, sdk.InstanceSpec{SubnetID: sn.ID})
	return waitInstance(t, p, in.ID, sdk.InstanceRunning), gw, r
}

func TestFloatingIPs(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	fs := p.Network.FloatingIPs
	in, gw, r := wiredInstance(t, p)

	fip, err := fs.Create(ctx, sdk.FloatingIPSpec{GatewayID: gw.ID})
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr(fip.PublicIP)
	if !slices.ContainsFunc(floatingIPPools, func(pool netip.Prefix) bool { return pool.Contains(addr) }) ||
		fip.State != sdk.FloatingIPAvailable || fip.InUse() || fip.PrivateIP != "" || fip.GatewayID != gw.ID {
		t.Errorf("new floating IP = %+v", fip)
	}
	_, err = fs.Create(ctx, sdk.FloatingIPSpec{GatewayID: "igw-000000000000"})
	wantErr(t, err, sdk.CodeNotFound, "gateway_id")
	_, err = fs.Get(ctx, "igw-000000000000", fip.ID)
	wantErr(t, err, sdk.CodeNotFound, "gateway_id")

	_, err = fs.Associate(ctx, fip.ID, "i-000000000000")
	wantErr(t, err, sdk.CodeNotFound, "instance_id")
	_, err = fs.Associate(ctx, "eipalloc-000000000000", in.ID)
	wantErr(t, err, sdk.CodeNotFound, "id")
	got, err := fs.Associate(ctx, fip.ID, in.ID)
	if err != nil || got.State != sdk.FloatingIPInUse || got.InstanceID != in.ID || got.PrivateIP != in.PrivateIPs[0] {
		t.Fatalf("Associate = %+v, %v; want in use by %s at %s", got, err, in.ID, in.PrivateIPs[0])
	}
	if again, err := fs.Associate(ctx, fip.ID, in.ID); err != nil || again.InstanceID != in.ID {
		t.Errorf("associating again = %+v, %v", again, err)
	}
	withFIP, _ := p.Compute.Instances.Get(ctx, in.ID)
	if !slices.Equal(withFIP.PublicIPs, []string{fip.PublicIP}) {
		t.Errorf("instance public IPs = %v, want [%s]", withFIP.PublicIPs, fip.PublicIP)
	}

	second, err := fs.Create(ctx, sdk.FloatingIPSpec{GatewayID: gw.ID})
	if err != nil {
		t.Fatal(err)
	}
	if second.PublicIP == fip.PublicIP {
		t.Errorf("two floating IPs share address %s", fip.PublicIP)
	}
	_, err = fs.Associate(ctx, second.ID, in.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	other := createInstance(t, p, sdk.InstanceSpec{SubnetID: in.SubnetID})
	_, err = fs.Associate(ctx, second.ID, other.ID) // still pending
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	waitInstance(t, p, other.ID, sdk.InstanceRunning)
	_, err = fs.Associate(ctx, fip.ID, other.ID) // taken
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	wantErr(t, fs.Delete(ctx, gw.ID, fip.ID), sdk.CodeFailedPrecondition, "")
	_, err = p.Network.Routers.DetachGateway(ctx, r.ID, gw.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	// A stopped instance keeps its floating IP, as on EC2.
	if _, err := p.Compute.Instances.(sdk.InstanceStartStopper).Stop(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if stopped, _ := p.Compute.Instances.Get(ctx, in.ID); !slices.Equal(stopped.PublicIPs, []string{fip.PublicIP}) {
		t.Errorf("stopped instance public IPs = %v, want [%s]", stopped.PublicIPs, fip.PublicIP)
	}

	for range 2 {
		if got, err = fs.Disassociate(ctx, fip.ID); err != nil || got.InUse() || got.State != sdk.FloatingIPAvailable || got.PrivateIP != "" {
			t.Fatalf("Disassociate = %+v, %v", got, err)
		}
	}
	if without, _ := p.Compute.Instances.Get(ctx, in.ID); slices.Contains(without.PublicIPs, fip.PublicIP) {
		t.Errorf("instance still shows %s after disassociation: %v", fip.PublicIP, without.PublicIPs)
	}

	// Deleting the instance frees its floating IP.
	if _, err := fs.Associate(ctx, second.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.Compute.Instances.Delete(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := fs.Get(ctx, gw.ID, second.ID); err != nil || got.InUse() {
		t.Errorf("floating IP of a deleted instance = %+v, %v; want available", got, err)
	}
	page, err := fs.List(ctx, gw.ID, sdk.ListOptions{PageSize: 1})
	if err != nil || len(page.Items) != 1 || page.NextPageToken == "" {
		t.Errorf("List page of 1 = %+v, %v", page, err)
	}
	for _, id := range []string{fip.ID, second.ID} {
		if err := fs.Delete(ctx, gw.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, fs.Delete(ctx, gw.ID, fip.ID), sdk.CodeNotFound, "")
}

// TestFloatingIPNeedsRoute: an instance whose subnet no router connects to the
// gateway cannot take the gateway's floating IP.
func TestFloatingIPNeedsRoute(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	sn := createSubnet(t, p, "10.0.0.0/24")
	gw, err := p.Network.Gateways.GetOrCreate(ctx, sdk.GatewaySpec{NetworkID: sn.NetworkID})
	if err != nil {
		t.Fatal(err)
	}
	in := createInstance(t, p, sdk.InstanceSpec{SubnetID: sn.ID})
	waitInstance(t, p, in.ID, sdk.InstanceRunning)
	fip, err := p.Network.FloatingIPs.Create(ctx, sdk.FloatingIPSpec{GatewayID: gw.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Network.FloatingIPs.Associate(ctx, fip.ID, in.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
}

// TestNetworkingInStateFile: the networking family outlives the process that
// made it, like every other.
func TestNetworkingInStateFile(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "state.json")
	p1 := newPlugin(t, map[string]string{"state_file": file})
	in, gw, r := wiredInstance(t, p1)
	fip, err := p1.Network.FloatingIPs.Create(ctx, sdk.FloatingIPSpec{GatewayID: gw.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p1.Network.FloatingIPs.Associate(ctx, fip.ID, in.ID); err != nil {
		t.Fatal(err)
	}

	p2 := newPlugin(t, map[string]string{"state_file": file})
	got, err := p2.Network.Routers.Get(ctx, r.ID)
	if err != nil || got.GatewayID != gw.ID || !slices.Equal(got.SubnetIDs, []string{in.SubnetID}) {
		t.Errorf("router in the state file = %+v, %v", got, err)
	}
	inst, err := p2.Compute.Instances.Get(ctx, in.ID)
	if err != nil || !slices.Equal(inst.PublicIPs, []string{fip.PublicIP}) {
		t.Errorf("instance in the state file = %+v, %v; want public IP %s", inst, err, fip.PublicIP)
	}
}
