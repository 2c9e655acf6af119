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
	ID    string
	Name  string
	Zones []Zone
	Extra map[string]string
}

// Zone is a placement (availability) zone.
type Zone struct {
	ID         string
	Name       string
	RegionName string
	// Available is false when the cloud reports the zone impaired.
	Available bool
}

// Regions lists the cloud's regions.
type Regions interface {
	List(ctx context.Context, opts ListOptions) (Page[Region], error)
	Get(ctx context.Context, id string) (Region, error)
}

// VMType is an instance type or flavor.
type VMType struct {
	ID     string
	Name   string
	Family string
	VCPUs  int
	// RAMMiB is memory in MiB.
	RAMMiB               int64
	SizeRootDiskGB       int
	SizeEphemeralDisksGB int
	NumEphemeralDisks    int
	Extra                map[string]string
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
	ID               string
	Name             string
	Label            string
	Description      string
	State            ImageState
	MinDiskGB        int
	Owner            string
	Public           bool
	SourceInstanceID string
	CreateTime       time.Time
	Extra            map[string]string
}

// ImageListOptions asks for one page of images.
type ImageListOptions struct {
	ListOptions
	// OwnedOnly lists only the account's own images.
	OwnedOnly bool
}

// ImageSpec makes an image from an instance.
type ImageSpec struct {
	InstanceID       string
	Label            string
	Description      string
	IdempotencyToken string
}

// ImageUpdate changes the fields that are set.
type ImageUpdate struct {
	Label       *string
	Description *string
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
	ID            string
	Name          string
	Label         string
	State         InstanceState
	VMTypeID      string
	ImageID       string
	Zone          string
	SubnetID      string
	PublicIPs     []string
	PrivateIPs    []string
	KeyPairID     string
	VMFirewallIDs []string
	CreateTime    time.Time
	BlockDevices  []BlockDevice
	Extra         map[string]string
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
	Source BlockDeviceSource
	// SourceID is the volume, snapshot or image id for those sources.
	SourceID string
	IsRoot   bool
	// SizeGB is required for a blank device; 0 elsewhere means the source's size.
	SizeGB            int
	DeleteOnTerminate bool
	// Device is the device name (e.g. /dev/sdb), optional on create.
	Device string
	// VolumeID is the backing volume once the instance exists.
	VolumeID string
}

// InstanceSpec launches an instance.
type InstanceSpec struct {
	Label         string
	ImageID       string
	VMTypeID      string
	SubnetID      string
	KeyPairID     string
	VMFirewallIDs []string
	UserData      []byte
	BlockDevices  []BlockDevice
	// Zone is "" for the provider's configured zone.
	Zone             string
	IdempotencyToken string
}

// InstanceUpdate changes the fields that are set.
type InstanceUpdate struct {
	Label *string
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
