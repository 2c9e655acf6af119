package sdk

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// networkServer serves the Network service over a plugin's Network family.
type networkServer struct {
	pb.UnimplementedNetworkServer
	n *Network
}

var networkStates = map[NetworkState]pb.NetworkState{
	NetworkPending:   pb.NetworkState_NETWORK_STATE_PENDING,
	NetworkAvailable: pb.NetworkState_NETWORK_STATE_AVAILABLE,
	NetworkDown:      pb.NetworkState_NETWORK_STATE_DOWN,
	NetworkError:     pb.NetworkState_NETWORK_STATE_ERROR,
}

// ---- networks ----

func (s *networkServer) ListNetworks(ctx context.Context, req *pb.ListNetworksRequest) (*pb.ListNetworksResponse, error) {
	if s.n.Networks == nil {
		return nil, Unsupported(CapNetworks)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.n.Networks.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListNetworksResponse{Networks: convertAll(page.Items, networkToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *networkServer) GetNetwork(ctx context.Context, req *pb.GetNetworkRequest) (*pb.NetworkInfo, error) {
	if s.n.Networks == nil {
		return nil, Unsupported(CapNetworks)
	}
	return networkResult(s.n.Networks.Get(ctx, req.GetId()))
}

func (s *networkServer) CreateNetwork(ctx context.Context, req *pb.CreateNetworkRequest) (*pb.NetworkInfo, error) {
	if s.n.Networks == nil {
		return nil, Unsupported(CapNetworks)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	// "" is allowed: networks of some clouds (Neutron) have no range of their own.
	if cidr := req.GetCidrBlock(); cidr != "" {
		if err := ValidateCIDR("cidr_block", cidr); err != nil {
			return nil, err
		}
	}
	return networkResult(s.n.Networks.Create(ctx, NetworkSpec{
		Label:            req.GetLabel(),
		CIDRBlock:        req.GetCidrBlock(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *networkServer) UpdateNetwork(ctx context.Context, req *pb.UpdateNetworkRequest) (*pb.NetworkInfo, error) {
	if s.n.Networks == nil {
		return nil, Unsupported(CapNetworks)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return networkResult(s.n.Networks.Update(ctx, req.GetId(), NetworkUpdate{Label: req.Label}))
}

func (s *networkServer) DeleteNetwork(ctx context.Context, req *pb.DeleteNetworkRequest) (*pb.DeleteNetworkResponse, error) {
	if s.n.Networks == nil {
		return nil, Unsupported(CapNetworks)
	}
	if err := s.n.Networks.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteNetworkResponse{}, nil
}

func networkResult(n NetworkInfo, err error) (*pb.NetworkInfo, error) {
	if err != nil {
		return nil, err
	}
	return networkToPB(n), nil
}

func networkToPB(n NetworkInfo) *pb.NetworkInfo {
	return &pb.NetworkInfo{
		Id:         n.ID,
		Name:       n.Name,
		Label:      n.Label,
		State:      networkStates[n.State], // an unknown state is NETWORK_STATE_UNKNOWN
		External:   n.External,
		CidrBlock:  n.CIDRBlock,
		CreateTime: wire.Timestamp(n.CreateTime),
		Extra:      wire.CopyMap(n.Extra),
	}
}

// ---- subnets ----

func (s *networkServer) ListSubnets(ctx context.Context, req *pb.ListSubnetsRequest) (*pb.ListSubnetsResponse, error) {
	if s.n.Subnets == nil {
		return nil, Unsupported(CapSubnets)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.n.Subnets.List(ctx, SubnetListOptions{ListOptions: opts, NetworkID: req.GetNetworkId()})
	if err != nil {
		return nil, err
	}
	return &pb.ListSubnetsResponse{Subnets: convertAll(page.Items, subnetToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *networkServer) GetSubnet(ctx context.Context, req *pb.GetSubnetRequest) (*pb.Subnet, error) {
	if s.n.Subnets == nil {
		return nil, Unsupported(CapSubnets)
	}
	return subnetResult(s.n.Subnets.Get(ctx, req.GetId()))
}

func (s *networkServer) CreateSubnet(ctx context.Context, req *pb.CreateSubnetRequest) (*pb.Subnet, error) {
	if s.n.Subnets == nil {
		return nil, Unsupported(CapSubnets)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	if err := ValidateCIDR("cidr_block", req.GetCidrBlock()); err != nil {
		return nil, err
	}
	return subnetResult(s.n.Subnets.Create(ctx, SubnetSpec{
		Label:            req.GetLabel(),
		NetworkID:        req.GetNetworkId(),
		CIDRBlock:        req.GetCidrBlock(),
		Zone:             req.GetZone(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *networkServer) UpdateSubnet(ctx context.Context, req *pb.UpdateSubnetRequest) (*pb.Subnet, error) {
	if s.n.Subnets == nil {
		return nil, Unsupported(CapSubnets)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return subnetResult(s.n.Subnets.Update(ctx, req.GetId(), SubnetUpdate{Label: req.Label}))
}

func (s *networkServer) DeleteSubnet(ctx context.Context, req *pb.DeleteSubnetRequest) (*pb.DeleteSubnetResponse, error) {
	if s.n.Subnets == nil {
		return nil, Unsupported(CapSubnets)
	}
	if err := s.n.Subnets.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteSubnetResponse{}, nil
}

func subnetResult(sn Subnet, err error) (*pb.Subnet, error) {
	if err != nil {
		return nil, err
	}
	return subnetToPB(sn), nil
}

func subnetToPB(sn Subnet) *pb.Subnet {
	return &pb.Subnet{
		Id:         sn.ID,
		Name:       sn.Name,
		Label:      sn.Label,
		State:      networkStates[sn.State], // an unknown state is NETWORK_STATE_UNKNOWN
		NetworkId:  sn.NetworkID,
		CidrBlock:  sn.CIDRBlock,
		Zone:       sn.Zone,
		CreateTime: wire.Timestamp(sn.CreateTime),
		Extra:      wire.CopyMap(sn.Extra),
	}
}

// ---- routers ----

func (s *networkServer) ListRouters(ctx context.Context, req *pb.ListRoutersRequest) (*pb.ListRoutersResponse, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.n.Routers.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListRoutersResponse{Routers: convertAll(page.Items, routerToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *networkServer) GetRouter(ctx context.Context, req *pb.GetRouterRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	return routerResult(s.n.Routers.Get(ctx, req.GetId()))
}

func (s *networkServer) CreateRouter(ctx context.Context, req *pb.CreateRouterRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	return routerResult(s.n.Routers.Create(ctx, RouterSpec{
		Label:            req.GetLabel(),
		NetworkID:        req.GetNetworkId(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *networkServer) UpdateRouter(ctx context.Context, req *pb.UpdateRouterRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return routerResult(s.n.Routers.Update(ctx, req.GetId(), RouterUpdate{Label: req.Label}))
}

func (s *networkServer) DeleteRouter(ctx context.Context, req *pb.DeleteRouterRequest) (*pb.DeleteRouterResponse, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	if err := s.n.Routers.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteRouterResponse{}, nil
}

func (s *networkServer) AttachSubnet(ctx context.Context, req *pb.AttachSubnetRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	return routerResult(s.n.Routers.AttachSubnet(ctx, req.GetRouterId(), req.GetSubnetId()))
}

func (s *networkServer) DetachSubnet(ctx context.Context, req *pb.DetachSubnetRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	return routerResult(s.n.Routers.DetachSubnet(ctx, req.GetRouterId(), req.GetSubnetId()))
}

func (s *networkServer) AttachGateway(ctx context.Context, req *pb.AttachGatewayRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	return routerResult(s.n.Routers.AttachGateway(ctx, req.GetRouterId(), req.GetGatewayId()))
}

func (s *networkServer) DetachGateway(ctx context.Context, req *pb.DetachGatewayRequest) (*pb.Router, error) {
	if s.n.Routers == nil {
		return nil, Unsupported(CapRouters)
	}
	return routerResult(s.n.Routers.DetachGateway(ctx, req.GetRouterId(), req.GetGatewayId()))
}

func routerResult(r Router, err error) (*pb.Router, error) {
	if err != nil {
		return nil, err
	}
	return routerToPB(r), nil
}

var routerStates = map[RouterState]pb.RouterState{
	RouterAttached: pb.RouterState_ROUTER_STATE_ATTACHED,
	RouterDetached: pb.RouterState_ROUTER_STATE_DETACHED,
}

func routerToPB(r Router) *pb.Router {
	return &pb.Router{
		Id:        r.ID,
		Name:      r.Name,
		Label:     r.Label,
		State:     routerStates[r.State], // an unknown state is ROUTER_STATE_UNKNOWN
		NetworkId: r.NetworkID,
		SubnetIds: r.SubnetIDs,
		GatewayId: r.GatewayID,
		Extra:     wire.CopyMap(r.Extra),
	}
}

// ---- gateways ----

func (s *networkServer) ListGateways(ctx context.Context, req *pb.ListGatewaysRequest) (*pb.ListGatewaysResponse, error) {
	if s.n.Gateways == nil {
		return nil, Unsupported(CapGateways)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.n.Gateways.List(ctx, req.GetNetworkId(), opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListGatewaysResponse{Gateways: convertAll(page.Items, gatewayToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *networkServer) GetOrCreateGateway(ctx context.Context, req *pb.GetOrCreateGatewayRequest) (*pb.Gateway, error) {
	if s.n.Gateways == nil {
		return nil, Unsupported(CapGateways)
	}
	gw, err := s.n.Gateways.GetOrCreate(ctx, GatewaySpec{
		NetworkID:        req.GetNetworkId(),
		Name:             req.GetName(),
		IdempotencyToken: req.GetIdempotencyToken(),
	})
	if err != nil {
		return nil, err
	}
	return gatewayToPB(gw), nil
}

func (s *networkServer) DeleteGateway(ctx context.Context, req *pb.DeleteGatewayRequest) (*pb.DeleteGatewayResponse, error) {
	if s.n.Gateways == nil {
		return nil, Unsupported(CapGateways)
	}
	if err := s.n.Gateways.Delete(ctx, req.GetNetworkId(), req.GetGatewayId()); err != nil {
		return nil, err
	}
	return &pb.DeleteGatewayResponse{}, nil
}

var gatewayStates = map[GatewayState]pb.GatewayState{
	GatewayConfiguring: pb.GatewayState_GATEWAY_STATE_CONFIGURING,
	GatewayAvailable:   pb.GatewayState_GATEWAY_STATE_AVAILABLE,
	GatewayError:       pb.GatewayState_GATEWAY_STATE_ERROR,
}

func gatewayToPB(g Gateway) *pb.Gateway {
	return &pb.Gateway{
		Id:        g.ID,
		Name:      g.Name,
		State:     gatewayStates[g.State], // an unknown state is GATEWAY_STATE_UNKNOWN
		NetworkId: g.NetworkID,
		Extra:     wire.CopyMap(g.Extra),
	}
}

// ---- floating IPs ----

func (s *networkServer) ListFloatingIPs(ctx context.Context, req *pb.ListFloatingIPsRequest) (*pb.ListFloatingIPsResponse, error) {
	if s.n.FloatingIPs == nil {
		return nil, Unsupported(CapFloatingIPs)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.n.FloatingIPs.List(ctx, req.GetGatewayId(), opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListFloatingIPsResponse{FloatingIps: convertAll(page.Items, floatingIPToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *networkServer) GetFloatingIP(ctx context.Context, req *pb.GetFloatingIPRequest) (*pb.FloatingIP, error) {
	if s.n.FloatingIPs == nil {
		return nil, Unsupported(CapFloatingIPs)
	}
	return floatingIPResult(s.n.FloatingIPs.Get(ctx, req.GetGatewayId(), req.GetId()))
}

func (s *networkServer) CreateFloatingIP(ctx context.Context, req *pb.CreateFloatingIPRequest) (*pb.FloatingIP, error) {
	if s.n.FloatingIPs == nil {
		return nil, Unsupported(CapFloatingIPs)
	}
	return floatingIPResult(s.n.FloatingIPs.Create(ctx, FloatingIPSpec{
		GatewayID:        req.GetGatewayId(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *networkServer) DeleteFloatingIP(ctx context.Context, req *pb.DeleteFloatingIPRequest) (*pb.DeleteFloatingIPResponse, error) {
	if s.n.FloatingIPs == nil {
		return nil, Unsupported(CapFloatingIPs)
	}
	if err := s.n.FloatingIPs.Delete(ctx, req.GetGatewayId(), req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteFloatingIPResponse{}, nil
}

func (s *networkServer) AssociateFloatingIP(ctx context.Context, req *pb.AssociateFloatingIPRequest) (*pb.FloatingIP, error) {
	if s.n.FloatingIPs == nil {
		return nil, Unsupported(CapFloatingIPs)
	}
	return floatingIPResult(s.n.FloatingIPs.Associate(ctx, req.GetId(), req.GetInstanceId()))
}

func (s *networkServer) DisassociateFloatingIP(ctx context.Context, req *pb.DisassociateFloatingIPRequest) (*pb.FloatingIP, error) {
	if s.n.FloatingIPs == nil {
		return nil, Unsupported(CapFloatingIPs)
	}
	return floatingIPResult(s.n.FloatingIPs.Disassociate(ctx, req.GetId()))
}

func floatingIPResult(f FloatingIP, err error) (*pb.FloatingIP, error) {
	if err != nil {
		return nil, err
	}
	return floatingIPToPB(f), nil
}

var floatingIPStates = map[FloatingIPState]pb.FloatingIPState{
	FloatingIPAvailable: pb.FloatingIPState_FLOATING_IP_STATE_AVAILABLE,
	FloatingIPInUse:     pb.FloatingIPState_FLOATING_IP_STATE_IN_USE,
	FloatingIPError:     pb.FloatingIPState_FLOATING_IP_STATE_ERROR,
}

func floatingIPToPB(f FloatingIP) *pb.FloatingIP {
	return &pb.FloatingIP{
		Id:         f.ID,
		Name:       f.Name,
		State:      floatingIPStates[f.State], // an unknown state is FLOATING_IP_STATE_UNKNOWN
		PublicIp:   f.PublicIP,
		PrivateIp:  f.PrivateIP,
		InstanceId: f.InstanceID,
		GatewayId:  f.GatewayID,
		Extra:      wire.CopyMap(f.Extra),
	}
}
