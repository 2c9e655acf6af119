package mock

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The networking family follows AWS's VPC model, the strictest of the clouds:
// a network has an IPv4 range of /16 to /28, its subnets carve disjoint ranges
// out of it, each in one zone; a router (a route table) joins subnets of its
// network and routes them to the network's one internet gateway, from which
// floating (elastic) IPs are allocated. Deletes that would orphan something
// are refused with FailedPrecondition, as EC2's DependencyViolation.

// networkRecord is a network as kept in the state.
type networkRecord struct {
	sdk.NetworkInfo
	// Pending is the network's move from pending to available.
	Pending transition[sdk.NetworkState] `json:"transition,omitzero"`
}

func (r *networkRecord) view(now time.Time) sdk.NetworkInfo {
	n := r.NetworkInfo
	n.State = r.Pending.apply(n.State, now)
	n.Extra = maps.Clone(n.Extra)
	return n
}

// networks implements sdk.Networks.
type networks struct{ c *Cloud }

func (s *networks) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.NetworkInfo], error) {
	var all []sdk.NetworkInfo
	err := s.c.read(ctx, func(t *txn) error {
		for _, r := range t.Networks {
			all = append(all, r.view(t.now))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, err
	}
	return sdk.Paginate(all, opts, func(n sdk.NetworkInfo) string { return n.ID })
}

func (s *networks) Get(ctx context.Context, id string) (sdk.NetworkInfo, error) {
	var n sdk.NetworkInfo
	err := s.c.read(ctx, func(t *txn) error {
		r, ok := t.Networks[id]
		if !ok {
			return sdk.NotFound("network", id)
		}
		n = r.view(t.now)
		return nil
	})
	return n, err
}

// Create makes a network with the given range, sdk.DefaultNetworkCIDR when
// none is given. It is pending for the boot_time setting, then available;
// subnets can be made in it at once, as on EC2.
func (s *networks) Create(ctx context.Context, spec sdk.NetworkSpec) (sdk.NetworkInfo, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.NetworkInfo{}, err
	}
	if spec.CIDRBlock == "" {
		spec.CIDRBlock = sdk.DefaultNetworkCIDR
	}
	if _, err := parseBlock("cidr_block", spec.CIDRBlock, 16, 28); err != nil {
		return sdk.NetworkInfo{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var n sdk.NetworkInfo
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("network", token, digest); err != nil || rec != nil {
			if rec != nil {
				n = t.Networks[rec.ID].view(t.now)
			}
			return err
		}
		id := newID("vpc-", t.Networks)
		r := &networkRecord{
			NetworkInfo: sdk.NetworkInfo{
				ID: id, Name: id, Label: spec.Label, State: sdk.NetworkPending,
				CIDRBlock: spec.CIDRBlock, CreateTime: t.now,
			},
			Pending: transition[sdk.NetworkState]{To: sdk.NetworkAvailable, At: t.now.Add(t.cfg.bootTime)},
		}
		t.Networks[id] = r
		t.remember("network", token, digest, id)
		n = r.view(t.now)
		return nil
	})
	return n, err
}

func (s *networks) Update(ctx context.Context, id string, u sdk.NetworkUpdate) (sdk.NetworkInfo, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.NetworkInfo{}, err
		}
	}
	var n sdk.NetworkInfo
	err := s.c.write(ctx, func(t *txn) error {
		r, ok := t.Networks[id]
		if !ok {
			return sdk.NotFound("network", id)
		}
		if u.Label != nil {
			r.Label = *u.Label
		}
		n = r.view(t.now)
		return nil
	})
	return n, err
}

// Delete deletes a network that nothing is left in: a subnet, router,
// internet gateway or VM firewall still in it is FailedPrecondition, and the
// network is left as it was.
func (s *networks) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.Networks[id]; !ok {
			return sdk.NotFound("network", id)
		}
		if err := t.networkInUse(id); err != nil {
			return err
		}
		delete(t.Networks, id)
		t.forget("network", id)
		return nil
	})
}

// networkInUse says what, if anything, keeps network id from being deleted.
// Kinds are checked in a fixed order and ids in sorted order, so that the
// answer does not depend on map order.
func (t *txn) networkInUse(id string) error {
	for _, sid := range slices.Sorted(maps.Keys(t.Subnets)) {
		if t.Subnets[sid].NetworkID == id {
			return failedPrecondition("network %s still has subnet %s; delete its subnets first", id, sid)
		}
	}
	for _, rid := range slices.Sorted(maps.Keys(t.Routers)) {
		if t.Routers[rid].NetworkID == id {
			return failedPrecondition("network %s still has router %s; delete its routers first", id, rid)
		}
	}
	for _, gid := range slices.Sorted(maps.Keys(t.Gateways)) {
		if t.Gateways[gid].NetworkID == id {
			return failedPrecondition("network %s still has internet gateway %s; delete it first", id, gid)
		}
	}
	for _, fid := range slices.Sorted(maps.Keys(t.Firewalls)) {
		if t.Firewalls[fid].NetworkID == id {
			return failedPrecondition("network %s still has vm firewall %s; delete its firewalls first", id, fid)
		}
	}
	return nil
}

// networkRef checks that a resource being made in network id may be: the
// network exists. param names the argument that named it.
func (t *txn) networkRef(param, id string) (*networkRecord, error) {
	if id == "" {
		return nil, sdk.InvalidArgument(param, "", "required")
	}
	n, ok := t.Networks[id]
	if !ok {
		return nil, missing(param, "network", id)
	}
	return n, nil
}

// checkFirewallNetwork checks the network a VM firewall is made in, when one is
// named: it must exist.
func (t *txn) checkFirewallNetwork(networkID string) error {
	if networkID == "" {
		return nil
	}
	_, err := t.networkRef("network_id", networkID)
	return err
}

// parseBlock parses an IPv4 CIDR block whose prefix length is from minBits to
// maxBits, the sizes EC2 allows for VPCs and subnets.
func parseBlock(param, cidr string, minBits, maxBits int) (netip.Prefix, error) {
	if err := sdk.ValidateCIDR(param, cidr); err != nil {
		return netip.Prefix{}, err
	}
	p := netip.MustParsePrefix(cidr)
	switch {
	case !p.Addr().Is4():
		return netip.Prefix{}, sdk.InvalidArgument(param, cidr, "must be an IPv4 block")
	case p.Bits() < minBits || p.Bits() > maxBits:
		return netip.Prefix{}, sdk.InvalidArgument(param, cidr,
			fmt.Sprintf("must be from a /%d to a /%d block, not a /%d", minBits, maxBits, p.Bits()))
	}
	return p, nil
}
