package sdk

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

type fakeVolumes struct {
	Volumes
	vol Volume
}

func (f *fakeVolumes) Get(context.Context, string) (Volume, error) { return f.vol, nil }

func TestVolumeConversion(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		vol  Volume
		want *pb.Volume
	}{
		{
			name: "attached, from a snapshot",
			vol: Volume{
				ID: "vol-1", Label: "data", State: VolumeInUse, SizeGB: 10, Zone: "z1",
				Source:     &ResourceRef{Kind: "snapshot", ID: "snap-1"},
				Attachment: &VolumeAttachment{InstanceID: "i-1", Device: "/dev/sdh"},
				CreateTime: created, VolumeType: "gp3", IOPS: 3000, Extra: map[string]string{"k": "v"},
			},
			want: &pb.Volume{
				Id: "vol-1", Label: "data", State: pb.VolumeState_VOLUME_STATE_IN_USE, SizeGb: 10, Zone: "z1",
				Source:     &pb.ResourceRef{Kind: "snapshot", Id: "snap-1"},
				Attachment: &pb.VolumeAttachment{InstanceId: "i-1", Device: "/dev/sdh"},
				CreateTime: timestamppb.New(created), VolumeType: "gp3", Iops: 3000, Extra: map[string]string{"k": "v"},
			},
		},
		{
			name: "blank, unknown state",
			vol:  Volume{ID: "vol-2", State: "resizing"},
			want: &pb.Volume{Id: "vol-2", State: pb.VolumeState_VOLUME_STATE_UNKNOWN},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serveTest(t, Plugin{Name: "fake", Storage: &Storage{Volumes: &fakeVolumes{vol: tt.vol}}}, true)
			got, err := pb.NewStorageClient(c.conn).GetVolume(t.Context(), &pb.GetVolumeRequest{Id: tt.vol.ID})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("GetVolume = %v, want %v", got, tt.want)
			}
			_, err = pb.NewStorageClient(c.conn).GetSnapshot(t.Context(), &pb.GetSnapshotRequest{Id: "snap-1"})
			wantStatus(t, err, codes.Unimplemented, "Unsupported", "storage.snapshots")
		})
	}
}

type countingInstances struct {
	Instances
	creates int
}

func (c *countingInstances) Create(context.Context, InstanceSpec) (Instance, error) {
	c.creates++
	return Instance{ID: "i-1"}, nil
}

// The server checks a launch config before the driver sees it, whoever the
// caller is.
func TestServerRefusesBadLaunchConfig(t *testing.T) {
	drv := &countingInstances{}
	c := serveTest(t, Plugin{Name: "fake", Compute: &Compute{Instances: drv}}, true)
	client := pb.NewComputeClient(c.conn)
	tests := []struct {
		name    string
		devices []*pb.BlockDevice
		param   string
	}{
		{"unspecified source", []*pb.BlockDevice{{SizeGb: 1}}, "block_devices[0].source"},
		{"blank without size", []*pb.BlockDevice{{Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_BLANK}}, "block_devices[0].size_gb"},
		{"negative size", []*pb.BlockDevice{
			{Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_EPHEMERAL},
			{Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_SNAPSHOT, SourceId: "snap-1", SizeGb: -1},
		}, "block_devices[1].size_gb"},
		{"volume without id", []*pb.BlockDevice{{Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_VOLUME}}, "block_devices[0].source_id"},
		{"two roots", []*pb.BlockDevice{
			{Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_IMAGE, SourceId: "img-1", IsRoot: true},
			{Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_BLANK, SizeGb: 1, IsRoot: true},
		}, "block_devices[1].is_root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.CreateInstance(t.Context(), &pb.CreateInstanceRequest{
				Label: "web-1", ImageId: "img-1", VmTypeId: "small", BlockDevices: tt.devices,
			})
			wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", tt.param)
			if got := errorInfo(err).GetMetadata()["param"]; got != tt.param {
				t.Errorf("param = %q, want %q", got, tt.param)
			}
		})
	}
	if drv.creates != 0 {
		t.Errorf("the driver was called %d times with a bad launch config", drv.creates)
	}
}
