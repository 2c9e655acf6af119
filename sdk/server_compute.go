package sdk

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// computeServer serves the Compute service over a plugin's Compute family.
type computeServer struct {
	pb.UnimplementedComputeServer
	c *Compute
}

// ---- regions ----

func (s *computeServer) ListRegions(ctx context.Context, req *pb.ListRegionsRequest) (*pb.ListRegionsResponse, error) {
	if s.c.Regions == nil {
		return nil, Unsupported(CapRegions)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.c.Regions.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListRegionsResponse{Regions: convertAll(page.Items, regionToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *computeServer) GetRegion(ctx context.Context, req *pb.GetRegionRequest) (*pb.Region, error) {
	if s.c.Regions == nil {
		return nil, Unsupported(CapRegions)
	}
	r, err := s.c.Regions.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return regionToPB(r), nil
}

func regionToPB(r Region) *pb.Region {
	out := &pb.Region{Id: r.ID, Name: r.Name, Extra: wire.CopyMap(r.Extra)}
	for _, z := range r.Zones {
		out.Zones = append(out.Zones, &pb.Zone{Id: z.ID, Name: z.Name, RegionName: z.RegionName, Available: z.Available})
	}
	return out
}

// ---- VM types ----

func (s *computeServer) ListVMTypes(ctx context.Context, req *pb.ListVMTypesRequest) (*pb.ListVMTypesResponse, error) {
	if s.c.VMTypes == nil {
		return nil, Unsupported(CapVMTypes)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.c.VMTypes.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListVMTypesResponse{VmTypes: convertAll(page.Items, vmTypeToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *computeServer) GetVMType(ctx context.Context, req *pb.GetVMTypeRequest) (*pb.VMType, error) {
	if s.c.VMTypes == nil {
		return nil, Unsupported(CapVMTypes)
	}
	t, err := s.c.VMTypes.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return vmTypeToPB(t), nil
}

func vmTypeToPB(t VMType) *pb.VMType {
	return &pb.VMType{
		Id:                   t.ID,
		Name:                 t.Name,
		Family:               t.Family,
		Vcpus:                int32(t.VCPUs),
		RamMib:               t.RAMMiB,
		SizeRootDiskGb:       int32(t.SizeRootDiskGB),
		SizeEphemeralDisksGb: int32(t.SizeEphemeralDisksGB),
		NumEphemeralDisks:    int32(t.NumEphemeralDisks),
		Extra:                wire.CopyMap(t.Extra),
	}
}

// ---- images ----

func (s *computeServer) ListImages(ctx context.Context, req *pb.ListImagesRequest) (*pb.ListImagesResponse, error) {
	if s.c.Images == nil {
		return nil, Unsupported(CapImages)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.c.Images.List(ctx, ImageListOptions{ListOptions: opts, OwnedOnly: req.GetOwnedOnly()})
	if err != nil {
		return nil, err
	}
	return &pb.ListImagesResponse{Images: convertAll(page.Items, imageToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *computeServer) GetImage(ctx context.Context, req *pb.GetImageRequest) (*pb.Image, error) {
	if s.c.Images == nil {
		return nil, Unsupported(CapImages)
	}
	img, err := s.c.Images.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return imageToPB(img), nil
}

func (s *computeServer) CreateImage(ctx context.Context, req *pb.CreateImageRequest) (*pb.Image, error) {
	if s.c.Images == nil {
		return nil, Unsupported(CapImages)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	img, err := s.c.Images.Create(ctx, ImageSpec{
		InstanceID:       req.GetInstanceId(),
		Label:            req.GetLabel(),
		Description:      req.GetDescription(),
		IdempotencyToken: req.GetIdempotencyToken(),
	})
	if err != nil {
		return nil, err
	}
	return imageToPB(img), nil
}

func (s *computeServer) UpdateImage(ctx context.Context, req *pb.UpdateImageRequest) (*pb.Image, error) {
	if s.c.Images == nil {
		return nil, Unsupported(CapImages)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	img, err := s.c.Images.Update(ctx, req.GetId(), ImageUpdate{Label: req.Label, Description: req.Description})
	if err != nil {
		return nil, err
	}
	return imageToPB(img), nil
}

func (s *computeServer) DeleteImage(ctx context.Context, req *pb.DeleteImageRequest) (*pb.DeleteImageResponse, error) {
	if s.c.Images == nil {
		return nil, Unsupported(CapImages)
	}
	if err := s.c.Images.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteImageResponse{}, nil
}

var imageStates = map[ImageState]pb.ImageState{
	ImagePending:   pb.ImageState_IMAGE_STATE_PENDING,
	ImageAvailable: pb.ImageState_IMAGE_STATE_AVAILABLE,
	ImageError:     pb.ImageState_IMAGE_STATE_ERROR,
}

func imageToPB(img Image) *pb.Image {
	return &pb.Image{
		Id:               img.ID,
		Name:             img.Name,
		Label:            img.Label,
		Description:      img.Description,
		State:            imageStates[img.State], // an unknown state is IMAGE_STATE_UNKNOWN
		MinDiskGb:        int32(img.MinDiskGB),
		Owner:            img.Owner,
		Public:           img.Public,
		SourceInstanceId: img.SourceInstanceID,
		CreateTime:       wire.Timestamp(img.CreateTime),
		Extra:            wire.CopyMap(img.Extra),
	}
}

// ---- instances ----

func (s *computeServer) ListInstances(ctx context.Context, req *pb.ListInstancesRequest) (*pb.ListInstancesResponse, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.c.Instances.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListInstancesResponse{Instances: convertAll(page.Items, instanceToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *computeServer) GetInstance(ctx context.Context, req *pb.GetInstanceRequest) (*pb.Instance, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	return instanceResult(s.c.Instances.Get(ctx, req.GetId()))
}

func (s *computeServer) CreateInstance(ctx context.Context, req *pb.CreateInstanceRequest) (*pb.Instance, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	spec := InstanceSpec{
		Label:            req.GetLabel(),
		ImageID:          req.GetImageId(),
		VMTypeID:         req.GetVmTypeId(),
		SubnetID:         req.GetSubnetId(),
		KeyPairID:        req.GetKeyPairId(),
		VMFirewallIDs:    req.GetVmFirewallIds(),
		UserData:         req.GetUserData(),
		Zone:             req.GetZone(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}
	for _, bd := range req.GetBlockDevices() {
		spec.BlockDevices = append(spec.BlockDevices, blockDeviceFromPB(bd))
	}
	if err := ValidateBlockDevices(spec.BlockDevices); err != nil {
		return nil, err
	}
	return instanceResult(s.c.Instances.Create(ctx, spec))
}

func (s *computeServer) UpdateInstance(ctx context.Context, req *pb.UpdateInstanceRequest) (*pb.Instance, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return instanceResult(s.c.Instances.Update(ctx, req.GetId(), InstanceUpdate{Label: req.Label}))
}

func (s *computeServer) DeleteInstance(ctx context.Context, req *pb.DeleteInstanceRequest) (*pb.DeleteInstanceResponse, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	if err := s.c.Instances.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteInstanceResponse{}, nil
}

func (s *computeServer) RebootInstance(ctx context.Context, req *pb.RebootInstanceRequest) (*pb.Instance, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	return instanceResult(s.c.Instances.Reboot(ctx, req.GetId()))
}

func (s *computeServer) StartInstance(ctx context.Context, req *pb.StartInstanceRequest) (*pb.Instance, error) {
	ss, err := s.startStopper()
	if err != nil {
		return nil, err
	}
	return instanceResult(ss.Start(ctx, req.GetId()))
}

func (s *computeServer) StopInstance(ctx context.Context, req *pb.StopInstanceRequest) (*pb.Instance, error) {
	ss, err := s.startStopper()
	if err != nil {
		return nil, err
	}
	return instanceResult(ss.Stop(ctx, req.GetId()))
}

func (s *computeServer) startStopper() (InstanceStartStopper, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	ss, ok := s.c.Instances.(InstanceStartStopper)
	if !ok {
		return nil, Unsupported(CapStartStop)
	}
	return ss, nil
}

func (s *computeServer) AddInstanceVMFirewall(ctx context.Context, req *pb.AddInstanceVMFirewallRequest) (*pb.Instance, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	return instanceResult(s.c.Instances.AddVMFirewall(ctx, req.GetInstanceId(), req.GetVmFirewallId()))
}

func (s *computeServer) RemoveInstanceVMFirewall(ctx context.Context, req *pb.RemoveInstanceVMFirewallRequest) (*pb.Instance, error) {
	if s.c.Instances == nil {
		return nil, Unsupported(CapInstances)
	}
	return instanceResult(s.c.Instances.RemoveVMFirewall(ctx, req.GetInstanceId(), req.GetVmFirewallId()))
}

func instanceResult(inst Instance, err error) (*pb.Instance, error) {
	if err != nil {
		return nil, err
	}
	return instanceToPB(inst), nil
}

var instanceStates = map[InstanceState]pb.InstanceState{
	InstancePending:     pb.InstanceState_INSTANCE_STATE_PENDING,
	InstanceConfiguring: pb.InstanceState_INSTANCE_STATE_CONFIGURING,
	InstanceRunning:     pb.InstanceState_INSTANCE_STATE_RUNNING,
	InstanceRebooting:   pb.InstanceState_INSTANCE_STATE_REBOOTING,
	InstanceDeleted:     pb.InstanceState_INSTANCE_STATE_DELETED,
	InstanceStopped:     pb.InstanceState_INSTANCE_STATE_STOPPED,
	InstanceError:       pb.InstanceState_INSTANCE_STATE_ERROR,
}

func instanceToPB(i Instance) *pb.Instance {
	out := &pb.Instance{
		Id:            i.ID,
		Name:          i.Name,
		Label:         i.Label,
		State:         instanceStates[i.State], // an unknown state is INSTANCE_STATE_UNKNOWN
		VmTypeId:      i.VMTypeID,
		ImageId:       i.ImageID,
		Zone:          i.Zone,
		SubnetId:      i.SubnetID,
		PublicIps:     i.PublicIPs,
		PrivateIps:    i.PrivateIPs,
		KeyPairId:     i.KeyPairID,
		VmFirewallIds: i.VMFirewallIDs,
		CreateTime:    wire.Timestamp(i.CreateTime),
		Extra:         wire.CopyMap(i.Extra),
	}
	for _, bd := range i.BlockDevices {
		out.BlockDevices = append(out.BlockDevices, blockDeviceToPB(bd))
	}
	return out
}

var blockDeviceSources = map[BlockDeviceSource]pb.BlockDeviceSource{
	SourceBlank:     pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_BLANK,
	SourceVolume:    pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_VOLUME,
	SourceSnapshot:  pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_SNAPSHOT,
	SourceImage:     pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_IMAGE,
	SourceEphemeral: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_EPHEMERAL,
}

func blockDeviceToPB(bd BlockDevice) *pb.BlockDevice {
	return &pb.BlockDevice{
		Source:            blockDeviceSources[bd.Source],
		SourceId:          bd.SourceID,
		IsRoot:            bd.IsRoot,
		SizeGb:            int32(bd.SizeGB),
		DeleteOnTerminate: bd.DeleteOnTerminate,
		Device:            bd.Device,
		VolumeId:          bd.VolumeID,
	}
}

// blockDeviceFromPB converts a launch-config device; an unspecified source is
// "", for the driver to refuse or default.
func blockDeviceFromPB(bd *pb.BlockDevice) BlockDevice {
	var source BlockDeviceSource
	for s, p := range blockDeviceSources {
		if p == bd.GetSource() {
			source = s
		}
	}
	return BlockDevice{
		Source:            source,
		SourceID:          bd.GetSourceId(),
		IsRoot:            bd.GetIsRoot(),
		SizeGB:            int(bd.GetSizeGb()),
		DeleteOnTerminate: bd.GetDeleteOnTerminate(),
		Device:            bd.GetDevice(),
		VolumeID:          bd.GetVolumeId(),
	}
}
