package mock

import (
	"context"
	"maps"
	"slices"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// routers implements sdk.Routers. A router belongs to one network and joins
// subnets of that network, each to at most one router, and routes them to
// the network's internet gateway. It is "attached" while it joins a subnet or
// a gateway and "detached" otherwise.
type routers struct{ c *Cloud }

func routerView(r *sdk.Router) sdk.Router {
	v := *r
	v.State = sdk.RouterDetached
	if len(v.SubnetIDs) > 0 || v.GatewayID != "" {
		v.State = sdk.RouterAttached
	}
	v.SubnetIDs = slices.Clone(v.SubnetIDs)
	v.Extra = maps.Clone(v.Extra)
	return v
}

func (s *routers) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Router], error) {
	var all []sdk.Router
	err := s.c.read(ctx, func(t *txn) error {
		for _, r := range t.Routers {
			all = append(all, routerView(r))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Router]{}, err
	}
	return sdk.Paginate(all, opts, func(r sdk.Router) string { return r.ID })
}

func (s *routers) Get(ctx context.Context, id string) (sdk.Router, error) {
	var out sdk.Router
	err := s.c.read(ctx, func(t *txn) error {
		r, ok := t.Routers[id]
		if !ok {
			return sdk.NotFound("router", id)
		}
		out = routerView(r)
		return nil
	})
	return out, err
}

// Create makes a detached router in a network.
func (s *routers) Create(ctx context.Context, spec sdk.RouterSpec) (sdk.Router, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Router{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var out sdk.Router
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("router", token, digest); err != nil || rec != nil {
			if rec != nil {
				out = routerView(t.Routers[rec.ID])
			}
			return err
		}
		if _, err := t.networkRef("network_id", spec.NetworkID); err != nil {
			return err
		}
		id := newID("rtb-", t.Routers)
		r := &sdk.Router{ID: id, Name: id, Label: spec.Label, NetworkID: spec.NetworkID}
		t.Routers[id] = r
		t.remember("router", token, digest, id)
		out = routerView(r)
		return nil
	})
	return out, err
}

func (s *routers) Update(ctx context.Context, id string, u sdk.RouterUpdate) (sdk.Router, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Router{}, err
		}
	}
	return s.change(ctx, id, func(t *txn, r *sdk.Router) error {
		if u.Label != nil {
			r.Label = *u.Label
		}
		return nil
	})
}

// Delete deletes a router that joins nothing: one with a subnet or a gateway
// attached is FailedPrecondition (EC2 refuses to delete a route table with
// subnet associations, Neutron a router with interfaces), so detach first.
func (s *routers) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		r, ok := t.Routers[id]
		if !ok {
			return sdk.NotFound("router", id)
		}
		switch {
		case len(r.SubnetIDs) > 0:
			return failedPrecondition("router %s still has subnet %s attached; detach its subnets first", id, r.SubnetIDs[0])
		case r.GatewayID != "":
			return failedPrecondition("router %s still has internet gateway %s attached; detach it first", id, r.GatewayID)
		}
		delete(t.Routers, id)
		t.forget("router", id)
		return nil
	})
}

// AttachSubnet joins a subnet of the router's network. Attaching a subnet the
// router already joins does nothing; one another router joins is
// FailedPrecondition.
func (s *routers) AttachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	return s.change(ctx, routerID, func(t *txn, r *sdk.Router) error {
		sn, ok := t.Subnets[subnetID]
		if !ok {
			return missing("subnet_id", "subnet", subnetID)
		}
		if sn.NetworkID != r.NetworkID {
			return sdk.InvalidArgument("subnet_id", subnetID, "subnet is in network "+sn.NetworkID+", router "+r.ID+" in network "+r.NetworkID)
		}
		if slices.Contains(r.SubnetIDs, subnetID) {
			return nil
		}
		for _, other := range slices.Sorted(maps.Keys(t.Routers)) {
			if slices.Contains(t.Routers[other].SubnetIDs, subnetID) {
				return failedPrecondition("subnet %s is attached to router %s; detach it there first", subnetID, other)
			}
		}
		r.SubnetIDs = append(r.SubnetIDs, subnetID)
		return nil
	})
}

// DetachSubnet takes a subnet off the router; detaching one that exists but is
// not attached does nothing.
func (s *routers) DetachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	return s.change(ctx, routerID, func(t *txn, r *sdk.Router) error {
		i := slices.Index(r.SubnetIDs, subnetID)
		if i < 0 {
			if _, ok := t.Subnets[subnetID]; !ok {
				return missing("subnet_id", "subnet", subnetID)
			}
			return nil
		}
		if r.SubnetIDs = slices.Delete(r.SubnetIDs, i, i+1); len(r.SubnetIDs) == 0 {
			r.SubnetIDs = nil
		}
		return nil
	})
}

// AttachGateway routes the router to its network's internet gateway.
// Attaching the gateway it has does nothing; a router with another gateway is
// FailedPrecondition.
func (s *routers) AttachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	return s.change(ctx, routerID, func(t *txn, r *sdk.Router) error {
		gw, ok := t.Gateways[gatewayID]
		if !ok {
			return missing("gateway_id", "internet gateway", gatewayID)
		}
		switch {
		case gw.NetworkID != r.NetworkID:
			return sdk.InvalidArgument("gateway_id", gatewayID, "gateway is of network "+gw.NetworkID+", router "+r.ID+" in network "+r.NetworkID)
		case r.GatewayID == gatewayID:
			return nil
		case r.GatewayID != "":
			return failedPrecondition("router %s already has internet gateway %s; detach it first", r.ID, r.GatewayID)
		}
		r.GatewayID = gatewayID
		return nil
	})
}

// DetachGateway takes the internet gateway off the router; detaching a
// gateway that exists but is not attached does nothing. While a floating IP of
// the gateway is associated with an instance the router serves, the detach is
// FailedPrecondition (EC2: "has some mapped public address(es)").
func (s *routers) DetachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	return s.change(ctx, routerID, func(t *txn, r *sdk.Router) error {
		if r.GatewayID != gatewayID {
			if _, ok := t.Gateways[gatewayID]; !ok {
				return missing("gateway_id", "internet gateway", gatewayID)
			}
			return nil
		}
		for _, fid := range slices.Sorted(maps.Keys(t.FloatingIPs)) {
			f := t.FloatingIPs[fid]
			if f.GatewayID != gatewayID || f.InstanceID == "" {
				continue
			}
			if in, ok := t.Instances[f.InstanceID]; ok && slices.Contains(r.SubnetIDs, in.SubnetID) {
				return failedPrecondition("floating IP %s (%s) of gateway %s is associated with instance %s behind router %s; disassociate it first",
					f.ID, f.PublicIP, gatewayID, f.InstanceID, r.ID)
			}
		}
		r.GatewayID = ""
		return nil
	})
}

// change applies fn to a copy of router id and keeps it if fn returns nil.
func (s *routers) change(ctx context.Context, id string, fn func(t *txn, r *sdk.Router) error) (sdk.Router, error) {
	var out sdk.Router
	err := s.c.write(ctx, func(t *txn) error {
		cur, ok := t.Routers[id]
		if !ok {
			return sdk.NotFound("router", id)
		}
		r := *cur
		r.SubnetIDs = slices.Clone(cur.SubnetIDs)
		if err := fn(t, &r); err != nil {
			return err
		}
		t.Routers[id] = &r
		out = routerView(&r)
		return nil
	})
	return out, err
}

// reachable reports whether an instance in subnetID can be given a floating IP
// of gatewayID: some router joins the subnet and has the gateway attached. An
// instance in no subnet is in the cloud's default network, which can always
// be reached.
func (t *txn) reachable(subnetID, gatewayID string) bool {
	if subnetID == "" {
		return true
	}
	for _, r := range t.Routers {
		if r.GatewayID == gatewayID && slices.Contains(r.SubnetIDs, subnetID) {
			return true
		}
	}
	return false
}
