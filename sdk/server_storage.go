package sdk

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// storageServer serves the Storage service over a plugin's Storage family.
type storageServer struct {
	pb.UnimplementedStorageServer
	s *Storage
}

// ---- volumes ----

func (s *storageServer) ListVolumes(ctx context.Context, req *pb.ListVolumesRequest) (*pb.ListVolumesResponse, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.s.Volumes.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListVolumesResponse{Volumes: convertAll(page.Items, volumeToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *storageServer) GetVolume(ctx context.Context, req *pb.GetVolumeRequest) (*pb.Volume, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	return volumeResult(s.s.Volumes.Get(ctx, req.GetId()))
}

func (s *storageServer) CreateVolume(ctx context.Context, req *pb.CreateVolumeRequest) (*pb.Volume, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	if req.GetSizeGb() < 0 {
		return nil, InvalidArgument("size_gb", req.GetSizeGb(), "must not be negative")
	}
	if req.GetIops() < 0 {
		return nil, InvalidArgument("iops", req.GetIops(), "must not be negative")
	}
	return volumeResult(s.s.Volumes.Create(ctx, VolumeSpec{
		Label:            req.GetLabel(),
		SizeGB:           int(req.GetSizeGb()),
		SnapshotID:       req.GetSnapshotId(),
		Description:      req.GetDescription(),
		Zone:             req.GetZone(),
		VolumeType:       req.GetVolumeType(),
		IOPS:             int(req.GetIops()),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *storageServer) UpdateVolume(ctx context.Context, req *pb.UpdateVolumeRequest) (*pb.Volume, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return volumeResult(s.s.Volumes.Update(ctx, req.GetId(), VolumeUpdate{Label: req.Label, Description: req.Description}))
}

func (s *storageServer) DeleteVolume(ctx context.Context, req *pb.DeleteVolumeRequest) (*pb.DeleteVolumeResponse, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	if err := s.s.Volumes.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteVolumeResponse{}, nil
}

func (s *storageServer) AttachVolume(ctx context.Context, req *pb.AttachVolumeRequest) (*pb.Volume, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	return volumeResult(s.s.Volumes.Attach(ctx, req.GetVolumeId(), req.GetInstanceId(), req.GetDevice()))
}

func (s *storageServer) DetachVolume(ctx context.Context, req *pb.DetachVolumeRequest) (*pb.Volume, error) {
	if s.s.Volumes == nil {
		return nil, Unsupported(CapVolumes)
	}
	return volumeResult(s.s.Volumes.Detach(ctx, req.GetVolumeId(), req.GetForce()))
}

func volumeResult(v Volume, err error) (*pb.Volume, error) {
	if err != nil {
		return nil, err
	}
	return volumeToPB(v), nil
}

var volumeStates = map[VolumeState]pb.VolumeState{
	VolumeCreating:    pb.VolumeState_VOLUME_STATE_CREATING,
	VolumeConfiguring: pb.VolumeState_VOLUME_STATE_CONFIGURING,
	VolumeAvailable:   pb.VolumeState_VOLUME_STATE_AVAILABLE,
	VolumeInUse:       pb.VolumeState_VOLUME_STATE_IN_USE,
	VolumeDeleted:     pb.VolumeState_VOLUME_STATE_DELETED,
	VolumeError:       pb.VolumeState_VOLUME_STATE_ERROR,
}

func volumeToPB(v Volume) *pb.Volume {
	out := &pb.Volume{
		Id:          v.ID,
		Name:        v.Name,
		Label:       v.Label,
		Description: v.Description,
		State:       volumeStates[v.State], // an unknown state is VOLUME_STATE_UNKNOWN
		SizeGb:      int32(v.SizeGB),
		Zone:        v.Zone,
		CreateTime:  wire.Timestamp(v.CreateTime),
		VolumeType:  v.VolumeType,
		Iops:        int32(v.IOPS),
		Extra:       wire.CopyMap(v.Extra),
	}
	if v.Source != nil {
		out.Source = &pb.ResourceRef{Kind: v.Source.Kind, Id: v.Source.ID}
	}
	if v.Attachment != nil {
		out.Attachment = &pb.VolumeAttachment{InstanceId: v.Attachment.InstanceID, Device: v.Attachment.Device}
	}
	return out
}

// ---- snapshots ----

func (s *storageServer) ListSnapshots(ctx context.Context, req *pb.ListSnapshotsRequest) (*pb.ListSnapshotsResponse, error) {
	if s.s.Snapshots == nil {
		return nil, Unsupported(CapSnapshots)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.s.Snapshots.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListSnapshotsResponse{Snapshots: convertAll(page.Items, snapshotToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *storageServer) GetSnapshot(ctx context.Context, req *pb.GetSnapshotRequest) (*pb.Snapshot, error) {
	if s.s.Snapshots == nil {
		return nil, Unsupported(CapSnapshots)
	}
	return snapshotResult(s.s.Snapshots.Get(ctx, req.GetId()))
}

func (s *storageServer) CreateSnapshot(ctx context.Context, req *pb.CreateSnapshotRequest) (*pb.Snapshot, error) {
	if s.s.Snapshots == nil {
		return nil, Unsupported(CapSnapshots)
	}
	if err := ValidateLabel(req.GetLabel()); err != nil {
		return nil, err
	}
	return snapshotResult(s.s.Snapshots.Create(ctx, SnapshotSpec{
		Label:            req.GetLabel(),
		VolumeID:         req.GetVolumeId(),
		Description:      req.GetDescription(),
		IdempotencyToken: req.GetIdempotencyToken(),
	}))
}

func (s *storageServer) UpdateSnapshot(ctx context.Context, req *pb.UpdateSnapshotRequest) (*pb.Snapshot, error) {
	if s.s.Snapshots == nil {
		return nil, Unsupported(CapSnapshots)
	}
	if err := validateLabelUpdate(req.Label); err != nil {
		return nil, err
	}
	return snapshotResult(s.s.Snapshots.Update(ctx, req.GetId(), SnapshotUpdate{Label: req.Label, Description: req.Description}))
}

func (s *storageServer) DeleteSnapshot(ctx context.Context, req *pb.DeleteSnapshotRequest) (*pb.DeleteSnapshotResponse, error) {
	if s.s.Snapshots == nil {
		return nil, Unsupported(CapSnapshots)
	}
	if err := s.s.Snapshots.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteSnapshotResponse{}, nil
}

func snapshotResult(snap Snapshot, err error) (*pb.Snapshot, error) {
	if err != nil {
		return nil, err
	}
	return snapshotToPB(snap), nil
}

var snapshotStates = map[SnapshotState]pb.SnapshotState{
	SnapshotPending:     pb.SnapshotState_SNAPSHOT_STATE_PENDING,
	SnapshotConfiguring: pb.SnapshotState_SNAPSHOT_STATE_CONFIGURING,
	SnapshotAvailable:   pb.SnapshotState_SNAPSHOT_STATE_AVAILABLE,
	SnapshotError:       pb.SnapshotState_SNAPSHOT_STATE_ERROR,
}

func snapshotToPB(s Snapshot) *pb.Snapshot {
	return &pb.Snapshot{
		Id:          s.ID,
		Name:        s.Name,
		Label:       s.Label,
		Description: s.Description,
		State:       snapshotStates[s.State], // an unknown state is SNAPSHOT_STATE_UNKNOWN
		SizeGb:      int32(s.SizeGB),
		VolumeId:    s.VolumeID,
		CreateTime:  wire.Timestamp(s.CreateTime),
		Extra:       wire.CopyMap(s.Extra),
	}
}
