package sdk

import (
	"context"
	"time"
)

// Compute is the compute family: regions and zones, VM types, images and
// instances. A plugin leaves a field nil when its cloud lacks that service.
type Compute struct {
	Regions   Regions
	VMTypes   VMTypes
	Images    Images
	Instances Instances
}

// Region is a cloud region with its placement zones.
type Region struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Zones []Zone            `json:"zones,omitempty"`
	Extra map[string]string `json:"extra,omitempty"`
}

// Zone is a placement (availability) zone.
type Zone struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	RegionName string `json:"region_name"`
	// Available is false when the cloud reports the zone impaired.
	Available bool `json:"available"`
}

// Regions lists the cloud's regions.
type Regions interface {
	List(ctx context.Context, opts ListOptions) (Page[Region], error)
	Get(ctx context.Context, id string) (Region, error)
}

// VMType is an instance type or flavor.
type VMType struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Family string `json:"family"`
	VCPUs  int    `json:"vcpus"`
	// RAMMiB is memory in MiB.
	RAMMiB               int64             `json:"ram_mib"`
	SizeRootDiskGB       int               `json:"size_root_disk_gb"`
	SizeEphemeralDisksGB int               `json:"size_ephemeral_disks_gb"`
	NumEphemeralDisks    int               `json:"num_ephemeral_disks"`
	Extra                map[string]string `json:"extra,omitempty"`
}

// SizeTotalDiskGB is the root disk plus the ephemeral disks, as CloudBridge's
// size_total_disk.
func (t VMType) SizeTotalDiskGB() int { return t.SizeRootDiskGB + t.SizeEphemeralDisksGB }

// VMTypes lists the instance types on offer.
type VMTypes interface {
	List(ctx context.Context, opts ListOptions) (Page[VMType], error)
	Get(ctx context.Context, id string) (VMType, error)
}

// ImageState is a machine image's lifecycle state.
type ImageState string

// Image states, with CloudBridge's values.
const (
	ImageUnknown   ImageState = "unknown"
	ImagePending   ImageState = "pending"
	ImageAvailable ImageState = "available"
	ImageError     ImageState = "error"
)

// Image is a machine image.
type Image struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Label            string            `json:"label"`
	Description      string            `json:"description"`
	State            ImageState        `json:"state"`
	MinDiskGB        int               `json:"min_disk_gb"`
	Owner            string            `json:"owner"`
	Public           bool              `json:"public"`
	SourceInstanceID string            `json:"source_instance_id"`
	CreateTime       time.Time         `json:"create_time,omitzero"`
	Extra            map[string]string `json:"extra,omitempty"`
}

// ImageListOptions asks for one page of images.
type ImageListOptions struct {
	ListOptions
	// OwnedOnly lists only the account's own images.
	OwnedOnly bool `json:"owned_only"`
}

// ImageSpec makes an image from an instance.
type ImageSpec struct {
	InstanceID       string `json:"instance_id"`
	Label            string `json:"label"`
	Description      string `json:"description"`
	IdempotencyToken string `json:"idempotency_token"`
}

// ImageUpdate changes the fields that are set.
type ImageUpdate struct {
	Label       *string `json:"label,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Images manages machine images.
type Images interface {
	List(ctx context.Context, opts ImageListOptions) (Page[Image], error)
	Get(ctx context.Context, id string) (Image, error)
	Create(ctx context.Context, spec ImageSpec) (Image, error)
	Update(ctx context.Context, id string, u ImageUpdate) (Image, error)
	Delete(ctx context.Context, id string) error
}

// InstanceState is an instance's lifecycle state.
type InstanceState string

// Instance states, with CloudBridge's values.
const (
	InstanceUnknown     InstanceState = "unknown"
	InstancePending     InstanceState = "pending"
	InstanceConfiguring InstanceState = "configuring"
	InstanceRunning     InstanceState = "running"
	InstanceRebooting   InstanceState = "rebooting"
	InstanceDeleted     InstanceState = "deleted"
	InstanceStopped     InstanceState = "stopped"
	InstanceError       InstanceState = "error"
)

// Instance is a virtual machine.
type Instance struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Label         string            `json:"label"`
	State         InstanceState     `json:"state"`
	VMTypeID      string            `json:"vm_type_id"`
	ImageID       string            `json:"image_id"`
	Zone          string            `json:"zone"`
	SubnetID      string            `json:"subnet_id"`
	PublicIPs     []string          `json:"public_ips,omitempty"`
	PrivateIPs    []string          `json:"private_ips,omitempty"`
	KeyPairID     string            `json:"key_pair_id"`
	VMFirewallIDs []string          `json:"vm_firewall_ids,omitempty"`
	CreateTime    time.Time         `json:"create_time,omitzero"`
	BlockDevices  []BlockDevice     `json:"block_devices,omitempty"`
	Extra         map[string]string `json:"extra,omitempty"`
}

// BlockDeviceSource says what a launch-config block device is made from.
type BlockDeviceSource string

// Block device sources.
const (
	SourceBlank     BlockDeviceSource = "blank"
	SourceVolume    BlockDeviceSource = "volume"
	SourceSnapshot  BlockDeviceSource = "snapshot"
	SourceImage     BlockDeviceSource = "image"
	SourceEphemeral BlockDeviceSource = "ephemeral"
)

// BlockDevice is one device of a launch config (CloudBridge LaunchConfig).
type BlockDevice struct {
	Source BlockDeviceSource `json:"source"`
	// SourceID is the volume, snapshot or image id for those sources.
	SourceID string `json:"source_id"`
	IsRoot   bool   `json:"is_root"`
	// SizeGB is required for a blank device; 0 elsewhere means the source's size.
	SizeGB            int  `json:"size_gb"`
	DeleteOnTerminate bool `json:"delete_on_terminate"`
	// Device is the device name (e.g. /dev/sdb), optional on create.
	Device string `json:"device"`
	// VolumeID is the backing volume once the instance exists.
	VolumeID string `json:"volume_id"`
}

// InstanceSpec launches an instance.
type InstanceSpec struct {
	Label         string        `json:"label"`
	ImageID       string        `json:"image_id"`
	VMTypeID      string        `json:"vm_type_id"`
	SubnetID      string        `json:"subnet_id"`
	KeyPairID     string        `json:"key_pair_id"`
	VMFirewallIDs []string      `json:"vm_firewall_ids,omitempty"`
	UserData      []byte        `json:"user_data,omitempty"`
	BlockDevices  []BlockDevice `json:"block_devices,omitempty"`
	// Zone is "" for the provider's configured zone.
	Zone             string `json:"zone"`
	IdempotencyToken string `json:"idempotency_token"`
}

// InstanceUpdate changes the fields that are set.
type InstanceUpdate struct {
	Label *string `json:"label,omitempty"`
}

// Instances manages virtual machines. Start and stop are optional: see
// InstanceStartStopper.
type Instances interface {
	List(ctx context.Context, opts ListOptions) (Page[Instance], error)
	Get(ctx context.Context, id string) (Instance, error)
	Create(ctx context.Context, spec InstanceSpec) (Instance, error)
	Update(ctx context.Context, id string, u InstanceUpdate) (Instance, error)
	Delete(ctx context.Context, id string) error
	Reboot(ctx context.Context, id string) (Instance, error)
	AddVMFirewall(ctx context.Context, instanceID, firewallID string) (Instance, error)
	RemoveVMFirewall(ctx context.Context, instanceID, firewallID string) (Instance, error)
}

// InstanceStartStopper is implemented by Instances that can stop and start an
// instance (capability "compute.instances.start_stop").
type InstanceStartStopper interface {
	Start(ctx context.Context, id string) (Instance, error)
	Stop(ctx context.Context, id string) (Instance, error)
}
