package openstack

import (
	"context"
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// routerSvc manages Neutron routers; label = the router's name. A Neutron
// router belongs to no network: the network it was made for is a tag, as for
// firewalls. Its subnets are those of its interface ports; its gateway is the
// external network of its external_gateway_info.
type routerSvc struct{ c *Cloud }

// routerTags reads the tags gophercloud's Router leaves out.
type routerTags struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
}

func (s *routerSvc) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Router], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.Router]{}, err
	}
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.Router]{}, err
	}
	page, err := firstPage(ctx, routers.List(sc, routers.ListOpts{Limit: size + 1, Marker: marker, ProjectID: cn.projectID}))
	if err != nil {
		return sdk.Page[sdk.Router]{}, listError(err, "list routers", marker)
	}
	rs, err := extract(page, routers.ExtractRouters)
	if err != nil {
		return sdk.Page[sdk.Router]{}, convertError(err, "read routers", "")
	}
	var tags []routerTags
	if page != nil {
		if err := routers.ExtractRoutersInto(page, &tags); err != nil {
			return sdk.Page[sdk.Router]{}, convertError(err, "read routers", "")
		}
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	subnetsOf, err := routerSubnets(ctx, sc, ids)
	if err != nil {
		return sdk.Page[sdk.Router]{}, err
	}
	items := make([]sdk.Router, len(rs))
	for i, r := range rs {
		items[i] = routerOf(r, tags[i].Tags, subnetsOf[r.ID])
	}
	return cutPage(items, size, func(r sdk.Router) string { return r.ID }), nil
}

// routerSubnets reads the subnets of routers' interfaces.
func routerSubnets(ctx context.Context, sc *gophercloud.ServiceClient, routerIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(routerIDs) == 0 {
		return out, nil
	}
	pages, err := ports.List(sc, multiQuery{"device_id": routerIDs, "device_owner": {"network:router_interface", "network:router_interface_distributed", "network:ha_router_replicated_interface"}}).AllPages(ctx)
	if err != nil {
		return nil, convertError(err, "list router interfaces", "")
	}
	ps, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, convertError(err, "read router interfaces", "")
	}
	for _, p := range ps {
		for _, ip := range p.FixedIPs {
			if !slices.Contains(out[p.DeviceID], ip.SubnetID) {
				out[p.DeviceID] = append(out[p.DeviceID], ip.SubnetID)
			}
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out, nil
}

func (s *routerSvc) Get(ctx context.Context, id string) (sdk.Router, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	return getRouter(ctx, sc, id)
}

func getRouter(ctx context.Context, sc *gophercloud.ServiceClient, id string) (sdk.Router, error) {
	if id == "" {
		return sdk.Router{}, notFound("id", "router", id)
	}
	res := routers.Get(ctx, sc, id)
	r, err := res.Extract()
	if err != nil {
		return sdk.Router{}, convertError(err, "get router "+quote(id), "")
	}
	var t struct {
		Router routerTags `json:"router"`
	}
	_ = res.ExtractInto(&t)
	subs, err := routerSubnets(ctx, sc, []string{id})
	if err != nil {
		return sdk.Router{}, err
	}
	return routerOf(*r, t.Router.Tags, subs[id]), nil
}

func (s *routerSvc) Create(ctx context.Context, spec sdk.RouterSpec) (sdk.Router, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Router{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	if spec.NetworkID != "" {
		if _, err := getNetwork(ctx, sc, spec.NetworkID); err != nil {
			return sdk.Router{}, withParam(err, "network_id")
		}
	}
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		page, err := firstPage(ctx, routers.List(sc, routers.ListOpts{Tags: mark}))
		if err != nil {
			return sdk.Router{}, convertError(err, "look for a router made by an earlier try", "")
		}
		if rs, err := extract(page, routers.ExtractRouters); err == nil && len(rs) > 0 {
			return getRouter(ctx, sc, rs[0].ID)
		}
	}
	r, err := routers.Create(ctx, sc, routers.CreateOpts{Name: spec.Label}).Extract()
	if err != nil {
		return sdk.Router{}, convertError(err, "create router "+quote(spec.Label), sdk.CodeAlreadyExists)
	}
	var tags []string
	if spec.NetworkID != "" {
		tags = append(tags, networkTagPrefix+spec.NetworkID)
	}
	if mark != "" {
		tags = append(tags, mark)
	}
	if len(tags) > 0 {
		if tags, err = tagResource(ctx, sc, "routers", r.ID, tags); err != nil {
			_ = routers.Delete(context.WithoutCancel(ctx), sc, r.ID).ExtractErr()
			return sdk.Router{}, err
		}
	}
	return routerOf(*r, tags, nil), nil
}

func (s *routerSvc) Update(ctx context.Context, id string, u sdk.RouterUpdate) (sdk.Router, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Router{}, err
		}
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	if id == "" {
		return sdk.Router{}, notFound("id", "router", id)
	}
	if u.Label != nil {
		if _, err := routers.Update(ctx, sc, id, routers.UpdateOpts{Name: *u.Label}).Extract(); err != nil {
			return sdk.Router{}, convertError(err, "update router "+quote(id), "")
		}
	}
	return getRouter(ctx, sc, id)
}

// Delete refuses a router that still joins subnets or a gateway (Neutron's
// RouterInUse is 409).
func (s *routerSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	r, err := getRouter(ctx, sc, id)
	if err != nil {
		return err
	}
	if r.GatewayID != "" {
		return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "router " + quote(id) + " is attached to gateway " + quote(r.GatewayID) + "; detach it first"}
	}
	return convertError(routers.Delete(ctx, sc, id).ExtractErr(), "delete router "+quote(id), sdk.CodeFailedPrecondition)
}

func (s *routerSvc) AttachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	r, err := getRouter(ctx, sc, routerID)
	if err != nil {
		return sdk.Router{}, withParam(err, "router_id")
	}
	sn, err := subnetOfID(ctx, sc, subnetID)
	if err != nil {
		return sdk.Router{}, err
	}
	if slices.Contains(r.SubnetIDs, subnetID) {
		return r, nil
	}
	if r.NetworkID != "" && sn.NetworkID != r.NetworkID {
		return sdk.Router{}, sdk.InvalidArgument("subnet_id", subnetID, "is in network "+sn.NetworkID+", not in router "+routerID+"'s network "+r.NetworkID)
	}
	if _, err := routers.AddInterface(ctx, sc, routerID, routers.AddInterfaceOpts{SubnetID: subnetID}).Extract(); err != nil {
		return sdk.Router{}, convertError(err, "attach subnet "+quote(subnetID)+" to router "+quote(routerID), sdk.CodeFailedPrecondition)
	}
	return getRouter(ctx, sc, routerID)
}

func subnetOfID(ctx context.Context, sc *gophercloud.ServiceClient, id string) (*subnets.Subnet, error) {
	if id == "" {
		return nil, notFound("subnet_id", "subnet", id)
	}
	sn, err := subnets.Get(ctx, sc, id).Extract()
	if err != nil {
		return nil, withParam(convertError(err, "get subnet "+quote(id), ""), "subnet_id")
	}
	return sn, nil
}

func (s *routerSvc) DetachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	r, err := getRouter(ctx, sc, routerID)
	if err != nil {
		return sdk.Router{}, withParam(err, "router_id")
	}
	if _, err := subnetOfID(ctx, sc, subnetID); err != nil {
		return sdk.Router{}, err
	}
	if !slices.Contains(r.SubnetIDs, subnetID) {
		return sdk.Router{}, &sdk.Error{Code: sdk.CodeNotFound, Param: "subnet_id", Message: "subnet " + quote(subnetID) + " is not attached to router " + quote(routerID)}
	}
	if _, err := routers.RemoveInterface(ctx, sc, routerID, routers.RemoveInterfaceOpts{SubnetID: subnetID}).Extract(); err != nil {
		return sdk.Router{}, convertError(err, "detach subnet "+quote(subnetID)+" from router "+quote(routerID), sdk.CodeFailedPrecondition)
	}
	return getRouter(ctx, sc, routerID)
}

func (s *routerSvc) AttachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	if _, err := getRouter(ctx, sc, routerID); err != nil {
		return sdk.Router{}, withParam(err, "router_id")
	}
	ext, err := externalNetwork(ctx, cn, sc)
	if err != nil {
		return sdk.Router{}, err
	}
	if gatewayID != ext.ID {
		return sdk.Router{}, notFound("gateway_id", "internet gateway", gatewayID)
	}
	if _, err := routers.Update(ctx, sc, routerID, routers.UpdateOpts{GatewayInfo: &routers.GatewayInfo{NetworkID: gatewayID}}).Extract(); err != nil {
		return sdk.Router{}, convertError(err, "set gateway of router "+quote(routerID), sdk.CodeFailedPrecondition)
	}
	return getRouter(ctx, sc, routerID)
}

func (s *routerSvc) DetachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Router{}, err
	}
	r, err := getRouter(ctx, sc, routerID)
	if err != nil {
		return sdk.Router{}, withParam(err, "router_id")
	}
	if r.GatewayID != gatewayID || gatewayID == "" {
		return sdk.Router{}, &sdk.Error{Code: sdk.CodeNotFound, Param: "gateway_id", Message: "gateway " + quote(gatewayID) + " is not attached to router " + quote(routerID)}
	}
	if _, err := routers.Update(ctx, sc, routerID, routers.UpdateOpts{GatewayInfo: &routers.GatewayInfo{}}).Extract(); err != nil {
		return sdk.Router{}, convertError(err, "clear gateway of router "+quote(routerID), sdk.CodeFailedPrecondition)
	}
	return getRouter(ctx, sc, routerID)
}

func routerOf(r routers.Router, tags, subnetIDs []string) sdk.Router {
	out := sdk.Router{ID: r.ID, Name: r.Name, Label: r.Name, State: sdk.RouterDetached, SubnetIDs: subnetIDs,
		GatewayID: r.GatewayInfo.NetworkID, Extra: map[string]string{"status": r.Status, "project_id": r.ProjectID}}
	for _, t := range tags {
		if n, ok := strings.CutPrefix(t, networkTagPrefix); ok {
			out.NetworkID = n
		}
	}
	if len(out.SubnetIDs) > 0 || out.GatewayID != "" {
		out.State = sdk.RouterAttached
	}
	return out
}

// externalNetwork is the internet gateway: the configured external network
// (by id or name), or the first external, non-shared network.
func externalNetwork(ctx context.Context, cn *conn, sc *gophercloud.ServiceClient) (sdk.NetworkInfo, error) {
	if cn.externalNetwork != "" {
		if n, err := getNetwork(ctx, sc, cn.externalNetwork); err == nil {
			return n, nil
		}
		page, err := firstPage(ctx, networks.List(sc, networks.ListOpts{Name: cn.externalNetwork}))
		if err != nil {
			return sdk.NetworkInfo{}, convertError(err, "find external network "+quote(cn.externalNetwork), "")
		}
		items, err := networksOf(page)
		if err != nil {
			return sdk.NetworkInfo{}, err
		}
		if len(items) == 0 {
			return sdk.NetworkInfo{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "external_network",
				Message: "the configured external network " + quote(cn.externalNetwork) + " does not exist"}
		}
		return items[0], nil
	}
	pages, err := networks.List(sc, externalQuery{}).AllPages(ctx)
	if err != nil {
		return sdk.NetworkInfo{}, convertError(err, "list external networks", "")
	}
	items, err := networksOf(pages)
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	for _, n := range items {
		if n.External && n.Extra["shared"] != "true" {
			return n, nil
		}
	}
	return sdk.NetworkInfo{}, &sdk.Error{Code: sdk.CodeFailedPrecondition,
		Message: "the cloud has no external, non-shared network to reach the internet through; set external_network"}
}

// externalQuery lists external networks.
type externalQuery struct{}

func (externalQuery) ToNetworkListQuery() (string, error) {
	return "?router:external=true", nil
}

// gatewaySvc: OpenStack has no per-network internet gateway; every network
// reaches the internet through the external network, which is therefore the
// gateway of every network (CloudBridge's OpenStack provider does the same).
// Deleting it deletes nothing, but is refused while a router of the network
// uses it or floating IPs come from it.
type gatewaySvc struct{ c *Cloud }

func (s *gatewaySvc) List(ctx context.Context, networkID string, opts sdk.ListOptions) (sdk.Page[sdk.Gateway], error) {
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	if _, err := getNetwork(ctx, sc, networkID); err != nil {
		return sdk.Page[sdk.Gateway]{}, withParam(err, "network_id")
	}
	ext, err := externalNetwork(ctx, cn, sc)
	if err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	return sdk.Paginate([]sdk.Gateway{gatewayOf(ext, networkID)}, opts, func(g sdk.Gateway) string { return g.ID })
}

func (s *gatewaySvc) GetOrCreate(ctx context.Context, spec sdk.GatewaySpec) (sdk.Gateway, error) {
	if spec.Name != "" {
		if err := sdk.ValidateName("name", spec.Name); err != nil {
			return sdk.Gateway{}, err
		}
	}
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Gateway{}, err
	}
	if _, err := getNetwork(ctx, sc, spec.NetworkID); err != nil {
		return sdk.Gateway{}, withParam(err, "network_id")
	}
	ext, err := externalNetwork(ctx, cn, sc)
	if err != nil {
		return sdk.Gateway{}, err
	}
	return gatewayOf(ext, spec.NetworkID), nil
}

func (s *gatewaySvc) Delete(ctx context.Context, networkID, gatewayID string) error {
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	if _, err := getNetwork(ctx, sc, networkID); err != nil {
		return withParam(err, "network_id")
	}
	ext, err := externalNetwork(ctx, cn, sc)
	if err != nil {
		return err
	}
	if gatewayID != ext.ID {
		return notFound("gateway_id", "internet gateway", gatewayID)
	}
	pages, err := routers.List(sc, routers.ListOpts{ProjectID: cn.projectID}).AllPages(ctx)
	if err != nil {
		return convertError(err, "list routers", "")
	}
	var tags []routerTags
	if err := routers.ExtractRoutersInto(pages, &tags); err != nil {
		return convertError(err, "read routers", "")
	}
	rs, _ := routers.ExtractRouters(pages)
	for i, r := range rs {
		if routerOf(r, tags[i].Tags, nil).NetworkID == networkID && r.GatewayInfo.NetworkID == gatewayID {
			return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "gateway " + quote(gatewayID) + " is attached to router " + quote(r.ID) + "; detach it first"}
		}
	}
	return nil
}

func gatewayOf(ext sdk.NetworkInfo, networkID string) sdk.Gateway {
	return sdk.Gateway{ID: ext.ID, Name: ext.Name, State: sdk.GatewayAvailable, NetworkID: networkID,
		Extra: map[string]string{"external_network_id": ext.ID}}
}

// floatingIPSvc manages Neutron floating IPs of the external network.
type floatingIPSvc struct{ c *Cloud }

func (s *floatingIPSvc) List(ctx context.Context, gatewayID string, opts sdk.ListOptions) (sdk.Page[sdk.FloatingIP], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	if _, err := s.gateway(ctx, cn, sc, gatewayID); err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	page, err := firstPage(ctx, floatingips.List(sc, floatingips.ListOpts{FloatingNetworkID: gatewayID, ProjectID: cn.projectID, Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, listError(err, "list floating IPs", marker)
	}
	fs, err := extract(page, floatingips.ExtractFloatingIPs)
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, convertError(err, "read floating IPs", "")
	}
	items, err := floatingIPsOf(ctx, sc, fs)
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	return cutPage(items, size, func(f sdk.FloatingIP) string { return f.ID }), nil
}

func (s *floatingIPSvc) gateway(ctx context.Context, cn *conn, sc *gophercloud.ServiceClient, gatewayID string) (sdk.NetworkInfo, error) {
	ext, err := externalNetwork(ctx, cn, sc)
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	if gatewayID != ext.ID {
		return sdk.NetworkInfo{}, notFound("gateway_id", "internet gateway", gatewayID)
	}
	return ext, nil
}

// floatingIPsOf converts floating IPs, reading the servers of their ports in
// one call.
func floatingIPsOf(ctx context.Context, sc *gophercloud.ServiceClient, fs []floatingips.FloatingIP) ([]sdk.FloatingIP, error) {
	var portIDs []string
	for _, f := range fs {
		if f.PortID != "" {
			portIDs = append(portIDs, f.PortID)
		}
	}
	device := map[string]string{}
	if len(portIDs) > 0 {
		pages, err := ports.List(sc, multiQuery{"id": portIDs}).AllPages(ctx)
		if err != nil {
			return nil, convertError(err, "list ports of floating IPs", "")
		}
		ps, _ := ports.ExtractPorts(pages)
		for _, p := range ps {
			device[p.ID] = p.DeviceID
		}
	}
	out := make([]sdk.FloatingIP, len(fs))
	for i, f := range fs {
		out[i] = sdk.FloatingIP{ID: f.ID, Name: f.FloatingIP, State: sdk.FloatingIPAvailable, PublicIP: f.FloatingIP,
			PrivateIP: f.FixedIP, GatewayID: f.FloatingNetworkID, Extra: map[string]string{"status": f.Status}}
		if f.PortID != "" {
			out[i].State, out[i].InstanceID = sdk.FloatingIPInUse, device[f.PortID]
			out[i].Extra["port_id"] = f.PortID
		}
	}
	return out, nil
}

func (s *floatingIPSvc) get(ctx context.Context, sc *gophercloud.ServiceClient, id string) (sdk.FloatingIP, error) {
	if id == "" {
		return sdk.FloatingIP{}, notFound("id", "floating IP", id)
	}
	f, err := floatingips.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.FloatingIP{}, convertError(err, "get floating IP "+quote(id), "")
	}
	out, err := floatingIPsOf(ctx, sc, []floatingips.FloatingIP{*f})
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	return out[0], nil
}

func (s *floatingIPSvc) Get(ctx context.Context, gatewayID, id string) (sdk.FloatingIP, error) {
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if _, err := s.gateway(ctx, cn, sc, gatewayID); err != nil {
		return sdk.FloatingIP{}, err
	}
	f, err := s.get(ctx, sc, id)
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if f.GatewayID != gatewayID {
		return sdk.FloatingIP{}, notFound("id", "floating IP", id)
	}
	return f, nil
}

func (s *floatingIPSvc) Create(ctx context.Context, spec sdk.FloatingIPSpec) (sdk.FloatingIP, error) {
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if _, err := s.gateway(ctx, cn, sc, spec.GatewayID); err != nil {
		return sdk.FloatingIP{}, err
	}
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		page, err := firstPage(ctx, floatingips.List(sc, floatingips.ListOpts{Tags: mark}))
		if err != nil {
			return sdk.FloatingIP{}, convertError(err, "look for a floating IP made by an earlier try", "")
		}
		if fs, err := extract(page, floatingips.ExtractFloatingIPs); err == nil && len(fs) > 0 {
			return s.get(ctx, sc, fs[0].ID)
		}
	}
	f, err := floatingips.Create(ctx, sc, floatingips.CreateOpts{FloatingNetworkID: spec.GatewayID}).Extract()
	if err != nil {
		return sdk.FloatingIP{}, convertError(err, "allocate floating IP from "+quote(spec.GatewayID), sdk.CodeResourceExhausted)
	}
	if mark != "" {
		if _, err := tagResource(ctx, sc, "floatingips", f.ID, []string{mark}); err != nil {
			_ = floatingips.Delete(context.WithoutCancel(ctx), sc, f.ID).ExtractErr()
			return sdk.FloatingIP{}, err
		}
	}
	return s.get(ctx, sc, f.ID)
}

func (s *floatingIPSvc) Delete(ctx context.Context, gatewayID, id string) error {
	if _, err := s.Get(ctx, gatewayID, id); err != nil {
		return err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	return convertError(floatingips.Delete(ctx, sc, id).ExtractErr(), "delete floating IP "+quote(id), sdk.CodeFailedPrecondition)
}

// Associate points the floating IP at the server's first port with an IPv4
// address. Neutron refuses (404 ExternalGatewayForFloatingIPNotFound) when no
// router joins the port's subnet to the external network: FailedPrecondition.
func (s *floatingIPSvc) Associate(ctx context.Context, id, instanceID string) (sdk.FloatingIP, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if _, err := s.get(ctx, sc, id); err != nil {
		return sdk.FloatingIP{}, err
	}
	if _, err := (&instances{s.c}).Get(ctx, instanceID); err != nil {
		return sdk.FloatingIP{}, withParam(err, "instance_id")
	}
	pages, err := ports.List(sc, ports.ListOpts{DeviceID: instanceID}).AllPages(ctx)
	if err != nil {
		return sdk.FloatingIP{}, convertError(err, "list ports of server "+quote(instanceID), "")
	}
	ps, _ := ports.ExtractPorts(pages)
	portID, fixed := "", ""
	for _, p := range ps {
		for _, ip := range p.FixedIPs {
			if portID == "" && !strings.Contains(ip.IPAddress, ":") {
				portID, fixed = p.ID, ip.IPAddress
			}
		}
	}
	if portID == "" {
		return sdk.FloatingIP{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "instance_id",
			Message: "server " + quote(instanceID) + " has no port with an IPv4 address to associate a floating IP with"}
	}
	_, err = floatingips.Update(ctx, sc, id, floatingips.UpdateOpts{PortID: &portID, FixedIP: fixed}).Extract()
	if err != nil {
		mapped := convertError(err, "associate floating IP "+quote(id)+" with server "+quote(instanceID), sdk.CodeFailedPrecondition)
		if kind, _ := serviceError(errorBody(err)); kind == "ExternalGatewayForFloatingIPNotFound" {
			if e, ok := mapped.(*sdk.Error); ok {
				e.Code = sdk.CodeFailedPrecondition
			}
		}
		return sdk.FloatingIP{}, mapped
	}
	return s.get(ctx, sc, id)
}

func (s *floatingIPSvc) Disassociate(ctx context.Context, id string) (sdk.FloatingIP, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if _, err := s.get(ctx, sc, id); err != nil {
		return sdk.FloatingIP{}, err
	}
	none := ""
	if _, err := floatingips.Update(ctx, sc, id, floatingips.UpdateOpts{PortID: &none}).Extract(); err != nil {
		return sdk.FloatingIP{}, convertError(err, "disassociate floating IP "+quote(id), sdk.CodeFailedPrecondition)
	}
	return s.get(ctx, sc, id)
}
