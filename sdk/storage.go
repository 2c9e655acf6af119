package sdk

import (
	"context"
	"time"
)

// Storage is the block storage family: volumes and snapshots.
type Storage struct {
	Volumes   Volumes
	Snapshots Snapshots
}

// VolumeState is a volume's lifecycle state.
type VolumeState string

// Volume states, with CloudBridge's values.
const (
	VolumeUnknown     VolumeState = "unknown"
	VolumeCreating    VolumeState = "creating"
	VolumeConfiguring VolumeState = "configuring"
	VolumeAvailable   VolumeState = "available"
	VolumeInUse       VolumeState = "in-use"
	VolumeDeleted     VolumeState = "deleted"
	VolumeError       VolumeState = "error"
)

// ResourceRef names a resource of some kind ("snapshot", "image", "volume").
type ResourceRef struct {
	Kind string
	ID   string
}

// VolumeAttachment says where a volume is attached.
type VolumeAttachment struct {
	InstanceID string
	Device     string
}

// Volume is a block storage volume.
type Volume struct {
	ID          string
	Name        string
	Label       string
	Description string
	State       VolumeState
	SizeGB      int
	Zone        string
	// Source is where the volume came from; nil for a blank volume.
	Source *ResourceRef
	// Attachment is nil when the volume is not attached.
	Attachment *VolumeAttachment
	CreateTime time.Time
	VolumeType string
	IOPS       int
	Extra      map[string]string
}

// VolumeSpec creates a volume.
type VolumeSpec struct {
	Label       string
	SizeGB      int
	SnapshotID  string
	Description string
	// Zone is "" for the provider's configured zone.
	Zone             string
	VolumeType       string
	IOPS             int
	IdempotencyToken string
}

// VolumeUpdate changes the fields that are set.
type VolumeUpdate struct {
	Label       *string
	Description *string
}

// Volumes manages block volumes.
type Volumes interface {
	List(ctx context.Context, opts ListOptions) (Page[Volume], error)
	Get(ctx context.Context, id string) (Volume, error)
	Create(ctx context.Context, spec VolumeSpec) (Volume, error)
	Update(ctx context.Context, id string, u VolumeUpdate) (Volume, error)
	Delete(ctx context.Context, id string) error
	// Attach attaches the volume to an instance; device "" lets the cloud choose.
	Attach(ctx context.Context, volumeID, instanceID, device string) (Volume, error)
	Detach(ctx context.Context, volumeID string, force bool) (Volume, error)
}

// SnapshotState is a snapshot's lifecycle state.
type SnapshotState string

// Snapshot states, with CloudBridge's values.
const (
	SnapshotUnknown     SnapshotState = "unknown"
	SnapshotPending     SnapshotState = "pending"
	SnapshotConfiguring SnapshotState = "configuring"
	SnapshotAvailable   SnapshotState = "available"
	SnapshotError       SnapshotState = "error"
)

// Snapshot is a point-in-time copy of a volume.
type Snapshot struct {
	ID          string
	Name        string
	Label       string
	Description string
	State       SnapshotState
	SizeGB      int
	VolumeID    string
	CreateTime  time.Time
	Extra       map[string]string
}

// SnapshotSpec creates a snapshot of a volume.
type SnapshotSpec struct {
	Label            string
	VolumeID         string
	Description      string
	IdempotencyToken string
}

// SnapshotUpdate changes the fields that are set.
type SnapshotUpdate struct {
	Label       *string
	Description *string
}

// Snapshots manages volume snapshots.
type Snapshots interface {
	List(ctx context.Context, opts ListOptions) (Page[Snapshot], error)
	Get(ctx context.Context, id string) (Snapshot, error)
	Create(ctx context.Context, spec SnapshotSpec) (Snapshot, error)
	Update(ctx context.Context, id string, u SnapshotUpdate) (Snapshot, error)
	Delete(ctx context.Context, id string) error
}
