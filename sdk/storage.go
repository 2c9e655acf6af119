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
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// VolumeAttachment says where a volume is attached.
type VolumeAttachment struct {
	InstanceID string `json:"instance_id"`
	Device     string `json:"device"`
}

// Volume is a block storage volume.
type Volume struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Label       string      `json:"label"`
	Description string      `json:"description"`
	State       VolumeState `json:"state"`
	SizeGB      int         `json:"size_gb"`
	Zone        string      `json:"zone"`
	// Source is where the volume came from; nil for a blank volume.
	Source *ResourceRef `json:"source,omitempty"`
	// Attachment is nil when the volume is not attached.
	Attachment *VolumeAttachment `json:"attachment,omitempty"`
	CreateTime time.Time         `json:"create_time,omitzero"`
	VolumeType string            `json:"volume_type"`
	IOPS       int               `json:"iops"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// VolumeSpec creates a volume.
type VolumeSpec struct {
	Label       string `json:"label"`
	SizeGB      int    `json:"size_gb"`
	SnapshotID  string `json:"snapshot_id"`
	Description string `json:"description"`
	// Zone is "" for the provider's configured zone.
	Zone             string `json:"zone"`
	VolumeType       string `json:"volume_type"`
	IOPS             int    `json:"iops"`
	IdempotencyToken string `json:"idempotency_token"`
}

// VolumeUpdate changes the fields that are set.
type VolumeUpdate struct {
	Label       *string `json:"label,omitempty"`
	Description *string `json:"description,omitempty"`
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
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Label       string            `json:"label"`
	Description string            `json:"description"`
	State       SnapshotState     `json:"state"`
	SizeGB      int               `json:"size_gb"`
	VolumeID    string            `json:"volume_id"`
	CreateTime  time.Time         `json:"create_time,omitzero"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// SnapshotSpec creates a snapshot of a volume.
type SnapshotSpec struct {
	Label            string `json:"label"`
	VolumeID         string `json:"volume_id"`
	Description      string `json:"description"`
	IdempotencyToken string `json:"idempotency_token"`
}

// SnapshotUpdate changes the fields that are set.
type SnapshotUpdate struct {
	Label       *string `json:"label,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Snapshots manages volume snapshots.
type Snapshots interface {
	List(ctx context.Context, opts ListOptions) (Page[Snapshot], error)
	Get(ctx context.Context, id string) (Snapshot, error)
	Create(ctx context.Context, spec SnapshotSpec) (Snapshot, error)
	Update(ctx context.Context, id string, u SnapshotUpdate) (Snapshot, error)
	Delete(ctx context.Context, id string) error
}
