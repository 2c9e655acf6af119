package aws

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// vmFirewalls implements sdk.VMFirewalls over EC2 security groups. The label
// is the Name tag; the description is the Description tag, because a
// security group's own description cannot be changed (CloudBridge does the
// same).
type vmFirewalls struct{ c *Cloud }

func firewallFromEC2(g ec2types.SecurityGroup) sdk.VMFirewall {
	fw := sdk.VMFirewall{
		ID:          aws.ToString(g.GroupId),
		Name:        aws.ToString(g.GroupName),
		Label:       tagValue(g.Tags, tagName),
		Description: aws.ToString(g.Description),
		NetworkID:   aws.ToString(g.VpcId),
		Extra:       extraTags(map[string]string{"group_name": aws.ToString(g.GroupName), "owner_id": aws.ToString(g.OwnerId)}, g.Tags),
	}
	if d, ok := lookupTag(g.Tags, tagDescription); ok {
		fw.Description = d
	}
	return fw
}

// lookupTag returns a tag's value and whether the tag is there (its value may
// be empty).
func lookupTag(tags []ec2types.Tag, key string) (string, bool) {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value), true
		}
	}
	return "", false
}

func (s *vmFirewalls) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewall], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, err
	}
	return serverPage(ctx, cl, opts, "DescribeSecurityGroups", 5, 1000, func(f sdk.VMFirewall) string { return f.ID }, func(ctx context.Context, token string, max int32) ([]sdk.VMFirewall, string, error) {
		out, err := ec2.NewDescribeSecurityGroupsPaginator(cl.ec2, &ec2.DescribeSecurityGroupsInput{NextToken: optString(token), MaxResults: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var fws []sdk.VMFirewall
		for _, g := range out.SecurityGroups {
			fws = append(fws, firewallFromEC2(g))
		}
		return fws, aws.ToString(out.NextToken), nil
	})
}

// optString is nil for "", so that an empty token is not sent.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (s *vmFirewalls) Get(ctx context.Context, id string) (sdk.VMFirewall, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	g, err := securityGroup(ctx, cl, id)
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	return firewallFromEC2(g), nil
}

// securityGroup describes one security group; a missing or malformed id is
// NotFound.
func securityGroup(ctx context.Context, cl *clients, id string) (ec2types.SecurityGroup, error) {
	if id == "" {
		return ec2types.SecurityGroup{}, sdk.NotFound("vm firewall", id)
	}
	out, err := cl.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return ec2types.SecurityGroup{}, cl.lookupError(err, "vm firewall", id)
	}
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupId) == id {
			return g, nil
		}
	}
	return ec2types.SecurityGroup{}, sdk.NotFound("vm firewall", id)
}

// groupDescriptionChars are the characters EC2 accepts in a security group's
// own description.
const groupDescriptionChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*"

func (s *vmFirewalls) Create(ctx context.Context, spec sdk.VMFirewallSpec) (sdk.VMFirewall, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.VMFirewall{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.VMFirewall{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.VMFirewall{}, cl.mapError(err)
		}
		for _, g := range out.SecurityGroups {
			if hasTag(g.Tags, tagToken, spec.IdempotencyToken) {
				return firewallFromEC2(g), nil
			}
		}
	}
	// The group's own description is fixed for life and limited to some
	// characters; the Description tag holds the real one.
	groupDesc := spec.Description
	if groupDesc == "" || strings.Trim(groupDesc, groupDescriptionChars) != "" {
		groupDesc = spec.Label
	}
	tags := tagSpecs(ec2types.ResourceTypeSecurityGroup, spec.Label, "", spec.IdempotencyToken)
	tags[0].Tags = append(tags[0].Tags, ec2types.Tag{Key: aws.String(tagDescription), Value: aws.String(spec.Description)})
	out, err := cl.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		// Group names are unique per VPC; labels need not be.
		GroupName:         aws.String(spec.Label + "-" + uniqueSuffix()),
		Description:       aws.String(groupDesc),
		VpcId:             optString(spec.NetworkID),
		TagSpecifications: tags,
	})
	if err != nil {
		return sdk.VMFirewall{}, wrapf(cl.refError(err, "network_id"), "create vm firewall %q", spec.Label)
	}
	g, err := securityGroup(ctx, cl, aws.ToString(out.GroupId))
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	return firewallFromEC2(g), nil
}

func (s *vmFirewalls) Update(ctx context.Context, id string, u sdk.VMFirewallUpdate) (sdk.VMFirewall, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.VMFirewall{}, err
		}
	}
	if u.Description != nil {
		if err := validateDescription(*u.Description); err != nil {
			return sdk.VMFirewall{}, err
		}
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.VMFirewall{}, err
	}
	if _, err := securityGroup(ctx, cl, id); err != nil {
		return sdk.VMFirewall{}, err
	}
	var tags []ec2types.Tag
	if u.Label != nil {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagName), Value: u.Label})
	}
	if u.Description != nil {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagDescription), Value: u.Description})
	}
	if len(tags) > 0 {
		if _, err := cl.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: tags}); err != nil {
			return sdk.VMFirewall{}, cl.lookupError(err, "vm firewall", id)
		}
	}
	return s.Get(ctx, id)
}

// Delete deletes a security group, and with it its rules. One still used by an
// instance or named by another group's rule is FailedPrecondition
// (DependencyViolation).
func (s *vmFirewalls) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := securityGroup(ctx, cl, id); err != nil {
		return err
	}
	_, err = cl.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	return cl.lookupError(err, "vm firewall", id)
}

// validateDescription applies AWS's limit on descriptions (255 characters).
func validateDescription(d string) error {
	if len(d) > 255 {
		return sdk.InvalidArgument("description", d[:32]+"...", fmt.Sprintf("must be at most 255 bytes, not %d", len(d)))
	}
	return nil
}

// ---- rules ----

// vmFirewallRules implements sdk.VMFirewallRules over the IP permissions of
// security groups. EC2 groups several CIDRs and groups in one permission; each
// CIDR or group is one rule here. A rule's id is the MD5 of its CloudBridge
// rule name, as CloudBridge's AWS provider makes it: it is stable, and a rule
// is deleted by revoking the permission it describes.
type vmFirewallRules struct{ c *Cloud }

func ruleID(r sdk.VMFirewallRule) string {
	sum := md5.Sum([]byte(r.RuleName()))
	return hex.EncodeToString(sum[:])
}

// protocolName maps EC2's IpProtocol to the contract's ("" is every protocol).
func protocolName(p string) string {
	switch strings.ToLower(p) {
	case "-1", "all":
		return ""
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	}
	return strings.ToLower(p)
}

// rulesOf expands a security group's permissions into rules.
func rulesOf(g ec2types.SecurityGroup) []sdk.VMFirewallRule {
	var out []sdk.VMFirewallRule
	add := func(dir sdk.TrafficDirection, perms []ec2types.IpPermission) {
		for _, p := range perms {
			base := sdk.VMFirewallRule{
				FirewallID: aws.ToString(g.GroupId), Direction: dir, Protocol: protocolName(aws.ToString(p.IpProtocol)),
				FromPort: int(aws.ToInt32(p.FromPort)), ToPort: int(aws.ToInt32(p.ToPort)),
			}
			for _, r := range p.IpRanges {
				rule := base
				rule.CIDR = aws.ToString(r.CidrIp)
				rule.Extra = ruleExtra(r.Description)
				out = append(out, rule)
			}
			for _, r := range p.Ipv6Ranges {
				rule := base
				rule.CIDR = aws.ToString(r.CidrIpv6)
				rule.Extra = ruleExtra(r.Description)
				out = append(out, rule)
			}
			for _, pair := range p.UserIdGroupPairs {
				rule := base
				rule.SrcDestFirewallID = aws.ToString(pair.GroupId)
				rule.Extra = ruleExtra(pair.Description)
				if u := aws.ToString(pair.UserId); u != "" {
					rule.Extra["user_id"] = u
				}
				out = append(out, rule)
			}
			for _, pl := range p.PrefixListIds {
				// A prefix list is neither a CIDR nor a firewall; it is shown
				// (so the rule is not hidden) with the list id in Extra.
				rule := base
				rule.Extra = ruleExtra(pl.Description)
				rule.Extra["prefix_list_id"] = aws.ToString(pl.PrefixListId)
				rule.CIDR = "prefix-list:" + aws.ToString(pl.PrefixListId)
				out = append(out, rule)
			}
		}
	}
	add(sdk.Inbound, g.IpPermissions)
	add(sdk.Outbound, g.IpPermissionsEgress)
	for i := range out {
		out[i].ID = ruleID(out[i])
	}
	// Equal rules are one rule (EC2 keeps no duplicates; a permission may
	// still repeat a range).
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(r sdk.VMFirewallRule) bool {
		dup := seen[r.ID]
		seen[r.ID] = true
		return dup
	})
}

func ruleExtra(desc *string) map[string]string {
	m := map[string]string{}
	if d := aws.ToString(desc); d != "" {
		m["description"] = d
	}
	return m
}

func (s *vmFirewallRules) List(ctx context.Context, firewallID string, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewallRule], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, err
	}
	g, err := securityGroup(ctx, cl, firewallID)
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, err
	}
	return sdk.Paginate(rulesOf(g), opts, func(r sdk.VMFirewallRule) string { return r.ID })
}

func (s *vmFirewallRules) Get(ctx context.Context, firewallID, id string) (sdk.VMFirewallRule, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.VMFirewallRule{}, err
	}
	g, err := securityGroup(ctx, cl, firewallID)
	if err != nil {
		return sdk.VMFirewallRule{}, err
	}
	for _, r := range rulesOf(g) {
		if r.ID == id {
			return r, nil
		}
	}
	return sdk.VMFirewallRule{}, sdk.NotFound("vm firewall rule", id)
}

// Create authorizes a rule. A rule the group has already is returned as it is
// (EC2 answers InvalidPermission.Duplicate).
func (s *vmFirewallRules) Create(ctx context.Context, spec sdk.VMFirewallRuleSpec) (sdk.VMFirewallRule, error) {
	if err := validateRuleSpec(spec); err != nil {
		return sdk.VMFirewallRule{}, err
	}
	if spec.CIDR != "" {
		spec.CIDR = netip.MustParsePrefix(spec.CIDR).String()
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.VMFirewallRule{}, err
	}
	if _, err := securityGroup(ctx, cl, spec.FirewallID); err != nil {
		e := err.(*sdk.Error)
		e.Param = "firewall_id"
		return sdk.VMFirewallRule{}, e
	}
	if spec.SrcDestFirewallID != "" {
		if _, err := securityGroup(ctx, cl, spec.SrcDestFirewallID); err != nil {
			e := err.(*sdk.Error)
			e.Param = "src_dest_firewall_id"
			return sdk.VMFirewallRule{}, e
		}
	}
	want := sdk.VMFirewallRule{
		FirewallID: spec.FirewallID, Direction: spec.Direction, Protocol: spec.Protocol,
		FromPort: spec.FromPort, ToPort: spec.ToPort, CIDR: spec.CIDR, SrcDestFirewallID: spec.SrcDestFirewallID,
	}
	if want.Protocol == "" {
		// EC2 keeps no ports for "every protocol".
		want.FromPort, want.ToPort = 0, 0
	}
	want.ID = ruleID(want)
	if got, err := s.Get(ctx, spec.FirewallID, want.ID); err == nil {
		return got, nil
	}
	perm := permissionOf(want)
	if spec.Direction == sdk.Inbound {
		_, err = cl.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(spec.FirewallID), IpPermissions: []ec2types.IpPermission{perm},
		})
	} else {
		_, err = cl.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
			GroupId: aws.String(spec.FirewallID), IpPermissions: []ec2types.IpPermission{perm},
		})
	}
	if err != nil && !isCode(err, "InvalidPermission.Duplicate") {
		return sdk.VMFirewallRule{}, wrapf(cl.mapError(err), "add rule %s to vm firewall %s", want.RuleName(), spec.FirewallID)
	}
	if got, err := s.Get(ctx, spec.FirewallID, want.ID); err == nil {
		return got, nil
	}
	// Eventual consistency: the rule exists though the group does not show
	// it yet.
	want.Extra = map[string]string{}
	return want, nil
}

// permissionOf is the EC2 permission that a rule is.
func permissionOf(r sdk.VMFirewallRule) ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String(r.Protocol)}
	if r.Protocol == "" {
		p.IpProtocol = aws.String("-1")
	} else {
		p.FromPort, p.ToPort = aws.Int32(int32(r.FromPort)), aws.Int32(int32(r.ToPort))
	}
	switch {
	case r.SrcDestFirewallID != "":
		p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(r.SrcDestFirewallID)}}
	case strings.Contains(r.CIDR, ":"):
		p.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(r.CIDR)}}
	default:
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(r.CIDR)}}
	}
	return p
}

// validateRuleSpec checks what needs no call.
func validateRuleSpec(spec sdk.VMFirewallRuleSpec) error {
	if spec.FirewallID == "" {
		return sdk.InvalidArgument("firewall_id", "", "required")
	}
	switch spec.Direction {
	case sdk.Inbound, sdk.Outbound:
	default:
		return sdk.InvalidArgument("direction", spec.Direction, `must be "inbound" or "outbound"`)
	}
	lowest := 0
	switch spec.Protocol {
	case "tcp", "udp", "":
	case "icmp":
		// ICMP type and code; -1 is "all".
		lowest = -1
	default:
		return sdk.InvalidArgument("protocol", spec.Protocol, `must be "tcp", "udp", "icmp", or "" for all`)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"from_port", spec.FromPort}, {"to_port", spec.ToPort}} {
		if p.port < lowest || p.port > 65535 {
			return sdk.InvalidArgument(p.name, p.port, fmt.Sprintf("must be from %d to 65535", lowest))
		}
	}
	if spec.FromPort > spec.ToPort && spec.Protocol != "icmp" {
		return sdk.InvalidArgument("from_port", spec.FromPort, fmt.Sprintf("must not be greater than to_port (%d)", spec.ToPort))
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

func (s *vmFirewallRules) Delete(ctx context.Context, firewallID, id string) error {
	r, err := s.Get(ctx, firewallID, id)
	if err != nil {
		return err
	}
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	perm := permissionOf(r)
	if r.Protocol != "" {
		perm.FromPort, perm.ToPort = aws.Int32(int32(r.FromPort)), aws.Int32(int32(r.ToPort))
	}
	if pl := r.Extra["prefix_list_id"]; pl != "" {
		perm.IpRanges = nil
		perm.PrefixListIds = []ec2types.PrefixListId{{PrefixListId: aws.String(pl)}}
	}
	if r.Direction == sdk.Inbound {
		_, err = cl.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
			GroupId: aws.String(firewallID), IpPermissions: []ec2types.IpPermission{perm},
		})
	} else {
		_, err = cl.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: aws.String(firewallID), IpPermissions: []ec2types.IpPermission{perm},
		})
	}
	return cl.lookupError(err, "vm firewall rule", id)
}
