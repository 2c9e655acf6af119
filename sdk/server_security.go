package sdk

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// securityServer serves the Security service over a plugin's Security family.
type securityServer struct {
	pb.UnimplementedSecurityServer
	s *Security
}

// ---- key pairs ----

func (s *securityServer) ListKeyPairs(ctx context.Context, req *pb.ListKeyPairsRequest) (*pb.ListKeyPairsResponse, error) {
	if s.s.KeyPairs == nil {
		return nil, Unsupported(CapKeyPairs)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.s.KeyPairs.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListKeyPairsResponse{KeyPairs: convertAll(page.Items, keyPairToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *securityServer) GetKeyPair(ctx context.Context, req *pb.GetKeyPairRequest) (*pb.KeyPair, error) {
	if s.s.KeyPairs == nil {
		return nil, Unsupported(CapKeyPairs)
	}
	kp, err := s.s.KeyPairs.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return keyPairToPB(kp), nil
}

func (s *securityServer) CreateKeyPair(ctx context.Context, req *pb.CreateKeyPairRequest) (*pb.KeyPair, error) {
	if s.s.KeyPairs == nil {
		return nil, Unsupported(CapKeyPairs)
	}
	if err := ValidateName("name", req.GetName()); err != nil {
		return nil, err
	}
	kp, err := s.s.KeyPairs.Create(ctx, KeyPairSpec{
		Name:              req.GetName(),
		PublicKeyMaterial: req.GetPublicKeyMaterial(),
		IdempotencyToken:  req.GetIdempotencyToken(),
	})
	if err != nil {
		return nil, err
	}
	return keyPairToPB(kp), nil
}

func (s *securityServer) DeleteKeyPair(ctx context.Context, req *pb.DeleteKeyPairRequest) (*pb.DeleteKeyPairResponse, error) {
	if s.s.KeyPairs == nil {
		return nil, Unsupported(CapKeyPairs)
	}
	if err := s.s.KeyPairs.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteKeyPairResponse{}, nil
}

func keyPairToPB(kp KeyPair) *pb.KeyPair {
	return &pb.KeyPair{
		Id:          kp.ID,
		Name:        kp.Name,
		Fingerprint: kp.Fingerprint,
		Material:    kp.Material,
		PublicKey:   kp.PublicKey,
		CreateTime:  wire.Timestamp(kp.CreateTime),
		Extra:       wire.CopyMap(kp.Extra),
	}
}

// ---- VM firewalls ----

func (s *securityServer) ListVMFirewalls(ctx context.Context, req *pb.ListVMFirewallsRequest) (*pb.ListVMFirewallsResponse, error) {
	if s.s.VMFirewalls == nil {
		return nil, Unsupported(CapVMFirewalls)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.s.VMFirewalls.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListVMFirewallsResponse{VmFirewalls: convertAll(page.Items, vmFirewallToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *securityServer) GetVMFirewall(ctx context.Context, req *pb.GetVMFirewallRequest) (*pb.VMFirewall, error) {
	if s.s.VMFirewalls == nil {
		return nil, Unsupported(CapVMFirewalls)
	}
	return vmFirewallResult(s.s.VMFirewalls.Get(ctx, req.GetId()))
}

func (s *securityServer) CreateVMFirewall(ctx context.Context, req *pb.CreateVMFirewallRequest) (*pb.VMFirewall, error) {
	if s.s.VMFirewalls == nil {
		return nil, Unsupported(CapVMFirewalls)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	return vmFirewallResult(s.s.VMFirewalls.Create(ctx, VMFirewallSpec{
		Label:            req.GetLabel(),
		NetworkID:        req.GetNetworkId(),
		Description:      req.GetDescription(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *securityServer) UpdateVMFirewall(ctx context.Context, req *pb.UpdateVMFirewallRequest) (*pb.VMFirewall, error) {
	if s.s.VMFirewalls == nil {
		return nil, Unsupported(CapVMFirewalls)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return vmFirewallResult(s.s.VMFirewalls.Update(ctx, req.GetId(), VMFirewallUpdate{Label: req.Label, Description: req.Description}))
}

func (s *securityServer) DeleteVMFirewall(ctx context.Context, req *pb.DeleteVMFirewallRequest) (*pb.DeleteVMFirewallResponse, error) {
	if s.s.VMFirewalls == nil {
		return nil, Unsupported(CapVMFirewalls)
	}
	if err := s.s.VMFirewalls.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteVMFirewallResponse{}, nil
}

func vmFirewallResult(fw VMFirewall, err error) (*pb.VMFirewall, error) {
	if err != nil {
		return nil, err
	}
	return vmFirewallToPB(fw), nil
}

func vmFirewallToPB(fw VMFirewall) *pb.VMFirewall {
	return &pb.VMFirewall{
		Id:          fw.ID,
		Name:        fw.Name,
		Label:       fw.Label,
		Description: fw.Description,
		NetworkId:   fw.NetworkID,
		Extra:       wire.CopyMap(fw.Extra),
	}
}

// ---- VM firewall rules ----

func (s *securityServer) ListVMFirewallRules(ctx context.Context, req *pb.ListVMFirewallRulesRequest) (*pb.ListVMFirewallRulesResponse, error) {
	if s.s.Rules == nil {
		return nil, Unsupported(CapVMFirewallRules)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.s.Rules.List(ctx, req.GetFirewallId(), opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListVMFirewallRulesResponse{Rules: convertAll(page.Items, ruleToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *securityServer) GetVMFirewallRule(ctx context.Context, req *pb.GetVMFirewallRuleRequest) (*pb.VMFirewallRule, error) {
	if s.s.Rules == nil {
		return nil, Unsupported(CapVMFirewallRules)
	}
	r, err := s.s.Rules.Get(ctx, req.GetFirewallId(), req.GetId())
	if err != nil {
		return nil, err
	}
	return ruleToPB(r), nil
}

func (s *securityServer) CreateVMFirewallRule(ctx context.Context, req *pb.CreateVMFirewallRuleRequest) (*pb.VMFirewallRule, error) {
	if s.s.Rules == nil {
		return nil, Unsupported(CapVMFirewallRules)
	}
	direction := directionFromPB(req.GetDirection())
	if direction == "" {
		return nil, InvalidArgument("direction", req.GetDirection(), "must be inbound or outbound")
	}
	if err := ValidatePort("from_port", int(req.GetFromPort())); err != nil {
		return nil, err
	}
	if err := ValidatePort("to_port", int(req.GetToPort())); err != nil {
		return nil, err
	}
	if cidr := req.GetCidr(); cidr != "" {
		if err := ValidateCIDR("cidr", cidr); err != nil {
			return nil, err
		}
	}
	r, err := s.s.Rules.Create(ctx, VMFirewallRuleSpec{
		FirewallID:        req.GetFirewallId(),
		Direction:         direction,
		Protocol:          req.GetProtocol(),
		FromPort:          int(req.GetFromPort()),
		ToPort:            int(req.GetToPort()),
		CIDR:              req.GetCidr(),
		SrcDestFirewallID: req.GetSrcDestFirewallId(),
	})
	if err != nil {
		return nil, err
	}
	return ruleToPB(r), nil
}

func (s *securityServer) DeleteVMFirewallRule(ctx context.Context, req *pb.DeleteVMFirewallRuleRequest) (*pb.DeleteVMFirewallRuleResponse, error) {
	if s.s.Rules == nil {
		return nil, Unsupported(CapVMFirewallRules)
	}
	if err := s.s.Rules.Delete(ctx, req.GetFirewallId(), req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteVMFirewallRuleResponse{}, nil
}

func ruleToPB(r VMFirewallRule) *pb.VMFirewallRule {
	return &pb.VMFirewallRule{
		Id:                r.ID,
		FirewallId:        r.FirewallID,
		Direction:         directionToPB(r.Direction),
		Protocol:          r.Protocol,
		FromPort:          int32(r.FromPort),
		ToPort:            int32(r.ToPort),
		Cidr:              r.CIDR,
		SrcDestFirewallId: r.SrcDestFirewallID,
		Extra:             wire.CopyMap(r.Extra),
	}
}

func directionToPB(d TrafficDirection) pb.TrafficDirection {
	switch d {
	case Inbound:
		return pb.TrafficDirection_TRAFFIC_DIRECTION_INBOUND
	case Outbound:
		return pb.TrafficDirection_TRAFFIC_DIRECTION_OUTBOUND
	}
	return pb.TrafficDirection_TRAFFIC_DIRECTION_UNSPECIFIED
}

// directionFromPB converts a rule's direction; unspecified is "".
func directionFromPB(d pb.TrafficDirection) TrafficDirection {
	switch d {
	case pb.TrafficDirection_TRAFFIC_DIRECTION_INBOUND:
		return Inbound
	case pb.TrafficDirection_TRAFFIC_DIRECTION_OUTBOUND:
		return Outbound
	}
	return ""
}
