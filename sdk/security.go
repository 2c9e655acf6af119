package sdk

import (
	"context"
	"time"
)

// Security is the security family: key pairs, VM firewalls and their rules.
type Security struct {
	KeyPairs    KeyPairs
	VMFirewalls VMFirewalls
	Rules       VMFirewallRules
}

// KeyPair is an SSH key pair. Its ID is its name on most clouds.
type KeyPair struct {
	ID          string
	Name        string
	Fingerprint string
	// Material is the private key, set only in the answer to a generating Create.
	Material   string
	PublicKey  string
	CreateTime time.Time
	Extra      map[string]string
}

// KeyPairSpec creates (generates) or imports a key pair.
type KeyPairSpec struct {
	Name string
	// PublicKeyMaterial imports an existing public key (authorized_keys form).
	PublicKeyMaterial string
	IdempotencyToken  string
}

// KeyPairs manages key pairs.
type KeyPairs interface {
	List(ctx context.Context, opts ListOptions) (Page[KeyPair], error)
	Get(ctx context.Context, id string) (KeyPair, error)
	// Create of an existing name is AlreadyExists.
	Create(ctx context.Context, spec KeyPairSpec) (KeyPair, error)
	Delete(ctx context.Context, id string) error
}

// VMFirewall is a security group.
type VMFirewall struct {
	ID          string
	Name        string
	Label       string
	Description string
	NetworkID   string
	Extra       map[string]string
}

// VMFirewallSpec creates a firewall in a network.
type VMFirewallSpec struct {
	Label            string
	NetworkID        string
	Description      string
	IdempotencyToken string
}

// VMFirewallUpdate changes the fields that are set.
type VMFirewallUpdate struct {
	Label       *string
	Description *string
}

// VMFirewalls manages firewalls.
type VMFirewalls interface {
	List(ctx context.Context, opts ListOptions) (Page[VMFirewall], error)
	Get(ctx context.Context, id string) (VMFirewall, error)
	Create(ctx context.Context, spec VMFirewallSpec) (VMFirewall, error)
	Update(ctx context.Context, id string, u VMFirewallUpdate) (VMFirewall, error)
	Delete(ctx context.Context, id string) error
}

// TrafficDirection is a rule's direction.
type TrafficDirection string

// Traffic directions, with CloudBridge's values.
const (
	Inbound  TrafficDirection = "inbound"
	Outbound TrafficDirection = "outbound"
)

// VMFirewallRule is one rule of a firewall: a direction plus either protocol,
// ports and CIDR, or a source/destination firewall.
type VMFirewallRule struct {
	ID         string
	FirewallID string
	Direction  TrafficDirection
	// Protocol is "tcp", "udp", "icmp", or "" for all.
	Protocol          string
	FromPort          int
	ToPort            int
	CIDR              string
	SrcDestFirewallID string
	Extra             map[string]string
}

// RuleName is CloudBridge's rule name: direction-protocol-from-to-cidr-srcfw.
func (r VMFirewallRule) RuleName() string {
	return string(r.Direction) + "-" + r.Protocol + "-" + itoa(r.FromPort) + "-" +
		itoa(r.ToPort) + "-" + r.CIDR + "-" + r.SrcDestFirewallID
}

// VMFirewallRuleSpec adds a rule.
type VMFirewallRuleSpec struct {
	FirewallID        string
	Direction         TrafficDirection
	Protocol          string
	FromPort          int
	ToPort            int
	CIDR              string
	SrcDestFirewallID string
}

// VMFirewallRules manages the rules of firewalls.
type VMFirewallRules interface {
	List(ctx context.Context, firewallID string, opts ListOptions) (Page[VMFirewallRule], error)
	Get(ctx context.Context, firewallID, id string) (VMFirewallRule, error)
	// Create of a rule equal to an existing one returns the existing rule.
	Create(ctx context.Context, spec VMFirewallRuleSpec) (VMFirewallRule, error)
	Delete(ctx context.Context, firewallID, id string) error
}
