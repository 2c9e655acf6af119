package host

import (
	"context"
	"iter"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// SecurityService is p.Security: key pairs and VM firewalls.
type SecurityService struct {
	KeyPairs    *KeyPairService
	VMFirewalls *VMFirewallService
}

func newSecurityService(p *Provider) *SecurityService {
	s := p.drivers.Security
	if s == nil {
		s = &sdk.Security{}
	}
	return &SecurityService{
		KeyPairs:    &KeyPairService{p: p, drv: s.KeyPairs},
		VMFirewalls: &VMFirewallService{p: p, drv: s.VMFirewalls, rules: s.Rules},
	}
}

// ---- key pairs ----

// KeyPair is an SSH key pair. Material (the private key) is set only on the
// value Create returns for a generated key.
type KeyPair struct {
	sdk.KeyPair
	svc *KeyPairService
}

// KeyPairSpec creates or imports a key pair.
type KeyPairSpec = sdk.KeyPairSpec

// KeyPairService is p.Security.KeyPairs.
type KeyPairService struct {
	p   *Provider
	drv sdk.KeyPairs
}

var keyPairKeys = findKeys[*KeyPair]{
	"name": func(k *KeyPair) string { return k.Name },
	"id":   func(k *KeyPair) string { return k.ID },
}

func (s *KeyPairService) wrap(k sdk.KeyPair) *KeyPair { return &KeyPair{KeyPair: k, svc: s} }

// Get returns a key pair by id.
func (s *KeyPairService) Get(ctx context.Context, id string) (*KeyPair, error) {
	return call(ctx, s.p, "provider.security.key_pairs.get", sdk.CapKeyPairs, &id, func(ctx context.Context) (*KeyPair, error) {
		k, err := s.drv.Get(ctx, id)
		return s.wrap(k), err
	})
}

// List returns one page of key pairs.
func (s *KeyPairService) List(ctx context.Context, opts ListOptions) (Page[*KeyPair], error) {
	return call(ctx, s.p, "provider.security.key_pairs.list", sdk.CapKeyPairs, &opts, func(ctx context.Context) (Page[*KeyPair], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every key pair.
func (s *KeyPairService) All(ctx context.Context) iter.Seq2[*KeyPair, error] {
	return pages(ctx, s.List)
}

// Find returns the key pairs matching the filter (key: name).
func (s *KeyPairService) Find(ctx context.Context, f Filter) ([]*KeyPair, error) {
	return find(s.All(ctx), f, keyPairKeys)
}

// Create generates a key pair (its private key is in Material, this once) or,
// with PublicKeyMaterial, imports one. An existing name is ErrAlreadyExists.
func (s *KeyPairService) Create(ctx context.Context, spec KeyPairSpec) (*KeyPair, error) {
	if err := sdk.ValidateName("name", spec.Name); err != nil {
		return nil, err
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.security.key_pairs.create", sdk.CapKeyPairs, &spec, func(ctx context.Context) (*KeyPair, error) {
		k, err := s.drv.Create(ctx, spec)
		return s.wrap(k), err
	})
}

// Delete deletes a key pair.
func (s *KeyPairService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.security.key_pairs.delete", sdk.CapKeyPairs, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// Delete deletes the key pair.
func (k *KeyPair) Delete(ctx context.Context) error { return k.svc.Delete(ctx, k.ID) }

// ---- VM firewalls ----

// VMFirewallSpec creates a firewall.
type VMFirewallSpec = sdk.VMFirewallSpec

// VMFirewall is a security group. Rules manages its rules.
type VMFirewall struct {
	sdk.VMFirewall
	Rules *RuleService
	svc   *VMFirewallService
}

// VMFirewallService is p.Security.VMFirewalls.
type VMFirewallService struct {
	p     *Provider
	drv   sdk.VMFirewalls
	rules sdk.VMFirewallRules
}

var firewallKeys = findKeys[*VMFirewall]{
	"label": func(f *VMFirewall) string { return f.Label },
	"name":  func(f *VMFirewall) string { return f.Name },
	"id":    func(f *VMFirewall) string { return f.ID },
}

func (s *VMFirewallService) wrap(f sdk.VMFirewall) *VMFirewall {
	return &VMFirewall{VMFirewall: f, svc: s, Rules: &RuleService{p: s.p, drv: s.rules, firewallID: f.ID}}
}

// Get returns a firewall by id.
func (s *VMFirewallService) Get(ctx context.Context, id string) (*VMFirewall, error) {
	return call(ctx, s.p, "provider.security.vm_firewalls.get", sdk.CapVMFirewalls, &id, func(ctx context.Context) (*VMFirewall, error) {
		f, err := s.drv.Get(ctx, id)
		return s.wrap(f), err
	})
}

// List returns one page of firewalls.
func (s *VMFirewallService) List(ctx context.Context, opts ListOptions) (Page[*VMFirewall], error) {
	return call(ctx, s.p, "provider.security.vm_firewalls.list", sdk.CapVMFirewalls, &opts, func(ctx context.Context) (Page[*VMFirewall], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every firewall.
func (s *VMFirewallService) All(ctx context.Context) iter.Seq2[*VMFirewall, error] {
	return pages(ctx, s.List)
}

// Find returns the firewalls matching the filter (keys: label, name).
func (s *VMFirewallService) Find(ctx context.Context, f Filter) ([]*VMFirewall, error) {
	return find(s.All(ctx), f, firewallKeys)
}

// Create makes a firewall in a network.
func (s *VMFirewallService) Create(ctx context.Context, spec VMFirewallSpec) (*VMFirewall, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.security.vm_firewalls.create", sdk.CapVMFirewalls, &spec, func(ctx context.Context) (*VMFirewall, error) {
		f, err := s.drv.Create(ctx, spec)
		return s.wrap(f), err
	})
}

// Delete deletes a firewall and its rules.
func (s *VMFirewallService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.security.vm_firewalls.delete", sdk.CapVMFirewalls, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

func (f *VMFirewall) update(ctx context.Context, u sdk.VMFirewallUpdate) error {
	args := UpdateArgs[sdk.VMFirewallUpdate]{ID: f.ID, Update: u}
	fresh, err := call(ctx, f.svc.p, "provider.security.vm_firewalls.update", sdk.CapVMFirewalls, &args, func(ctx context.Context) (sdk.VMFirewall, error) {
		return f.svc.drv.Update(ctx, args.ID, args.Update)
	})
	if err == nil {
		f.VMFirewall = fresh
	}
	return err
}

// SetLabel changes the firewall's label.
func (f *VMFirewall) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	return f.update(ctx, sdk.VMFirewallUpdate{Label: &label})
}

// SetDescription changes the firewall's description.
func (f *VMFirewall) SetDescription(ctx context.Context, description string) error {
	return f.update(ctx, sdk.VMFirewallUpdate{Description: &description})
}

// Refresh reloads the firewall.
func (f *VMFirewall) Refresh(ctx context.Context) error {
	fresh, err := f.svc.Get(ctx, f.ID)
	if err == nil {
		f.VMFirewall = fresh.VMFirewall
	}
	return err
}

// Delete deletes the firewall.
func (f *VMFirewall) Delete(ctx context.Context) error { return f.svc.Delete(ctx, f.ID) }

// ---- rules ----

// VMFirewallRule is one rule of a firewall.
type VMFirewallRule = sdk.VMFirewallRule

// RuleSpec adds a rule; FirewallID is filled in by the firewall.
type RuleSpec = sdk.VMFirewallRuleSpec

// RuleService is firewall.Rules.
type RuleService struct {
	p          *Provider
	drv        sdk.VMFirewallRules
	firewallID string
}

var ruleKeys = findKeys[VMFirewallRule]{
	"name":                 func(r VMFirewallRule) string { return r.RuleName() },
	"direction":            func(r VMFirewallRule) string { return string(r.Direction) },
	"protocol":             func(r VMFirewallRule) string { return r.Protocol },
	"from_port":            func(r VMFirewallRule) string { return itoa(r.FromPort) },
	"to_port":              func(r VMFirewallRule) string { return itoa(r.ToPort) },
	"cidr":                 func(r VMFirewallRule) string { return r.CIDR },
	"src_dest_firewall_id": func(r VMFirewallRule) string { return r.SrcDestFirewallID },
}

// Get returns a rule by id.
func (s *RuleService) Get(ctx context.Context, id string) (VMFirewallRule, error) {
	return call(ctx, s.p, "provider.security.vm_firewall_rules.get", sdk.CapVMFirewallRules, &id, func(ctx context.Context) (VMFirewallRule, error) {
		return s.drv.Get(ctx, s.firewallID, id)
	})
}

// List returns one page of the firewall's rules.
func (s *RuleService) List(ctx context.Context, opts ListOptions) (Page[VMFirewallRule], error) {
	return call(ctx, s.p, "provider.security.vm_firewall_rules.list", sdk.CapVMFirewallRules, &opts, func(ctx context.Context) (Page[VMFirewallRule], error) {
		return s.drv.List(ctx, s.firewallID, opts)
	})
}

// All yields every rule of the firewall.
func (s *RuleService) All(ctx context.Context) iter.Seq2[VMFirewallRule, error] {
	return pages(ctx, s.List)
}

// Find returns the rules matching the filter (keys: name, direction, protocol,
// from_port, to_port, cidr, src_dest_firewall_id).
func (s *RuleService) Find(ctx context.Context, f Filter) ([]VMFirewallRule, error) {
	return find(s.All(ctx), f, ruleKeys)
}

// Create adds a rule; adding a rule equal to an existing one returns that rule.
func (s *RuleService) Create(ctx context.Context, spec RuleSpec) (VMFirewallRule, error) {
	spec.FirewallID = s.firewallID
	return call(ctx, s.p, "provider.security.vm_firewall_rules.create", sdk.CapVMFirewallRules, &spec, func(ctx context.Context) (VMFirewallRule, error) {
		return s.drv.Create(ctx, spec)
	})
}

// Delete deletes a rule.
func (s *RuleService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.security.vm_firewall_rules.delete", sdk.CapVMFirewallRules, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, s.firewallID, id)
	})
}
