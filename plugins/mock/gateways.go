package mock

import (
	"context"
	"maps"
	"slices"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// gateways implements sdk.Gateways: at most one internet gateway per network,
// available as soon as it is made.
type gateways struct{ c *Cloud }

func gatewayView(g *sdk.Gateway) sdk.Gateway {
	v := *g
	v.Extra = maps.Clone(v.Extra)
	return v
}

// List lists the gateways of a network, which must exist.
func (s *gateways) List(ctx context.Context, networkID string, opts sdk.ListOptions) (sdk.Page[sdk.Gateway], error) {
	var all []sdk.Gateway
	err := s.c.read(ctx, func(t *txn) error {
		if _, err := t.networkRef("network_id", networkID); err != nil {
			return err
		}
		for _, g := range t.Gateways {
			if g.NetworkID == networkID {
				all = append(all, gatewayView(g))
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	return sdk.Paginate(all, opts, func(g sdk.Gateway) string { return g.ID })
}

// GetOrCreate returns the network's internet gateway, making it (named
// spec.Name, sdk.DefaultGatewayName when "") if the network has none. It is
// idempotent by nature, so the idempotency token is not needed and not kept:
// a retry finds the gateway the first call made.
func (s *gateways) GetOrCreate(ctx context.Context, spec sdk.GatewaySpec) (sdk.Gateway, error) {
	if spec.Name == "" {
		spec.Name = sdk.DefaultGatewayName
	}
	if err := sdk.ValidateName("name", spec.Name); err != nil {
		return sdk.Gateway{}, err
	}
	var out sdk.Gateway
	err := s.c.write(ctx, func(t *txn) error {
		if _, err := t.networkRef("network_id", spec.NetworkID); err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(t.Gateways)) {
			if g := t.Gateways[id]; g.NetworkID == spec.NetworkID {
				out = gatewayView(g)
				return nil
			}
		}
		id := newID("igw-", t.Gateways)
		g := &sdk.Gateway{ID: id, Name: spec.Name, State: sdk.GatewayAvailable, NetworkID: spec.NetworkID}
		t.Gateways[id] = g
		out = gatewayView(g)
		return nil
	})
	return out, err
}

// Delete deletes a network's gateway. One still attached to a router, or with
// floating IPs allocated from it, is FailedPrecondition.
func (s *gateways) Delete(ctx context.Context, networkID, gatewayID string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, err := t.networkRef("network_id", networkID); err != nil {
			return err
		}
		g, ok := t.Gateways[gatewayID]
		if !ok || g.NetworkID != networkID {
			return sdk.NotFound("internet gateway", gatewayID)
		}
		for _, rid := range slices.Sorted(maps.Keys(t.Routers)) {
			if t.Routers[rid].GatewayID == gatewayID {
				return failedPrecondition("internet gateway %s is attached to router %s; detach it first", gatewayID, rid)
			}
		}
		for _, fid := range slices.Sorted(maps.Keys(t.FloatingIPs)) {
			if t.FloatingIPs[fid].GatewayID == gatewayID {
				return failedPrecondition("internet gateway %s still has floating IP %s; delete its floating IPs first", gatewayID, fid)
			}
		}
		delete(t.Gateways, gatewayID)
		return nil
	})
}
