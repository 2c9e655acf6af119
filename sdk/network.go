package sdk

import (
	"context"
	"time"
)

// Network is the networking family: networks, subnets, routers, internet
// gateways and floating IPs.
type Network struct {
	Networks    Networks
	Subnets     Subnets
	Routers     Routers
	Gateways    Gateways
	FloatingIPs FloatingIPs
}

// NetworkState is the lifecycle state of networks and subnets.
type NetworkState string

// Network and subnet states, with CloudBridge's values.
const (
	NetworkUnknown   NetworkState = "unknown"
	NetworkPending   NetworkState = "pending"
	NetworkAvailable NetworkState = "available"
	NetworkDown      NetworkState = "down"
	NetworkError     NetworkState = "error"
)

// NetworkInfo is a private network (VPC, Neutron network).
type NetworkInfo struct {
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Label string       `json:"label"`
	State NetworkState `json:"state"`
	// External is true for a provider's public network.
	External bool `json:"external"`
	// CIDRBlock is "" where networks have no range of their own (Neutron).
	CIDRBlock  string            `json:"cidr_block"`
	CreateTime time.Time         `json:"create_time,omitzero"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// NetworkSpec creates a network.
type NetworkSpec struct {
	Label            string `json:"label"`
	CIDRBlock        string `json:"cidr_block"`
	IdempotencyToken string `json:"idempotency_token"`
}

// NetworkUpdate changes the fields that are set.
type NetworkUpdate struct {
	Label *string `json:"label,omitempty"`
}

// Networks manages networks.
type Networks interface {
	List(ctx context.Context, opts ListOptions) (Page[NetworkInfo], error)
	Get(ctx context.Context, id string) (NetworkInfo, error)
	Create(ctx context.Context, spec NetworkSpec) (NetworkInfo, error)
	Update(ctx context.Context, id string, u NetworkUpdate) (NetworkInfo, error)
	// Delete of a network with subnets is FailedPrecondition.
	Delete(ctx context.Context, id string) error
}

// Subnet is a subnet of a network.
type Subnet struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Label      string            `json:"label"`
	State      NetworkState      `json:"state"`
	NetworkID  string            `json:"network_id"`
	CIDRBlock  string            `json:"cidr_block"`
	Zone       string            `json:"zone"`
	CreateTime time.Time         `json:"create_time,omitzero"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// SubnetListOptions asks for one page of subnets, of one network when NetworkID is set.
type SubnetListOptions struct {
	ListOptions
	NetworkID string `json:"network_id"`
}

// SubnetSpec creates a subnet.
type SubnetSpec struct {
	Label     string `json:"label"`
	NetworkID string `json:"network_id"`
	CIDRBlock string `json:"cidr_block"`
	// Zone is "" for the provider's configured zone.
	Zone             string `json:"zone"`
	IdempotencyToken string `json:"idempotency_token"`
}

// SubnetUpdate changes the fields that are set.
type SubnetUpdate struct {
	Label *string `json:"label,omitempty"`
}

// Subnets manages subnets.
type Subnets interface {
	List(ctx context.Context, opts SubnetListOptions) (Page[Subnet], error)
	Get(ctx context.Context, id string) (Subnet, error)
	// Create of a range outside the network's or overlapping another subnet is
	// InvalidArgument.
	Create(ctx context.Context, spec SubnetSpec) (Subnet, error)
	Update(ctx context.Context, id string, u SubnetUpdate) (Subnet, error)
	// Delete of a subnet with instances is FailedPrecondition.
	Delete(ctx context.Context, id string) error
}

// RouterState says whether a router is attached to a network.
type RouterState string

// Router states, with CloudBridge's values.
const (
	RouterUnknown  RouterState = "unknown"
	RouterAttached RouterState = "attached"
	RouterDetached RouterState = "detached"
)

// Router routes between subnets and to an internet gateway.
type Router struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Label     string      `json:"label"`
	State     RouterState `json:"state"`
	NetworkID string      `json:"network_id"`
	SubnetIDs []string    `json:"subnet_ids,omitempty"`
	// GatewayID is the attached internet gateway, "" when none.
	GatewayID string            `json:"gateway_id"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// RouterSpec creates a router.
type RouterSpec struct {
	Label            string `json:"label"`
	NetworkID        string `json:"network_id"`
	IdempotencyToken string `json:"idempotency_token"`
}

// RouterUpdate changes the fields that are set.
type RouterUpdate struct {
	Label *string `json:"label,omitempty"`
}

// Routers manages routers.
type Routers interface {
	List(ctx context.Context, opts ListOptions) (Page[Router], error)
	Get(ctx context.Context, id string) (Router, error)
	Create(ctx context.Context, spec RouterSpec) (Router, error)
	Update(ctx context.Context, id string, u RouterUpdate) (Router, error)
	Delete(ctx context.Context, id string) error
	AttachSubnet(ctx context.Context, routerID, subnetID string) (Router, error)
	DetachSubnet(ctx context.Context, routerID, subnetID string) (Router, error)
	AttachGateway(ctx context.Context, routerID, gatewayID string) (Router, error)
	DetachGateway(ctx context.Context, routerID, gatewayID string) (Router, error)
}

// GatewayState is an internet gateway's lifecycle state.
type GatewayState string

// Gateway states, with CloudBridge's values.
const (
	GatewayUnknown     GatewayState = "unknown"
	GatewayConfiguring GatewayState = "configuring"
	GatewayAvailable   GatewayState = "available"
	GatewayError       GatewayState = "error"
)

// Gateway is an internet gateway (AWS IGW; OpenStack external network).
type Gateway struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	State     GatewayState      `json:"state"`
	NetworkID string            `json:"network_id"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// GatewaySpec gets or creates a network's internet gateway.
type GatewaySpec struct {
	NetworkID string `json:"network_id"`
	// Name for a new gateway; "" means DefaultGatewayName.
	Name             string `json:"name"`
	IdempotencyToken string `json:"idempotency_token"`
}

// Gateways manages internet gateways, per network.
type Gateways interface {
	List(ctx context.Context, networkID string, opts ListOptions) (Page[Gateway], error)
	GetOrCreate(ctx context.Context, spec GatewaySpec) (Gateway, error)
	Delete(ctx context.Context, networkID, gatewayID string) error
}

// FloatingIPState is derived from whether a floating IP is in use.
type FloatingIPState string

// Floating IP states, with CloudBridge's values.
const (
	FloatingIPUnknown   FloatingIPState = "unknown"
	FloatingIPAvailable FloatingIPState = "available"
	FloatingIPInUse     FloatingIPState = "in_use"
	FloatingIPError     FloatingIPState = "error"
)

// FloatingIP is a public address that can be moved between instances.
type FloatingIP struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	State     FloatingIPState `json:"state"`
	PublicIP  string          `json:"public_ip"`
	PrivateIP string          `json:"private_ip"`
	// InstanceID is the instance it is associated with, "" otherwise.
	InstanceID string            `json:"instance_id"`
	GatewayID  string            `json:"gateway_id"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// InUse reports whether the floating IP is associated with an instance.
func (f FloatingIP) InUse() bool { return f.InstanceID != "" }

// FloatingIPSpec allocates a floating IP from a gateway.
type FloatingIPSpec struct {
	GatewayID        string `json:"gateway_id"`
	IdempotencyToken string `json:"idempotency_token"`
}

// FloatingIPs manages floating IPs, per gateway.
type FloatingIPs interface {
	List(ctx context.Context, gatewayID string, opts ListOptions) (Page[FloatingIP], error)
	Get(ctx context.Context, gatewayID, id string) (FloatingIP, error)
	Create(ctx context.Context, spec FloatingIPSpec) (FloatingIP, error)
	Delete(ctx context.Context, gatewayID, id string) error
	Associate(ctx context.Context, id, instanceID string) (FloatingIP, error)
	Disassociate(ctx context.Context, id string) (FloatingIP, error)
}

// Default names of the default-network flow, as CloudBridge's.
const (
	DefaultNetworkLabel = "cloudbridge-net"
	DefaultSubnetLabel  = "cloudbridge-subnet"
	DefaultRouterLabel  = "cloudbridge-router"
	DefaultGatewayName  = "cloudbridge-inetgateway"
	DefaultNetworkCIDR  = "10.0.0.0/16"
	DefaultSubnetCIDR   = "10.0.0.0/24"
)
