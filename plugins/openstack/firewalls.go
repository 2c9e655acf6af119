package openstack

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/rules"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// vmFirewalls are Neutron security groups; label = the group's name. Neutron
// groups belong to no network, so the network a firewall was made for is kept
// as a tag (cb-net-<id>), as is a create's idempotency mark.
type vmFirewalls struct{ c *Cloud }

const networkTagPrefix = "cb-net-"

func (s *vmFirewalls) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewall], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, err
	}
	cn, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, err
	}
	page, err := firstPage(ctx, groups.List(sc, groups.ListOpts{Limit: size + 1, Marker: marker, ProjectID: cn.projectID}))
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, listError(err, "list security groups", marker)
	}
	gs, err := extract(page, groups.ExtractGroups)
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, convertError(err, "read security groups", "")
	}
	items := make([]sdk.VMFirewall, len(gs))
	for i, g := range gs {
		items[i] = firewallOf(g)
	}
	return cutPage(items, size, func(f sdk.VMFirewall) string { return f.ID }), nil
}

func (s *vmFirewalls) Get(ctx context.Context, id string) (sdk.VMFirewall, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	g, err := getGroup(ctx, sc, id)
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	return firewallOf(*g), nil
}

func getGroup(ctx context.Context, sc *gophercloud.ServiceClient, id string) (*groups.SecGroup, error) {
	if id == "" {
		return nil, notFound("id", "vm firewall", id)
	}
	g, err := groups.Get(ctx, sc, id).Extract()
	if err != nil {
		return nil, convertError(err, "get security group "+quote(id), "")
	}
	return g, nil
}

func (s *vmFirewalls) Create(ctx context.Context, spec sdk.VMFirewallSpec) (sdk.VMFirewall, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.VMFirewall{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.VMFirewall{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	if spec.NetworkID != "" {
		if _, err := networks.Get(ctx, sc, spec.NetworkID).Extract(); err != nil {
			return sdk.VMFirewall{}, withParam(convertError(err, "get network "+quote(spec.NetworkID), ""), "network_id")
		}
	}
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		page, err := firstPage(ctx, groups.List(sc, groups.ListOpts{Tags: mark}))
		if err != nil {
			return sdk.VMFirewall{}, convertError(err, "look for a security group made by an earlier try", "")
		}
		if gs, err := extract(page, groups.ExtractGroups); err == nil && len(gs) > 0 {
			return firewallOf(gs[0]), nil
		}
	}
	g, err := groups.Create(ctx, sc, groups.CreateOpts{Name: spec.Label, Description: spec.Description}).Extract()
	if err != nil {
		return sdk.VMFirewall{}, convertError(err, "create security group "+quote(spec.Label), sdk.CodeAlreadyExists)
	}
	var tags []string
	if spec.NetworkID != "" {
		tags = append(tags, networkTagPrefix+spec.NetworkID)
	}
	if mark != "" {
		tags = append(tags, mark)
	}
	if len(tags) > 0 {
		if g.Tags, err = tagResource(ctx, sc, "security-groups", g.ID, tags); err != nil {
			_ = groups.Delete(context.WithoutCancel(ctx), sc, g.ID).ExtractErr()
			return sdk.VMFirewall{}, err
		}
	}
	return firewallOf(*g), nil
}

// tagResource sets the tags of a Neutron resource.
func tagResource(ctx context.Context, sc *gophercloud.ServiceClient, kind, id string, tags []string) ([]string, error) {
	got, err := attributestags.ReplaceAll(ctx, sc, kind, id, attributestags.ReplaceAllOpts{Tags: tags}).Extract()
	if err != nil {
		return nil, convertError(err, fmt.Sprintf("tag %s %s", kind, id), "")
	}
	return got, nil
}

func (s *vmFirewalls) Update(ctx context.Context, id string, u sdk.VMFirewallUpdate) (sdk.VMFirewall, error) {
	if err := validateUpdate(u.Label, u.Description); err != nil {
		return sdk.VMFirewall{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	if id == "" {
		return sdk.VMFirewall{}, notFound("id", "vm firewall", id)
	}
	opts := groups.UpdateOpts{Description: u.Description}
	if u.Label != nil {
		opts.Name = *u.Label
	}
	g, err := groups.Update(ctx, sc, id, opts).Extract()
	if err != nil {
		return sdk.VMFirewall{}, convertError(err, "update security group "+quote(id), "")
	}
	return firewallOf(*g), nil
}

func (s *vmFirewalls) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	if id == "" {
		return notFound("id", "vm firewall", id)
	}
	return convertError(groups.Delete(ctx, sc, id).ExtractErr(), "delete security group "+quote(id), sdk.CodeFailedPrecondition)
}

func firewallOf(g groups.SecGroup) sdk.VMFirewall {
	out := sdk.VMFirewall{ID: g.ID, Name: g.Name, Label: g.Name, Description: g.Description}
	for _, t := range g.Tags {
		if n, ok := strings.CutPrefix(t, networkTagPrefix); ok {
			out.NetworkID = n
		}
	}
	out.Extra = map[string]string{"project_id": g.ProjectID}
	return out
}

// validateDescription applies Neutron's and Cinder's limit of 255 characters.
// validateUpdate checks the fields an update sets: the label by CloudBridge's
// rule, the description by OpenStack's length limit.
func validateUpdate(label, description *string) error {
	if label != nil {
		if err := sdk.ValidateLabel(*label); err != nil {
			return err
		}
	}
	if description != nil {
		return validateDescription(*description)
	}
	return nil
}

func validateDescription(d string) error {
	if len(d) > 255 {
		return sdk.InvalidArgument("description", d[:32]+"...", fmt.Sprintf("must be at most 255 bytes, not %d", len(d)))
	}
	return nil
}

// vmFirewallRules are Neutron security group rules.
type vmFirewallRules struct{ c *Cloud }

func (s *vmFirewallRules) List(ctx context.Context, firewallID string, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewallRule], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, err
	}
	if _, err := getGroup(ctx, sc, firewallID); err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, withParam(err, "firewall_id")
	}
	page, err := firstPage(ctx, rules.List(sc, rules.ListOpts{SecGroupID: firewallID, Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, listError(err, "list rules of security group "+quote(firewallID), marker)
	}
	rs, err := extract(page, rules.ExtractRules)
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, convertError(err, "read security group rules", "")
	}
	items := make([]sdk.VMFirewallRule, len(rs))
	for i, r := range rs {
		items[i] = ruleOf(r)
	}
	return cutPage(items, size, func(r sdk.VMFirewallRule) string { return r.ID }), nil
}

func (s *vmFirewallRules) Get(ctx context.Context, firewallID, id string) (sdk.VMFirewallRule, error) {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.VMFirewallRule{}, err
	}
	r, err := getRule(ctx, sc, firewallID, id)
	if err != nil {
		return sdk.VMFirewallRule{}, err
	}
	return ruleOf(*r), nil
}

// getRule returns rule id of group firewallID; a rule of another group is
// NotFound.
func getRule(ctx context.Context, sc *gophercloud.ServiceClient, firewallID, id string) (*rules.SecGroupRule, error) {
	if _, err := getGroup(ctx, sc, firewallID); err != nil {
		return nil, withParam(err, "firewall_id")
	}
	if id == "" {
		return nil, notFound("id", "vm firewall rule", id)
	}
	r, err := rules.Get(ctx, sc, id).Extract()
	if err != nil {
		return nil, convertError(err, "get security group rule "+quote(id), "")
	}
	if r.SecGroupID != firewallID {
		return nil, notFound("id", "vm firewall rule", id)
	}
	return r, nil
}

func (s *vmFirewallRules) Create(ctx context.Context, spec sdk.VMFirewallRuleSpec) (sdk.VMFirewallRule, error) {
	if err := validateRuleSpec(spec); err != nil {
		return sdk.VMFirewallRule{}, err
	}
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return sdk.VMFirewallRule{}, err
	}
	if _, err := getGroup(ctx, sc, spec.FirewallID); err != nil {
		return sdk.VMFirewallRule{}, withParam(err, "firewall_id")
	}
	if spec.SrcDestFirewallID != "" {
		if _, err := getGroup(ctx, sc, spec.SrcDestFirewallID); err != nil {
			return sdk.VMFirewallRule{}, withParam(err, "src_dest_firewall_id")
		}
	}
	opts := ruleCreateOpts(spec)
	r, err := rules.Create(ctx, sc, opts).Extract()
	if statusOf(err) == 409 {
		// Neutron refuses a duplicate rule, naming the one it has: adding a
		// rule the firewall has answers that rule.
		if existing, ferr := s.findSame(ctx, sc, err, opts); ferr == nil {
			return ruleOf(*existing), nil
		}
	}
	if err != nil {
		return sdk.VMFirewallRule{}, convertError(err, "add rule to security group "+quote(spec.FirewallID), sdk.CodeAlreadyExists)
	}
	return ruleOf(*r), nil
}

var ruleIDInMessage = regexp.MustCompile(`[Rr]ule id is ([0-9a-f-]{36})`)

func (s *vmFirewallRules) findSame(ctx context.Context, sc *gophercloud.ServiceClient, conflict error, opts rules.CreateOpts) (*rules.SecGroupRule, error) {
	if _, msg := serviceError(errorBody(conflict)); msg != "" {
		if m := ruleIDInMessage.FindStringSubmatch(msg); m != nil {
			if r, err := rules.Get(ctx, sc, m[1]).Extract(); err == nil && r.SecGroupID == opts.SecGroupID {
				return r, nil
			}
		}
	}
	pages, err := rules.List(sc, rules.ListOpts{SecGroupID: opts.SecGroupID, Direction: string(opts.Direction)}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := rules.ExtractRules(pages)
	if err != nil {
		return nil, err
	}
	want := ruleOf(rules.SecGroupRule{Direction: string(opts.Direction), EtherType: string(opts.EtherType), Protocol: string(opts.Protocol),
		PortRangeMin: opts.PortRangeMin, PortRangeMax: opts.PortRangeMax, RemoteIPPrefix: opts.RemoteIPPrefix, RemoteGroupID: opts.RemoteGroupID})
	for i := range rs {
		if ruleOf(rs[i]).RuleName() == want.RuleName() {
			return &rs[i], nil
		}
	}
	return nil, conflict
}

func (s *vmFirewallRules) Delete(ctx context.Context, firewallID, id string) error {
	_, sc, err := s.c.client(ctx, "network")
	if err != nil {
		return err
	}
	if _, err := getRule(ctx, sc, firewallID, id); err != nil {
		return err
	}
	return convertError(rules.Delete(ctx, sc, id).ExtractErr(), "delete security group rule "+quote(id), sdk.CodeFailedPrecondition)
}

// validateRuleSpec checks what the contract asks of a rule before Neutron sees
// it.
func validateRuleSpec(spec sdk.VMFirewallRuleSpec) error {
	if spec.FirewallID == "" {
		return sdk.InvalidArgument("firewall_id", "", "required")
	}
	switch spec.Direction {
	case sdk.Inbound, sdk.Outbound:
	default:
		return sdk.InvalidArgument("direction", spec.Direction, `must be "inbound" or "outbound"`)
	}
	switch spec.Protocol {
	case "tcp", "udp", "icmp", "":
	default:
		return sdk.InvalidArgument("protocol", spec.Protocol, `must be "tcp", "udp", "icmp", or "" for all`)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"from_port", spec.FromPort}, {"to_port", spec.ToPort}} {
		if p.port < 0 || p.port > 65535 {
			return sdk.InvalidArgument(p.name, p.port, "must be from 0 to 65535")
		}
	}
	if spec.FromPort > spec.ToPort {
		return sdk.InvalidArgument("from_port", spec.FromPort, fmt.Sprintf("must not be greater than to_port (%d)", spec.ToPort))
	}
	if spec.Protocol == "" && (spec.FromPort != 0 || spec.ToPort != 0) {
		return sdk.InvalidArgument("protocol", "", "ports need a protocol (tcp or udp)")
	}
	switch {
	case spec.CIDR == "" && spec.SrcDestFirewallID == "":
		return sdk.InvalidArgument("cidr", "", "a rule needs a cidr or a src_dest_firewall_id")
	case spec.CIDR != "" && spec.SrcDestFirewallID != "":
		return sdk.InvalidArgument("cidr", spec.CIDR, "a rule has a cidr or a src_dest_firewall_id, not both")
	case spec.CIDR != "":
		return sdk.ValidateCIDR("cidr", spec.CIDR)
	}
	return nil
}

// ruleCreateOpts is the Neutron rule of a contract rule. Ports 0-0 mean all
// ports; for ICMP the ports are the ICMP type and code.
func ruleCreateOpts(spec sdk.VMFirewallRuleSpec) rules.CreateOpts {
	opts := rules.CreateOpts{
		SecGroupID: spec.FirewallID, Direction: rules.DirIngress, EtherType: rules.EtherType4,
		Protocol: rules.RuleProtocol(spec.Protocol), RemoteIPPrefix: spec.CIDR, RemoteGroupID: spec.SrcDestFirewallID,
	}
	if spec.Direction == sdk.Outbound {
		opts.Direction = rules.DirEgress
	}
	if strings.Contains(spec.CIDR, ":") {
		opts.EtherType = rules.EtherType6
	}
	if spec.Protocol != "" && (spec.FromPort != 0 || spec.ToPort != 0) {
		opts.PortRangeMin, opts.PortRangeMax = max(spec.FromPort, 1), spec.ToPort
		if spec.Protocol == "icmp" {
			opts.PortRangeMin = spec.FromPort
		}
	}
	return opts
}

func ruleOf(r rules.SecGroupRule) sdk.VMFirewallRule {
	out := sdk.VMFirewallRule{
		ID: r.ID, FirewallID: r.SecGroupID, Direction: sdk.Inbound, Protocol: strings.ToLower(r.Protocol),
		FromPort: r.PortRangeMin, ToPort: r.PortRangeMax, CIDR: r.RemoteIPPrefix, SrcDestFirewallID: r.RemoteGroupID,
		Extra: map[string]string{"ethertype": r.EtherType},
	}
	if r.Direction == string(rules.DirEgress) {
		out.Direction = sdk.Outbound
	}
	if out.CIDR == "" && out.SrcDestFirewallID == "" {
		// No remote at all means anywhere.
		out.CIDR = "0.0.0.0/0"
		if r.EtherType == string(rules.EtherType6) {
			out.CIDR = "::/0"
		}
	}
	switch out.Protocol {
	case "6":
		out.Protocol = "tcp"
	case "17":
		out.Protocol = "udp"
	case "1":
		out.Protocol = "icmp"
	}
	return out
}
