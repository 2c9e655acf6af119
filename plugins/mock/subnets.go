package mock

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// subnets implements sdk.Subnets. A subnet is available as soon as it is made.
type subnets struct{ c *Cloud }

func subnetView(sn *sdk.Subnet) sdk.Subnet {
	v := *sn
	v.Extra = maps.Clone(v.Extra)
	return v
}

// List lists the subnets, of one network when opts.NetworkID is set; that
// network must exist.
func (s *subnets) List(ctx context.Context, opts sdk.SubnetListOptions) (sdk.Page[sdk.Subnet], error) {
	var all []sdk.Subnet
	err := s.c.read(ctx, func(t *txn) error {
		if opts.NetworkID != "" {
			if _, err := t.networkRef("network_id", opts.NetworkID); err != nil {
				return err
			}
		}
		for _, sn := range t.Subnets {
			if opts.NetworkID == "" || sn.NetworkID == opts.NetworkID {
				all = append(all, subnetView(sn))
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, err
	}
	return sdk.Paginate(all, opts.ListOptions, func(sn sdk.Subnet) string { return sn.ID })
}

func (s *subnets) Get(ctx context.Context, id string) (sdk.Subnet, error) {
	var sn sdk.Subnet
	err := s.c.read(ctx, func(t *txn) error {
		r, ok := t.Subnets[id]
		if !ok {
			return sdk.NotFound("subnet", id)
		}
		sn = subnetView(r)
		return nil
	})
	return sn, err
}

// Create makes a subnet of a network, in one zone of the region (the
// configured zone when spec.Zone is ""). Its range, /16 to /28, must lie within
// the network's and overlap no other subnet of that network; either fault is
// InvalidArgument naming cidr_block.
func (s *subnets) Create(ctx context.Context, spec sdk.SubnetSpec) (sdk.Subnet, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Subnet{}, err
	}
	block, err := parseBlock("cidr_block", spec.CIDRBlock, 16, 28)
	if err != nil {
		return sdk.Subnet{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var sn sdk.Subnet
	err = s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("subnet", token, digest); err != nil || rec != nil {
			if rec != nil {
				sn = subnetView(t.Subnets[rec.ID])
			}
			return err
		}
		net, err := t.networkRef("network_id", spec.NetworkID)
		if err != nil {
			return err
		}
		zone, err := t.zoneOf(spec.Zone)
		if err != nil {
			return err
		}
		if err := t.checkSubnetBlock(net, block); err != nil {
			return err
		}
		id := newID("subnet-", t.Subnets)
		r := &sdk.Subnet{
			ID: id, Name: id, Label: spec.Label, State: sdk.NetworkAvailable, NetworkID: net.ID,
			CIDRBlock: block.String(), Zone: zone, CreateTime: t.now,
		}
		t.Subnets[id] = r
		t.remember("subnet", token, digest, id)
		sn = subnetView(r)
		return nil
	})
	return sn, err
}

// zoneOf returns the zone a resource asked to be in zone goes to: the
// configured zone for "", else zone itself, which must be one of the region's.
func (t *txn) zoneOf(zone string) (string, error) {
	if zone == "" {
		return t.cfg.zone, nil
	}
	r := regionByName(t.cfg.region)
	if !slices.ContainsFunc(r.Zones, func(z sdk.Zone) bool { return z.Name == zone }) {
		return "", sdk.InvalidArgument("zone", zone, "not a zone of region "+t.cfg.region)
	}
	return zone, nil
}

// checkSubnetBlock checks that block lies within the network's range and is
// clear of the network's other subnets.
func (t *txn) checkSubnetBlock(net *networkRecord, block netip.Prefix) error {
	netBlock, err := netip.ParsePrefix(net.CIDRBlock)
	if err != nil {
		return &sdk.Error{Code: sdk.CodeInternal, Message: fmt.Sprintf("network %s has a bad range %q", net.ID, net.CIDRBlock)}
	}
	if block.Bits() < netBlock.Bits() || !netBlock.Contains(block.Addr()) {
		return sdk.InvalidArgument("cidr_block", block.String(),
			fmt.Sprintf("not within the range %s of network %s", netBlock, net.ID))
	}
	for _, id := range slices.Sorted(maps.Keys(t.Subnets)) {
		other := t.Subnets[id]
		if other.NetworkID != net.ID {
			continue
		}
		if o, err := netip.ParsePrefix(other.CIDRBlock); err == nil && o.Overlaps(block) {
			return sdk.InvalidArgument("cidr_block", block.String(),
				fmt.Sprintf("overlaps %s of subnet %s in network %s", o, id, net.ID))
		}
	}
	return nil
}

func (s *subnets) Update(ctx context.Context, id string, u sdk.SubnetUpdate) (sdk.Subnet, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Subnet{}, err
		}
	}
	var sn sdk.Subnet
	err := s.c.write(ctx, func(t *txn) error {
		r, ok := t.Subnets[id]
		if !ok {
			return sdk.NotFound("subnet", id)
		}
		if u.Label != nil {
			r.Label = *u.Label
		}
		sn = subnetView(r)
		return nil
	})
	return sn, err
}

// Delete deletes a subnet that no instance is in and no router joins; either
// is FailedPrecondition, and the subnet is left as it was.
func (s *subnets) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.Subnets[id]; !ok {
			return sdk.NotFound("subnet", id)
		}
		for _, iid := range slices.Sorted(maps.Keys(t.Instances)) {
			if t.Instances[iid].SubnetID == id {
				return failedPrecondition("subnet %s still has instance %s; delete its instances first", id, iid)
			}
		}
		for _, rid := range slices.Sorted(maps.Keys(t.Routers)) {
			if slices.Contains(t.Routers[rid].SubnetIDs, id) {
				return failedPrecondition("subnet %s is attached to router %s; detach it first", id, rid)
			}
		}
		delete(t.Subnets, id)
		t.forget("subnet", id)
		return nil
	})
}

// placeInstance decides where an instance of spec goes: with a subnet, in the
// subnet's zone (a different spec.Zone is InvalidArgument) at the lowest free
// address of its range; without one, in zone at a random private address. It
// returns the zone and the private IP.
func (t *txn) placeInstance(spec sdk.InstanceSpec, zone string) (string, string, error) {
	if spec.SubnetID == "" {
		return zone, t.freeIP(privateIPs), nil
	}
	sn, ok := t.Subnets[spec.SubnetID]
	if !ok {
		return "", "", missing("subnet_id", "subnet", spec.SubnetID)
	}
	if spec.Zone != "" && spec.Zone != sn.Zone {
		return "", "", sdk.InvalidArgument("zone", spec.Zone,
			fmt.Sprintf("subnet %s is in zone %s; an instance goes in its subnet's zone", sn.ID, sn.Zone))
	}
	ip, err := t.freeSubnetIP(sn)
	if err != nil {
		return "", "", err
	}
	return sn.Zone, ip, nil
}

// freeSubnetIP returns the lowest address of the subnet that no instance of
// it holds. As on EC2, the first four addresses (network, router, DNS,
// reserved) and the last (broadcast) are never handed out.
func (t *txn) freeSubnetIP(sn *sdk.Subnet) (string, error) {
	block, err := netip.ParsePrefix(sn.CIDRBlock)
	if err != nil {
		return "", &sdk.Error{Code: sdk.CodeInternal, Message: fmt.Sprintf("subnet %s has a bad range %q", sn.ID, sn.CIDRBlock)}
	}
	used := map[string]bool{}
	for _, r := range t.Instances {
		if r.SubnetID == sn.ID {
			for _, ip := range r.PrivateIPs {
				used[ip] = true
			}
		}
	}
	size := 1 << (32 - block.Bits())
	a := block.Addr()
	for range 4 {
		a = a.Next()
	}
	for i := 4; i < size-1; i, a = i+1, a.Next() {
		if !used[a.String()] {
			return a.String(), nil
		}
	}
	return "", &sdk.Error{
		Code: sdk.CodeResourceExhausted, Param: "subnet_id", ProviderCode: "InsufficientFreeAddressesInSubnet",
		Message: fmt.Sprintf("subnet %s (%s) has no free address left", sn.ID, sn.CIDRBlock),
	}
}
