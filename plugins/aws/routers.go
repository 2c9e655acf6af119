package aws

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// routers implements sdk.Routers over VPC route tables, as CloudBridge does:
// attaching a subnet associates it with the route table, and attaching an
// internet gateway adds the default route (0.0.0.0/0) to it. A router is
// "attached" while it has a subnet or that route. The label is the Name tag.
type routers struct{ c *Cloud }

// defaultRoute is the destination of the route to an internet gateway.
const defaultRoute = "0.0.0.0/0"

func routerFromEC2(rt ec2types.RouteTable) sdk.Router {
	r := sdk.Router{
		ID:        aws.ToString(rt.RouteTableId),
		Name:      aws.ToString(rt.RouteTableId),
		Label:     tagValue(rt.Tags, tagName),
		NetworkID: aws.ToString(rt.VpcId),
		Extra:     extraTags(map[string]string{"main": "false", "owner_id": aws.ToString(rt.OwnerId)}, rt.Tags),
	}
	for _, a := range rt.Associations {
		if aws.ToBool(a.Main) {
			r.Extra["main"] = "true"
		}
		if a.AssociationState != nil && a.AssociationState.State != ec2types.RouteTableAssociationStateCodeAssociated &&
			a.AssociationState.State != ec2types.RouteTableAssociationStateCodeAssociating {
			continue
		}
		if sn := aws.ToString(a.SubnetId); sn != "" && !slices.Contains(r.SubnetIDs, sn) {
			r.SubnetIDs = append(r.SubnetIDs, sn)
		}
	}
	slices.Sort(r.SubnetIDs)
	if gw, state := gatewayRoute(rt); gw != "" {
		if state == ec2types.RouteStateBlackhole {
			// The gateway is gone: the route leads nowhere.
			r.Extra["blackhole_gateway_id"] = gw
		} else {
			r.GatewayID = gw
		}
	}
	r.Extra["routes"] = strconv.Itoa(len(rt.Routes))
	r.State = sdk.RouterDetached
	if len(r.SubnetIDs) > 0 || r.GatewayID != "" {
		r.State = sdk.RouterAttached
	}
	return r
}

// gatewayRoute returns the internet gateway the default route leads to, and
// the route's state; "" when there is none.
func gatewayRoute(rt ec2types.RouteTable) (string, ec2types.RouteState) {
	for _, route := range rt.Routes {
		if aws.ToString(route.DestinationCidrBlock) == defaultRoute && strings.HasPrefix(aws.ToString(route.GatewayId), "igw-") {
			return aws.ToString(route.GatewayId), route.State
		}
	}
	return "", ""
}

// defaultRouteTarget says where the default route leads, whatever it leads
// to (a gateway, a NAT gateway, an instance...); "" when there is none.
func defaultRouteTarget(rt ec2types.RouteTable) string {
	for _, route := range rt.Routes {
		if aws.ToString(route.DestinationCidrBlock) != defaultRoute {
			continue
		}
		for _, t := range []*string{route.GatewayId, route.NatGatewayId, route.InstanceId, route.NetworkInterfaceId,
			route.TransitGatewayId, route.VpcPeeringConnectionId, route.EgressOnlyInternetGatewayId, route.LocalGatewayId} {
			if v := aws.ToString(t); v != "" {
				return v
			}
		}
		return "another target"
	}
	return ""
}

func (s *routers) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Router], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Router]{}, err
	}
	return serverPage(ctx, cl, opts, "DescribeRouteTables", 5, 100, func(r sdk.Router) string { return r.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Router, string, error) {
		out, err := ec2.NewDescribeRouteTablesPaginator(cl.ec2, &ec2.DescribeRouteTablesInput{NextToken: optString(token), MaxResults: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var rs []sdk.Router
		for _, rt := range out.RouteTables {
			rs = append(rs, routerFromEC2(rt))
		}
		return rs, aws.ToString(out.NextToken), nil
	})
}

func (s *routers) Get(ctx context.Context, id string) (sdk.Router, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	rt, err := routeTable(ctx, cl, id)
	if err != nil {
		return sdk.Router{}, err
	}
	return routerFromEC2(rt), nil
}

// routeTable describes one route table; a missing or malformed id is
// NotFound.
func routeTable(ctx context.Context, cl *clients, id string) (ec2types.RouteTable, error) {
	if id == "" {
		return ec2types.RouteTable{}, sdk.NotFound("router", id)
	}
	out, err := cl.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if err != nil {
		return ec2types.RouteTable{}, cl.lookupError(err, "router", id)
	}
	for _, rt := range out.RouteTables {
		if aws.ToString(rt.RouteTableId) == id {
			return rt, nil
		}
	}
	return ec2types.RouteTable{}, sdk.NotFound("router", id)
}

// Create makes a route table in a VPC. A retry finds it by the idempotency
// token's tag; EC2's ClientToken guards the create itself.
func (s *routers) Create(ctx context.Context, spec sdk.RouterSpec) (sdk.Router, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Router{}, err
	}
	if spec.NetworkID == "" {
		return sdk.Router{}, sdk.InvalidArgument("network_id", "", "required")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	if _, err := networkRef(ctx, cl, "network_id", spec.NetworkID); err != nil {
		return sdk.Router{}, err
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.Router{}, cl.mapError(err)
		}
		for _, rt := range out.RouteTables {
			if hasTag(rt.Tags, tagToken, spec.IdempotencyToken) {
				return routerFromEC2(rt), nil
			}
		}
	}
	out, err := cl.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{
		VpcId: aws.String(spec.NetworkID), ClientToken: clientToken(spec.IdempotencyToken),
		TagSpecifications: tagSpecs(ec2types.ResourceTypeRouteTable, spec.Label, "", spec.IdempotencyToken),
	})
	if err != nil {
		return sdk.Router{}, wrapf(idempotencyError(cl.refError(err, "network_id")), "create router %q", spec.Label)
	}
	return routerFromEC2(*out.RouteTable), nil
}

func (s *routers) Update(ctx context.Context, id string, u sdk.RouterUpdate) (sdk.Router, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Router{}, err
		}
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	if _, err := routeTable(ctx, cl, id); err != nil {
		return sdk.Router{}, err
	}
	if u.Label != nil {
		if err := setTag(ctx, cl, id, tagName, *u.Label); err != nil {
			return sdk.Router{}, cl.lookupError(err, "router", id)
		}
	}
	return s.Get(ctx, id)
}

// Delete deletes a route table. One with subnets, or a VPC's main one, is
// FailedPrecondition (EC2's DependencyViolation): detach its subnets first.
func (s *routers) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	rt, err := routeTable(ctx, cl, id)
	if err != nil {
		return err
	}
	_, err = cl.ec2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
	if err != nil {
		err = cl.lookupError(err, "router", id)
		if isCode(err, "DependencyViolation") {
			r := routerFromEC2(rt)
			what := fmt.Sprintf("still has subnets %v; detach them first", r.SubnetIDs)
			if r.Extra["main"] == "true" {
				what = "is the main route table of network " + r.NetworkID + ", which goes with the network"
			}
			return wrapf(err, "router %s %s", id, what)
		}
	}
	return err
}

// AttachSubnet associates a subnet of the router's VPC with it. A subnet it
// has already is fine; one associated with another route table is
// FailedPrecondition (Resource.AlreadyAssociated).
func (s *routers) AttachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	rt, err := routeTable(ctx, cl, routerID)
	if err != nil {
		return sdk.Router{}, err
	}
	sn, err := subnetRef(ctx, cl, subnetID)
	if err != nil {
		return sdk.Router{}, err
	}
	if aws.ToString(sn.VpcId) != aws.ToString(rt.VpcId) {
		return sdk.Router{}, sdk.InvalidArgument("subnet_id", subnetID,
			fmt.Sprintf("subnet is in network %s, router %s in network %s", aws.ToString(sn.VpcId), routerID, aws.ToString(rt.VpcId)))
	}
	if slices.Contains(routerFromEC2(rt).SubnetIDs, subnetID) {
		return routerFromEC2(rt), nil
	}
	_, err = cl.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(routerID), SubnetId: aws.String(subnetID)})
	if err != nil {
		return sdk.Router{}, wrapf(cl.lookupError(err, "router", routerID), "attach subnet %s to router %s", subnetID, routerID)
	}
	return s.Get(ctx, routerID)
}

// subnetRef describes the subnet a request names as subnet_id.
func subnetRef(ctx context.Context, cl *clients, id string) (ec2types.Subnet, error) {
	sn, err := subnet(ctx, cl, id)
	if e, ok := err.(*sdk.Error); ok && e.Code == sdk.CodeNotFound {
		e.Param = "subnet_id"
	}
	return sn, err
}

// DetachSubnet ends a subnet's association with the router (the subnet goes
// back to its VPC's main route table). A subnet that is not attached is left
// as it is.
func (s *routers) DetachSubnet(ctx context.Context, routerID, subnetID string) (sdk.Router, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	rt, err := routeTable(ctx, cl, routerID)
	if err != nil {
		return sdk.Router{}, err
	}
	for _, a := range rt.Associations {
		if aws.ToString(a.SubnetId) != subnetID || subnetID == "" {
			continue
		}
		_, err := cl.ec2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId})
		if err != nil && !isCode(err, "InvalidAssociationID.NotFound") {
			return sdk.Router{}, wrapf(cl.mapError(err), "detach subnet %s from router %s", subnetID, routerID)
		}
		return s.Get(ctx, routerID)
	}
	if _, err := subnetRef(ctx, cl, subnetID); err != nil {
		return sdk.Router{}, err
	}
	return routerFromEC2(rt), nil
}

// AttachGateway adds the default route to an internet gateway attached to the
// router's VPC. The route to that gateway there already is fine; a default
// route to anything else is FailedPrecondition.
func (s *routers) AttachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	rt, err := routeTable(ctx, cl, routerID)
	if err != nil {
		return sdk.Router{}, err
	}
	igw, err := internetGatewayRef(ctx, cl, gatewayID)
	if err != nil {
		return sdk.Router{}, err
	}
	if vpcID := aws.ToString(rt.VpcId); attachedVPC(igw) != vpcID {
		return sdk.Router{}, sdk.InvalidArgument("gateway_id", gatewayID,
			fmt.Sprintf("the gateway is not attached to network %s of router %s", vpcID, routerID))
	}
	switch target := defaultRouteTarget(rt); {
	case target == gatewayID:
		return routerFromEC2(rt), nil
	case target != "":
		return sdk.Router{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "gateway_id",
			Message: fmt.Sprintf("router %s already routes %s to %s; detach it first", routerID, defaultRoute, target)}
	}
	_, err = cl.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{
		RouteTableId: aws.String(routerID), DestinationCidrBlock: aws.String(defaultRoute), GatewayId: aws.String(gatewayID),
	})
	if err != nil {
		return sdk.Router{}, wrapf(cl.mapError(err), "route %s of router %s to gateway %s", defaultRoute, routerID, gatewayID)
	}
	return s.Get(ctx, routerID)
}

// DetachGateway deletes the router's default route to the gateway. A gateway
// the router does not route to is left as it is.
func (s *routers) DetachGateway(ctx context.Context, routerID, gatewayID string) (sdk.Router, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Router{}, err
	}
	rt, err := routeTable(ctx, cl, routerID)
	if err != nil {
		return sdk.Router{}, err
	}
	if gw, _ := gatewayRoute(rt); gw == "" || gw != gatewayID {
		if _, err := internetGatewayRef(ctx, cl, gatewayID); err != nil {
			return sdk.Router{}, err
		}
		return routerFromEC2(rt), nil
	}
	_, err = cl.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String(routerID), DestinationCidrBlock: aws.String(defaultRoute)})
	if err != nil && !isCode(err, "InvalidRoute.NotFound") {
		return sdk.Router{}, wrapf(cl.mapError(err), "delete route %s of router %s", defaultRoute, routerID)
	}
	return s.Get(ctx, routerID)
}
