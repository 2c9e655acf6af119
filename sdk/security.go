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
	ID          string `json:"id"`
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	// Material is the private key, set only in the answer to a generating Create.
	Material   string            `json:"material,omitempty"`
	PublicKey  string            `json:"public_key"`
	CreateTime time.Time         `json:"create_time,omitzero"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// KeyPairSpec creates (generates) or imports a key pair.
type KeyPairSpec struct {
	Name string `json:"name"`
	// PublicKeyMaterial imports an existing public key (authorized_keys form).
	PublicKeyMaterial string `json:"public_key_material"`
	IdempotencyToken  string `json:"idempotency_token"`
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
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Label       string            `json:"label"`
	Description string            `json:"description"`
	NetworkID   string            `json:"network_id"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// VMFirewallSpec creates a firewall in a network.
type VMFirewallSpec struct {
	Label            string `json:"label"`
	NetworkID        string `json:"network_id"`
	Description      string `json:"description"`
	IdempotencyToken string `json:"idempotency_token"`
}

// VMFirewallUpdate changes the fields that are set.
type VMFirewallUpdate struct {
	Label       *string `json:"label,omitempty"`
	Description *string `json:"description,omitempty"`
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
	ID         string           `json:"id"`
	FirewallID string           `json:"firewall_id"`
	Direction  TrafficDirection `json:"direction"`
	// Protocol is "tcp", "udp", "icmp", or "" for all.
	Protocol          string            `json:"protocol"`
	FromPort          int               `json:"from_port"`
	ToPort            int               `json:"to_port"`
	CIDR              string            `json:"cidr"`
	SrcDestFirewallID string            `json:"src_dest_firewall_id"`
	Extra             map[string]string `json:"extra,omitempty"`
}

// RuleName is CloudBridge's rule name: direction-protocol-from-to-cidr-srcfw.
func (r VMFirewallRule) RuleName() string {
	return string(r.Direction) + "-" + r.Protocol + "-" + itoa(r.FromPort) + "-" +
		itoa(r.ToPort) + "-" + r.CIDR + "-" + r.SrcDestFirewallID
}

// VMFirewallRuleSpec adds a rule.
type VMFirewallRuleSpec struct {
	FirewallID        string           `json:"firewall_id"`
	Direction         TrafficDirection `json:"direction"`
	Protocol          string           `json:"protocol"`
	FromPort          int              `json:"from_port"`
	ToPort            int              `json:"to_port"`
	CIDR              string           `json:"cidr"`
	SrcDestFirewallID string           `json:"src_dest_firewall_id"`
}

// VMFirewallRules manages the rules of firewalls.
type VMFirewallRules interface {
	List(ctx context.Context, firewallID string, opts ListOptions) (Page[VMFirewallRule], error)
	Get(ctx context.Context, firewallID, id string) (VMFirewallRule, error)
	// Create of a rule equal to an existing one returns the existing rule.
	Create(ctx context.Context, spec VMFirewallRuleSpec) (VMFirewallRule, error)
	Delete(ctx context.Context, firewallID, id string) error
}
