package remote

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var (
	_ sdk.Volumes   = volumes{}
	_ sdk.Snapshots = snapshots{}
)

// ---- volumes ----

type volumes struct{ c pb.StorageClient }

func (v volumes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Volume], error) {
	resp, err := v.c.ListVolumes(ctx, &pb.ListVolumesRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.Volume]{}, Error(err)
	}
	return page(resp.GetVolumes(), resp.GetNextPageToken(), volumeFromPB), nil
}

func (v volumes) Get(ctx context.Context, id string) (sdk.Volume, error) {
	return one(volumeFromPB)(v.c.GetVolume(ctx, &pb.GetVolumeRequest{Id: id}))
}

func (v volumes) Create(ctx context.Context, spec sdk.VolumeSpec) (sdk.Volume, error) {
	return one(volumeFromPB)(v.c.CreateVolume(ctx, &pb.CreateVolumeRequest{
		Label:            spec.Label,
		SizeGb:           int32Of(spec.SizeGB),
		SnapshotId:       spec.SnapshotID,
		Description:      spec.Description,
		Zone:             spec.Zone,
		VolumeType:       spec.VolumeType,
		Iops:             int32Of(spec.IOPS),
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (v volumes) Update(ctx context.Context, id string, u sdk.VolumeUpdate) (sdk.Volume, error) {
	return one(volumeFromPB)(v.c.UpdateVolume(ctx, &pb.UpdateVolumeRequest{Id: id, Label: u.Label, Description: u.Description}))
}

func (v volumes) Delete(ctx context.Context, id string) error {
	_, err := v.c.DeleteVolume(ctx, &pb.DeleteVolumeRequest{Id: id})
	return Error(err)
}

func (v volumes) Attach(ctx context.Context, volumeID, instanceID, device string) (sdk.Volume, error) {
	return one(volumeFromPB)(v.c.AttachVolume(ctx, &pb.AttachVolumeRequest{VolumeId: volumeID, InstanceId: instanceID, Device: device}))
}

func (v volumes) Detach(ctx context.Context, volumeID string, force bool) (sdk.Volume, error) {
	return one(volumeFromPB)(v.c.DetachVolume(ctx, &pb.DetachVolumeRequest{VolumeId: volumeID, Force: force}))
}

func volumeFromPB(x *pb.Volume) sdk.Volume {
	v := sdk.Volume{
		ID:          x.GetId(),
		Name:        x.GetName(),
		Label:       x.GetLabel(),
		Description: x.GetDescription(),
		State:       volumeStateFromPB(x.GetState()),
		SizeGB:      int(x.GetSizeGb()),
		Zone:        x.GetZone(),
		CreateTime:  wire.Time(x.GetCreateTime()),
		VolumeType:  x.GetVolumeType(),
		IOPS:        int(x.GetIops()),
		Extra:       wire.CopyMap(x.GetExtra()),
	}
	// A ref of kind "" is the contract's "no source", as is an unset one.
	if src := x.GetSource(); src.GetKind() != "" {
		v.Source = &sdk.ResourceRef{Kind: src.GetKind(), ID: src.GetId()}
	}
	if a := x.GetAttachment(); a != nil {
		v.Attachment = &sdk.VolumeAttachment{InstanceID: a.GetInstanceId(), Device: a.GetDevice()}
	}
	return v
}

func volumeStateFromPB(s pb.VolumeState) sdk.VolumeState {
	switch s {
	case pb.VolumeState_VOLUME_STATE_CREATING:
		return sdk.VolumeCreating
	case pb.VolumeState_VOLUME_STATE_CONFIGURING:
		return sdk.VolumeConfiguring
	case pb.VolumeState_VOLUME_STATE_AVAILABLE:
		return sdk.VolumeAvailable
	case pb.VolumeState_VOLUME_STATE_IN_USE:
		return sdk.VolumeInUse
	case pb.VolumeState_VOLUME_STATE_DELETED:
		return sdk.VolumeDeleted
	case pb.VolumeState_VOLUME_STATE_ERROR:
		return sdk.VolumeError
	}
	return sdk.VolumeUnknown
}

// ---- snapshots ----

type snapshots struct{ c pb.StorageClient }

func (s snapshots) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Snapshot], error) {
	resp, err := s.c.ListSnapshots(ctx, &pb.ListSnapshotsRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, Error(err)
	}
	return page(resp.GetSnapshots(), resp.GetNextPageToken(), snapshotFromPB), nil
}

func (s snapshots) Get(ctx context.Context, id string) (sdk.Snapshot, error) {
	return one(snapshotFromPB)(s.c.GetSnapshot(ctx, &pb.GetSnapshotRequest{Id: id}))
}

func (s snapshots) Create(ctx context.Context, spec sdk.SnapshotSpec) (sdk.Snapshot, error) {
	return one(snapshotFromPB)(s.c.CreateSnapshot(ctx, &pb.CreateSnapshotRequest{
		Label:            spec.Label,
		VolumeId:         spec.VolumeID,
		Description:      spec.Description,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (s snapshots) Update(ctx context.Context, id string, u sdk.SnapshotUpdate) (sdk.Snapshot, error) {
	return one(snapshotFromPB)(s.c.UpdateSnapshot(ctx, &pb.UpdateSnapshotRequest{Id: id, Label: u.Label, Description: u.Description}))
}

func (s snapshots) Delete(ctx context.Context, id string) error {
	_, err := s.c.DeleteSnapshot(ctx, &pb.DeleteSnapshotRequest{Id: id})
	return Error(err)
}

func snapshotFromPB(x *pb.Snapshot) sdk.Snapshot {
	return sdk.Snapshot{
		ID:          x.GetId(),
		Name:        x.GetName(),
		Label:       x.GetLabel(),
		Description: x.GetDescription(),
		State:       snapshotStateFromPB(x.GetState()),
		SizeGB:      int(x.GetSizeGb()),
		VolumeID:    x.GetVolumeId(),
		CreateTime:  wire.Time(x.GetCreateTime()),
		Extra:       wire.CopyMap(x.GetExtra()),
	}
}

func snapshotStateFromPB(s pb.SnapshotState) sdk.SnapshotState {
	switch s {
	case pb.SnapshotState_SNAPSHOT_STATE_PENDING:
		return sdk.SnapshotPending
	case pb.SnapshotState_SNAPSHOT_STATE_CONFIGURING:
		return sdk.SnapshotConfiguring
	case pb.SnapshotState_SNAPSHOT_STATE_AVAILABLE:
		return sdk.SnapshotAvailable
	case pb.SnapshotState_SNAPSHOT_STATE_ERROR:
		return sdk.SnapshotError
	}
	return sdk.SnapshotUnknown
}
