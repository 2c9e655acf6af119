package host

import (
	"context"
	"iter"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// NetworkingService is p.Networking: networks, subnets and routers. Internet
// gateways hang off their network (network.Gateways) and floating IPs off
// their gateway (gateway.FloatingIPs).
type NetworkingService struct {
	Networks *NetworkService
	Subnets  *SubnetService
	Routers  *RouterService

	// floatingIPs is bound to no gateway; instances use it to associate.
	floatingIPs *FloatingIPService
}

func newNetworkingService(p *Provider) *NetworkingService {
	n := p.drivers.Network
	if n == nil {
		n = &sdk.Network{}
	}
	return &NetworkingService{
		Networks:    &NetworkService{p: p, drv: n.Networks, gateways: n.Gateways, fips: n.FloatingIPs},
		Subnets:     &SubnetService{p: p, drv: n.Subnets},
		Routers:     &RouterService{p: p, drv: n.Routers},
		floatingIPs: &FloatingIPService{p: p, drv: n.FloatingIPs},
	}
}

// ---- networks ----

// NetworkSpec describes a network to create.
type NetworkSpec = sdk.NetworkSpec

// Network is a private network (VPC). Gateways manages its internet gateway.
type Network struct {
	sdk.NetworkInfo
	Gateways *GatewayService
	svc      *NetworkService
}

// NetworkService is p.Networking.Networks.
type NetworkService struct {
	p        *Provider
	drv      sdk.Networks
	gateways sdk.Gateways
	fips     sdk.FloatingIPs
}

var networkKeys = findKeys[*Network]{
	"label": func(n *Network) string { return n.Label },
	"name":  func(n *Network) string { return n.Name },
	"id":    func(n *Network) string { return n.ID },
}

func (s *NetworkService) wrap(n sdk.NetworkInfo) *Network {
	return &Network{NetworkInfo: n, svc: s,
		Gateways: &GatewayService{p: s.p, drv: s.gateways, fips: s.fips, networkID: n.ID}}
}

// Get returns a network by id.
func (s *NetworkService) Get(ctx context.Context, id string) (*Network, error) {
	return call(ctx, s.p, "provider.networking.networks.get", sdk.CapNetworks, &id, func(ctx context.Context) (*Network, error) {
		n, err := s.drv.Get(ctx, id)
		return s.wrap(n), err
	})
}

// List returns one page of networks.
func (s *NetworkService) List(ctx context.Context, opts ListOptions) (Page[*Network], error) {
	return call(ctx, s.p, "provider.networking.networks.list", sdk.CapNetworks, &opts, func(ctx context.Context) (Page[*Network], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every network.
func (s *NetworkService) All(ctx context.Context) iter.Seq2[*Network, error] {
	return pages(ctx, s.List)
}

// Find returns the networks matching the filter (keys: label, name).
func (s *NetworkService) Find(ctx context.Context, f Filter) ([]*Network, error) {
	return find(s.All(ctx), f, networkKeys)
}

// Create makes a network with a CIDR block such as "10.0.0.0/16". It returns
// at once, possibly pending: use WaitReady.
func (s *NetworkService) Create(ctx context.Context, spec NetworkSpec) (*Network, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if err := sdk.ValidateCIDR("cidr_block", spec.CIDRBlock); err != nil {
		return nil, err
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.networking.networks.create", sdk.CapNetworks, &spec, func(ctx context.Context) (*Network, error) {
		n, err := s.drv.Create(ctx, spec)
		return s.wrap(n), err
	})
}

// Delete deletes a network; one that still has subnets is ErrFailedPrecondition.
func (s *NetworkService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.networking.networks.delete", sdk.CapNetworks, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// GetOrCreateDefault returns the network labelled sdk.DefaultNetworkLabel
// ("cloudbridge-net"). When there is none it creates it with
// sdk.DefaultNetworkCIDR and waits until it is available; if that wait fails it
// returns the new network with the error, so that the caller can delete it.
func (s *NetworkService) GetOrCreateDefault(ctx context.Context) (*Network, error) {
	found, err := s.Find(ctx, Filter{"label": sdk.DefaultNetworkLabel})
	if err != nil {
		return nil, err
	}
	if len(found) > 0 {
		return found[0], nil
	}
	n, err := s.Create(ctx, NetworkSpec{Label: sdk.DefaultNetworkLabel, CIDRBlock: sdk.DefaultNetworkCIDR})
	if err != nil {
		return nil, err
	}
	return n, n.WaitReady(ctx)
}

func (n *Network) update(ctx context.Context, event string, args any, fn func(context.Context) (sdk.NetworkInfo, error)) error {
	fresh, err := call(ctx, n.svc.p, event, sdk.CapNetworks, args, fn)
	if err == nil {
		n.NetworkInfo = fresh
	}
	return err
}

// Refresh reloads the network.
func (n *Network) Refresh(ctx context.Context) error {
	id := n.ID
	return n.update(ctx, "provider.networking.networks.get", &id, func(ctx context.Context) (sdk.NetworkInfo, error) {
		return n.svc.drv.Get(ctx, id)
	})
}

// SetLabel changes the network's label.
func (n *Network) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	args := UpdateArgs[sdk.NetworkUpdate]{ID: n.ID, Update: sdk.NetworkUpdate{Label: &label}}
	return n.update(ctx, "provider.networking.networks.update", &args, func(ctx context.Context) (sdk.NetworkInfo, error) {
		return n.svc.drv.Update(ctx, args.ID, args.Update)
	})
}

// Subnets returns the network's subnets.
func (n *Network) Subnets(ctx context.Context) ([]*Subnet, error) {
	return find(n.svc.p.Networking.Subnets.all(ctx, n.ID), nil, subnetKeys)
}

// CreateSubnet makes a subnet of the network, with a CIDR block inside the
// network's, in the provider's zone.
func (n *Network) CreateSubnet(ctx context.Context, label, cidr string) (*Subnet, error) {
	return n.svc.p.Networking.Subnets.Create(ctx, SubnetSpec{Label: label, NetworkID: n.ID, CIDRBlock: cidr})
}

// Delete deletes the network.
func (n *Network) Delete(ctx context.Context) error { return n.svc.Delete(ctx, n.ID) }

// WaitFor waits until the network is in one of the target states; "error" is
// terminal, and a deleted network counts as "unknown".
func (n *Network) WaitFor(ctx context.Context, targets ...sdk.NetworkState) error {
	return n.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (n *Network) WaitForWith(ctx context.Context, targets []sdk.NetworkState, opts ...WaitOption) error {
	return waitState(ctx, n.svc.p.waitPolicy(opts), "network", n.ID, func(ctx context.Context) (sdk.NetworkState, error) {
		err := n.Refresh(ctx)
		return n.State, err
	}, targets, []sdk.NetworkState{sdk.NetworkError}, sdk.NetworkUnknown)
}

// WaitReady waits until the network is available.
func (n *Network) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return n.WaitForWith(ctx, []sdk.NetworkState{sdk.NetworkAvailable}, opts...)
}

// ---- subnets ----

// SubnetSpec describes a subnet to create.
type SubnetSpec = sdk.SubnetSpec

// Subnet is a subnet of a network.
type Subnet struct {
	sdk.Subnet
	svc *SubnetService
}

// SubnetService is p.Networking.Subnets.
type SubnetService struct {
	p   *Provider
	drv sdk.Subnets
}

var subnetKeys = findKeys[*Subnet]{
	"label": func(s *Subnet) string { return s.Label },
	"name":  func(s *Subnet) string { return s.Name },
	"id":    func(s *Subnet) string { return s.ID },
}

func (s *SubnetService) wrap(sn sdk.Subnet) *Subnet { return &Subnet{Subnet: sn, svc: s} }

// Get returns a subnet by id.
func (s *SubnetService) Get(ctx context.Context, id string) (*Subnet, error) {
	return call(ctx, s.p, "provider.networking.subnets.get", sdk.CapSubnets, &id, func(ctx context.Context) (*Subnet, error) {
		sn, err := s.drv.Get(ctx, id)
		return s.wrap(sn), err
	})
}

// List returns one page of subnets, of one network when opts.NetworkID is set.
func (s *SubnetService) List(ctx context.Context, opts sdk.SubnetListOptions) (Page[*Subnet], error) {
	return call(ctx, s.p, "provider.networking.subnets.list", sdk.CapSubnets, &opts, func(ctx context.Context) (Page[*Subnet], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every subnet of every network.
func (s *SubnetService) All(ctx context.Context) iter.Seq2[*Subnet, error] { return s.all(ctx, "") }

// all yields the subnets of one network, or of all when networkID is "".
func (s *SubnetService) all(ctx context.Context, networkID string) iter.Seq2[*Subnet, error] {
	return pages(ctx, func(ctx context.Context, o ListOptions) (Page[*Subnet], error) {
		return s.List(ctx, sdk.SubnetListOptions{ListOptions: o, NetworkID: networkID})
	})
}

// Find returns the subnets matching the filter (keys: label, name).
func (s *SubnetService) Find(ctx context.Context, f Filter) ([]*Subnet, error) {
	return find(s.All(ctx), f, subnetKeys)
}

// Create makes a subnet in the provider's zone (unless spec.Zone is set). A
// range outside the network's or overlapping another subnet is
// ErrInvalidArgument.
func (s *SubnetService) Create(ctx context.Context, spec SubnetSpec) (*Subnet, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if err := sdk.ValidateCIDR("cidr_block", spec.CIDRBlock); err != nil {
		return nil, err
	}
	if spec.Zone == "" {
		spec.Zone = s.p.Zone
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.networking.subnets.create", sdk.CapSubnets, &spec, func(ctx context.Context) (*Subnet, error) {
		sn, err := s.drv.Create(ctx, spec)
		return s.wrap(sn), err
	})
}

// Delete deletes a subnet; one that still has instances is
// ErrFailedPrecondition.
func (s *SubnetService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.networking.subnets.delete", sdk.CapSubnets, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// GetOrCreateDefault returns the subnet labelled sdk.DefaultSubnetLabel
// ("cloudbridge-subnet"), preferring one in the provider's zone. When there is
// none it gets or creates the default network and makes the subnet there with
// sdk.DefaultSubnetCIDR, in the provider's zone. Like CloudBridge, it wires no
// router or gateway.
func (s *SubnetService) GetOrCreateDefault(ctx context.Context) (*Subnet, error) {
	found, err := s.Find(ctx, Filter{"label": sdk.DefaultSubnetLabel})
	if err != nil {
		return nil, err
	}
	for _, sn := range found {
		if sn.Zone == s.p.Zone || sn.Zone == "" {
			return sn, nil
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	n, err := s.p.Networking.Networks.GetOrCreateDefault(ctx)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, SubnetSpec{Label: sdk.DefaultSubnetLabel, NetworkID: n.ID, CIDRBlock: sdk.DefaultSubnetCIDR})
}

func (sn *Subnet) update(ctx context.Context, event string, args any, fn func(context.Context) (sdk.Subnet, error)) error {
	fresh, err := call(ctx, sn.svc.p, event, sdk.CapSubnets, args, fn)
	if err == nil {
		sn.Subnet = fresh
	}
	return err
}

// Refresh reloads the subnet.
func (sn *Subnet) Refresh(ctx context.Context) error {
	id := sn.ID
	return sn.update(ctx, "provider.networking.subnets.get", &id, func(ctx context.Context) (sdk.Subnet, error) {
		return sn.svc.drv.Get(ctx, id)
	})
}

// SetLabel changes the subnet's label.
func (sn *Subnet) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	args := UpdateArgs[sdk.SubnetUpdate]{ID: sn.ID, Update: sdk.SubnetUpdate{Label: &label}}
	return sn.update(ctx, "provider.networking.subnets.update", &args, func(ctx context.Context) (sdk.Subnet, error) {
		return sn.svc.drv.Update(ctx, args.ID, args.Update)
	})
}

// Network returns the network the subnet is in.
func (sn *Subnet) Network(ctx context.Context) (*Network, error) {
	return sn.svc.p.Networking.Networks.Get(ctx, sn.NetworkID)
}

// Delete deletes the subnet.
func (sn *Subnet) Delete(ctx context.Context) error { return sn.svc.Delete(ctx, sn.ID) }

// WaitFor waits until the subnet is in one of the target states; "error" is
// terminal, and a deleted subnet counts as "unknown".
func (sn *Subnet) WaitFor(ctx context.Context, targets ...sdk.NetworkState) error {
	return sn.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (sn *Subnet) WaitForWith(ctx context.Context, targets []sdk.NetworkState, opts ...WaitOption) error {
	return waitState(ctx, sn.svc.p.waitPolicy(opts), "subnet", sn.ID, func(ctx context.Context) (sdk.NetworkState, error) {
		err := sn.Refresh(ctx)
		return sn.State, err
	}, targets, []sdk.NetworkState{sdk.NetworkError}, sdk.NetworkUnknown)
}

// WaitReady waits until the subnet is available.
func (sn *Subnet) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return sn.WaitForWith(ctx, []sdk.NetworkState{sdk.NetworkAvailable}, opts...)
}

// ---- routers ----

// RouterSpec describes a router to create.
type RouterSpec = sdk.RouterSpec

// Router routes between a network's subnets and to its internet gateway.
type Router struct {
	sdk.Router
	svc *RouterService
}

// RouterService is p.Networking.Routers.
type RouterService struct {
	p   *Provider
	drv sdk.Routers
}

var routerKeys = findKeys[*Router]{
	"label": func(r *Router) string { return r.Label },
	"name":  func(r *Router) string { return r.Name },
	"id":    func(r *Router) string { return r.ID },
}

func (s *RouterService) wrap(r sdk.Router) *Router { return &Router{Router: r, svc: s} }

// Get returns a router by id.
func (s *RouterService) Get(ctx context.Context, id string) (*Router, error) {
	return call(ctx, s.p, "provider.networking.routers.get", sdk.CapRouters, &id, func(ctx context.Context) (*Router, error) {
		r, err := s.drv.Get(ctx, id)
		return s.wrap(r), err
	})
}

// List returns one page of routers.
func (s *RouterService) List(ctx context.Context, opts ListOptions) (Page[*Router], error) {
	return call(ctx, s.p, "provider.networking.routers.list", sdk.CapRouters, &opts, func(ctx context.Context) (Page[*Router], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every router.
func (s *RouterService) All(ctx context.Context) iter.Seq2[*Router, error] { return pages(ctx, s.List) }

// Find returns the routers matching the filter (keys: label, name).
func (s *RouterService) Find(ctx context.Context, f Filter) ([]*Router, error) {
	return find(s.All(ctx), f, routerKeys)
}

// Create makes a router in a network.
func (s *RouterService) Create(ctx context.Context, spec RouterSpec) (*Router, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.networking.routers.create", sdk.CapRouters, &spec, func(ctx context.Context) (*Router, error) {
		r, err := s.drv.Create(ctx, spec)
		return s.wrap(r), err
	})
}

// Delete deletes a router.
func (s *RouterService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.networking.routers.delete", sdk.CapRouters, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// GetOrCreateDefault returns the network's router labelled
// sdk.DefaultRouterLabel ("cloudbridge-router"), creating it when there is none.
func (s *RouterService) GetOrCreateDefault(ctx context.Context, networkID string) (*Router, error) {
	found, err := s.Find(ctx, Filter{"label": sdk.DefaultRouterLabel})
	if err != nil {
		return nil, err
	}
	for _, r := range found {
		if r.NetworkID == networkID {
			return r, nil
		}
	}
	return s.Create(ctx, RouterSpec{Label: sdk.DefaultRouterLabel, NetworkID: networkID})
}

func (r *Router) update(ctx context.Context, event string, args any, fn func(context.Context) (sdk.Router, error)) error {
	fresh, err := call(ctx, r.svc.p, event, sdk.CapRouters, args, fn)
	if err == nil {
		r.Router = fresh
	}
	return err
}

// Refresh reloads the router.
func (r *Router) Refresh(ctx context.Context) error {
	id := r.ID
	return r.update(ctx, "provider.networking.routers.get", &id, func(ctx context.Context) (sdk.Router, error) {
		return r.svc.drv.Get(ctx, id)
	})
}

// SetLabel changes the router's label.
func (r *Router) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	args := UpdateArgs[sdk.RouterUpdate]{ID: r.ID, Update: sdk.RouterUpdate{Label: &label}}
	return r.update(ctx, "provider.networking.routers.update", &args, func(ctx context.Context) (sdk.Router, error) {
		return r.svc.drv.Update(ctx, args.ID, args.Update)
	})
}

// AttachSubnet routes a subnet through the router.
func (r *Router) AttachSubnet(ctx context.Context, subnetID string) error {
	args := LinkArgs{ID: r.ID, OtherID: subnetID}
	return r.update(ctx, "provider.networking.routers.attach_subnet", &args, func(ctx context.Context) (sdk.Router, error) {
		return r.svc.drv.AttachSubnet(ctx, args.ID, args.OtherID)
	})
}

// DetachSubnet takes a subnet off the router.
func (r *Router) DetachSubnet(ctx context.Context, subnetID string) error {
	args := LinkArgs{ID: r.ID, OtherID: subnetID}
	return r.update(ctx, "provider.networking.routers.detach_subnet", &args, func(ctx context.Context) (sdk.Router, error) {
		return r.svc.drv.DetachSubnet(ctx, args.ID, args.OtherID)
	})
}

// AttachGateway routes outside traffic through an internet gateway.
func (r *Router) AttachGateway(ctx context.Context, gatewayID string) error {
	args := LinkArgs{ID: r.ID, OtherID: gatewayID}
	return r.update(ctx, "provider.networking.routers.attach_gateway", &args, func(ctx context.Context) (sdk.Router, error) {
		return r.svc.drv.AttachGateway(ctx, args.ID, args.OtherID)
	})
}

// DetachGateway takes the internet gateway off the router.
func (r *Router) DetachGateway(ctx context.Context, gatewayID string) error {
	args := LinkArgs{ID: r.ID, OtherID: gatewayID}
	return r.update(ctx, "provider.networking.routers.detach_gateway", &args, func(ctx context.Context) (sdk.Router, error) {
		return r.svc.drv.DetachGateway(ctx, args.ID, args.OtherID)
	})
}

// Delete deletes the router.
func (r *Router) Delete(ctx context.Context) error { return r.svc.Delete(ctx, r.ID) }

// ---- internet gateways ----

// Gateway is an internet gateway. FloatingIPs allocates addresses from it.
type Gateway struct {
	sdk.Gateway
	FloatingIPs *FloatingIPService
	svc         *GatewayService
}

// GatewayService is network.Gateways: the internet gateways of one network.
type GatewayService struct {
	p         *Provider
	drv       sdk.Gateways
	fips      sdk.FloatingIPs
	networkID string
}

func (s *GatewayService) wrap(g sdk.Gateway) *Gateway {
	return &Gateway{Gateway: g, svc: s, FloatingIPs: &FloatingIPService{p: s.p, drv: s.fips, gatewayID: g.ID}}
}

// List returns one page of the network's gateways.
func (s *GatewayService) List(ctx context.Context, opts ListOptions) (Page[*Gateway], error) {
	return call(ctx, s.p, "provider.networking.gateways.list", sdk.CapGateways, &opts, func(ctx context.Context) (Page[*Gateway], error) {
		page, err := s.drv.List(ctx, s.networkID, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every gateway of the network.
func (s *GatewayService) All(ctx context.Context) iter.Seq2[*Gateway, error] {
	return pages(ctx, s.List)
}

// GetOrCreate returns the network's internet gateway, creating one named
// sdk.DefaultGatewayName ("cloudbridge-inetgateway") when it has none. On
// clouds where the gateway is a shared external network (OpenStack), that
// network is returned.
func (s *GatewayService) GetOrCreate(ctx context.Context) (*Gateway, error) {
	spec := sdk.GatewaySpec{NetworkID: s.networkID, Name: sdk.DefaultGatewayName, IdempotencyToken: newToken()}
	return call(ctx, s.p, "provider.networking.gateways.get_or_create", sdk.CapGateways, &spec, func(ctx context.Context) (*Gateway, error) {
		g, err := s.drv.GetOrCreate(ctx, spec)
		return s.wrap(g), err
	})
}

// Delete deletes one of the network's gateways (a no-op where the gateway is
// shared, as on OpenStack).
func (s *GatewayService) Delete(ctx context.Context, gatewayID string) error {
	return do(ctx, s.p, "provider.networking.gateways.delete", sdk.CapGateways, &gatewayID, func(ctx context.Context) error {
		return s.drv.Delete(ctx, s.networkID, gatewayID)
	})
}

// Delete deletes the gateway.
func (g *Gateway) Delete(ctx context.Context) error { return g.svc.Delete(ctx, g.ID) }

// Refresh reloads the gateway. The contract has no get for gateways, so it
// looks for the gateway among its network's; one that is gone is ErrNotFound.
func (g *Gateway) Refresh(ctx context.Context) error {
	for fresh, err := range g.svc.All(ctx) {
		if err != nil {
			return err
		}
		if fresh.ID == g.ID {
			g.Gateway = fresh.Gateway
			return nil
		}
	}
	return sdk.NotFound("gateway", g.ID)
}

// WaitFor waits until the gateway is in one of the target states; "error" is
// terminal, and a deleted gateway counts as "unknown".
func (g *Gateway) WaitFor(ctx context.Context, targets ...sdk.GatewayState) error {
	return g.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (g *Gateway) WaitForWith(ctx context.Context, targets []sdk.GatewayState, opts ...WaitOption) error {
	return waitState(ctx, g.svc.p.waitPolicy(opts), "gateway", g.ID, func(ctx context.Context) (sdk.GatewayState, error) {
		err := g.Refresh(ctx)
		return g.State, err
	}, targets, []sdk.GatewayState{sdk.GatewayError}, sdk.GatewayUnknown)
}

// WaitReady waits until the gateway is available.
func (g *Gateway) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return g.WaitForWith(ctx, []sdk.GatewayState{sdk.GatewayAvailable}, opts...)
}

// ---- floating IPs ----

// FloatingIP is a public address that can be moved between instances. InUse
// reports whether it is associated with one.
type FloatingIP struct {
	sdk.FloatingIP
	svc *FloatingIPService
}

// FloatingIPService is gateway.FloatingIPs: the floating IPs of one gateway.
type FloatingIPService struct {
	p         *Provider
	drv       sdk.FloatingIPs
	gatewayID string
}

var floatingIPKeys = findKeys[*FloatingIP]{
	"name":      func(f *FloatingIP) string { return f.Name },
	"public_ip": func(f *FloatingIP) string { return f.PublicIP },
	"id":        func(f *FloatingIP) string { return f.ID },
}

// wrap binds a floating IP to its service; a plugin that leaves GatewayID
// empty gets the service's, so that the resource can refresh and delete itself.
func (s *FloatingIPService) wrap(f sdk.FloatingIP) *FloatingIP {
	if f.GatewayID == "" {
		f.GatewayID = s.gatewayID
	}
	return &FloatingIP{FloatingIP: f, svc: s}
}

// Get returns a floating IP by id.
func (s *FloatingIPService) Get(ctx context.Context, id string) (*FloatingIP, error) {
	return s.get(ctx, s.gatewayID, id)
}

func (s *FloatingIPService) get(ctx context.Context, gatewayID, id string) (*FloatingIP, error) {
	return call(ctx, s.p, "provider.networking.floating_ips.get", sdk.CapFloatingIPs, &id, func(ctx context.Context) (*FloatingIP, error) {
		f, err := s.drv.Get(ctx, gatewayID, id)
		return s.wrap(f), err
	})
}

// List returns one page of the gateway's floating IPs.
func (s *FloatingIPService) List(ctx context.Context, opts ListOptions) (Page[*FloatingIP], error) {
	return call(ctx, s.p, "provider.networking.floating_ips.list", sdk.CapFloatingIPs, &opts, func(ctx context.Context) (Page[*FloatingIP], error) {
		page, err := s.drv.List(ctx, s.gatewayID, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every floating IP of the gateway.
func (s *FloatingIPService) All(ctx context.Context) iter.Seq2[*FloatingIP, error] {
	return pages(ctx, s.List)
}

// Find returns the floating IPs matching the filter (keys: name, public_ip).
func (s *FloatingIPService) Find(ctx context.Context, f Filter) ([]*FloatingIP, error) {
	return find(s.All(ctx), f, floatingIPKeys)
}

// Create allocates a floating IP from the gateway.
func (s *FloatingIPService) Create(ctx context.Context) (*FloatingIP, error) {
	spec := sdk.FloatingIPSpec{GatewayID: s.gatewayID, IdempotencyToken: newToken()}
	return call(ctx, s.p, "provider.networking.floating_ips.create", sdk.CapFloatingIPs, &spec, func(ctx context.Context) (*FloatingIP, error) {
		f, err := s.drv.Create(ctx, spec)
		return s.wrap(f), err
	})
}

// Delete releases a floating IP.
func (s *FloatingIPService) Delete(ctx context.Context, id string) error {
	return s.delete(ctx, s.gatewayID, id)
}

func (s *FloatingIPService) delete(ctx context.Context, gatewayID, id string) error {
	return do(ctx, s.p, "provider.networking.floating_ips.delete", sdk.CapFloatingIPs, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, gatewayID, id)
	})
}

// Associate associates a floating IP with an instance.
func (s *FloatingIPService) Associate(ctx context.Context, id, instanceID string) (*FloatingIP, error) {
	args := LinkArgs{ID: id, OtherID: instanceID}
	return call(ctx, s.p, "provider.networking.floating_ips.associate", sdk.CapFloatingIPs, &args, func(ctx context.Context) (*FloatingIP, error) {
		f, err := s.drv.Associate(ctx, args.ID, args.OtherID)
		return s.wrap(f), err
	})
}

// Disassociate takes a floating IP off its instance.
func (s *FloatingIPService) Disassociate(ctx context.Context, id string) (*FloatingIP, error) {
	return call(ctx, s.p, "provider.networking.floating_ips.disassociate", sdk.CapFloatingIPs, &id, func(ctx context.Context) (*FloatingIP, error) {
		f, err := s.drv.Disassociate(ctx, id)
		return s.wrap(f), err
	})
}

// set stores a fresh copy of the floating IP when the call succeeded.
func (f *FloatingIP) set(fresh *FloatingIP, err error) error {
	if err == nil {
		f.FloatingIP = fresh.FloatingIP
	}
	return err
}

// Refresh reloads the floating IP.
func (f *FloatingIP) Refresh(ctx context.Context) error {
	return f.set(f.svc.get(ctx, f.GatewayID, f.ID))
}

// Associate associates the floating IP with an instance.
func (f *FloatingIP) Associate(ctx context.Context, instanceID string) error {
	return f.set(f.svc.Associate(ctx, f.ID, instanceID))
}

// Disassociate takes the floating IP off its instance.
func (f *FloatingIP) Disassociate(ctx context.Context) error {
	return f.set(f.svc.Disassociate(ctx, f.ID))
}

// Delete releases the floating IP.
func (f *FloatingIP) Delete(ctx context.Context) error { return f.svc.delete(ctx, f.GatewayID, f.ID) }

// WaitFor waits until the floating IP is in one of the target states; "error"
// is terminal, and a released floating IP counts as "unknown".
func (f *FloatingIP) WaitFor(ctx context.Context, targets ...sdk.FloatingIPState) error {
	return f.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (f *FloatingIP) WaitForWith(ctx context.Context, targets []sdk.FloatingIPState, opts ...WaitOption) error {
	return waitState(ctx, f.svc.p.waitPolicy(opts), "floating IP", f.ID, func(ctx context.Context) (sdk.FloatingIPState, error) {
		err := f.Refresh(ctx)
		return f.State, err
	}, targets, []sdk.FloatingIPState{sdk.FloatingIPError}, sdk.FloatingIPUnknown)
}

// WaitReady waits until the floating IP is available.
func (f *FloatingIP) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return f.WaitForWith(ctx, []sdk.FloatingIPState{sdk.FloatingIPAvailable}, opts...)
}

// AddFloatingIP associates a floating IP with the instance and reloads the
// instance, so that PublicIPs shows the address.
func (i *Instance) AddFloatingIP(ctx context.Context, fipID string) error {
	if _, err := i.svc.p.Networking.floatingIPs.Associate(ctx, fipID, i.ID); err != nil {
		return err
	}
	return i.Refresh(ctx)
}

// RemoveFloatingIP takes a floating IP off the instance and reloads the
// instance.
func (i *Instance) RemoveFloatingIP(ctx context.Context, fipID string) error {
	if _, err := i.svc.p.Networking.floatingIPs.Disassociate(ctx, fipID); err != nil {
		return err
	}
	return i.Refresh(ctx)
}
