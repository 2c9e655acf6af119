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

// gateways implements sdk.Gateways over internet gateways: a VPC has at most
// one, attached to it, as in CloudBridge. Its name is the Name tag.
type gateways struct{ c *Cloud }

// attachedVPC is the VPC an internet gateway is attached to, "" when none.
func attachedVPC(igw ec2types.InternetGateway) string {
	for _, a := range igw.Attachments {
		switch a.State {
		case ec2types.AttachmentStatusAttached, ec2types.AttachmentStatusAttaching, "available":
			return aws.ToString(a.VpcId)
		}
	}
	return ""
}

func gatewayFromEC2(igw ec2types.InternetGateway) sdk.Gateway {
	g := sdk.Gateway{
		ID:        aws.ToString(igw.InternetGatewayId),
		Name:      tagValue(igw.Tags, tagName),
		State:     sdk.GatewayConfiguring,
		NetworkID: attachedVPC(igw),
		Extra:     extraTags(map[string]string{"owner_id": aws.ToString(igw.OwnerId)}, igw.Tags),
	}
	if g.Name == "" {
		g.Name = g.ID
	}
	for _, a := range igw.Attachments {
		g.Extra["attachment_state"] = string(a.State)
		// EC2 reports an attached gateway's attachment as "available".
		if a.State == ec2types.AttachmentStatusAttached || a.State == "available" {
			g.State = sdk.GatewayAvailable
		}
	}
	return g
}

// internetGateway describes one internet gateway; a missing or malformed id
// is NotFound.
func internetGateway(ctx context.Context, cl *clients, id string) (ec2types.InternetGateway, error) {
	if id == "" {
		return ec2types.InternetGateway{}, sdk.NotFound("internet gateway", id)
	}
	out, err := cl.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{id}})
	if err != nil {
		return ec2types.InternetGateway{}, cl.lookupError(err, "internet gateway", id)
	}
	for _, igw := range out.InternetGateways {
		if aws.ToString(igw.InternetGatewayId) == id {
			return igw, nil
		}
	}
	return ec2types.InternetGateway{}, sdk.NotFound("internet gateway", id)
}

// internetGatewayRef describes the gateway a request names as gateway_id.
func internetGatewayRef(ctx context.Context, cl *clients, id string) (ec2types.InternetGateway, error) {
	igw, err := internetGateway(ctx, cl, id)
	if e := (*sdk.Error)(nil); errors.As(err, &e) && e.Code == sdk.CodeNotFound {
		e.Param = "gateway_id"
	}
	return igw, err
}

// vpcGateways lists the internet gateways attached to a VPC (EC2 allows one).
func vpcGateways(ctx context.Context, cl *clients, vpcID string) ([]ec2types.InternetGateway, error) {
	var out []ec2types.InternetGateway
	p := ec2.NewDescribeInternetGatewaysPaginator(cl.ec2, &ec2.DescribeInternetGatewaysInput{
		Filters: []ec2types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{vpcID}}}, MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, cl.mapError(err)
		}
		for _, igw := range page.InternetGateways {
			// The filter is a request; the answer is checked against it.
			if attachedVPC(igw) == vpcID {
				out = append(out, igw)
			}
		}
	}
	return out, nil
}

func (s *gateways) List(ctx context.Context, networkID string, opts sdk.ListOptions) (sdk.Page[sdk.Gateway], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	if _, err := networkRef(ctx, cl, "network_id", networkID); err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	igws, err := vpcGateways(ctx, cl, networkID)
	if err != nil {
		return sdk.Page[sdk.Gateway]{}, err
	}
	var all []sdk.Gateway
	for _, igw := range igws {
		all = append(all, gatewayFromEC2(igw))
	}
	return sdk.Paginate(all, opts, func(g sdk.Gateway) string { return g.ID })
}

// GetOrCreate returns the VPC's internet gateway, or makes one (named
// spec.Name, sdk.DefaultGatewayName when "") and attaches it. It is
// idempotent by nature: a retry finds the gateway the first call attached. A
// gateway that cannot be attached is deleted again, and when another call
// attached one meanwhile, that one is the answer.
func (s *gateways) GetOrCreate(ctx context.Context, spec sdk.GatewaySpec) (sdk.Gateway, error) {
	if spec.Name == "" {
		spec.Name = sdk.DefaultGatewayName
	}
	if err := sdk.ValidateName("name", spec.Name); err != nil {
		return sdk.Gateway{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Gateway{}, err
	}
	if _, err := networkRef(ctx, cl, "network_id", spec.NetworkID); err != nil {
		return sdk.Gateway{}, err
	}
	existing := func() (sdk.Gateway, bool, error) {
		igws, err := vpcGateways(ctx, cl, spec.NetworkID)
		if err != nil || len(igws) == 0 {
			return sdk.Gateway{}, false, err
		}
		return gatewayFromEC2(igws[0]), true, nil
	}
	if g, ok, err := existing(); ok || err != nil {
		return g, err
	}
	out, err := cl.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{
		TagSpecifications: tagSpecs(ec2types.ResourceTypeInternetGateway, spec.Name, "", ""),
	})
	if err != nil {
		return sdk.Gateway{}, wrapf(cl.mapError(err), "create internet gateway %q", spec.Name)
	}
	id := aws.ToString(out.InternetGateway.InternetGatewayId)
	_, err = cl.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(spec.NetworkID)})
	if err != nil {
		attachErr := wrapf(cl.refError(err, "network_id"), "attach internet gateway %s to network %s", id, spec.NetworkID)
		if _, derr := cl.ec2.DeleteInternetGateway(context.WithoutCancel(ctx), &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)}); derr != nil {
			cl.log.Warn("could not delete the internet gateway that failed to attach", "gateway", id, "error", derr)
		}
		if g, ok, err := existing(); ok && err == nil {
			return g, nil
		}
		return sdk.Gateway{}, attachErr
	}
	igw, err := internetGateway(ctx, cl, id)
	if err != nil {
		// Eventual consistency: the attach's success is enough.
		return sdk.Gateway{ID: id, Name: spec.Name, State: sdk.GatewayAvailable, NetworkID: spec.NetworkID, Extra: map[string]string{}}, nil
	}
	return gatewayFromEC2(igw), nil
}

// Delete detaches the internet gateway from its VPC and deletes it. One that
// a router still routes to, or that floating IPs were allocated from, is
// FailedPrecondition, as is one EC2 will not detach while instances of the
// VPC have public addresses (DependencyViolation).
func (s *gateways) Delete(ctx context.Context, networkID, gatewayID string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := networkRef(ctx, cl, "network_id", networkID); err != nil {
		return err
	}
	igw, err := internetGateway(ctx, cl, gatewayID)
	if err != nil {
		return err
	}
	if attachedVPC(igw) != networkID {
		return sdk.NotFound("internet gateway", gatewayID)
	}
	routes, err := cl.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
		Filters: []ec2types.Filter{{Name: aws.String("route.gateway-id"), Values: []string{gatewayID}}},
	})
	if err != nil {
		return cl.mapError(err)
	}
	for _, rt := range routes.RouteTables {
		if gw, _ := gatewayRoute(rt); gw == gatewayID {
			return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: fmt.Sprintf(
				"internet gateway %s is attached to router %s; detach it first", gatewayID, aws.ToString(rt.RouteTableId))}
		}
	}
	fips, err := gatewayAddresses(ctx, cl, gatewayID)
	if err != nil {
		return err
	}
	if len(fips) > 0 {
		return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: fmt.Sprintf(
			"internet gateway %s still has floating IP %s; delete its floating IPs first", gatewayID, aws.ToString(fips[0].AllocationId))}
	}
	_, err = cl.ec2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(gatewayID), VpcId: aws.String(networkID)})
	if err != nil {
		return wrapf(cl.lookupError(err, "internet gateway", gatewayID), "detach internet gateway %s from network %s", gatewayID, networkID)
	}
	_, err = cl.ec2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(gatewayID)})
	if err != nil {
		// Put it back as it was, so that the delete can be tried again.
		if _, aerr := cl.ec2.AttachInternetGateway(context.WithoutCancel(ctx), &ec2.AttachInternetGatewayInput{
			InternetGatewayId: aws.String(gatewayID), VpcId: aws.String(networkID)}); aerr != nil {
			cl.log.Warn("could not attach again the internet gateway that failed to delete", "gateway", gatewayID, "error", aerr)
		}
		return wrapf(cl.lookupError(err, "internet gateway", gatewayID), "delete internet gateway %s", gatewayID)
	}
	return nil
}
