package openstack

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// instances are Nova servers; label = the server's name. A server is launched
// on a Neutron port made on the requested subnet, carrying the requested
// security groups; the port is tagged as the plugin's and deleted with the
// server. Firewalls are added to and removed from the server's ports, and its
// subnet, IPs and firewalls are read from them, since Nova only knows security
// groups by (non-unique) name.
type instances struct{ c *Cloud }

// instancePortTag marks the ports the plugin made for its servers, and
// portMetaKey names the server metadata that records it.
const (
	instancePortTag = "cb-instance-port"
	portMetaKey     = "cloudbridge_port"
)

// serverExtra reads what gophercloud's Server leaves out.
type serverExtra struct {
	ID               string `json:"id"`
	AvailabilityZone string `json:"OS-EXT-AZ:availability_zone"`
	TaskState        string `json:"OS-EXT-STS:task_state"`
	PowerState       int    `json:"OS-EXT-STS:power_state"`
}

// multiQuery is a query with repeated parameters (device_id=a&device_id=b),
// which gophercloud's ListOpts cannot say.
type multiQuery url.Values

func (q multiQuery) ToPortListQuery() (string, error)       { return "?" + url.Values(q).Encode(), nil }
func (q multiQuery) ToFloatingIPListQuery() (string, error) { return "?" + url.Values(q).Encode(), nil }

// List pages through the project's servers by id. Nova's own marker paging
// is not used here: a server's created_at, which orders Nova's lists, changes
// when its build request becomes an instance in a cell, so servers that are
// building move between pages and a marker walk skips or repeats them (seen on
// Nova Zed with a few servers booting at once). Nova's pages are followed to
// read every server, and only the page asked for is converted.
func (s *instances) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Instance], error) {
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Page[sdk.Instance]{}, err
	}
	type entry struct {
		sv servers.Server
		ex serverExtra
	}
	var all []entry
	err = servers.List(sc, servers.ListOpts{Limit: sdk.MaxPageSize}).EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		ss, err := servers.ExtractServers(page)
		if err != nil {
			return false, err
		}
		var extras []serverExtra
		if err := servers.ExtractServersInto(page, &extras); err != nil {
			return false, err
		}
		for i, sv := range ss {
			e := entry{sv: sv}
			if i < len(extras) {
				e.ex = extras[i]
			}
			all = append(all, e)
		}
		return true, nil
	})
	if err != nil {
		return sdk.Page[sdk.Instance]{}, convertError(err, "list servers", "")
	}
	page, err := sdk.Paginate(all, opts, func(e entry) string { return e.sv.ID })
	if err != nil {
		return sdk.Page[sdk.Instance]{}, err
	}
	ss := make([]servers.Server, len(page.Items))
	extras := make([]serverExtra, len(page.Items))
	for i, e := range page.Items {
		ss[i], extras[i] = e.sv, e.ex
	}
	items, err := s.convert(ctx, cn, ss, extras)
	if err != nil {
		return sdk.Page[sdk.Instance]{}, err
	}
	return sdk.Page[sdk.Instance]{Items: items, NextPageToken: page.NextPageToken}, nil
}

// fromPage converts a page of servers, reading their ports and floating IPs
// in one call each.
func (s *instances) fromPage(ctx context.Context, cn *conn, page pagination.Page) ([]sdk.Instance, error) {
	ss, err := extract(page, servers.ExtractServers)
	if err != nil {
		return nil, convertError(err, "read servers", "")
	}
	var extras []serverExtra
	if page == nil {
		return nil, nil
	}
	if err := servers.ExtractServersInto(page, &extras); err != nil {
		return nil, convertError(err, "read servers", "")
	}
	return s.convert(ctx, cn, ss, extras)
}

func (s *instances) convert(ctx context.Context, cn *conn, ss []servers.Server, extras []serverExtra) ([]sdk.Instance, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	portsOf, fipsOf, err := s.networking(ctx, cn, ss)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Instance, len(ss))
	for i, sv := range ss {
		var ex serverExtra
		if i < len(extras) {
			ex = extras[i]
		}
		out[i] = instanceOf(sv, ex, portsOf[sv.ID], fipsOf, s.flavorID(ctx, cn, sv.Flavor))
	}
	return out, nil
}

// networking reads the ports of servers and the floating IPs of those ports.
// A server still building may not own its port yet: the port the plugin made
// for it, recorded in its metadata, counts as its own.
func (s *instances) networking(ctx context.Context, cn *conn, ss []servers.Server) (map[string][]ports.Port, map[string][]string, error) {
	portsOf := map[string][]ports.Port{}
	fipsOf := map[string][]string{}
	if cn.network == nil {
		return portsOf, fipsOf, nil
	}
	serverIDs := make([]string, len(ss))
	for i, sv := range ss {
		serverIDs[i] = sv.ID
	}
	list := func(q multiQuery) ([]ports.Port, error) {
		pages, err := ports.List(cn.network, q).AllPages(ctx)
		if err != nil {
			return nil, convertError(err, "list ports of servers", "")
		}
		ps, err := ports.ExtractPorts(pages)
		return ps, convertError(err, "read ports", "")
	}
	ps, err := list(multiQuery{"device_id": serverIDs})
	if err != nil {
		return nil, nil, err
	}
	var portIDs []string
	for _, p := range ps {
		portsOf[p.DeviceID] = append(portsOf[p.DeviceID], p)
		portIDs = append(portIDs, p.ID)
	}
	unbound := map[string]string{} // port id → server id
	for _, sv := range ss {
		if p := sv.Metadata[portMetaKey]; p != "" && !slices.Contains(portIDs, p) {
			unbound[p] = sv.ID
		}
	}
	if len(unbound) > 0 {
		ids := make([]string, 0, len(unbound))
		for p := range unbound {
			ids = append(ids, p)
		}
		more, err := list(multiQuery{"id": ids})
		if err != nil {
			return nil, nil, err
		}
		for _, p := range more {
			if p.DeviceID == "" {
				portsOf[unbound[p.ID]] = append(portsOf[unbound[p.ID]], p)
				portIDs = append(portIDs, p.ID)
			}
		}
	}
	if len(portIDs) == 0 {
		return portsOf, fipsOf, nil
	}
	fpages, err := floatingips.List(cn.network, multiQuery{"port_id": portIDs}).AllPages(ctx)
	if err != nil {
		return nil, nil, convertError(err, "list floating IPs of servers", "")
	}
	fs, err := floatingips.ExtractFloatingIPs(fpages)
	if err != nil {
		return nil, nil, convertError(err, "read floating IPs", "")
	}
	for _, f := range fs {
		fipsOf[f.PortID] = append(fipsOf[f.PortID], f.FloatingIP)
	}
	return portsOf, fipsOf, nil
}

func (s *instances) Get(ctx context.Context, id string) (sdk.Instance, error) {
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Instance{}, err
	}
	return s.get(ctx, cn, sc, id)
}

func (s *instances) get(ctx context.Context, cn *conn, sc *gophercloud.ServiceClient, id string) (sdk.Instance, error) {
	if id == "" {
		return sdk.Instance{}, notFound("id", "instance", id)
	}
	r := servers.Get(ctx, sc, id)
	sv, err := r.Extract()
	if err != nil {
		return sdk.Instance{}, convertError(err, "get server "+quote(id), "")
	}
	var ex serverExtra
	if err := r.ExtractInto(&ex); err != nil {
		return sdk.Instance{}, convertError(err, "read server "+quote(id), "")
	}
	out, err := s.convert(ctx, cn, []servers.Server{*sv}, []serverExtra{ex})
	if err != nil {
		return sdk.Instance{}, err
	}
	if len(sv.AttachedVolumes) > 0 {
		if out[0].BlockDevices, err = blockDevices(ctx, sc, id); err != nil {
			return sdk.Instance{}, err
		}
	}
	return out[0], nil
}

func (s *instances) Create(ctx context.Context, spec sdk.InstanceSpec) (sdk.Instance, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Instance{}, err
	}
	if err := sdk.ValidateBlockDevices(spec.BlockDevices); err != nil {
		return sdk.Instance{}, err
	}
	bootFromDevice := slices.ContainsFunc(spec.BlockDevices, func(d sdk.BlockDevice) bool { return d.IsRoot })
	if spec.ImageID == "" && !bootFromDevice {
		return sdk.Instance{}, sdk.InvalidArgument("image_id", "", "required unless a block device is the root")
	}
	if spec.VMTypeID == "" {
		return sdk.Instance{}, sdk.InvalidArgument("vm_type_id", "", "required")
	}
	if len(spec.UserData) > 65535 {
		return sdk.Instance{}, sdk.InvalidArgument("user_data", len(spec.UserData), "must be at most 64 KiB")
	}
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Instance{}, err
	}
	_, net, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Instance{}, err
	}
	zone := first(spec.Zone, cn.zone)
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		page, err := firstPage(ctx, servers.List(sc, servers.ListOpts{Tags: mark}))
		if err != nil {
			return sdk.Instance{}, convertError(err, "look for a server made by an earlier try", "")
		}
		if items, err := s.fromPage(ctx, cn, page); err == nil && len(items) > 0 {
			return items[0], nil
		} else if err != nil {
			return sdk.Instance{}, err
		}
	}
	for i, fw := range spec.VMFirewallIDs {
		if _, err := getGroup(ctx, net, fw); err != nil {
			return sdk.Instance{}, withParam(err, "vm_firewall_ids["+itoa(i)+"]")
		}
	}
	if spec.KeyPairID != "" {
		if _, err := keypairs.Get(ctx, sc, spec.KeyPairID, nil).Extract(); err != nil {
			return sdk.Instance{}, withParam(convertError(err, "get key pair "+quote(spec.KeyPairID), ""), "key_pair_id")
		}
	}

	var nets any = "auto"
	var port *ports.Port
	if spec.SubnetID != "" {
		sn, err := subnets.Get(ctx, net, spec.SubnetID).Extract()
		if err != nil {
			return sdk.Instance{}, withParam(convertError(err, "get subnet "+quote(spec.SubnetID), ""), "subnet_id")
		}
		po := ports.CreateOpts{NetworkID: sn.NetworkID, Name: spec.Label, FixedIPs: []ports.IP{{SubnetID: sn.ID}}}
		if len(spec.VMFirewallIDs) > 0 {
			fws := slices.Clone(spec.VMFirewallIDs)
			po.SecurityGroups = &fws
		}
		if port, err = ports.Create(ctx, net, po).Extract(); err != nil {
			return sdk.Instance{}, convertError(err, "create port on subnet "+quote(spec.SubnetID), sdk.CodeFailedPrecondition)
		}
		if _, err := tagResource(ctx, net, "ports", port.ID, []string{instancePortTag}); err != nil {
			_ = ports.Delete(context.WithoutCancel(ctx), net, port.ID).ExtractErr()
			return sdk.Instance{}, err
		}
		nets = []servers.Network{{Port: port.ID}}
	}
	undo := func() {
		if port != nil {
			_ = ports.Delete(context.WithoutCancel(ctx), net, port.ID).ExtractErr()
		}
	}

	opts := servers.CreateOpts{
		Name: spec.Label, ImageRef: spec.ImageID, FlavorRef: spec.VMTypeID, AvailabilityZone: zone,
		Networks: nets, UserData: spec.UserData, BlockDevice: blockDeviceMapping(spec.BlockDevices, spec.ImageID),
	}
	if bootFromDevice {
		opts.ImageRef = ""
	}
	if mark != "" {
		opts.Tags = []string{mark}
	}
	if port != nil {
		// Recorded so that Delete finds the port even before Nova has bound
		// it to the server (a server deleted while it builds).
		opts.Metadata = map[string]string{portMetaKey: port.ID}
	}
	if port == nil && len(spec.VMFirewallIDs) > 0 {
		// Without a port of ours, Nova applies the groups, by name.
		for i, fw := range spec.VMFirewallIDs {
			g, err := getGroup(ctx, net, fw)
			if err != nil {
				return sdk.Instance{}, withParam(err, "vm_firewall_ids["+itoa(i)+"]")
			}
			opts.SecurityGroups = append(opts.SecurityGroups, g.Name)
		}
	}
	var builder servers.CreateOptsBuilder = opts
	if spec.KeyPairID != "" {
		builder = keypairs.CreateOptsExt{CreateOptsBuilder: opts, KeyName: spec.KeyPairID}
	}
	sv, err := servers.Create(ctx, sc, builder, nil).Extract()
	if err != nil {
		undo()
		return sdk.Instance{}, convertError(err, "create server "+quote(spec.Label), sdk.CodeFailedPrecondition)
	}
	got, err := s.get(ctx, cn, sc, sv.ID)
	if err != nil {
		// The server exists; answer what is known rather than lose it.
		return sdk.Instance{ID: sv.ID, Name: spec.Label, Label: spec.Label, State: sdk.InstancePending, ImageID: spec.ImageID,
			VMTypeID: spec.VMTypeID, Zone: zone, SubnetID: spec.SubnetID, KeyPairID: spec.KeyPairID,
			VMFirewallIDs: spec.VMFirewallIDs, CreateTime: time.Now().UTC()}, nil
	}
	return got, nil
}

// blockDeviceMapping is Nova's block_device_mapping_v2 of a launch config.
// Devices made from something become volumes; ephemeral devices local disks.
// When no device is the root, Nova boots from imageRef as usual.
func blockDeviceMapping(devices []sdk.BlockDevice, imageID string) []servers.BlockDevice {
	if len(devices) == 0 {
		return nil
	}
	var out []servers.BlockDevice
	hasRoot := slices.ContainsFunc(devices, func(d sdk.BlockDevice) bool { return d.IsRoot })
	if !hasRoot && imageID != "" {
		out = append(out, servers.BlockDevice{SourceType: servers.SourceImage, UUID: imageID,
			DestinationType: servers.DestinationLocal, BootIndex: 0, DeleteOnTermination: true})
	}
	for i, d := range devices {
		// The tag comes back on the server's volume attachments: it says
		// which device was which, and which is the root.
		bd := servers.BlockDevice{UUID: d.SourceID, VolumeSize: d.SizeGB, DeleteOnTermination: d.DeleteOnTerminate,
			DestinationType: servers.DestinationVolume, BootIndex: -1, Tag: deviceTag(i, d)}
		switch d.Source {
		case sdk.SourceBlank:
			bd.SourceType = servers.SourceBlank
		case sdk.SourceVolume:
			bd.SourceType = servers.SourceVolume
		case sdk.SourceSnapshot:
			bd.SourceType = servers.SourceSnapshot
		case sdk.SourceImage:
			bd.SourceType = servers.SourceImage
		case sdk.SourceEphemeral:
			bd.SourceType, bd.DestinationType, bd.DeleteOnTermination = servers.SourceBlank, servers.DestinationLocal, true
		}
		if d.IsRoot {
			bd.BootIndex = 0
		}
		out = append(out, bd)
	}
	return out
}

// deviceTag is the Nova device tag of launch-config device i:
// cb<i>-<source>[-root].
func deviceTag(i int, d sdk.BlockDevice) string {
	tag := "cb" + itoa(i) + "-" + string(d.Source)
	if d.IsRoot {
		tag += "-root"
	}
	return tag
}

// blockDevices reads a server's volume attachments (with their device tags,
// microversion 2.70).
func blockDevices(ctx context.Context, sc *gophercloud.ServiceClient, id string) ([]sdk.BlockDevice, error) {
	pages, err := volumeattach.List(sc, id).AllPages(ctx)
	if err != nil {
		return nil, convertError(err, "list volume attachments of server "+quote(id), "")
	}
	as, err := volumeattach.ExtractVolumeAttachments(pages)
	if err != nil {
		return nil, convertError(err, "read volume attachments", "")
	}
	var out []sdk.BlockDevice
	for _, a := range as {
		d := sdk.BlockDevice{Source: sdk.SourceVolume, SourceID: a.VolumeID, VolumeID: a.VolumeID, Device: a.Device}
		if a.DeleteOnTermination != nil {
			d.DeleteOnTerminate = *a.DeleteOnTermination
		}
		if a.Tag != nil && strings.HasPrefix(*a.Tag, "cb") {
			parts := strings.Split(*a.Tag, "-")
			if len(parts) >= 2 {
				d.Source = sdk.BlockDeviceSource(parts[1])
				if d.Source != sdk.SourceVolume {
					d.SourceID = ""
				}
			}
			d.IsRoot = len(parts) == 3 && parts[2] == "root"
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *instances) Update(ctx context.Context, id string, u sdk.InstanceUpdate) (sdk.Instance, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Instance{}, err
		}
	}
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Instance{}, err
	}
	if id == "" {
		return sdk.Instance{}, notFound("id", "instance", id)
	}
	if u.Label != nil {
		if _, err := servers.Update(ctx, sc, id, servers.UpdateOpts{Name: *u.Label}).Extract(); err != nil {
			return sdk.Instance{}, convertError(err, "rename server "+quote(id), "")
		}
	}
	return s.get(ctx, cn, sc, id)
}

// Delete deletes the server, then the port the plugin made for it.
func (s *instances) Delete(ctx context.Context, id string) error {
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return err
	}
	if id == "" {
		return notFound("id", "instance", id)
	}
	sv, err := servers.Get(ctx, sc, id).Extract()
	if err != nil {
		return convertError(err, "get server "+quote(id), "")
	}
	var own []string
	if p := sv.Metadata[portMetaKey]; p != "" {
		own = append(own, p)
	}
	if cn.network != nil {
		pages, err := ports.List(cn.network, ports.ListOpts{DeviceID: id, Tags: instancePortTag}).AllPages(ctx)
		if err != nil {
			return convertError(err, "list ports of server "+quote(id), "")
		}
		ps, _ := ports.ExtractPorts(pages)
		for _, p := range ps {
			if !slices.Contains(own, p.ID) {
				own = append(own, p.ID)
			}
		}
	}
	if err := servers.Delete(ctx, sc, id).ExtractErr(); err != nil {
		return convertError(err, "delete server "+quote(id), sdk.CodeFailedPrecondition)
	}
	if len(own) > 0 {
		// The port goes once the server has: taken from under a server that
		// is still building, it would put the server in ERROR instead.
		for {
			_, err := servers.Get(ctx, sc, id).Extract()
			if statusOf(err) == 404 {
				break
			}
			if err != nil {
				return convertError(err, "wait for server "+quote(id)+" to be deleted", "")
			}
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	}
	for _, p := range own {
		if cn.network == nil {
			break
		}
		if port, err := ports.Get(ctx, cn.network, p).Extract(); err != nil || !slices.Contains(port.Tags, instancePortTag) {
			continue // gone already, or not a port the plugin made
		}
		if err := ports.Delete(ctx, cn.network, p).ExtractErr(); err != nil && statusOf(err) != 404 {
			return convertError(err, "delete port "+quote(p)+" of deleted server "+quote(id), sdk.CodeFailedPrecondition)
		}
	}
	return nil
}

func (s *instances) Reboot(ctx context.Context, id string) (sdk.Instance, error) {
	return s.action(ctx, id, "reboot", func(sc *gophercloud.ServiceClient) error {
		return servers.Reboot(ctx, sc, id, servers.RebootOpts{Type: servers.SoftReboot}).ExtractErr()
	})
}

func (s *instances) Start(ctx context.Context, id string) (sdk.Instance, error) {
	return s.action(ctx, id, "start", func(sc *gophercloud.ServiceClient) error {
		return servers.Start(ctx, sc, id).ExtractErr()
	})
}

func (s *instances) Stop(ctx context.Context, id string) (sdk.Instance, error) {
	return s.action(ctx, id, "stop", func(sc *gophercloud.ServiceClient) error {
		return servers.Stop(ctx, sc, id).ExtractErr()
	})
}

// action runs a server action and answers the server as it is afterwards. A
// server in a state that forbids the action (Nova's 409) is FailedPrecondition.
func (s *instances) action(ctx context.Context, id, what string, do func(*gophercloud.ServiceClient) error) (sdk.Instance, error) {
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Instance{}, err
	}
	if id == "" {
		return sdk.Instance{}, notFound("id", "instance", id)
	}
	if err := do(sc); err != nil {
		return sdk.Instance{}, convertError(err, what+" server "+quote(id), sdk.CodeFailedPrecondition)
	}
	return s.get(ctx, cn, sc, id)
}

func (s *instances) AddVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return s.changeFirewalls(ctx, instanceID, firewallID, true)
}

func (s *instances) RemoveVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return s.changeFirewalls(ctx, instanceID, firewallID, false)
}

// changeFirewalls adds a security group to, or removes it from, every port of
// the server.
func (s *instances) changeFirewalls(ctx context.Context, instanceID, firewallID string, add bool) (sdk.Instance, error) {
	cn, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Instance{}, err
	}
	_, net, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Instance{}, err
	}
	if _, err := s.get(ctx, cn, sc, instanceID); err != nil {
		return sdk.Instance{}, withParam(err, "instance_id")
	}
	if _, err := getGroup(ctx, net, firewallID); err != nil {
		return sdk.Instance{}, withParam(err, "firewall_id")
	}
	pages, err := ports.List(net, ports.ListOpts{DeviceID: instanceID}).AllPages(ctx)
	if err != nil {
		return sdk.Instance{}, convertError(err, "list ports of server "+quote(instanceID), "")
	}
	ps, err := ports.ExtractPorts(pages)
	if err != nil {
		return sdk.Instance{}, convertError(err, "read ports", "")
	}
	if len(ps) == 0 {
		return sdk.Instance{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "server " + quote(instanceID) + " has no network port to apply a firewall to"}
	}
	for _, p := range ps {
		sgs := slices.Clone(p.SecurityGroups)
		has := slices.Contains(sgs, firewallID)
		switch {
		case add && !has:
			sgs = append(sgs, firewallID)
		case !add && has:
			sgs = slices.DeleteFunc(sgs, func(g string) bool { return g == firewallID })
		default:
			continue
		}
		if _, err := ports.Update(ctx, net, p.ID, ports.UpdateOpts{SecurityGroups: &sgs}).Extract(); err != nil {
			return sdk.Instance{}, convertError(err, "update security groups of port "+quote(p.ID), sdk.CodeFailedPrecondition)
		}
	}
	return s.get(ctx, cn, sc, instanceID)
}

// instanceOf converts a server with its ports and their floating IPs.
func instanceOf(sv servers.Server, ex serverExtra, ps []ports.Port, fipsOf map[string][]string, flavorID string) sdk.Instance {
	out := sdk.Instance{
		ID: sv.ID, Name: sv.Name, Label: sv.Name, State: instanceState(sv.Status), VMTypeID: flavorID,
		Zone: ex.AvailabilityZone, KeyPairID: sv.KeyName, CreateTime: sv.Created.UTC(),
		Extra: map[string]string{"status": sv.Status},
	}
	if ex.TaskState != "" {
		out.Extra["task_state"] = ex.TaskState
		if ex.TaskState == "deleting" {
			out.State = sdk.InstanceDeleted
		}
	}
	if id, ok := sv.Image["id"].(string); ok {
		out.ImageID = id
	}
	slices.SortFunc(ps, func(a, b ports.Port) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, p := range ps {
		for _, ip := range p.FixedIPs {
			out.PrivateIPs = append(out.PrivateIPs, ip.IPAddress)
			if out.SubnetID == "" {
				out.SubnetID = ip.SubnetID
			}
		}
		for _, g := range p.SecurityGroups {
			if !slices.Contains(out.VMFirewallIDs, g) {
				out.VMFirewallIDs = append(out.VMFirewallIDs, g)
			}
		}
		out.PublicIPs = append(out.PublicIPs, fipsOf[p.ID]...)
	}
	if len(ps) == 0 {
		// No Neutron view: fall back on Nova's addresses.
		for _, addrs := range sv.Addresses {
			list, _ := addrs.([]any)
			for _, a := range list {
				raw, _ := json.Marshal(a)
				var addr struct {
					Addr string `json:"addr"`
					Type string `json:"OS-EXT-IPS:type"`
				}
				_ = json.Unmarshal(raw, &addr)
				if addr.Type == "floating" {
					out.PublicIPs = append(out.PublicIPs, addr.Addr)
				} else if addr.Addr != "" {
					out.PrivateIPs = append(out.PrivateIPs, addr.Addr)
				}
			}
		}
	}
	for _, v := range sv.AttachedVolumes {
		out.BlockDevices = append(out.BlockDevices, sdk.BlockDevice{Source: sdk.SourceVolume, SourceID: v.ID, VolumeID: v.ID})
	}
	return out
}

// instanceState maps Nova's server status.
func instanceState(status string) sdk.InstanceState {
	switch strings.ToUpper(status) {
	case "ACTIVE":
		return sdk.InstanceRunning
	case "BUILD":
		return sdk.InstancePending
	case "REBOOT", "HARD_REBOOT":
		return sdk.InstanceRebooting
	case "SHUTOFF", "SUSPENDED", "PAUSED", "SHELVED", "SHELVED_OFFLOADED":
		return sdk.InstanceStopped
	case "RESIZE", "VERIFY_RESIZE", "REVERT_RESIZE", "MIGRATING", "REBUILD", "PASSWORD", "RESCUE":
		return sdk.InstanceConfiguring
	case "ERROR":
		return sdk.InstanceError
	case "DELETED", "SOFT_DELETED":
		return sdk.InstanceDeleted
	}
	return sdk.InstanceUnknown
}
