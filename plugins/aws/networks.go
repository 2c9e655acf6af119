package aws

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ---- networks ----

// networks implements sdk.Networks over VPCs, as CloudBridge does. The label
// is the Name tag.
type networks struct{ c *Cloud }

func vpcState(s ec2types.VpcState) sdk.NetworkState {
	switch s {
	case ec2types.VpcStatePending:
		return sdk.NetworkPending
	case ec2types.VpcStateAvailable:
		return sdk.NetworkAvailable
	}
	return sdk.NetworkUnknown
}

func networkFromEC2(v ec2types.Vpc) sdk.NetworkInfo {
	n := sdk.NetworkInfo{
		ID:        aws.ToString(v.VpcId),
		Name:      aws.ToString(v.VpcId),
		Label:     tagValue(v.Tags, tagName),
		State:     vpcState(v.State),
		CIDRBlock: aws.ToString(v.CidrBlock),
		Extra: extraTags(map[string]string{
			"is_default": strconv.FormatBool(aws.ToBool(v.IsDefault)), "instance_tenancy": string(v.InstanceTenancy),
			"dhcp_options_id": aws.ToString(v.DhcpOptionsId), "owner_id": aws.ToString(v.OwnerId),
		}, v.Tags),
	}
	// A VPC may have more IPv4 ranges than its first; subnets may use any.
	var more []string
	for _, a := range v.CidrBlockAssociationSet {
		if b := aws.ToString(a.CidrBlock); b != n.CIDRBlock && a.CidrBlockState != nil && a.CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated {
			more = append(more, b)
		}
	}
	if len(more) > 0 {
		n.Extra["secondary_cidr_blocks"] = strings.Join(more, ",")
	}
	return n
}

func (s *networks) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.NetworkInfo], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.NetworkInfo]{}, err
	}
	return serverPage(ctx, cl, opts, "DescribeVpcs", 5, 1000, func(n sdk.NetworkInfo) string { return n.ID }, func(ctx context.Context, token string, max int32) ([]sdk.NetworkInfo, string, error) {
		out, err := ec2.NewDescribeVpcsPaginator(cl.ec2, &ec2.DescribeVpcsInput{NextToken: optString(token), MaxResults: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var ns []sdk.NetworkInfo
		for _, v := range out.Vpcs {
			ns = append(ns, networkFromEC2(v))
		}
		return ns, aws.ToString(out.NextToken), nil
	})
}

func (s *networks) Get(ctx context.Context, id string) (sdk.NetworkInfo, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	v, err := vpc(ctx, cl, id)
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	return networkFromEC2(v), nil
}

// vpc describes one VPC; a missing or malformed id is NotFound.
func vpc(ctx context.Context, cl *clients, id string) (ec2types.Vpc, error) {
	if id == "" {
		return ec2types.Vpc{}, sdk.NotFound("network", id)
	}
	out, err := cl.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if err != nil {
		return ec2types.Vpc{}, cl.lookupError(err, "network", id)
	}
	for _, v := range out.Vpcs {
		if aws.ToString(v.VpcId) == id {
			return v, nil
		}
	}
	return ec2types.Vpc{}, sdk.NotFound("network", id)
}

// networkRef describes the VPC a request names in param: NotFound names the
// parameter.
func networkRef(ctx context.Context, cl *clients, param, id string) (ec2types.Vpc, error) {
	v, err := vpc(ctx, cl, id)
	if e := (*sdk.Error)(nil); errors.As(err, &e) && e.Code == sdk.CodeNotFound {
		e.Param = param
	}
	return v, err
}

// awsBlock checks an IPv4 range for a VPC or subnet: a CIDR block without
// host bits, from /16 to /28 as EC2 allows.
func awsBlock(param, cidr string) (netip.Prefix, error) {
	if err := sdk.ValidateCIDR(param, cidr); err != nil {
		return netip.Prefix{}, err
	}
	p := netip.MustParsePrefix(cidr)
	if !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 28 {
		return netip.Prefix{}, sdk.InvalidArgument(param, cidr, "EC2 ranges are IPv4 blocks from /16 to /28")
	}
	return p, nil
}

// Create makes a VPC with the range given (sdk.DefaultNetworkCIDR when
// none). EC2 has no ClientToken for VPCs: a retry finds the VPC by the
// idempotency token's tag.
func (s *networks) Create(ctx context.Context, spec sdk.NetworkSpec) (sdk.NetworkInfo, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.NetworkInfo{}, err
	}
	if spec.CIDRBlock == "" {
		spec.CIDRBlock = sdk.DefaultNetworkCIDR
	}
	if _, err := awsBlock("cidr_block", spec.CIDRBlock); err != nil {
		return sdk.NetworkInfo{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.NetworkInfo{}, cl.mapError(err)
		}
		for _, v := range out.Vpcs {
			if hasTag(v.Tags, tagToken, spec.IdempotencyToken) {
				return networkFromEC2(v), nil
			}
		}
	}
	out, err := cl.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{
		CidrBlock:         aws.String(spec.CIDRBlock),
		TagSpecifications: tagSpecs(ec2types.ResourceTypeVpc, spec.Label, "", spec.IdempotencyToken),
	})
	if err != nil {
		return sdk.NetworkInfo{}, wrapf(rangeError(cl.mapError(err)), "create network %q", spec.Label)
	}
	return networkFromEC2(*out.Vpc), nil
}

// rangeError names cidr_block in EC2's refusals of a range.
func rangeError(err error) error {
	var e *sdk.Error
	if errors.As(err, &e) && e.Param == "" {
		switch e.ProviderCode {
		case "InvalidVpc.Range", "InvalidSubnet.Range", "InvalidSubnet.Conflict", "InvalidVpcRange":
			e.Param = "cidr_block"
		}
	}
	return err
}

func (s *networks) Update(ctx context.Context, id string, u sdk.NetworkUpdate) (sdk.NetworkInfo, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.NetworkInfo{}, err
		}
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.NetworkInfo{}, err
	}
	if _, err := vpc(ctx, cl, id); err != nil {
		return sdk.NetworkInfo{}, err
	}
	if u.Label != nil {
		if err := setTag(ctx, cl, id, tagName, *u.Label); err != nil {
			return sdk.NetworkInfo{}, cl.lookupError(err, "network", id)
		}
	}
	return s.Get(ctx, id)
}

// Delete deletes a VPC. One that still has subnets, an internet gateway,
// security groups or route tables of its own is FailedPrecondition (EC2's
// DependencyViolation).
func (s *networks) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := vpc(ctx, cl, id); err != nil {
		return err
	}
	_, err = cl.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
	if err != nil {
		err = cl.lookupError(err, "network", id)
		if isCode(err, "DependencyViolation") {
			return wrapf(err, "network %s still has subnets, an internet gateway, security groups or routers; delete them first", id)
		}
	}
	return err
}

// ---- subnets ----

// subnets implements sdk.Subnets over VPC subnets, made in the provider's
// zone unless the spec names another. The label is the Name tag.
type subnets struct{ c *Cloud }

func subnetState(s ec2types.SubnetState) sdk.NetworkState {
	switch s {
	case ec2types.SubnetStatePending:
		return sdk.NetworkPending
	case ec2types.SubnetStateAvailable:
		return sdk.NetworkAvailable
	case ec2types.SubnetStateUnavailable:
		return sdk.NetworkDown
	}
	return sdk.NetworkUnknown
}

func subnetFromEC2(s ec2types.Subnet) sdk.Subnet {
	return sdk.Subnet{
		ID:        aws.ToString(s.SubnetId),
		Name:      aws.ToString(s.SubnetId),
		Label:     tagValue(s.Tags, tagName),
		State:     subnetState(s.State),
		NetworkID: aws.ToString(s.VpcId),
		CIDRBlock: aws.ToString(s.CidrBlock),
		Zone:      aws.ToString(s.AvailabilityZone),
		Extra: extraTags(map[string]string{
			"availability_zone_id":       aws.ToString(s.AvailabilityZoneId),
			"available_ip_address_count": strconv.Itoa(int(aws.ToInt32(s.AvailableIpAddressCount))),
			"default_for_az":             strconv.FormatBool(aws.ToBool(s.DefaultForAz)),
			"map_public_ip_on_launch":    strconv.FormatBool(aws.ToBool(s.MapPublicIpOnLaunch)),
			"owner_id":                   aws.ToString(s.OwnerId),
		}, s.Tags),
	}
}

func (s *subnets) List(ctx context.Context, opts sdk.SubnetListOptions) (sdk.Page[sdk.Subnet], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Subnet]{}, err
	}
	var filters []ec2types.Filter
	if opts.NetworkID != "" {
		if opts.PageToken == "" {
			// A network that does not exist has no subnets, but saying so
			// would hide a wrong id.
			if _, err := networkRef(ctx, cl, "network_id", opts.NetworkID); err != nil {
				return sdk.Page[sdk.Subnet]{}, err
			}
		}
		filters = []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{opts.NetworkID}}}
	}
	return serverPage(ctx, cl, opts.ListOptions, "DescribeSubnets vpc-id="+opts.NetworkID, 5, 1000, func(sn sdk.Subnet) string { return sn.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Subnet, string, error) {
		out, err := ec2.NewDescribeSubnetsPaginator(cl.ec2, &ec2.DescribeSubnetsInput{Filters: filters, NextToken: optString(token), MaxResults: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var sns []sdk.Subnet
		for _, sn := range out.Subnets {
			// The filter is a request; the answer is checked against it.
			if opts.NetworkID == "" || aws.ToString(sn.VpcId) == opts.NetworkID {
				sns = append(sns, subnetFromEC2(sn))
			}
		}
		return sns, aws.ToString(out.NextToken), nil
	})
}

func (s *subnets) Get(ctx context.Context, id string) (sdk.Subnet, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Subnet{}, err
	}
	sn, err := subnet(ctx, cl, id)
	if err != nil {
		return sdk.Subnet{}, err
	}
	return subnetFromEC2(sn), nil
}

// subnet describes one subnet; a missing or malformed id is NotFound.
func subnet(ctx context.Context, cl *clients, id string) (ec2types.Subnet, error) {
	if id == "" {
		return ec2types.Subnet{}, sdk.NotFound("subnet", id)
	}
	out, err := cl.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
	if err != nil {
		return ec2types.Subnet{}, cl.lookupError(err, "subnet", id)
	}
	for _, sn := range out.Subnets {
		if aws.ToString(sn.SubnetId) == id {
			return sn, nil
		}
	}
	return ec2types.Subnet{}, sdk.NotFound("subnet", id)
}

// Create makes a subnet in the provider's zone (or spec.Zone). EC2 refuses a
// range outside the VPC's or overlapping another subnet's
// (InvalidSubnet.Range, InvalidSubnet.Conflict): InvalidArgument naming
// cidr_block. A retry finds the subnet by the idempotency token's tag.
func (s *subnets) Create(ctx context.Context, spec sdk.SubnetSpec) (sdk.Subnet, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Subnet{}, err
	}
	if _, err := awsBlock("cidr_block", spec.CIDRBlock); err != nil {
		return sdk.Subnet{}, err
	}
	if spec.NetworkID == "" {
		return sdk.Subnet{}, sdk.InvalidArgument("network_id", "", "required")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Subnet{}, err
	}
	zone := spec.Zone
	if zone == "" {
		zone = cl.zone
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.Subnet{}, cl.mapError(err)
		}
		for _, sn := range out.Subnets {
			if hasTag(sn.Tags, tagToken, spec.IdempotencyToken) {
				return subnetFromEC2(sn), nil
			}
		}
	}
	out, err := cl.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
		VpcId: aws.String(spec.NetworkID), CidrBlock: aws.String(spec.CIDRBlock), AvailabilityZone: aws.String(zone),
		TagSpecifications: tagSpecs(ec2types.ResourceTypeSubnet, spec.Label, "", spec.IdempotencyToken),
	})
	if err != nil {
		err = rangeError(cl.refError(err, "network_id"))
		if e := (*sdk.Error)(nil); errors.As(err, &e) && e.Param == "" && e.Code == sdk.CodeInvalidArgument &&
			strings.Contains(strings.ToLower(e.Message), "availabilityzone") {
			e.Param = "zone"
		}
		return sdk.Subnet{}, wrapf(err, "create subnet %s in network %s, zone %s", spec.CIDRBlock, spec.NetworkID, zone)
	}
	return subnetFromEC2(*out.Subnet), nil
}

func (s *subnets) Update(ctx context.Context, id string, u sdk.SubnetUpdate) (sdk.Subnet, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Subnet{}, err
		}
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Subnet{}, err
	}
	if _, err := subnet(ctx, cl, id); err != nil {
		return sdk.Subnet{}, err
	}
	if u.Label != nil {
		if err := setTag(ctx, cl, id, tagName, *u.Label); err != nil {
			return sdk.Subnet{}, cl.lookupError(err, "subnet", id)
		}
	}
	return s.Get(ctx, id)
}

// Delete deletes a subnet. One with instances (network interfaces) in it is
// FailedPrecondition (DependencyViolation).
func (s *subnets) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := subnet(ctx, cl, id); err != nil {
		return err
	}
	_, err = cl.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
	if err != nil {
		err = cl.lookupError(err, "subnet", id)
		if isCode(err, "DependencyViolation") {
			return wrapf(err, "subnet %s still has instances or network interfaces; delete them first", id)
		}
	}
	return err
}
