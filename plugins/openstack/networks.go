package openstack

import (
	"context"
	"net/netip"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// networks are Neutron networks; label = the network's name. A Neutron
// network has no address range of its own: the range asked for at creation is
// kept as a tag (cb-cidr-10.0.0.0_16), reported as the network's CIDRBlock and
// enforced on its subnets.
type networkSvc struct{ c *Cloud }

const cidrTagPrefix = "cb-cidr-"

func cidrTag(cidr string) string { return cidrTagPrefix + strings.ReplaceAll(cidr, "/", "_") }

func cidrOfTags(tags []string) string {
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, cidrTagPrefix); ok {
			return strings.ReplaceAll(v, "_", "/")
		}
	}
	return ""
}

// networkExt reads router:external, which gophercloud's Network leaves to an
// extension.
type networkExt struct {
	ID       string `json:"id"`
	External bool   `json:"router:external"`
}

func (s *networkSvc) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.NetworkInfo], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, err
	}
	page, err := firstPage(ctx, networks.List(sc, networks.ListOpts{Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, listError(err, "list networks", marker)
	}
	items, err := networksOf(page)
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, err
	}
	return cutPage(items, size, func(n sdk.NetworkInfo) string { return n.ID }), nil
}

func networksOf(page pagination.Page) ([]sdk.NetworkInfo, error) {
	ns, err := extract(page, networks.ExtractNetworks)
	if err != nil {
		return nil, convertError(err, "read networks", "")
	}
	var ext []networkExt
	if page == nil {
		return nil, nil
	}
	if err := networks.ExtractNetworksInto(page, &ext); err != nil {
		return nil, convertError(err, "read networks", "")
	}
	out := make([]sdk.NetworkInfo, len(ns))
	for i, n := range ns {
		out[i] = networkOf(n, i < len(ext) && ext[i].External)
	}
	return out, nil
}

func (s *networkSvc) Get(ctx context.Context, id string) (sdk.NetworkInfo, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	return getNetwork(ctx, sc, id)
}

func getNetwork(ctx context.Context, sc *gophercloud.ServiceClient, id string) (sdk.NetworkInfo, error) {
	if id == "" {
		return sdk.NetworkInfo{}, notFound("id", "network", id)
	}
	r := networks.Get(ctx, sc, id)
	n, err := r.Extract()
	if err != nil {
		return sdk.NetworkInfo{}, convertError(err, "get network "+quote(id), "")
	}
	var ext struct {
		Network networkExt `json:"network"`
	}
	_ = r.ExtractInto(&ext)
	return networkOf(*n, ext.Network.External), nil
}

func (s *networkSvc) Create(ctx context.Context, spec sdk.NetworkSpec) (sdk.NetworkInfo, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.NetworkInfo{}, err
	}
	if spec.CIDRBlock == "" {
		spec.CIDRBlock = sdk.DefaultNetworkCIDR
	}
	if err := sdk.ValidateCIDR("cidr_block", spec.CIDRBlock); err != nil {
		return sdk.NetworkInfo{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		page, err := firstPage(ctx, networks.List(sc, networks.ListOpts{Tags: mark}))
		if err != nil {
			return sdk.NetworkInfo{}, convertError(err, "look for a network made by an earlier try", "")
		}
		if items, err := networksOf(page); err == nil && len(items) > 0 {
			return items[0], nil
		}
	}
	n, err := networks.Create(ctx, sc, networks.CreateOpts{Name: spec.Label}).Extract()
	if err != nil {
		return sdk.NetworkInfo{}, convertError(err, "create network "+quote(spec.Label), sdk.CodeAlreadyExists)
	}
	tags := []string{cidrTag(spec.CIDRBlock)}
	if mark != "" {
		tags = append(tags, mark)
	}
	if n.Tags, err = tagResource(ctx, sc, "networks", n.ID, tags); err != nil {
		_ = networks.Delete(context.WithoutCancel(ctx), sc, n.ID).ExtractErr()
		return sdk.NetworkInfo{}, err
	}
	return networkOf(*n, false), nil
}

func (s *networkSvc) Update(ctx context.Context, id string, u sdk.NetworkUpdate) (sdk.NetworkInfo, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.NetworkInfo{}, err
		}
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	if id == "" {
		return sdk.NetworkInfo{}, notFound("id", "network", id)
	}
	if u.Label != nil {
		if _, err := networks.Update(ctx, sc, id, networks.UpdateOpts{Name: u.Label}).Extract(); err != nil {
			return sdk.NetworkInfo{}, convertError(err, "update network "+quote(id), "")
		}
	}
	return getNetwork(ctx, sc, id)
}

// Delete refuses a network that still has subnets: Neutron would delete them
// with it, the contract wants them deleted first.
func (s *networkSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	n, err := getNetwork(ctx, sc, id)
	if err != nil {
		return err
	}
	page, err := firstPage(ctx, subnets.List(sc, subnets.ListOpts{NetworkID: id, Limit: 1}))
	if err != nil {
		return convertError(err, "list subnets of network "+quote(id), "")
	}
	if sns, _ := extract(page, subnets.ExtractSubnets); len(sns) > 0 {
		return &sdk.Error{Code: sdk.CodeFailedPrecondition, ProviderCode: "SubnetsExist",
			Message: "network " + quote(n.ID) + " still has subnet " + quote(sns[0].ID) + "; delete its subnets first"}
	}
	return convertError(networks.Delete(ctx, sc, id).ExtractErr(), "delete network "+quote(id), sdk.CodeFailedPrecondition)
}

func networkOf(n networks.Network, external bool) sdk.NetworkInfo {
	out := sdk.NetworkInfo{
		ID: n.ID, Name: n.Name, Label: n.Name, State: networkState(n.Status), External: external,
		CIDRBlock: cidrOfTags(n.Tags), CreateTime: n.CreatedAt.UTC(),
		Extra: map[string]string{"status": n.Status, "project_id": n.ProjectID},
	}
	if n.Shared {
		out.Extra["shared"] = "true"
	}
	return out
}

func networkState(status string) sdk.NetworkState {
	switch strings.ToUpper(status) {
	case "ACTIVE":
		return sdk.NetworkAvailable
	case "BUILD":
		return sdk.NetworkPending
	case "DOWN":
		return sdk.NetworkDown
	case "ERROR":
		return sdk.NetworkError
	}
	return sdk.NetworkUnknown
}

// subnets are Neutron subnets; label = the subnet's name. Neutron subnets have
// no zone: they are reported in the provider's zone.
type subnetSvc struct{ c *Cloud }

func (s *subnetSvc) List(ctx context.Context, opts sdk.SubnetListOptions) (sdk.Page[sdk.Subnet], error) {
	size, marker, err := pageRequest(opts.ListOptions)
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, err
	}
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, err
	}
	if opts.NetworkID != "" {
		if _, err := getNetwork(ctx, sc, opts.NetworkID); err != nil {
			return sdk.Page[sdk.Subnet]{}, withParam(err, "network_id")
		}
	}
	page, err := firstPage(ctx, subnets.List(sc, subnets.ListOpts{NetworkID: opts.NetworkID, Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, listError(err, "list subnets", marker)
	}
	sns, err := extract(page, subnets.ExtractSubnets)
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, convertError(err, "read subnets", "")
	}
	items := make([]sdk.Subnet, len(sns))
	for i, sn := range sns {
		items[i] = subnetOf(sn, cn.zone)
	}
	return cutPage(items, size, func(n sdk.Subnet) string { return n.ID }), nil
}

func (s *subnetSvc) Get(ctx context.Context, id string) (sdk.Subnet, error) {
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Subnet{}, err
	}
	if id == "" {
		return sdk.Subnet{}, notFound("id", "subnet", id)
	}
	sn, err := subnets.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.Subnet{}, convertError(err, "get subnet "+quote(id), "")
	}
	return subnetOf(*sn, cn.zone), nil
}

func (s *subnetSvc) Create(ctx context.Context, spec sdk.SubnetSpec) (sdk.Subnet, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Subnet{}, err
	}
	if err := sdk.ValidateCIDR("cidr_block", spec.CIDRBlock); err != nil {
		return sdk.Subnet{}, err
	}
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Subnet{}, err
	}
	if spec.Zone != "" && spec.Zone != cn.zone {
		return sdk.Subnet{}, sdk.InvalidArgument("zone", spec.Zone, "Neutron subnets have no zone; only the provider's zone "+cn.zone+" is accepted")
	}
	net, err := getNetwork(ctx, sc, spec.NetworkID)
	if err != nil {
		return sdk.Subnet{}, withParam(err, "network_id")
	}
	if net.CIDRBlock != "" && !within(spec.CIDRBlock, net.CIDRBlock) {
		return sdk.Subnet{}, sdk.InvalidArgument("cidr_block", spec.CIDRBlock, "not within network "+net.ID+"'s range "+net.CIDRBlock)
	}
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		page, err := firstPage(ctx, subnets.List(sc, subnets.ListOpts{Tags: mark}))
		if err != nil {
			return sdk.Subnet{}, convertError(err, "look for a subnet made by an earlier try", "")
		}
		if sns, err := extract(page, subnets.ExtractSubnets); err == nil && len(sns) > 0 {
			return subnetOf(sns[0], cn.zone), nil
		}
	}
	version := gophercloud.IPv4
	if strings.Contains(spec.CIDRBlock, ":") {
		version = gophercloud.IPv6
	}
	sn, err := subnets.Create(ctx, sc, subnets.CreateOpts{NetworkID: spec.NetworkID, CIDR: spec.CIDRBlock, Name: spec.Label, IPVersion: version}).Extract()
	if err != nil {
		// Neutron answers 400 for a range overlapping another subnet of the
		// network: InvalidArgument, as the contract says.
		return sdk.Subnet{}, withParam(convertError(err, "create subnet "+quote(spec.Label), sdk.CodeAlreadyExists), "cidr_block")
	}
	if mark != "" {
		if sn.Tags, err = tagResource(ctx, sc, "subnets", sn.ID, []string{mark}); err != nil {
			_ = subnets.Delete(context.WithoutCancel(ctx), sc, sn.ID).ExtractErr()
			return sdk.Subnet{}, err
		}
	}
	return subnetOf(*sn, cn.zone), nil
}

// within reports whether prefix inner lies inside prefix outer.
func within(inner, outer string) bool {
	i, err1 := netip.ParsePrefix(inner)
	o, err2 := netip.ParsePrefix(outer)
	return err1 == nil && err2 == nil && o.Bits() <= i.Bits() && o.Contains(i.Addr())
}

func (s *subnetSvc) Update(ctx context.Context, id string, u sdk.SubnetUpdate) (sdk.Subnet, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Subnet{}, err
		}
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Subnet{}, err
	}
	if id == "" {
		return sdk.Subnet{}, notFound("id", "subnet", id)
	}
	if u.Label != nil {
		if _, err := subnets.Update(ctx, sc, id, subnets.UpdateOpts{Name: u.Label}).Extract(); err != nil {
			return sdk.Subnet{}, convertError(err, "update subnet "+quote(id), "")
		}
	}
	return s.Get(ctx, id)
}

func (s *subnetSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	if id == "" {
		return notFound("id", "subnet", id)
	}
	return convertError(subnets.Delete(ctx, sc, id).ExtractErr(), "delete subnet "+quote(id), sdk.CodeFailedPrecondition)
}

func subnetOf(sn subnets.Subnet, zone string) sdk.Subnet {
	return sdk.Subnet{
		ID: sn.ID, Name: sn.Name, Label: sn.Name, State: sdk.NetworkAvailable, NetworkID: sn.NetworkID,
		CIDRBlock: sn.CIDR, Zone: zone, CreateTime: sn.CreatedAt.UTC(),
		Extra: map[string]string{"gateway_ip": sn.GatewayIP, "project_id": sn.ProjectID},
	}
}
