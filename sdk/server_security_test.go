package sdk

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

type fakeRules struct {
	VMFirewallRules
	created []VMFirewallRuleSpec
}

func (f *fakeRules) Create(_ context.Context, spec VMFirewallRuleSpec) (VMFirewallRule, error) {
	f.created = append(f.created, spec)
	return VMFirewallRule{ID: "r-1", FirewallID: spec.FirewallID, Direction: spec.Direction, Protocol: spec.Protocol,
		FromPort: spec.FromPort, ToPort: spec.ToPort, CIDR: spec.CIDR}, nil
}

func TestSecurity(t *testing.T) {
	rules := &fakeRules{}
	c := serveTest(t, Plugin{Name: "fake", Security: &Security{KeyPairs: fakeKeyPairs{}, Rules: rules}}, true)
	client := pb.NewSecurityClient(c.conn)
	ctx := t.Context()

	kp, err := client.CreateKeyPair(ctx, &pb.CreateKeyPairRequest{Name: "my-key"})
	if err != nil {
		t.Fatal(err)
	}
	if kp.GetMaterial() == "" {
		t.Error("the private key of a generated key pair did not reach the caller")
	}
	r, err := client.CreateVMFirewallRule(ctx, &pb.CreateVMFirewallRuleRequest{
		FirewallId: "fw-1", Direction: pb.TrafficDirection_TRAFFIC_DIRECTION_INBOUND,
		Protocol: "tcp", FromPort: 22, ToPort: 22, Cidr: "0.0.0.0/0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetDirection() != pb.TrafficDirection_TRAFFIC_DIRECTION_INBOUND || rules.created[0].Direction != Inbound {
		t.Errorf("rule = %v, driver got %+v", r, rules.created[0])
	}

	tests := []struct {
		name  string
		call  func() error
		param string
	}{
		{"key pair name", func() error {
			_, err := client.CreateKeyPair(ctx, &pb.CreateKeyPairRequest{Name: "192.168.5.4"})
			return err
		}, "name"},
		{"rule without direction", func() error {
			_, err := client.CreateVMFirewallRule(ctx, &pb.CreateVMFirewallRuleRequest{FirewallId: "fw-1", Protocol: "tcp"})
			return err
		}, "direction"},
		{"rule port", func() error {
			_, err := client.CreateVMFirewallRule(ctx, &pb.CreateVMFirewallRuleRequest{
				FirewallId: "fw-1", Direction: pb.TrafficDirection_TRAFFIC_DIRECTION_OUTBOUND, FromPort: 70000})
			return err
		}, "from_port"},
		{"rule CIDR", func() error {
			_, err := client.CreateVMFirewallRule(ctx, &pb.CreateVMFirewallRuleRequest{
				FirewallId: "fw-1", Direction: pb.TrafficDirection_TRAFFIC_DIRECTION_OUTBOUND, Cidr: "10.1.2.3/8"})
			return err
		}, "cidr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "")
			if got := errorInfo(err).GetMetadata()["param"]; got != tt.param {
				t.Errorf("param = %q, want %q", got, tt.param)
			}
		})
	}
	if len(rules.created) != 1 {
		t.Errorf("driver saw %d rule creates, want 1", len(rules.created))
	}
	_, err = client.ListVMFirewalls(ctx, &pb.ListVMFirewallsRequest{})
	wantStatus(t, err, codes.Unimplemented, "Unsupported", "security.vm_firewalls")
}
