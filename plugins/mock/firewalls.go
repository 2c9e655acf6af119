package mock

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// vmFirewalls implements sdk.VMFirewalls. A new firewall has no rules.
type vmFirewalls struct{ c *Cloud }

func firewallView(fw *sdk.VMFirewall) sdk.VMFirewall {
	v := *fw
	v.Extra = maps.Clone(v.Extra)
	return v
}

func (s *vmFirewalls) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewall], error) {
	var all []sdk.VMFirewall
	err := s.c.read(ctx, func(t *txn) error {
		for _, fw := range t.Firewalls {
			all = append(all, firewallView(fw))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, err
	}
	return sdk.Paginate(all, opts, func(fw sdk.VMFirewall) string { return fw.ID })
}

func (s *vmFirewalls) Get(ctx context.Context, id string) (sdk.VMFirewall, error) {
	var fw sdk.VMFirewall
	err := s.c.read(ctx, func(t *txn) error {
		f, ok := t.Firewalls[id]
		if !ok {
			return sdk.NotFound("vm firewall", id)
		}
		fw = firewallView(f)
		return nil
	})
	return fw, err
}

// Create makes a firewall, in a network when spec.NetworkID names one (it must
// exist).
func (s *vmFirewalls) Create(ctx context.Context, spec sdk.VMFirewallSpec) (sdk.VMFirewall, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.VMFirewall{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.VMFirewall{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var fw sdk.VMFirewall
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("vm_firewall", token, digest); err != nil || rec != nil {
			if rec != nil {
				fw = firewallView(t.Firewalls[rec.ID])
			}
			return err
		}
		if err := t.checkFirewallNetwork(spec.NetworkID); err != nil {
			return err
		}
		id := newID("sg-", t.Firewalls)
		f := &sdk.VMFirewall{ID: id, Name: id, Label: spec.Label, Description: spec.Description, NetworkID: spec.NetworkID}
		t.Firewalls[id] = f
		t.remember("vm_firewall", token, digest, id)
		fw = firewallView(f)
		return nil
	})
	return fw, err
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
	var fw sdk.VMFirewall
	err := s.c.write(ctx, func(t *txn) error {
		f, ok := t.Firewalls[id]
		if !ok {
			return sdk.NotFound("vm firewall", id)
		}
		if u.Label != nil {
			f.Label = *u.Label
		}
		if u.Description != nil {
			f.Description = *u.Description
		}
		fw = firewallView(f)
		return nil
	})
	return fw, err
}

// Delete deletes a firewall and its rules. A firewall still attached to an
// instance, or named by another firewall's rule, is FailedPrecondition, as on
// EC2 (DependencyViolation) and OpenStack.
func (s *vmFirewalls) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.Firewalls[id]; !ok {
			return sdk.NotFound("vm firewall", id)
		}
		for _, id2 := range slices.Sorted(maps.Keys(t.Instances)) {
			if slices.Contains(t.Instances[id2].VMFirewallIDs, id) {
				return failedPrecondition("vm firewall %s is attached to instance %s", id, id2)
			}
		}
		for _, id2 := range slices.Sorted(maps.Keys(t.Rules)) {
			if r := t.Rules[id2]; r.SrcDestFirewallID == id && r.FirewallID != id {
				return failedPrecondition("vm firewall %s is named by rule %s of vm firewall %s", id, r.ID, r.FirewallID)
			}
		}
		for rid, r := range t.Rules {
			if r.FirewallID == id {
				delete(t.Rules, rid)
			}
		}
		delete(t.Firewalls, id)
		t.forget("vm_firewall", id)
		return nil
	})
}

// vmFirewallRules implements sdk.VMFirewallRules.
type vmFirewallRules struct{ c *Cloud }

func ruleView(r *sdk.VMFirewallRule) sdk.VMFirewallRule {
	v := *r
	v.Extra = maps.Clone(v.Extra)
	return v
}

func (s *vmFirewallRules) List(ctx context.Context, firewallID string, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewallRule], error) {
	var all []sdk.VMFirewallRule
	err := s.c.read(ctx, func(t *txn) error {
		if _, ok := t.Firewalls[firewallID]; !ok {
			return sdk.NotFound("vm firewall", firewallID)
		}
		for _, r := range t.Rules {
			if r.FirewallID == firewallID {
				all = append(all, ruleView(r))
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, err
	}
	return sdk.Paginate(all, opts, func(r sdk.VMFirewallRule) string { return r.ID })
}

func (s *vmFirewallRules) Get(ctx context.Context, firewallID, id string) (sdk.VMFirewallRule, error) {
	var rule sdk.VMFirewallRule
	err := s.c.read(ctx, func(t *txn) error {
		r, err := t.rule(firewallID, id)
		if err != nil {
			return err
		}
		rule = ruleView(r)
		return nil
	})
	return rule, err
}

// Create adds a rule. Adding a rule equal to one the firewall has returns that
// rule, as CloudBridge's create does.
func (s *vmFirewallRules) Create(ctx context.Context, spec sdk.VMFirewallRuleSpec) (sdk.VMFirewallRule, error) {
	if err := validateRuleSpec(spec); err != nil {
		return sdk.VMFirewallRule{}, err
	}
	if spec.CIDR != "" {
		// One spelling per network, so that equal rules compare equal
		// ("2001:DB8::/32" is "2001:db8::/32").
		spec.CIDR = netip.MustParsePrefix(spec.CIDR).String()
	}
	var rule sdk.VMFirewallRule
	err := s.c.write(ctx, func(t *txn) error {
		if _, ok := t.Firewalls[spec.FirewallID]; !ok {
			return missing("firewall_id", "vm firewall", spec.FirewallID)
		}
		if spec.SrcDestFirewallID != "" {
			if _, ok := t.Firewalls[spec.SrcDestFirewallID]; !ok {
				return missing("src_dest_firewall_id", "vm firewall", spec.SrcDestFirewallID)
			}
		}
		want := sdk.VMFirewallRule{
			FirewallID: spec.FirewallID, Direction: spec.Direction, Protocol: spec.Protocol,
			FromPort: spec.FromPort, ToPort: spec.ToPort, CIDR: spec.CIDR, SrcDestFirewallID: spec.SrcDestFirewallID,
		}
		for _, r := range t.Rules {
			if sameRule(*r, want) {
				rule = ruleView(r)
				return nil
			}
		}
		want.ID = newID("sgr-", t.Rules)
		t.Rules[want.ID] = &want
		rule = ruleView(&want)
		return nil
	})
	return rule, err
}

// sameRule reports whether two rules of a firewall say the same thing.
func sameRule(a, b sdk.VMFirewallRule) bool {
	return a.FirewallID == b.FirewallID && a.Direction == b.Direction && a.Protocol == b.Protocol &&
		a.FromPort == b.FromPort && a.ToPort == b.ToPort && a.CIDR == b.CIDR &&
		a.SrcDestFirewallID == b.SrcDestFirewallID
}

// validateRuleSpec checks what needs no state.
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
	return s.c.write(ctx, func(t *txn) error {
		if _, err := t.rule(firewallID, id); err != nil {
			return err
		}
		delete(t.Rules, id)
		return nil
	})
}

// rule returns rule id of firewall firewallID.
func (t *txn) rule(firewallID, id string) (*sdk.VMFirewallRule, error) {
	if _, ok := t.Firewalls[firewallID]; !ok {
		return nil, sdk.NotFound("vm firewall", firewallID)
	}
	r, ok := t.Rules[id]
	if !ok || r.FirewallID != firewallID {
		return nil, sdk.NotFound("vm firewall rule", id)
	}
	return r, nil
}
