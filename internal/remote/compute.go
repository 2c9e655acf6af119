package remote

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var (
	_ sdk.Regions              = regions{}
	_ sdk.VMTypes              = vmTypes{}
	_ sdk.Images               = images{}
	_ sdk.Instances            = instances{}
	_ sdk.InstanceStartStopper = instances{}
)

// ---- regions ----

type regions struct{ c pb.ComputeClient }

func (r regions) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Region], error) {
	resp, err := r.c.ListRegions(ctx, &pb.ListRegionsRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.Region]{}, Error(err)
	}
	return page(resp.GetRegions(), resp.GetNextPageToken(), regionFromPB), nil
}

func (r regions) Get(ctx context.Context, id string) (sdk.Region, error) {
	return one(regionFromPB)(r.c.GetRegion(ctx, &pb.GetRegionRequest{Id: id}))
}

func regionFromPB(x *pb.Region) sdk.Region {
	return sdk.Region{
		ID:    x.GetId(),
		Name:  x.GetName(),
		Zones: convert(x.GetZones(), zoneFromPB),
		Extra: wire.CopyMap(x.GetExtra()),
	}
}

func zoneFromPB(x *pb.Zone) sdk.Zone {
	return sdk.Zone{ID: x.GetId(), Name: x.GetName(), RegionName: x.GetRegionName(), Available: x.GetAvailable()}
}

// ---- VM types ----

type vmTypes struct{ c pb.ComputeClient }

func (v vmTypes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMType], error) {
	resp, err := v.c.ListVMTypes(ctx, &pb.ListVMTypesRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.VMType]{}, Error(err)
	}
	return page(resp.GetVmTypes(), resp.GetNextPageToken(), vmTypeFromPB), nil
}

func (v vmTypes) Get(ctx context.Context, id string) (sdk.VMType, error) {
	return one(vmTypeFromPB)(v.c.GetVMType(ctx, &pb.GetVMTypeRequest{Id: id}))
}

func vmTypeFromPB(x *pb.VMType) sdk.VMType {
	return sdk.VMType{
		ID:                   x.GetId(),
		Name:                 x.GetName(),
		Family:               x.GetFamily(),
		VCPUs:                int(x.GetVcpus()),
		RAMMiB:               x.GetRamMib(),
		SizeRootDiskGB:       int(x.GetSizeRootDiskGb()),
		SizeEphemeralDisksGB: int(x.GetSizeEphemeralDisksGb()),
		NumEphemeralDisks:    int(x.GetNumEphemeralDisks()),
		Extra:                wire.CopyMap(x.GetExtra()),
	}
}

// ---- images ----

type images struct{ c pb.ComputeClient }

func (m images) List(ctx context.Context, opts sdk.ImageListOptions) (sdk.Page[sdk.Image], error) {
	resp, err := m.c.ListImages(ctx, &pb.ListImagesRequest{
		PageSize:  pageSize(opts.ListOptions),
		PageToken: opts.PageToken,
		OwnedOnly: opts.OwnedOnly,
	})
	if err != nil {
		return sdk.Page[sdk.Image]{}, Error(err)
	}
	return page(resp.GetImages(), resp.GetNextPageToken(), imageFromPB), nil
}

func (m images) Get(ctx context.Context, id string) (sdk.Image, error) {
	return one(imageFromPB)(m.c.GetImage(ctx, &pb.GetImageRequest{Id: id}))
}

func (m images) Create(ctx context.Context, spec sdk.ImageSpec) (sdk.Image, error) {
	return one(imageFromPB)(m.c.CreateImage(ctx, &pb.CreateImageRequest{
		InstanceId:       spec.InstanceID,
		Label:            spec.Label,
		Description:      spec.Description,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (m images) Update(ctx context.Context, id string, u sdk.ImageUpdate) (sdk.Image, error) {
	return one(imageFromPB)(m.c.UpdateImage(ctx, &pb.UpdateImageRequest{Id: id, Label: u.Label, Description: u.Description}))
}

func (m images) Delete(ctx context.Context, id string) error {
	_, err := m.c.DeleteImage(ctx, &pb.DeleteImageRequest{Id: id})
	return Error(err)
}

func imageFromPB(x *pb.Image) sdk.Image {
	return sdk.Image{
		ID:               x.GetId(),
		Name:             x.GetName(),
		Label:            x.GetLabel(),
		Description:      x.GetDescription(),
		State:            imageStateFromPB(x.GetState()),
		MinDiskGB:        int(x.GetMinDiskGb()),
		Owner:            x.GetOwner(),
		Public:           x.GetPublic(),
		SourceInstanceID: x.GetSourceInstanceId(),
		CreateTime:       wire.Time(x.GetCreateTime()),
		Extra:            wire.CopyMap(x.GetExtra()),
	}
}

func imageStateFromPB(s pb.ImageState) sdk.ImageState {
	switch s {
	case pb.ImageState_IMAGE_STATE_PENDING:
		return sdk.ImagePending
	case pb.ImageState_IMAGE_STATE_AVAILABLE:
		return sdk.ImageAvailable
	case pb.ImageState_IMAGE_STATE_ERROR:
		return sdk.ImageError
	}
	return sdk.ImageUnknown
}

// ---- instances ----

type instances struct{ c pb.ComputeClient }

func (n instances) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Instance], error) {
	resp, err := n.c.ListInstances(ctx, &pb.ListInstancesRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.Instance]{}, Error(err)
	}
	return page(resp.GetInstances(), resp.GetNextPageToken(), instanceFromPB), nil
}

func (n instances) Get(ctx context.Context, id string) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.GetInstance(ctx, &pb.GetInstanceRequest{Id: id}))
}

func (n instances) Create(ctx context.Context, spec sdk.InstanceSpec) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.CreateInstance(ctx, &pb.CreateInstanceRequest{
		Label:            spec.Label,
		ImageId:          spec.ImageID,
		VmTypeId:         spec.VMTypeID,
		SubnetId:         spec.SubnetID,
		KeyPairId:        spec.KeyPairID,
		VmFirewallIds:    spec.VMFirewallIDs,
		UserData:         spec.UserData,
		BlockDevices:     convert(spec.BlockDevices, blockDeviceToPB),
		Zone:             spec.Zone,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (n instances) Update(ctx context.Context, id string, u sdk.InstanceUpdate) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.UpdateInstance(ctx, &pb.UpdateInstanceRequest{Id: id, Label: u.Label}))
}

func (n instances) Delete(ctx context.Context, id string) error {
	_, err := n.c.DeleteInstance(ctx, &pb.DeleteInstanceRequest{Id: id})
	return Error(err)
}

func (n instances) Reboot(ctx context.Context, id string) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.RebootInstance(ctx, &pb.RebootInstanceRequest{Id: id}))
}

func (n instances) Start(ctx context.Context, id string) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.StartInstance(ctx, &pb.StartInstanceRequest{Id: id}))
}

func (n instances) Stop(ctx context.Context, id string) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.StopInstance(ctx, &pb.StopInstanceRequest{Id: id}))
}

func (n instances) AddVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.AddInstanceVMFirewall(ctx, &pb.AddInstanceVMFirewallRequest{InstanceId: instanceID, VmFirewallId: firewallID}))
}

func (n instances) RemoveVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return one(instanceFromPB)(n.c.RemoveInstanceVMFirewall(ctx, &pb.RemoveInstanceVMFirewallRequest{InstanceId: instanceID, VmFirewallId: firewallID}))
}

func instanceFromPB(x *pb.Instance) sdk.Instance {
	return sdk.Instance{
		ID:            x.GetId(),
		Name:          x.GetName(),
		Label:         x.GetLabel(),
		State:         instanceStateFromPB(x.GetState()),
		VMTypeID:      x.GetVmTypeId(),
		ImageID:       x.GetImageId(),
		Zone:          x.GetZone(),
		SubnetID:      x.GetSubnetId(),
		PublicIPs:     x.GetPublicIps(),
		PrivateIPs:    x.GetPrivateIps(),
		KeyPairID:     x.GetKeyPairId(),
		VMFirewallIDs: x.GetVmFirewallIds(),
		CreateTime:    wire.Time(x.GetCreateTime()),
		BlockDevices:  convert(x.GetBlockDevices(), blockDeviceFromPB),
		Extra:         wire.CopyMap(x.GetExtra()),
	}
}

func instanceStateFromPB(s pb.InstanceState) sdk.InstanceState {
	switch s {
	case pb.InstanceState_INSTANCE_STATE_PENDING:
		return sdk.InstancePending
	case pb.InstanceState_INSTANCE_STATE_CONFIGURING:
		return sdk.InstanceConfiguring
	case pb.InstanceState_INSTANCE_STATE_RUNNING:
		return sdk.InstanceRunning
	case pb.InstanceState_INSTANCE_STATE_REBOOTING:
		return sdk.InstanceRebooting
	case pb.InstanceState_INSTANCE_STATE_DELETED:
		return sdk.InstanceDeleted
	case pb.InstanceState_INSTANCE_STATE_STOPPED:
		return sdk.InstanceStopped
	case pb.InstanceState_INSTANCE_STATE_ERROR:
		return sdk.InstanceError
	}
	return sdk.InstanceUnknown
}

func blockDeviceToPB(d sdk.BlockDevice) *pb.BlockDevice {
	return &pb.BlockDevice{
		Source:            blockDeviceSourceToPB(d.Source),
		SourceId:          d.SourceID,
		IsRoot:            d.IsRoot,
		SizeGb:            int32Of(d.SizeGB),
		DeleteOnTerminate: d.DeleteOnTerminate,
		Device:            d.Device,
		VolumeId:          d.VolumeID,
	}
}

func blockDeviceFromPB(x *pb.BlockDevice) sdk.BlockDevice {
	return sdk.BlockDevice{
		Source:            blockDeviceSourceFromPB(x.GetSource()),
		SourceID:          x.GetSourceId(),
		IsRoot:            x.GetIsRoot(),
		SizeGB:            int(x.GetSizeGb()),
		DeleteOnTerminate: x.GetDeleteOnTerminate(),
		Device:            x.GetDevice(),
		VolumeID:          x.GetVolumeId(),
	}
}

// blockDeviceSourceToPB maps an unknown source to UNSPECIFIED, which the plugin
// rejects as InvalidArgument.
func blockDeviceSourceToPB(s sdk.BlockDeviceSource) pb.BlockDeviceSource {
	switch s {
	case sdk.SourceBlank:
		return pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_BLANK
	case sdk.SourceVolume:
		return pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_VOLUME
	case sdk.SourceSnapshot:
		return pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_SNAPSHOT
	case sdk.SourceImage:
		return pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_IMAGE
	case sdk.SourceEphemeral:
		return pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_EPHEMERAL
	}
	return pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_UNSPECIFIED
}

func blockDeviceSourceFromPB(s pb.BlockDeviceSource) sdk.BlockDeviceSource {
	switch s {
	case pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_BLANK:
		return sdk.SourceBlank
	case pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_VOLUME:
		return sdk.SourceVolume
	case pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_SNAPSHOT:
		return sdk.SourceSnapshot
	case pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_IMAGE:
		return sdk.SourceImage
	case pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_EPHEMERAL:
		return sdk.SourceEphemeral
	}
	return ""
}
