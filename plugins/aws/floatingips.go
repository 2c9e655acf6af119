package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// floatingIPs implements sdk.FloatingIPs over Elastic IP addresses (VPC
// domain), associated with and disassociated from instances. An Elastic IP
// belongs to the account, not to an internet gateway; the contract's
// floating IPs are per gateway, so the gateway one was allocated from is
// kept in its tagGateway tag, and a gateway lists the addresses tagged with
// it. The id is the allocation id.
type floatingIPs struct{ c *Cloud }

// tagGateway holds the internet gateway an Elastic IP was allocated from.
const tagGateway = "cloudbridge-gateway-id"

func floatingIPFromEC2(a ec2types.Address) sdk.FloatingIP {
	f := sdk.FloatingIP{
		ID:         aws.ToString(a.AllocationId),
		Name:       aws.ToString(a.AllocationId),
		State:      sdk.FloatingIPAvailable,
		PublicIP:   aws.ToString(a.PublicIp),
		PrivateIP:  aws.ToString(a.PrivateIpAddress),
		InstanceID: aws.ToString(a.InstanceId),
		GatewayID:  tagValue(a.Tags, tagGateway),
		Extra: extraTags(map[string]string{
			"domain": string(a.Domain), "network_border_group": aws.ToString(a.NetworkBorderGroup),
			"public_ipv4_pool": aws.ToString(a.PublicIpv4Pool),
		}, a.Tags),
	}
	delete(f.Extra, "tag:"+tagGateway)
	if id := aws.ToString(a.AssociationId); id != "" {
		f.Extra["association_id"] = id
		f.Extra["network_interface_id"] = aws.ToString(a.NetworkInterfaceId)
		f.State = sdk.FloatingIPInUse
	}
	if f.InstanceID != "" {
		f.State = sdk.FloatingIPInUse
	}
	if f.State == sdk.FloatingIPAvailable {
		f.PrivateIP = ""
	}
	return f
}

// gatewayAddresses lists the Elastic IPs allocated from a gateway (EC2 does
// not page DescribeAddresses).
func gatewayAddresses(ctx context.Context, cl *clients, gatewayID string) ([]ec2types.Address, error) {
	out, err := cl.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + tagGateway), Values: []string{gatewayID}}},
	})
	if err != nil {
		return nil, cl.mapError(err)
	}
	var as []ec2types.Address
	for _, a := range out.Addresses {
		// The filter is a request; the answer is checked against it.
		if hasTag(a.Tags, tagGateway, gatewayID) {
			as = append(as, a)
		}
	}
	return as, nil
}

// address describes one Elastic IP by allocation id; a missing or malformed
// one is NotFound.
func address(ctx context.Context, cl *clients, id string) (ec2types.Address, error) {
	if id == "" {
		return ec2types.Address{}, sdk.NotFound("floating IP", id)
	}
	out, err := cl.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{id}})
	if err != nil {
		return ec2types.Address{}, cl.lookupError(err, "floating IP", id)
	}
	for _, a := range out.Addresses {
		if aws.ToString(a.AllocationId) == id {
			return a, nil
		}
	}
	return ec2types.Address{}, sdk.NotFound("floating IP", id)
}

func (s *floatingIPs) List(ctx context.Context, gatewayID string, opts sdk.ListOptions) (sdk.Page[sdk.FloatingIP], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	if _, err := internetGatewayRef(ctx, cl, gatewayID); err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	as, err := gatewayAddresses(ctx, cl, gatewayID)
	if err != nil {
		return sdk.Page[sdk.FloatingIP]{}, err
	}
	var all []sdk.FloatingIP
	for _, a := range as {
		all = append(all, floatingIPFromEC2(a))
	}
	return sdk.Paginate(all, opts, func(f sdk.FloatingIP) string { return f.ID })
}

// Get gets a floating IP of the gateway: an Elastic IP allocated from
// another gateway, or by other means, is NotFound here.
func (s *floatingIPs) Get(ctx context.Context, gatewayID, id string) (sdk.FloatingIP, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	a, err := address(ctx, cl, id)
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if !hasTag(a.Tags, tagGateway, gatewayID) {
		if _, err := internetGatewayRef(ctx, cl, gatewayID); err != nil {
			return sdk.FloatingIP{}, err
		}
		return sdk.FloatingIP{}, sdk.NotFound("floating IP", id)
	}
	return floatingIPFromEC2(a), nil
}

// Create allocates an Elastic IP for the gateway's VPC. EC2 has no
// ClientToken for it: a retry finds the address by the idempotency token's
// tag. Running out of addresses is ResourceExhausted (AddressLimitExceeded).
func (s *floatingIPs) Create(ctx context.Context, spec sdk.FloatingIPSpec) (sdk.FloatingIP, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	if _, err := internetGatewayRef(ctx, cl, spec.GatewayID); err != nil {
		return sdk.FloatingIP{}, err
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.FloatingIP{}, cl.mapError(err)
		}
		for _, a := range out.Addresses {
			if hasTag(a.Tags, tagToken, spec.IdempotencyToken) {
				return floatingIPFromEC2(a), nil
			}
		}
	}
	tags := tagSpecs(ec2types.ResourceTypeElasticIp, "", "", spec.IdempotencyToken)
	gatewayTag := ec2types.Tag{Key: aws.String(tagGateway), Value: aws.String(spec.GatewayID)}
	if tags == nil {
		tags = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeElasticIp}}
	}
	tags[0].Tags = append(tags[0].Tags, gatewayTag)
	out, err := cl.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc, TagSpecifications: tags})
	if err != nil {
		return sdk.FloatingIP{}, wrapf(cl.mapError(err), "allocate a floating IP from gateway %s", spec.GatewayID)
	}
	id := aws.ToString(out.AllocationId)
	a, err := address(ctx, cl, id)
	if err != nil {
		// Eventual consistency: the allocation's answer is enough.
		return sdk.FloatingIP{ID: id, Name: id, State: sdk.FloatingIPAvailable, PublicIP: aws.ToString(out.PublicIp),
			GatewayID: spec.GatewayID, Extra: map[string]string{}}, nil
	}
	return floatingIPFromEC2(a), nil
}

// Delete releases an Elastic IP of the gateway. One associated with an
// instance is FailedPrecondition (InvalidIPAddress.InUse).
func (s *floatingIPs) Delete(ctx context.Context, gatewayID, id string) error {
	if _, err := s.Get(ctx, gatewayID, id); err != nil {
		return err
	}
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	_, err = cl.ec2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(id)})
	return cl.lookupError(err, "floating IP", id)
}

// Associate maps the Elastic IP to the instance's primary private address.
// On the instance it is on already it does nothing; on another instance it
// is FailedPrecondition (reassociation is not allowed), as is an instance
// whose VPC has no internet gateway (Gateway.NotAttached) or that is not
// running or stopped.
func (s *floatingIPs) Associate(ctx context.Context, id, instanceID string) (sdk.FloatingIP, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	a, err := address(ctx, cl, id)
	if err != nil {
		return sdk.FloatingIP{}, withParam(err, "id")
	}
	if _, err := instance(ctx, cl, instanceID); err != nil {
		return sdk.FloatingIP{}, withParam(err, "instance_id")
	}
	switch cur := aws.ToString(a.InstanceId); {
	case cur == instanceID:
		return floatingIPFromEC2(a), nil
	case cur != "" || aws.ToString(a.AssociationId) != "":
		return sdk.FloatingIP{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "id", Message: fmt.Sprintf(
			"floating IP %s (%s) is associated with %s; disassociate it first", id, aws.ToString(a.PublicIp), firstNonEmpty(cur, aws.ToString(a.NetworkInterfaceId)))}
	}
	_, err = cl.ec2.AssociateAddress(ctx, &ec2.AssociateAddressInput{
		AllocationId: aws.String(id), InstanceId: aws.String(instanceID), AllowReassociation: aws.Bool(false),
	})
	if err != nil {
		return sdk.FloatingIP{}, wrapf(cl.mapError(err), "associate floating IP %s with instance %s", id, instanceID)
	}
	if a, err = address(ctx, cl, id); err != nil {
		return sdk.FloatingIP{}, err
	}
	return floatingIPFromEC2(a), nil
}

// Disassociate takes the Elastic IP off its instance; one on none is left as
// it is.
func (s *floatingIPs) Disassociate(ctx context.Context, id string) (sdk.FloatingIP, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.FloatingIP{}, err
	}
	a, err := address(ctx, cl, id)
	if err != nil {
		return sdk.FloatingIP{}, withParam(err, "id")
	}
	if aws.ToString(a.AssociationId) == "" {
		return floatingIPFromEC2(a), nil
	}
	_, err = cl.ec2.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: a.AssociationId})
	if err != nil && !isCode(err, "InvalidAssociationID.NotFound") {
		return sdk.FloatingIP{}, wrapf(cl.mapError(err), "disassociate floating IP %s", id)
	}
	if a, err = address(ctx, cl, id); err != nil {
		return sdk.FloatingIP{}, err
	}
	return floatingIPFromEC2(a), nil
}

// withParam names param in a NotFound about a resource the caller named.
func withParam(err error, param string) error {
	if e := (*sdk.Error)(nil); errors.As(err, &e) && e.Code == sdk.CodeNotFound && e.Param == "" {
		e.Param = param
	}
	return err
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
