package remote

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var (
	_ sdk.Networks    = networks{}
	_ sdk.Subnets     = subnets{}
	_ sdk.Routers     = routers{}
	_ sdk.Gateways    = gateways{}
	_ sdk.FloatingIPs = floatingIPs{}
)

// ---- networks ----

type networks struct{ c pb.NetworkClient }

func (n networks) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.NetworkInfo], error) {
	resp, err := n.c.ListNetworks(ctx, &pb.ListNetworksRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, Error(err)
	}
	return page(resp.GetNetworks(), resp.GetNextPageToken(), networkFromPB), nil
}

func (n networks) Get(ctx context.Context, id string) (sdk.NetworkInfo, error) {
	return one(networkFromPB)(n.c.GetNetwork(ctx, &pb.GetNetworkRequest{Id: id}))
}

func (n networks) Create(ctx context.Context, spec sdk.NetworkSpec) (sdk.NetworkInfo, error) {
	return one(networkFromPB)(n.c.CreateNetwork(ctx, &pb.CreateNetworkRequest{
		Label:            spec.Label,
		CidrBlock:        spec.CIDRBlock,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (n networks) Update(ctx context.Context, id string, u sdk.NetworkUpdate) (sdk.NetworkInfo, error) {
	return one(networkFromPB)(n.c.UpdateNetwork(ctx, &pb.UpdateNetworkRequest{Id: id, Label: u.Label}))
}

func (n networks) Delete(ctx context.Context, id string) error {
	_, err := n.c.DeleteNetwork(ctx, &pb.DeleteNetworkRequest{Id: id})
	return Error(err)
}

func networkFromPB(x *pb.NetworkInfo) sdk.NetworkInfo {
	return sdk.NetworkInfo{
		ID:         x.GetId(),
		Name:       x.GetName(),
		Label:      x.GetLabel(),
		State:      networkStateFromPB(x.GetState()),
		External:   x.GetExternal(),
		CIDRBlock:  x.GetCidrBlock(),
		CreateTime: wire.Time(x.GetCreateTime()),
		Extra:      wire.CopyMap(x.GetExtra()),
	}
}

func networkStateFromPB(s pb.NetworkState) sdk.NetworkState {
	switch s {
	case pb.NetworkState_NETWORK_STATE_PENDING:
		return sdk.NetworkPending
	case pb.NetworkState_NETWORK_STATE_AVAILABLE:
		return sdk.NetworkAvailable
	case pb.NetworkState_NETWORK_STATE_DOWN:
		return sdk.NetworkDown
	case pb.NetworkState_NETWORK_STATE_ERROR:
		return sdk.NetworkError
	}
	return sdk.NetworkUnknown
}

// ---- subnets ----

type subnets struct{ c pb.NetworkClient }

func (n subnets) List(ctx context.Context, opts sdk.SubnetListOptions) (sdk.Page[sdk.Subnet], error) {
	resp, err := n.c.ListSubnets(ctx, &pb.ListSubnetsRequest{
		PageSize:  pageSize(opts.ListOptions),
		PageToken: opts.PageToken,
		NetworkId: opts.NetworkID,
	})
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, Error(err)
	}
	return page(resp.GetSubnets(), resp.GetNextPageToken(), subnetFromPB), nil
}

func (n subnets) Get(ctx context.Context, id string) (sdk.Subnet, error) {
	return one(subnetFromPB)(n.c.GetSubnet(ctx, &pb.GetSubnetRequest{Id: id}))
}

func (n subnets) Create(ctx context.Context, spec sdk.SubnetSpec) (sdk.Subnet, error) {
	return one(subnetFromPB)(n.c.CreateSubnet(ctx, &pb.CreateSubnetRequest{
		Label:            spec.Label,
		NetworkId:        spec.NetworkID,
		CidrBlock:        spec.CIDRBlock,
		Zone:             spec.Zone,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (n subnets) Update(ctx context.Context, id string, u sdk.SubnetUpdate) (sdk.Subnet, error) {
	return one(subnetFromPB)(n.c.UpdateSubnet(ctx, &pb.UpdateSubnetRequest{Id: id, Label: u.Label}))
}

func (n subnets) Delete(ctx context.Context, id string) error {
	_, err := n.c.DeleteSubnet(ctx, &pb.DeleteSubnetRequest{Id: id})
	return Error(err)
}

func subnetFromPB(x *pb.Subnet) sdk.Subnet {
	return sdk.Subnet{
		ID:         x.GetId(),
		Name:       x.GetName(),
		Label:      x.GetLabel(),
		State:      networkStateFromPB(x.GetState()),
		NetworkID:  x.GetNetworkId(),
		CIDRBlock:  x.GetCidrBlock(),
		Zone:       x.GetZone(),
		CreateTime: wire.Time(x.GetCreateTime()),
		Extra:      wire.CopyMap(x.GetExtra()),
	}
}

// ---- routers ----

type routers struct{ c pb.NetworkClient }

func (n routers) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Router], error) {
	resp, err := n.c.ListRouters(ctx, &pb.ListRoutersRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.Router]{}, Error(err)
	}
	return page(resp.GetRouters(), resp.GetNextPageToken(), routerFromPB), nil
}

func (n routers) Get(ctx context.Context, id string) (sdk.Router, error) {
	return one(routerFromPB)(n.c.GetRouter(ctx, &pb.GetRouterRequest{Id: id}))
}

func (n routers) Create(ctx context.Context, spec sdk.RouterSpec) (sdk.Router, error) {
	return one(routerFromPB)(n.c.CreateRouter(ctx, &pb.CreateRouterRequest{
		Label:            spec.Label,
		NetworkId:        spec.NetworkID,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (n routers) Update(ctx context.Context, id string, u sdk.RouterUpdate) (sdk.Router, error) {
	return one(routerFromPB)(n.c.UpdateRouter(ctx, &pb.UpdateRouterRequest{Id: id, Label: u.Label}))
}

func (n routers) Delete(ctx context.Context, id string) error {
	_, err := n.c.DeleteRouter(ctx, &pb.DeleteRouterRequest{Id: id})
	return Error(err)
}

func (n routers) AttachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	return one(routerFromPB)(n.c.AttachSubnet(ctx, &pb.AttachSubnetRequest{RouterId: routerID, SubnetId: subnetID}))
}

func (n routers) DetachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	return one(routerFromPB)(n.c.DetachSubnet(ctx, &pb.DetachSubnetRequest{RouterId: routerID, SubnetId: subnetID}))
}

func (n routers) AttachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	return one(routerFromPB)(n.c.AttachGateway(ctx, &pb.AttachGatewayRequest{RouterId: routerID, GatewayId: gatewayID}))
}

func (n routers) DetachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	return one(routerFromPB)(n.c.DetachGateway(ctx, &pb.DetachGatewayRequest{RouterId: routerID, GatewayId: gatewayID}))
}

func routerFromPB(x *pb.Router) sdk.Router {
	return sdk.Router{
		ID:        x.GetId(),
		Name:      x.GetName(),
		Label:     x.GetLabel(),
		State:     routerStateFromPB(x.GetState()),
		NetworkID: x.GetNetworkId(),
		SubnetIDs: x.GetSubnetIds(),
		GatewayID: x.GetGatewayId(),
		Extra:     wire.CopyMap(x.GetExtra()),
	}
}

func routerStateFromPB(s pb.RouterState) sdk.RouterState {
	switch s {
	case pb.RouterState_ROUTER_STATE_ATTACHED:
		return sdk.RouterAttached
	case pb.RouterState_ROUTER_STATE_DETACHED:
		return sdk.RouterDetached
	}
	return sdk.RouterUnknown
}

// ---- internet gateways ----

type gateways struct{ c pb.NetworkClient }

func (n gateways) List(ctx context.Context, networkID string, opts sdk.ListOptions) (sdk.Page[sdk.Gateway], error) {
	resp, err := n.c.ListGateways(ctx, &pb.ListGatewaysRequest{
		NetworkId: networkID,
		PageSize:  pageSize(opts),
		PageToken: opts.PageToken,
	})
	if err != nil {
		return sdk.Page[sdk.Gateway]{}, Error(err)
	}
	return page(resp.GetGateways(), resp.GetNextPageToken(), gatewayFromPB), nil
}

func (n gateways) GetOrCreate(ctx context.Context, spec sdk.GatewaySpec) (sdk.Gateway, error) {
	return one(gatewayFromPB)(n.c.GetOrCreateGateway(ctx, &pb.GetOrCreateGatewayRequest{
		NetworkId:        spec.NetworkID,
		Name:             spec.Name,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (n gateways) Delete(ctx context.Context, networkID, gatewayID string) error {
	_, err := n.c.DeleteGateway(ctx, &pb.DeleteGatewayRequest{NetworkId: networkID, GatewayId: gatewayID})
	return Error(err)
}

func gatewayFromPB(x *pb.Gateway) sdk.Gateway {
	return sdk.Gateway{
		ID:        x.GetId(),
		Name:      x.GetName(),
		State:     gatewayStateFromPB(x.GetState()),
		NetworkID: x.GetNetworkId(),
		Extra:     wire.CopyMap(x.GetExtra()),
	}
}

func gatewayStateFromPB(s pb.GatewayState) sdk.GatewayState {
	switch s {
	case pb.GatewayState_GATEWAY_STATE_CONFIGURING:
		return sdk.GatewayConfiguring
	case pb.GatewayState_GATEWAY_STATE_AVAILABLE:
		return sdk.GatewayAvailable
	case pb.GatewayState_GATEWAY_STATE_ERROR:
		return sdk.GatewayError
	}
	return sdk.GatewayUnknown
}

// ---- floating IPs ----

type floatingIPs struct{ c pb.NetworkClient }

func (n floatingIPs) List(ctx context.Context, gatewayID string, opts sdk.ListOptions) (sdk.Page[sdk.FloatingIP], error) {
	resp, err := n.c.ListFloatingIPs(ctx, &pb.ListFloatingIPsRequest{
		GatewayId: gatewayID,
		PageSize:  pageSize(opts),
		PageToken: opts.PageToken,
	})
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, Error(err)
	}
	return page(resp.GetFloatingIps(), resp.GetNextPageToken(), floatingIPFromPB), nil
}

func (n floatingIPs) Get(ctx context.Context, gatewayID, id string) (sdk.FloatingIP, error) {
	return one(floatingIPFromPB)(n.c.GetFloatingIP(ctx, &pb.GetFloatingIPRequest{GatewayId: gatewayID, Id: id}))
}

func (n floatingIPs) Create(ctx context.Context, spec sdk.FloatingIPSpec) (sdk.FloatingIP, error) {
	return one(floatingIPFromPB)(n.c.CreateFloatingIP(ctx, &pb.CreateFloatingIPRequest{
		GatewayId:        spec.GatewayID,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (n floatingIPs) Delete(ctx context.Context, gatewayID, id string) error {
	_, err := n.c.DeleteFloatingIP(ctx, &pb.DeleteFloatingIPRequest{GatewayId: gatewayID, Id: id})
	return Error(err)
}

func (n floatingIPs) Associate(ctx context.Context, id, instanceID string) (sdk.FloatingIP, error) {
	return one(floatingIPFromPB)(n.c.AssociateFloatingIP(ctx, &pb.AssociateFloatingIPRequest{Id: id, InstanceId: instanceID}))
}

func (n floatingIPs) Disassociate(ctx context.Context, id string) (sdk.FloatingIP, error) {
	return one(floatingIPFromPB)(n.c.DisassociateFloatingIP(ctx, &pb.DisassociateFloatingIPRequest{Id: id}))
}

func floatingIPFromPB(x *pb.FloatingIP) sdk.FloatingIP {
	return sdk.FloatingIP{
		ID:         x.GetId(),
		Name:       x.GetName(),
		State:      floatingIPStateFromPB(x.GetState()),
		PublicIP:   x.GetPublicIp(),
		PrivateIP:  x.GetPrivateIp(),
		InstanceID: x.GetInstanceId(),
		GatewayID:  x.GetGatewayId(),
		Extra:      wire.CopyMap(x.GetExtra()),
	}
}

func floatingIPStateFromPB(s pb.FloatingIPState) sdk.FloatingIPState {
	switch s {
	case pb.FloatingIPState_FLOATING_IP_STATE_AVAILABLE:
		return sdk.FloatingIPAvailable
	case pb.FloatingIPState_FLOATING_IP_STATE_IN_USE:
		return sdk.FloatingIPInUse
	case pb.FloatingIPState_FLOATING_IP_STATE_ERROR:
		return sdk.FloatingIPError
	}
	return sdk.FloatingIPUnknown
}
