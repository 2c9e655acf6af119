package sdk

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

type fakeNetworks struct {
	Networks
	created []NetworkSpec
}

func (f *fakeNetworks) Create(_ context.Context, spec NetworkSpec) (NetworkInfo, error) {
	f.created = append(f.created, spec)
	return NetworkInfo{ID: "net-1", Label: spec.Label, CIDRBlock: spec.CIDRBlock, State: NetworkPending}, nil
}

func (f *fakeNetworks) Get(_ context.Context, id string) (NetworkInfo, error) {
	return NetworkInfo{ID: id, State: "melting"}, nil
}

type fakeSubnets struct {
	Subnets
	created []SubnetSpec
}

func (f *fakeSubnets) Create(_ context.Context, spec SubnetSpec) (Subnet, error) {
	f.created = append(f.created, spec)
	return Subnet{ID: "sn-1", State: NetworkAvailable}, nil
}

func TestNetworkValidationAndStates(t *testing.T) {
	nets, subnets := &fakeNetworks{}, &fakeSubnets{}
	c := serveTest(t, Plugin{Name: "fake", Network: &Network{Networks: nets, Subnets: subnets}}, true)
	client := pb.NewNetworkClient(c.conn)
	ctx := t.Context()

	n, err := client.CreateNetwork(ctx, &pb.CreateNetworkRequest{Label: "my-net", CidrBlock: "10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	if n.GetState() != pb.NetworkState_NETWORK_STATE_PENDING || n.GetCidrBlock() != "10.0.0.0/16" {
		t.Errorf("CreateNetwork = %v", n)
	}
	// Neutron-style networks have no range: "" passes.
	if _, err := client.CreateNetwork(ctx, &pb.CreateNetworkRequest{Label: "my-net"}); err != nil {
		t.Errorf("network without a CIDR: %v", err)
	}
	// A state the contract does not know is UNKNOWN, not an error.
	if n, err := client.GetNetwork(ctx, &pb.GetNetworkRequest{Id: "net-1"}); err != nil || n.GetState() != pb.NetworkState_NETWORK_STATE_UNKNOWN {
		t.Errorf("GetNetwork = %v, %v; want state UNKNOWN", n, err)
	}
	if s, err := client.CreateSubnet(ctx, &pb.CreateSubnetRequest{Label: "my-sn", NetworkId: "net-1", CidrBlock: "10.0.1.0/24"}); err != nil ||
		s.GetState() != pb.NetworkState_NETWORK_STATE_AVAILABLE {
		t.Errorf("CreateSubnet = %v, %v", s, err)
	}

	tests := []struct {
		name  string
		call  func() error
		param string
	}{
		{"network label", func() error {
			_, err := client.CreateNetwork(ctx, &pb.CreateNetworkRequest{Label: "-net"})
			return err
		}, "label"},
		{"network CIDR host bits", func() error {
			_, err := client.CreateNetwork(ctx, &pb.CreateNetworkRequest{Label: "my-net", CidrBlock: "10.0.0.1/16"})
			return err
		}, "cidr_block"},
		{"subnet without CIDR", func() error {
			_, err := client.CreateSubnet(ctx, &pb.CreateSubnetRequest{Label: "my-sn", NetworkId: "net-1"})
			return err
		}, "cidr_block"},
		{"update label", func() error {
			bad := "UPPER"
			_, err := client.UpdateSubnet(ctx, &pb.UpdateSubnetRequest{Id: "sn-1", Label: &bad})
			return err
		}, "label"},
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
	if len(nets.created) != 2 || len(subnets.created) != 1 {
		t.Errorf("driver saw %d network and %d subnet creates, want 2 and 1", len(nets.created), len(subnets.created))
	}

	_, err = client.ListRouters(ctx, &pb.ListRoutersRequest{})
	wantStatus(t, err, codes.Unimplemented, "Unsupported", "network.routers")
}
