package remote

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var (
	_ sdk.KeyPairs        = keyPairs{}
	_ sdk.VMFirewalls     = vmFirewalls{}
	_ sdk.VMFirewallRules = vmFirewallRules{}
)

// ---- key pairs ----

type keyPairs struct{ c pb.SecurityClient }

func (s keyPairs) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.KeyPair], error) {
	resp, err := s.c.ListKeyPairs(ctx, &pb.ListKeyPairsRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, Error(err)
	}
	return page(resp.GetKeyPairs(), resp.GetNextPageToken(), keyPairFromPB), nil
}

func (s keyPairs) Get(ctx context.Context, id string) (sdk.KeyPair, error) {
	return one(keyPairFromPB)(s.c.GetKeyPair(ctx, &pb.GetKeyPairRequest{Id: id}))
}

func (s keyPairs) Create(ctx context.Context, spec sdk.KeyPairSpec) (sdk.KeyPair, error) {
	return one(keyPairFromPB)(s.c.CreateKeyPair(ctx, &pb.CreateKeyPairRequest{
		Name:              spec.Name,
		PublicKeyMaterial: spec.PublicKeyMaterial,
		IdempotencyToken:  spec.IdempotencyToken,
	}))
}

func (s keyPairs) Delete(ctx context.Context, id string) error {
	_, err := s.c.DeleteKeyPair(ctx, &pb.DeleteKeyPairRequest{Id: id})
	return Error(err)
}

func keyPairFromPB(x *pb.KeyPair) sdk.KeyPair {
	return sdk.KeyPair{
		ID:          x.GetId(),
		Name:        x.GetName(),
		Fingerprint: x.GetFingerprint(),
		Material:    x.GetMaterial(),
		PublicKey:   x.GetPublicKey(),
		CreateTime:  wire.Time(x.GetCreateTime()),
		Extra:       wire.CopyMap(x.GetExtra()),
	}
}

// ---- VM firewalls ----

type vmFirewalls struct{ c pb.SecurityClient }

func (s vmFirewalls) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewall], error) {
	resp, err := s.c.ListVMFirewalls(ctx, &pb.ListVMFirewallsRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.VMFirewall]{}, Error(err)
	}
	return page(resp.GetVmFirewalls(), resp.GetNextPageToken(), vmFirewallFromPB), nil
}

func (s vmFirewalls) Get(ctx context.Context, id string) (sdk.VMFirewall, error) {
	return one(vmFirewallFromPB)(s.c.GetVMFirewall(ctx, &pb.GetVMFirewallRequest{Id: id}))
}

func (s vmFirewalls) Create(ctx context.Context, spec sdk.VMFirewallSpec) (sdk.VMFirewall, error) {
	return one(vmFirewallFromPB)(s.c.CreateVMFirewall(ctx, &pb.CreateVMFirewallRequest{
		Label:            spec.Label,
		NetworkId:        spec.NetworkID,
		Description:      spec.Description,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (s vmFirewalls) Update(ctx context.Context, id string, u sdk.VMFirewallUpdate) (sdk.VMFirewall, error) {
	return one(vmFirewallFromPB)(s.c.UpdateVMFirewall(ctx, &pb.UpdateVMFirewallRequest{Id: id, Label: u.Label, Description: u.Description}))
}

func (s vmFirewalls) Delete(ctx context.Context, id string) error {
	_, err := s.c.DeleteVMFirewall(ctx, &pb.DeleteVMFirewallRequest{Id: id})
	return Error(err)
}

func vmFirewallFromPB(x *pb.VMFirewall) sdk.VMFirewall {
	return sdk.VMFirewall{
		ID:          x.GetId(),
		Name:        x.GetName(),
		Label:       x.GetLabel(),
		Description: x.GetDescription(),
		NetworkID:   x.GetNetworkId(),
		Extra:       wire.CopyMap(x.GetExtra()),
	}
}

// ---- VM firewall rules ----

type vmFirewallRules struct{ c pb.SecurityClient }

func (s vmFirewallRules) List(ctx context.Context, firewallID string, opts sdk.ListOptions) (sdk.Page[sdk.VMFirewallRule], error) {
	resp, err := s.c.ListVMFirewallRules(ctx, &pb.ListVMFirewallRulesRequest{
		FirewallId: firewallID,
		PageSize:   pageSize(opts),
		PageToken:  opts.PageToken,
	})
	if err != nil {
		return sdk.Page[sdk.VMFirewallRule]{}, Error(err)
	}
	return page(resp.GetRules(), resp.GetNextPageToken(), vmFirewallRuleFromPB), nil
}

func (s vmFirewallRules) Get(ctx context.Context, firewallID, id string) (sdk.VMFirewallRule, error) {
	return one(vmFirewallRuleFromPB)(s.c.GetVMFirewallRule(ctx, &pb.GetVMFirewallRuleRequest{FirewallId: firewallID, Id: id}))
}

func (s vmFirewallRules) Create(ctx context.Context, spec sdk.VMFirewallRuleSpec) (sdk.VMFirewallRule, error) {
	return one(vmFirewallRuleFromPB)(s.c.CreateVMFirewallRule(ctx, &pb.CreateVMFirewallRuleRequest{
		FirewallId:        spec.FirewallID,
		Direction:         trafficDirectionToPB(spec.Direction),
		Protocol:          spec.Protocol,
		FromPort:          int32Of(spec.FromPort),
		ToPort:            int32Of(spec.ToPort),
		Cidr:              spec.CIDR,
		SrcDestFirewallId: spec.SrcDestFirewallID,
	}))
}

func (s vmFirewallRules) Delete(ctx context.Context, firewallID, id string) error {
	_, err := s.c.DeleteVMFirewallRule(ctx, &pb.DeleteVMFirewallRuleRequest{FirewallId: firewallID, Id: id})
	return Error(err)
}

func vmFirewallRuleFromPB(x *pb.VMFirewallRule) sdk.VMFirewallRule {
	return sdk.VMFirewallRule{
		ID:                x.GetId(),
		FirewallID:        x.GetFirewallId(),
		Direction:         trafficDirectionFromPB(x.GetDirection()),
		Protocol:          x.GetProtocol(),
		FromPort:          int(x.GetFromPort()),
		ToPort:            int(x.GetToPort()),
		CIDR:              x.GetCidr(),
		SrcDestFirewallID: x.GetSrcDestFirewallId(),
		Extra:             wire.CopyMap(x.GetExtra()),
	}
}

// trafficDirectionToPB maps an unknown direction to UNSPECIFIED, which the plugin
// rejects as InvalidArgument.
func trafficDirectionToPB(d sdk.TrafficDirection) pb.TrafficDirection {
	switch d {
	case sdk.Inbound:
		return pb.TrafficDirection_TRAFFIC_DIRECTION_INBOUND
	case sdk.Outbound:
		return pb.TrafficDirection_TRAFFIC_DIRECTION_OUTBOUND
	}
	return pb.TrafficDirection_TRAFFIC_DIRECTION_UNSPECIFIED
}

func trafficDirectionFromPB(d pb.TrafficDirection) sdk.TrafficDirection {
	switch d {
	case pb.TrafficDirection_TRAFFIC_DIRECTION_INBOUND:
		return sdk.Inbound
	case pb.TrafficDirection_TRAFFIC_DIRECTION_OUTBOUND:
		return sdk.Outbound
	}
	return ""
}
