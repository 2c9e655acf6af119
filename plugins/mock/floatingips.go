package mock

import (
	"context"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// floatingIPPools are where floating IPs come from: the three documentation
// ranges (TEST-NET-1 to -3, RFC 5737), which no real host has and which are
// apart from the 198.18.0.0/15 that instances' own public addresses come from.
var floatingIPPools = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

// floatingIPs implements sdk.FloatingIPs. A floating IP is allocated from an
// internet gateway and may be associated with one instance at a time, and an
// instance has at most one (it has one private address to map it to). The
// instance then shows it as its public address, in place of the address it
// was given at launch, as on EC2.
type floatingIPs struct{ c *Cloud }

func floatingIPView(f *sdk.FloatingIP) sdk.FloatingIP {
	v := *f
	v.State = sdk.FloatingIPAvailable
	if v.InstanceID != "" {
		v.State = sdk.FloatingIPInUse
	}
	v.Extra = maps.Clone(v.Extra)
	return v
}

// gateway returns internet gateway id, named by the gateway_id argument.
func (t *txn) gateway(id string) (*sdk.Gateway, error) {
	g, ok := t.Gateways[id]
	if !ok {
		return nil, missing("gateway_id", "internet gateway", id)
	}
	return g, nil
}

// List lists the floating IPs of a gateway, which must exist.
func (s *floatingIPs) List(ctx context.Context, gatewayID string, opts sdk.ListOptions) (sdk.Page[sdk.FloatingIP], error) {
	var all []sdk.FloatingIP
	err := s.c.read(ctx, func(t *txn) error {
		if _, err := t.gateway(gatewayID); err != nil {
			return err
		}
		for _, f := range t.FloatingIPs {
			if f.GatewayID == gatewayID {
				all = append(all, floatingIPView(f))
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	return sdk.Paginate(all, opts, func(f sdk.FloatingIP) string { return f.ID })
}

func (s *floatingIPs) Get(ctx context.Context, gatewayID, id string) (sdk.FloatingIP, error) {
	var out sdk.FloatingIP
	err := s.c.read(ctx, func(t *txn) error {
		f, err := t.floatingIP(gatewayID, id)
		if err != nil {
			return err
		}
		out = floatingIPView(f)
		return nil
	})
	return out, err
}

// floatingIP returns floating IP id of gateway gatewayID.
func (t *txn) floatingIP(gatewayID, id string) (*sdk.FloatingIP, error) {
	if _, err := t.gateway(gatewayID); err != nil {
		return nil, err
	}
	f, ok := t.FloatingIPs[id]
	if !ok || f.GatewayID != gatewayID {
		return nil, sdk.NotFound("floating IP", id)
	}
	return f, nil
}

// Create allocates a floating IP from a gateway. When every address of the
// pools is taken it is ResourceExhausted, as EC2's AddressLimitExceeded.
func (s *floatingIPs) Create(ctx context.Context, spec sdk.FloatingIPSpec) (sdk.FloatingIP, error) {
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var out sdk.FloatingIP
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("floating_ip", token, digest); err != nil || rec != nil {
			if rec != nil {
				out = floatingIPView(t.FloatingIPs[rec.ID])
			}
			return err
		}
		if _, err := t.gateway(spec.GatewayID); err != nil {
			return err
		}
		ip, err := t.freeFloatingIP()
		if err != nil {
			return err
		}
		id := newID("eipalloc-", t.FloatingIPs)
		f := &sdk.FloatingIP{ID: id, Name: id, PublicIP: ip, GatewayID: spec.GatewayID}
		t.FloatingIPs[id] = f
		t.remember("floating_ip", token, digest, id)
		out = floatingIPView(f)
		return nil
	})
	return out, err
}

// freeFloatingIP picks a random address of the pools that no floating IP
// holds, avoiding the .0 and .255 addresses.
func (t *txn) freeFloatingIP() (string, error) {
	used := map[netip.Addr]bool{}
	for _, f := range t.FloatingIPs {
		if a, err := netip.ParseAddr(f.PublicIP); err == nil {
			used[a] = true
		}
	}
	var free []netip.Addr
	for _, pool := range floatingIPPools {
		for a := pool.Addr().Next(); pool.Contains(a); a = a.Next() {
			if last := a.As4()[3]; last != 255 && !used[a] {
				free = append(free, a)
			}
		}
	}
	if len(free) == 0 {
		return "", &sdk.Error{Code: sdk.CodeResourceExhausted, ProviderCode: "AddressLimitExceeded",
			Message: "every floating IP address is allocated; delete one first"}
	}
	return free[rand.IntN(len(free))].String(), nil
}

// Delete releases a floating IP; one associated with an instance is
// FailedPrecondition (EC2's InvalidIPAddress.InUse).
func (s *floatingIPs) Delete(ctx context.Context, gatewayID, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		f, err := t.floatingIP(gatewayID, id)
		if err != nil {
			return err
		}
		if f.InstanceID != "" {
			return failedPrecondition("floating IP %s (%s) is associated with instance %s; disassociate it first", id, f.PublicIP, f.InstanceID)
		}
		delete(t.FloatingIPs, id)
		t.forget("floating_ip", id)
		return nil
	})
}

// Associate maps a floating IP to an instance's private address. The instance
// must be running or stopped (or rebooting), and when it is in a subnet, some
// router must join that subnet to the floating IP's gateway. Associating it
// with the instance it is on does nothing; a floating IP on another instance,
// or an instance that has another one, is FailedPrecondition.
func (s *floatingIPs) Associate(ctx context.Context, id, instanceID string) (sdk.FloatingIP, error) {
	var out sdk.FloatingIP
	err := s.c.write(ctx, func(t *txn) error {
		f, ok := t.FloatingIPs[id]
		if !ok {
			return missing("id", "floating IP", id)
		}
		in, ok := t.Instances[instanceID]
		if !ok {
			return missing("instance_id", "instance", instanceID)
		}
		switch {
		case f.InstanceID == instanceID:
			out = floatingIPView(f)
			return nil
		case f.InstanceID != "":
			return failedPrecondition("floating IP %s (%s) is associated with instance %s; disassociate it first", id, f.PublicIP, f.InstanceID)
		case len(in.FloatingIPs) > 0:
			return failedPrecondition("instance %s already has floating IP %s", instanceID, in.FloatingIPs[0])
		case len(in.PrivateIPs) == 0:
			return failedPrecondition("instance %s has no private address to map a floating IP to", instanceID)
		}
		switch st := in.Pending.apply(in.State, t.now); st {
		case sdk.InstanceRunning, sdk.InstanceRebooting, sdk.InstanceStopped:
		default:
			return failedPrecondition("instance %s is %s; a floating IP can be associated with a running or stopped instance", instanceID, st)
		}
		if !t.reachable(in.SubnetID, f.GatewayID) {
			return failedPrecondition("subnet %s of instance %s is not routed to internet gateway %s: attach the subnet and the gateway to a router",
				in.SubnetID, instanceID, f.GatewayID)
		}
		f.InstanceID, f.PrivateIP = instanceID, in.PrivateIPs[0]
		in.FloatingIPs = []string{f.PublicIP}
		out = floatingIPView(f)
		return nil
	})
	return out, err
}

// Disassociate takes a floating IP off its instance; one that is on none is
// left as it is.
func (s *floatingIPs) Disassociate(ctx context.Context, id string) (sdk.FloatingIP, error) {
	var out sdk.FloatingIP
	err := s.c.write(ctx, func(t *txn) error {
		f, ok := t.FloatingIPs[id]
		if !ok {
			return missing("id", "floating IP", id)
		}
		t.disassociate(f)
		out = floatingIPView(f)
		return nil
	})
	return out, err
}

// disassociate takes f off its instance, if any.
func (t *txn) disassociate(f *sdk.FloatingIP) {
	if in, ok := t.Instances[f.InstanceID]; ok {
		// A new slice, not an edit in place: a copy of the record may share it.
		in.FloatingIPs = slices.DeleteFunc(slices.Clone(in.FloatingIPs), func(ip string) bool { return ip == f.PublicIP })
		if len(in.FloatingIPs) == 0 {
			in.FloatingIPs = nil
		}
	}
	f.InstanceID, f.PrivateIP = "", ""
}

// releaseInstanceAddresses takes every floating IP off instance id, which is
// being deleted: its addresses go back to their gateways, available.
func (t *txn) releaseInstanceAddresses(id string) {
	for _, fid := range slices.Sorted(maps.Keys(t.FloatingIPs)) {
		if f := t.FloatingIPs[fid]; f.InstanceID == id {
			t.disassociate(f)
		}
	}
}

// instancePublicIPs is what an instance shows as its public addresses: its
// floating IPs when it has any, whatever its state (EC2 keeps an elastic IP
// across a stop), else the address it was given at launch.
func instancePublicIPs(r *instanceRecord, launchIPs []string) []string {
	if len(r.FloatingIPs) > 0 {
		return slices.Clone(r.FloatingIPs)
	}
	return launchIPs
}
