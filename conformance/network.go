package conformance

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// networkTests port CloudBridge's test_network_service and the networking
// half of test_compute_service's test_instance_methods, and add the range,
// dependency and standard checks the original lacks.
func networkTests() []Test {
	networks := []string{sdk.CapNetworks}
	subnets := []string{sdk.CapNetworks, sdk.CapSubnets}
	routers := []string{sdk.CapNetworks, sdk.CapSubnets, sdk.CapRouters, sdk.CapGateways}
	gateways := []string{sdk.CapNetworks, sdk.CapGateways}
	fips := []string{sdk.CapNetworks, sdk.CapGateways, sdk.CapFloatingIPs}
	instances := []string{sdk.CapInstances, sdk.CapImages, sdk.CapVMTypes}
	return []Test{
		{Name: "network/networks/crud", Needs: networks, Run: testNetworkCRUD},
		{Name: "network/networks/idempotent-create", Needs: networks, Run: testNetworkIdempotent},
		{Name: "network/networks/missing", Needs: networks, Run: testNetworksMissing},
		{Name: "network/networks/paging", Needs: networks, Run: testNetworksPaging},
		{Name: "network/networks/bad-cidr", Needs: networks, Run: testNetworkBadCIDR},
		{Name: "network/networks/properties", Needs: subnets, Run: testNetworkProperties},
		{Name: "network/networks/delete-with-subnets-refused", Needs: subnets, Run: testNetworkDeleteWithSubnets},
		{Name: "network/networks/default", Needs: subnets, Run: testDefaultNetwork},

		{Name: "network/subnets/crud", Needs: subnets, Run: testSubnetCRUD},
		{Name: "network/subnets/idempotent-create", Needs: subnets, Run: testSubnetIdempotent},
		{Name: "network/subnets/missing", Needs: subnets, Run: testSubnetsMissing},
		{Name: "network/subnets/paging", Needs: subnets, Run: testSubnetsPaging},
		{Name: "network/subnets/cidr-rules", Needs: subnets, Run: testSubnetCIDRRules},
		{Name: "network/subnets/delete-with-instance-refused", Needs: slices.Concat(subnets, instances), Run: testSubnetDeleteWithInstance},

		{Name: "network/routers/crud", Needs: routers, Run: testRouterCRUD},
		{Name: "network/routers/idempotent-create", Needs: routers, Run: testRouterIdempotent},
		{Name: "network/routers/missing", Needs: routers, Run: testRoutersMissing},
		{Name: "network/routers/paging", Needs: routers, Run: testRoutersPaging},

		{Name: "network/gateways/get-or-create", Needs: gateways, Run: testGatewayGetOrCreate},

		{Name: "network/floating-ips/crud", Needs: fips, Run: testFloatingIPCRUD},
		{Name: "network/floating-ips/idempotent-create", Needs: fips, Run: testFloatingIPIdempotent},
		{Name: "network/floating-ips/missing", Needs: fips, Run: testFloatingIPsMissing},
		{Name: "network/floating-ips/paging", Needs: fips, Run: testFloatingIPsPaging},

		{Name: "compute/instances/floating-ips", Needs: slices.Concat(routers, instances, []string{sdk.CapFloatingIPs}), Run: testInstanceFloatingIPs},
	}
}

// ---- adapters to the standard checks ----

func networkService(e *Env) service[*host.Network] {
	s := e.P.Networking.Networks
	return service[*host.Network]{
		kind: "network", id: func(n *host.Network) string { return n.ID },
		findKey: "label", findValue: func(n *host.Network) string { return n.Label },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func subnetService(e *Env) service[*host.Subnet] {
	s := e.P.Networking.Subnets
	return service[*host.Subnet]{
		kind: "subnet", id: func(sn *host.Subnet) string { return sn.ID },
		findKey: "label", findValue: func(sn *host.Subnet) string { return sn.Label },
		get: s.Get, all: s.All, find: s.Find,
		list: func(ctx context.Context, o host.ListOptions) (host.Page[*host.Subnet], error) {
			return s.List(ctx, sdk.SubnetListOptions{ListOptions: o})
		},
	}
}

func routerService(e *Env) service[*host.Router] {
	s := e.P.Networking.Routers
	return service[*host.Router]{
		kind: "router", id: func(r *host.Router) string { return r.ID },
		findKey: "label", findValue: func(r *host.Router) string { return r.Label },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

// floatingIPService finds floating IPs by their address, the one thing about
// them every cloud shows.
func floatingIPService(gw *host.Gateway) service[*host.FloatingIP] {
	s := gw.FloatingIPs
	return service[*host.FloatingIP]{
		kind: "floating IP", id: func(f *host.FloatingIP) string { return f.ID },
		findKey: "public_ip", findValue: func(f *host.FloatingIP) string { return f.PublicIP },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func networkLabels(e *Env, n *host.Network) labeled {
	drv := e.P.Drivers().Network.Networks
	return labeled{
		kind: "network", label: func() string { return n.Label },
		set: n.SetLabel, refresh: n.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, n.ID, sdk.NetworkUpdate{Label: &l})
			return err
		},
	}
}

func subnetLabels(e *Env, sn *host.Subnet) labeled {
	drv := e.P.Drivers().Network.Subnets
	return labeled{
		kind: "subnet", label: func() string { return sn.Label },
		set: sn.SetLabel, refresh: sn.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, sn.ID, sdk.SubnetUpdate{Label: &l})
			return err
		},
	}
}

func routerLabels(e *Env, r *host.Router) labeled {
	drv := e.P.Drivers().Network.Routers
	return labeled{
		kind: "router", label: func() string { return r.Label },
		set: r.SetLabel, refresh: r.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, r.ID, sdk.RouterUpdate{Label: &l})
			return err
		},
	}
}

// ---- fixtures ----

// testNetworkCIDR is the range of the networks tests make; their subnets are
// /24s of it.
const testNetworkCIDR = "10.0.0.0/16"

// newNetwork makes a tracked network with the test range.
func newNetwork(t T, e *Env, purpose string) *host.Network {
	t.Helper()
	n, err := e.P.Networking.Networks.Create(e.Ctx, sdk.NetworkSpec{Label: e.Name(purpose), CIDRBlock: testNetworkCIDR})
	must(t, err, "create network")
	e.Track("network", n.ID, n.Delete)
	return n
}

// newSubnet makes a tracked subnet of n in the provider's zone.
func newSubnet(t T, e *Env, n *host.Network, purpose, cidr string) *host.Subnet {
	t.Helper()
	sn, err := n.CreateSubnet(e.Ctx, e.Name(purpose), cidr)
	must(t, err, "create subnet %s in network %s", cidr, n.ID)
	e.Track("subnet", sn.ID, sn.Delete)
	return sn
}

// newRouter makes a tracked router in n.
func newRouter(t T, e *Env, n *host.Network, purpose string) *host.Router {
	t.Helper()
	r, err := e.P.Networking.Routers.Create(e.Ctx, sdk.RouterSpec{Label: e.Name(purpose), NetworkID: n.ID})
	must(t, err, "create router in network %s", n.ID)
	e.Track("router", r.ID, r.Delete)
	return r
}

// newGateway gets or creates n's internet gateway and tracks it. A gateway
// the network already had would be deleted too, but a network made by the
// test has none.
func newGateway(t T, e *Env, n *host.Network) *host.Gateway {
	t.Helper()
	gw, err := n.Gateways.GetOrCreate(e.Ctx)
	must(t, err, "get or create the internet gateway of network %s", n.ID)
	e.Track("internet gateway", gw.ID, gw.Delete)
	return gw
}

// newFloatingIP allocates a tracked floating IP from gw.
func newFloatingIP(t T, e *Env, gw *host.Gateway) *host.FloatingIP {
	t.Helper()
	f, err := gw.FloatingIPs.Create(e.Ctx)
	must(t, err, "allocate a floating IP from gateway %s", gw.ID)
	e.Track("floating IP", f.ID, f.Delete)
	return f
}

// attach joins a subnet and a gateway to r, tracking both detaches so that
// cleanup can take r apart.
func attach(t T, e *Env, r *host.Router, subnetID, gatewayID string) {
	t.Helper()
	if subnetID != "" {
		must(t, r.AttachSubnet(e.Ctx, subnetID), "attach subnet %s to router %s", subnetID, r.ID)
		e.Track("router subnet", subnetID, func(ctx context.Context) error { return r.DetachSubnet(ctx, subnetID) })
	}
	if gatewayID != "" {
		must(t, r.AttachGateway(e.Ctx, gatewayID), "attach gateway %s to router %s", gatewayID, r.ID)
		e.Track("router gateway", gatewayID, func(ctx context.Context) error { return r.DetachGateway(ctx, gatewayID) })
	}
}

// wantParam checks that err is InvalidArgument naming param.
func wantParam(t T, err error, param, what string, args ...any) {
	t.Helper()
	var e *sdk.Error
	switch {
	case !errors.Is(err, sdk.ErrInvalidArgument):
		t.Errorf("%s: err = %v, want InvalidArgument", sprintf(what, args...), err)
	case !errors.As(err, &e) || e.Param != param:
		t.Errorf("%s: err = %v, want it to name parameter %s", sprintf(what, args...), err, param)
	}
}

// ---- networks ----

// testNetworkCRUD is test_crud_network: check_crud with label checks.
func testNetworkCRUD(t T, e *Env) {
	svc := networkService(e)
	run(t, "host-rejects-bad-labels", func(t T) {
		checkRefused(t, e, "host create network with label", badLabels, func(ctx context.Context, l string) (string, error) {
			n, err := e.P.Networking.Networks.Create(ctx, sdk.NetworkSpec{Label: l, CIDRBlock: testNetworkCIDR})
			if err != nil {
				return "", err
			}
			return n.ID, nil
		}, e.P.Networking.Networks.Delete)
	})
	run(t, "plugin-rejects-bad-labels", func(t T) {
		drv := e.P.Drivers().Network.Networks
		checkRefused(t, e, "plugin create network with label", badLabels, func(ctx context.Context, l string) (string, error) {
			n, err := drv.Create(ctx, sdk.NetworkSpec{Label: l, CIDRBlock: testNetworkCIDR})
			return n.ID, err
		}, drv.Delete)
	})
	n := newNetwork(t, e, "crud")
	run(t, "wait-ready", func(t T) {
		must(t, n.WaitReady(e.Ctx), "wait for network %s to be available", n.ID)
		if n.State != sdk.NetworkAvailable {
			t.Errorf("network %s is %s after WaitReady", n.ID, n.State)
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, n) })
	run(t, "relabel", func(t T) { networkLabels(e, n).checkRelabel(t, e) })
	run(t, "plugin-rejects-bad-relabels", func(t T) { networkLabels(e, n).checkPluginRefuses(t, e) })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "network", n.ID, e.P.Networking.Networks.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, n) })
}

func testNetworkIdempotent(t T, e *Env) {
	spec := sdk.NetworkSpec{Label: e.Name("idem"), CIDRBlock: testNetworkCIDR, IdempotencyToken: randomHex(16)}
	first, err := e.P.Networking.Networks.Create(e.Ctx, spec)
	must(t, err, "create network")
	e.Track("network", first.ID, first.Delete)
	again, err := e.P.Networking.Networks.Create(e.Ctx, spec)
	must(t, err, "create network again with the same idempotency token")
	if again.ID != first.ID {
		e.Track("network", again.ID, again.Delete)
	}
	networkService(e).checkIdempotent(t, e, first, again.ID)
}

func testNetworksMissing(t T, e *Env) {
	networkService(e).checkMissing(t, e, e.Name("no-such-network"))
}

func testNetworksPaging(t T, e *Env) {
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, newNetwork(t, e, purpose).ID)
	}
	networkService(e).checkPaging(t, e, made)
}

// testNetworkBadCIDR: the plugin itself refuses a range that is not a CIDR
// block, or one with host bits set.
func testNetworkBadCIDR(t T, e *Env) {
	drv := e.P.Drivers().Network.Networks
	for _, cidr := range []string{"not-a-cidr", "10.0.0.0/33", "10.0.0.1/16", "10.0.0.0"} {
		n, err := drv.Create(e.Ctx, sdk.NetworkSpec{Label: e.Name("bad-cidr"), CIDRBlock: cidr})
		if err == nil {
			e.Track("network", n.ID, func(ctx context.Context) error { return drv.Delete(ctx, n.ID) })
		}
		wantParam(t, err, "cidr_block", "plugin create network with range %q", cidr)
	}
}

// testNetworkProperties is test_network_properties: state, exact ranges,
// subnet membership, list(network=) and the subnet's network.
func testNetworkProperties(t T, e *Env) {
	n := newNetwork(t, e, "props")
	must(t, n.WaitReady(e.Ctx), "wait for network %s to be available", n.ID)
	sn := newSubnet(t, e, n, "props", "10.0.1.0/24")
	// A subnet of another network, which must not be counted as n's.
	other := newNetwork(t, e, "props-other")
	foreign := newSubnet(t, e, other, "props-other", "10.0.1.0/24")
	subnetID := func(s *host.Subnet) string { return s.ID }

	run(t, "state", func(t T) {
		must(t, n.Refresh(e.Ctx), "refresh network %s", n.ID)
		if n.State != sdk.NetworkAvailable {
			t.Errorf("network %s is %s, want available", n.ID, n.State)
		}
	})
	run(t, "internal", func(t T) {
		if n.External {
			t.Errorf("network %s made by the account says it is external", n.ID)
		}
	})
	run(t, "exact-cidr", func(t T) {
		if n.CIDRBlock != "" && n.CIDRBlock != testNetworkCIDR {
			t.Errorf("network %s has range %q, want %s", n.ID, n.CIDRBlock, testNetworkCIDR)
		}
		got, err := e.P.Networking.Subnets.Get(e.Ctx, sn.ID)
		must(t, err, "get subnet %s", sn.ID)
		if sn.CIDRBlock != "10.0.1.0/24" || got.CIDRBlock != "10.0.1.0/24" {
			t.Errorf("subnet %s has range %q (get: %q), want 10.0.1.0/24", sn.ID, sn.CIDRBlock, got.CIDRBlock)
		}
	})
	run(t, "subnets-of-network", func(t T) {
		subs, err := n.Subnets(e.Ctx)
		must(t, err, "list subnets of network %s", n.ID)
		if c := count(subs, sn.ID, subnetID); c != 1 {
			t.Errorf("subnet %s appears %d times among network %s's subnets, want 1", sn.ID, c, n.ID)
		}
		if count(subs, foreign.ID, subnetID) != 0 {
			t.Errorf("subnet %s of network %s is listed as network %s's", foreign.ID, other.ID, n.ID)
		}
	})
	run(t, "list-by-network", func(t T) {
		var listed []*host.Subnet
		opts := sdk.SubnetListOptions{NetworkID: n.ID, ListOptions: host.ListOptions{PageSize: 1}}
		for {
			page, err := e.P.Networking.Subnets.List(e.Ctx, opts)
			must(t, err, "list subnets of network %s", n.ID)
			listed = append(listed, page.Items...)
			if opts.PageToken = page.NextPageToken; opts.PageToken == "" {
				break
			}
		}
		if c := count(listed, sn.ID, subnetID); c != 1 {
			t.Errorf("subnet %s appears %d times in list(network=%s), want 1", sn.ID, c, n.ID)
		}
		for _, s := range listed {
			if s.NetworkID != n.ID {
				t.Errorf("list(network=%s) returned subnet %s of network %s", n.ID, s.ID, s.NetworkID)
			}
		}
	})
	run(t, "subnet-network", func(t T) {
		if sn.NetworkID != n.ID {
			t.Errorf("subnet %s says its network is %q, want %s", sn.ID, sn.NetworkID, n.ID)
		}
		got, err := sn.Network(e.Ctx)
		must(t, err, "get the network of subnet %s", sn.ID)
		if got.ID != n.ID {
			t.Errorf("the network of subnet %s is %s, want %s", sn.ID, got.ID, n.ID)
		}
	})
	run(t, "subnet-zone", func(t T) {
		if sn.Zone != "" && sn.Zone != e.P.Zone {
			t.Errorf("subnet %s is in zone %q, want the provider's zone %s", sn.ID, sn.Zone, e.P.Zone)
		}
	})
}

// testNetworkDeleteWithSubnets: a network that still has a subnet cannot be
// deleted, and the refusal changes nothing; once the subnet is gone it can.
func testNetworkDeleteWithSubnets(t T, e *Env) {
	n := newNetwork(t, e, "busy")
	sn := newSubnet(t, e, n, "busy", "10.0.1.0/24")
	wantCode(t, n.Delete(e.Ctx), sdk.ErrFailedPrecondition, "delete network %s, which has subnet %s", n.ID, sn.ID)
	got, err := e.P.Networking.Networks.Get(e.Ctx, n.ID)
	must(t, err, "get network %s after a refused delete", n.ID)
	if got.Label != n.Label || got.CIDRBlock != n.CIDRBlock {
		t.Errorf("network %s changed with a refused delete: label %q range %q, was %q %q", n.ID, got.Label, got.CIDRBlock, n.Label, n.CIDRBlock)
	}
	gotSubnet, err := e.P.Networking.Subnets.Get(e.Ctx, sn.ID)
	must(t, err, "get subnet %s after its network's refused delete", sn.ID)
	if gotSubnet.NetworkID != n.ID {
		t.Errorf("subnet %s moved to network %q", sn.ID, gotSubnet.NetworkID)
	}
	must(t, deleteWithRetry(e.Ctx, sn.Delete), "delete subnet %s", sn.ID)
	must(t, deleteWithRetry(e.Ctx, n.Delete), "delete network %s once its subnet is gone", n.ID)
	networkService(e).checkGone(t, e, n)
}

// testDefaultNetwork is test_default_network: the default subnet is found or
// made, in the default network, and a second call finds the same one. What
// the test made is deleted afterwards; what was there before is left alone.
func testDefaultNetwork(t T, e *Env) {
	nets, subs := e.P.Networking.Networks, e.P.Networking.Subnets
	netsBefore, err := nets.Find(e.Ctx, host.Filter{"label": sdk.DefaultNetworkLabel})
	must(t, err, "find the default network")
	subsBefore, err := subs.Find(e.Ctx, host.Filter{"label": sdk.DefaultSubnetLabel})
	must(t, err, "find the default subnet")

	sn, err := subs.GetOrCreateDefault(e.Ctx)
	// Track what was made before checking err: a half-done call may have made
	// the network alone. The network is tracked first so that it goes last.
	if len(netsBefore) == 0 {
		made, ferr := nets.Find(e.Ctx, host.Filter{"label": sdk.DefaultNetworkLabel})
		must(t, ferr, "find the default network")
		for _, n := range made {
			e.Track("network", n.ID, n.Delete)
		}
	}
	if len(subsBefore) == 0 && err == nil {
		e.Track("subnet", sn.ID, sn.Delete)
	}
	must(t, err, "get or create the default subnet")

	run(t, "subnet", func(t T) {
		if sn.Label != sdk.DefaultSubnetLabel {
			t.Errorf("default subnet %s is labelled %q, want %q", sn.ID, sn.Label, sdk.DefaultSubnetLabel)
		}
		if sn.Zone != "" && sn.Zone != e.P.Zone && len(subsBefore) == 0 {
			t.Errorf("new default subnet %s is in zone %s, want %s", sn.ID, sn.Zone, e.P.Zone)
		}
		if len(subsBefore) == 0 && sn.CIDRBlock != sdk.DefaultSubnetCIDR {
			t.Errorf("new default subnet %s has range %q, want %s", sn.ID, sn.CIDRBlock, sdk.DefaultSubnetCIDR)
		}
	})
	run(t, "network", func(t T) {
		n, err := sn.Network(e.Ctx)
		must(t, err, "get the network of default subnet %s", sn.ID)
		if len(subsBefore) == 0 && n.Label != sdk.DefaultNetworkLabel {
			t.Errorf("new default subnet %s is in network %s labelled %q, want %q", sn.ID, n.ID, n.Label, sdk.DefaultNetworkLabel)
		}
		if len(netsBefore) == 0 && n.CIDRBlock != "" && n.CIDRBlock != sdk.DefaultNetworkCIDR {
			t.Errorf("new default network %s has range %q, want %s", n.ID, n.CIDRBlock, sdk.DefaultNetworkCIDR)
		}
	})
	run(t, "again", func(t T) {
		again, err := subs.GetOrCreateDefault(e.Ctx)
		must(t, err, "get or create the default subnet a second time")
		if again.ID != sn.ID {
			e.Track("subnet", again.ID, again.Delete)
			t.Errorf("second get-or-create of the default subnet answered %s, want %s", again.ID, sn.ID)
		}
	})
}

// ---- subnets ----

// testSubnetCRUD is test_crud_subnet: check_crud with label checks.
func testSubnetCRUD(t T, e *Env) {
	n := newNetwork(t, e, "subnets")
	svc := subnetService(e)
	run(t, "host-rejects-bad-labels", func(t T) {
		checkRefused(t, e, "host create subnet with label", badLabels, func(ctx context.Context, l string) (string, error) {
			sn, err := n.CreateSubnet(ctx, l, "10.0.9.0/24")
			if err != nil {
				return "", err
			}
			return sn.ID, nil
		}, e.P.Networking.Subnets.Delete)
	})
	run(t, "plugin-rejects-bad-labels", func(t T) {
		drv := e.P.Drivers().Network.Subnets
		checkRefused(t, e, "plugin create subnet with label", badLabels, func(ctx context.Context, l string) (string, error) {
			sn, err := drv.Create(ctx, sdk.SubnetSpec{Label: l, NetworkID: n.ID, CIDRBlock: "10.0.9.0/24", Zone: e.P.Zone})
			return sn.ID, err
		}, drv.Delete)
	})
	sn := newSubnet(t, e, n, "crud", "10.0.1.0/24")
	run(t, "properties", func(t T) {
		if sn.Label != e.Name("crud") || sn.NetworkID != n.ID || sn.CIDRBlock != "10.0.1.0/24" {
			t.Errorf("subnet %s has label %q, network %q, range %q; want %q, %q, %q",
				sn.ID, sn.Label, sn.NetworkID, sn.CIDRBlock, e.Name("crud"), n.ID, "10.0.1.0/24")
		}
	})
	run(t, "wait-ready", func(t T) {
		must(t, sn.WaitReady(e.Ctx), "wait for subnet %s to be available", sn.ID)
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, sn) })
	run(t, "relabel", func(t T) { subnetLabels(e, sn).checkRelabel(t, e) })
	run(t, "plugin-rejects-bad-relabels", func(t T) { subnetLabels(e, sn).checkPluginRefuses(t, e) })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "subnet", sn.ID, e.P.Networking.Subnets.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, sn) })
}

func testSubnetIdempotent(t T, e *Env) {
	n := newNetwork(t, e, "idem")
	spec := sdk.SubnetSpec{Label: e.Name("idem"), NetworkID: n.ID, CIDRBlock: "10.0.1.0/24", IdempotencyToken: randomHex(16)}
	first, err := e.P.Networking.Subnets.Create(e.Ctx, spec)
	must(t, err, "create subnet")
	e.Track("subnet", first.ID, first.Delete)
	again, err := e.P.Networking.Subnets.Create(e.Ctx, spec)
	must(t, err, "create subnet again with the same idempotency token")
	if again.ID != first.ID {
		e.Track("subnet", again.ID, again.Delete)
	}
	subnetService(e).checkIdempotent(t, e, first, again.ID)
}

func testSubnetsMissing(t T, e *Env) {
	subnetService(e).checkMissing(t, e, e.Name("no-such-subnet"))
}

func testSubnetsPaging(t T, e *Env) {
	n := newNetwork(t, e, "paging")
	var made []string
	for i, cidr := range []string{"10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"} {
		made = append(made, newSubnet(t, e, n, sprintf("page-%d", i+1), cidr).ID)
	}
	subnetService(e).checkPaging(t, e, made)
}

// testSubnetCIDRRules: a subnet's range must lie within its network's and
// clear of the network's other subnets; anything else is InvalidArgument
// naming cidr_block, and makes nothing.
func testSubnetCIDRRules(t T, e *Env) {
	n := newNetwork(t, e, "ranges")
	if n.CIDRBlock == "" {
		t.Skip("networks of this cloud have no range of their own")
	}
	taken := newSubnet(t, e, n, "taken", "10.0.1.0/24")
	cases := []struct{ name, cidr string }{
		{"outside-network", "10.1.0.0/24"},
		{"larger-than-network", "10.0.0.0/15"},
		{"same-as-another", "10.0.1.0/24"},
		{"inside-another", "10.0.1.128/25"},
		{"around-another", "10.0.0.0/22"},
	}
	for _, c := range cases {
		run(t, c.name, func(t T) {
			sn, err := n.CreateSubnet(e.Ctx, e.Name("bad-range"), c.cidr)
			if err == nil {
				e.Track("subnet", sn.ID, sn.Delete)
			}
			wantParam(t, err, "cidr_block", "create subnet %s in network %s (%s) beside subnet %s (%s)",
				c.cidr, n.ID, n.CIDRBlock, taken.ID, taken.CIDRBlock)
			subs, err := n.Subnets(e.Ctx)
			must(t, err, "list subnets of network %s", n.ID)
			if len(subs) != 1 || subs[0].ID != taken.ID {
				t.Errorf("after a refused create, network %s has subnets %v, want only %s", n.ID, ids(subs, func(s *host.Subnet) string { return s.ID }), taken.ID)
			}
		})
	}
	run(t, "plugin-rejects-malformed", func(t T) {
		drv := e.P.Drivers().Network.Subnets
		for _, cidr := range []string{"", "not-a-cidr", "10.0.2.1/24"} {
			sn, err := drv.Create(e.Ctx, sdk.SubnetSpec{Label: e.Name("bad-range"), NetworkID: n.ID, CIDRBlock: cidr, Zone: e.P.Zone})
			if err == nil {
				e.Track("subnet", sn.ID, func(ctx context.Context) error { return drv.Delete(ctx, sn.ID) })
			}
			wantParam(t, err, "cidr_block", "plugin create subnet with range %q", cidr)
		}
	})
	run(t, "adjacent-accepted", func(t T) {
		sn := newSubnet(t, e, n, "adjacent", "10.0.2.0/24")
		if sn.CIDRBlock != "10.0.2.0/24" {
			t.Errorf("subnet %s next to %s has range %q", sn.ID, taken.CIDRBlock, sn.CIDRBlock)
		}
	})
}

// testSubnetDeleteWithInstance: a subnet with an instance in it cannot be
// deleted, and is kept whole; once the instance is gone it can.
func testSubnetDeleteWithInstance(t T, e *Env) {
	n := newNetwork(t, e, "occupied")
	sn := newSubnet(t, e, n, "occupied", "10.0.1.0/24")
	inst := e.NewInstance(t, "occupant", InstanceOptions{SubnetID: sn.ID, NoWait: true})
	wantCode(t, sn.Delete(e.Ctx), sdk.ErrFailedPrecondition, "delete subnet %s, which has instance %s", sn.ID, inst.ID)
	got, err := e.P.Networking.Subnets.Get(e.Ctx, sn.ID)
	must(t, err, "get subnet %s after a refused delete", sn.ID)
	if got.CIDRBlock != sn.CIDRBlock || got.NetworkID != n.ID {
		t.Errorf("subnet %s changed with a refused delete: %+v", sn.ID, got.Subnet)
	}
	must(t, inst.Refresh(e.Ctx), "refresh instance %s", inst.ID)
	if inst.SubnetID != sn.ID {
		t.Errorf("instance %s is in subnet %q, want %s", inst.ID, inst.SubnetID, sn.ID)
	}
	must(t, inst.Delete(e.Ctx), "delete instance %s", inst.ID)
	must(t, inst.WaitFor(e.Ctx, sdk.InstanceDeleted, sdk.InstanceUnknown), "wait for instance %s to be deleted", inst.ID)
	must(t, deleteWithRetry(e.Ctx, sn.Delete), "delete subnet %s once its instance is gone", sn.ID)
	subnetService(e).checkGone(t, e, sn)
}

// ---- routers ----

// testRouterCRUD is test_crud_router: a new router is detached; it is
// attached once it joins a subnet and the network's gateway; while it joins a
// subnet it cannot be deleted; taken apart, the router, subnet and network
// are deleted.
func testRouterCRUD(t T, e *Env) {
	n := newNetwork(t, e, "router")
	sn := newSubnet(t, e, n, "router", "10.0.1.0/24")
	svc := routerService(e)
	run(t, "host-rejects-bad-labels", func(t T) {
		checkRefused(t, e, "host create router with label", badLabels, func(ctx context.Context, l string) (string, error) {
			r, err := e.P.Networking.Routers.Create(ctx, sdk.RouterSpec{Label: l, NetworkID: n.ID})
			if err != nil {
				return "", err
			}
			return r.ID, nil
		}, e.P.Networking.Routers.Delete)
	})
	run(t, "plugin-rejects-bad-labels", func(t T) {
		drv := e.P.Drivers().Network.Routers
		checkRefused(t, e, "plugin create router with label", badLabels, func(ctx context.Context, l string) (string, error) {
			r, err := drv.Create(ctx, sdk.RouterSpec{Label: l, NetworkID: n.ID})
			return r.ID, err
		}, drv.Delete)
	})
	r := newRouter(t, e, n, "crud")
	run(t, "starts-detached", func(t T) {
		if r.State != sdk.RouterDetached || len(r.SubnetIDs) != 0 || r.GatewayID != "" {
			t.Errorf("new router %s is %s with subnets %v and gateway %q; want detached with none", r.ID, r.State, r.SubnetIDs, r.GatewayID)
		}
		if r.NetworkID != n.ID {
			t.Errorf("router %s is in network %q, want %s", r.ID, r.NetworkID, n.ID)
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, r) })
	run(t, "relabel", func(t T) { routerLabels(e, r).checkRelabel(t, e) })
	run(t, "plugin-rejects-bad-relabels", func(t T) { routerLabels(e, r).checkPluginRefuses(t, e) })

	gw := newGateway(t, e, n)
	run(t, "attach-subnet", func(t T) {
		attach(t, e, r, sn.ID, "")
		must(t, r.Refresh(e.Ctx), "refresh router %s", r.ID)
		if !slices.Contains(r.SubnetIDs, sn.ID) {
			t.Errorf("router %s joins subnets %v after attaching %s", r.ID, r.SubnetIDs, sn.ID)
		}
	})
	run(t, "attach-gateway", func(t T) {
		attach(t, e, r, "", gw.ID)
		must(t, r.Refresh(e.Ctx), "refresh router %s", r.ID)
		if r.GatewayID != gw.ID || r.State != sdk.RouterAttached {
			t.Errorf("router %s has gateway %q and is %s after attaching gateway %s; want it attached", r.ID, r.GatewayID, r.State, gw.ID)
		}
	})
	run(t, "delete-attached-refused", func(t T) {
		if !slices.Contains(r.SubnetIDs, sn.ID) {
			t.Skip("the subnet is not attached")
		}
		wantCode(t, r.Delete(e.Ctx), sdk.ErrFailedPrecondition, "delete router %s, which joins subnet %s", r.ID, sn.ID)
		_, err := e.P.Networking.Routers.Get(e.Ctx, r.ID)
		must(t, err, "get router %s after a refused delete", r.ID)
	})
	run(t, "detach", func(t T) {
		must(t, r.DetachGateway(e.Ctx, gw.ID), "detach gateway %s from router %s", gw.ID, r.ID)
		must(t, r.DetachSubnet(e.Ctx, sn.ID), "detach subnet %s from router %s", sn.ID, r.ID)
		must(t, r.Refresh(e.Ctx), "refresh router %s", r.ID)
		if r.GatewayID != "" || slices.Contains(r.SubnetIDs, sn.ID) {
			t.Errorf("after detaching, router %s has gateway %q and subnets %v", r.ID, r.GatewayID, r.SubnetIDs)
		}
	})
	run(t, "delete-all", func(t T) {
		must(t, deleteWithRetry(e.Ctx, r.Delete), "delete router %s", r.ID)
		svc.checkGone(t, e, r)
		must(t, deleteWithRetry(e.Ctx, gw.Delete), "delete gateway %s", gw.ID)
		must(t, deleteWithRetry(e.Ctx, sn.Delete), "delete subnet %s", sn.ID)
		subnetService(e).checkGone(t, e, sn)
		must(t, deleteWithRetry(e.Ctx, n.Delete), "delete network %s", n.ID)
		networkService(e).checkGone(t, e, n)
	})
}

func testRouterIdempotent(t T, e *Env) {
	n := newNetwork(t, e, "idem")
	spec := sdk.RouterSpec{Label: e.Name("idem"), NetworkID: n.ID, IdempotencyToken: randomHex(16)}
	first, err := e.P.Networking.Routers.Create(e.Ctx, spec)
	must(t, err, "create router")
	e.Track("router", first.ID, first.Delete)
	again, err := e.P.Networking.Routers.Create(e.Ctx, spec)
	must(t, err, "create router again with the same idempotency token")
	if again.ID != first.ID {
		e.Track("router", again.ID, again.Delete)
	}
	routerService(e).checkIdempotent(t, e, first, again.ID)
}

func testRoutersMissing(t T, e *Env) {
	routerService(e).checkMissing(t, e, e.Name("no-such-router"))
}

func testRoutersPaging(t T, e *Env) {
	n := newNetwork(t, e, "paging")
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, newRouter(t, e, n, purpose).ID)
	}
	routerService(e).checkPaging(t, e, made)
}

// ---- gateways ----

// testGatewayGetOrCreate: a network has one internet gateway; asking for it
// twice answers the same one, which the network lists once.
func testGatewayGetOrCreate(t T, e *Env) {
	n := newNetwork(t, e, "gateway")
	gw := newGateway(t, e, n)
	run(t, "twice-same", func(t T) {
		again, err := n.Gateways.GetOrCreate(e.Ctx)
		must(t, err, "get or create the gateway of network %s again", n.ID)
		if again.ID != gw.ID {
			e.Track("internet gateway", again.ID, again.Delete)
			t.Errorf("second get-or-create answered gateway %s, want %s", again.ID, gw.ID)
		}
	})
	run(t, "listed-once", func(t T) {
		listed := collect(t, "gateways", n.Gateways.All(e.Ctx))
		if c := count(listed, gw.ID, func(g *host.Gateway) string { return g.ID }); c != 1 {
			t.Errorf("gateway %s appears %d times among network %s's gateways, want 1", gw.ID, c, n.ID)
		}
	})
	run(t, "available", func(t T) {
		if gw.State != sdk.GatewayAvailable {
			t.Errorf("gateway %s is %s, want available", gw.ID, gw.State)
		}
	})
}

// ---- floating IPs ----

// testFloatingIPCRUD is test_crud_floating_ip and test_floating_ip_properties:
// a new floating IP is listed, has a public address, no private one, and is
// not in use.
func testFloatingIPCRUD(t T, e *Env) {
	gw := newGateway(t, e, newNetwork(t, e, "fip"))
	f := newFloatingIP(t, e, gw)
	svc := floatingIPService(gw)
	run(t, "properties", func(t T) {
		got, err := gw.FloatingIPs.Get(e.Ctx, f.ID)
		must(t, err, "get floating IP %s", f.ID)
		for _, v := range []*host.FloatingIP{f, got} {
			if _, err := netip.ParseAddr(v.PublicIP); err != nil {
				t.Errorf("floating IP %s has public address %q: %v", v.ID, v.PublicIP, err)
			}
			if v.PrivateIP != "" || v.InUse() || v.InstanceID != "" || v.State != sdk.FloatingIPAvailable {
				t.Errorf("new floating IP %s: private IP %q, instance %q, state %s; want none, none, available",
					v.ID, v.PrivateIP, v.InstanceID, v.State)
			}
		}
		if got.PublicIP != f.PublicIP {
			t.Errorf("floating IP %s has address %s, get says %s", f.ID, f.PublicIP, got.PublicIP)
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, f) })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "floating IP", f.ID, gw.FloatingIPs.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, f) })
}

// testFloatingIPIdempotent: an allocation retried with its idempotency token
// answers the address the first made. The host makes a token per call, so the
// plugin is called directly.
func testFloatingIPIdempotent(t T, e *Env) {
	gw := newGateway(t, e, newNetwork(t, e, "fip-idem"))
	drv := e.P.Drivers().Network.FloatingIPs
	spec := sdk.FloatingIPSpec{GatewayID: gw.ID, IdempotencyToken: randomHex(16)}
	first, err := drv.Create(e.Ctx, spec)
	must(t, err, "allocate a floating IP")
	e.Track("floating IP", first.ID, func(ctx context.Context) error { return drv.Delete(ctx, gw.ID, first.ID) })
	again, err := drv.Create(e.Ctx, spec)
	must(t, err, "allocate a floating IP again with the same idempotency token")
	if again.ID != first.ID {
		e.Track("floating IP", again.ID, func(ctx context.Context) error { return drv.Delete(ctx, gw.ID, again.ID) })
		t.Errorf("retried allocation answered %s (%s), want the first %s (%s)", again.ID, again.PublicIP, first.ID, first.PublicIP)
	}
	listed := collect(t, "floating IPs", gw.FloatingIPs.All(e.Ctx))
	if len(listed) != 1 {
		t.Errorf("gateway %s has %d floating IPs after a retried allocation, want 1", gw.ID, len(listed))
	}
}

func testFloatingIPsMissing(t T, e *Env) {
	gw := newGateway(t, e, newNetwork(t, e, "fip-missing"))
	floatingIPService(gw).checkMissing(t, e, e.Name("no-such-fip"))
}

func testFloatingIPsPaging(t T, e *Env) {
	gw := newGateway(t, e, newNetwork(t, e, "fip-paging"))
	var made []string
	for range 3 {
		made = append(made, newFloatingIP(t, e, gw).ID)
	}
	floatingIPService(gw).checkPaging(t, e, made)
}

// ---- instances ----

// testInstanceFloatingIPs is the networking half of test_instance_methods: a
// subnet routed to the internet gateway, an instance in it, and a floating IP
// added by object and by id, shown by the instance while in use, and removed.
// Deleting the instance frees the floating IP.
func testInstanceFloatingIPs(t T, e *Env) {
	n := newNetwork(t, e, "inst-fip")
	sn := newSubnet(t, e, n, "inst-fip", "10.0.1.0/24")
	gw := newGateway(t, e, n)
	r := newRouter(t, e, n, "inst-fip")
	attach(t, e, r, sn.ID, gw.ID)
	inst := e.NewInstance(t, "fip", InstanceOptions{SubnetID: sn.ID})
	f := newFloatingIP(t, e, gw)
	e.Track("floating IP association", f.ID, func(ctx context.Context) error {
		_, err := gw.FloatingIPs.Disassociate(ctx, f.ID)
		return err
	})

	inUse := func(t T, want bool) {
		t.Helper()
		must(t, f.Refresh(e.Ctx), "refresh floating IP %s", f.ID)
		must(t, inst.Refresh(e.Ctx), "refresh instance %s", inst.ID)
		shown := slices.Contains(inst.PublicIPs, f.PublicIP)
		switch {
		case want && (!f.InUse() || f.State != sdk.FloatingIPInUse || f.InstanceID != inst.ID):
			t.Errorf("floating IP %s is %s on instance %q, want in use on %s", f.ID, f.State, f.InstanceID, inst.ID)
		case want && !slices.Contains(inst.PrivateIPs, f.PrivateIP):
			t.Errorf("floating IP %s maps to %q, not one of instance %s's private IPs %v", f.ID, f.PrivateIP, inst.ID, inst.PrivateIPs)
		case want && !shown:
			t.Errorf("instance %s shows public IPs %v without its floating IP %s", inst.ID, inst.PublicIPs, f.PublicIP)
		case !want && (f.InUse() || f.State != sdk.FloatingIPAvailable || f.PrivateIP != ""):
			t.Errorf("removed floating IP %s is %s on instance %q at %q, want available and unmapped", f.ID, f.State, f.InstanceID, f.PrivateIP)
		case !want && shown:
			t.Errorf("instance %s still shows removed floating IP %s: %v", inst.ID, f.PublicIP, inst.PublicIPs)
		}
	}
	run(t, "add-by-object", func(t T) {
		must(t, f.Associate(e.Ctx, inst.ID), "associate floating IP %s with instance %s", f.ID, inst.ID)
		inUse(t, true)
	})
	run(t, "remove-by-id", func(t T) {
		must(t, inst.RemoveFloatingIP(e.Ctx, f.ID), "remove floating IP %s from instance %s", f.ID, inst.ID)
		inUse(t, false)
	})
	run(t, "add-by-id", func(t T) {
		must(t, inst.AddFloatingIP(e.Ctx, f.ID), "add floating IP %s to instance %s", f.ID, inst.ID)
		inUse(t, true)
	})
	run(t, "remove-by-object", func(t T) {
		must(t, f.Disassociate(e.Ctx), "disassociate floating IP %s", f.ID)
		inUse(t, false)
	})
	run(t, "freed-by-instance-delete", func(t T) {
		must(t, inst.AddFloatingIP(e.Ctx, f.ID), "add floating IP %s to instance %s", f.ID, inst.ID)
		must(t, inst.Delete(e.Ctx), "delete instance %s", inst.ID)
		must(t, inst.WaitFor(e.Ctx, sdk.InstanceDeleted, sdk.InstanceUnknown), "wait for instance %s to be deleted", inst.ID)
		// Clouds free the address as the instance goes; allow them a moment.
		ctx, cancel := context.WithTimeout(e.Ctx, time.Minute)
		defer cancel()
		for {
			must(t, f.Refresh(ctx), "refresh floating IP %s", f.ID)
			if !f.InUse() {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("floating IP %s is still on deleted instance %s", f.ID, f.InstanceID)
			case <-time.After(e.Cfg.WaitPolicy.MinInterval):
			}
		}
	})
}
