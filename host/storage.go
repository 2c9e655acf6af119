package host

import (
	"context"
	"iter"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// StorageService is p.Storage: block volumes, their snapshots, and object
// storage buckets.
type StorageService struct {
	Volumes   *VolumeService
	Snapshots *SnapshotService
	Buckets   *BucketService
}

func newStorageService(p *Provider) *StorageService {
	s := p.drivers.Storage
	if s == nil {
		s = &sdk.Storage{}
	}
	return &StorageService{
		Volumes:   &VolumeService{p: p, drv: s.Volumes},
		Snapshots: &SnapshotService{p: p, drv: s.Snapshots},
		Buckets:   newBucketService(p),
	}
}

// ---- volumes ----

// VolumeSpec describes a volume to create.
type VolumeSpec = sdk.VolumeSpec

// Volume is a block storage volume.
type Volume struct {
	sdk.Volume
	svc *VolumeService
}

// VolumeService is p.Storage.Volumes.
type VolumeService struct {
	p   *Provider
	drv sdk.Volumes
}

var volumeKeys = findKeys[*Volume]{
	"label": func(v *Volume) string { return v.Label },
	"name":  func(v *Volume) string { return v.Name },
	"id":    func(v *Volume) string { return v.ID },
}

func (s *VolumeService) wrap(v sdk.Volume) *Volume { return &Volume{Volume: v, svc: s} }

// Get returns a volume by id.
func (s *VolumeService) Get(ctx context.Context, id string) (*Volume, error) {
	return call(ctx, s.p, "provider.storage.volumes.get", sdk.CapVolumes, &id, func(ctx context.Context) (*Volume, error) {
		v, err := s.drv.Get(ctx, id)
		return s.wrap(v), err
	})
}

// List returns one page of volumes.
func (s *VolumeService) List(ctx context.Context, opts ListOptions) (Page[*Volume], error) {
	return call(ctx, s.p, "provider.storage.volumes.list", sdk.CapVolumes, &opts, func(ctx context.Context) (Page[*Volume], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every volume.
func (s *VolumeService) All(ctx context.Context) iter.Seq2[*Volume, error] { return pages(ctx, s.List) }

// Find returns the volumes matching the filter (keys: label, name).
func (s *VolumeService) Find(ctx context.Context, f Filter) ([]*Volume, error) {
	return find(s.All(ctx), f, volumeKeys)
}

// Create makes a volume in the provider's zone (unless spec.Zone is set):
// blank, of SizeGB, or from SnapshotID, when SizeGB may be 0 for the
// snapshot's size. It returns at once, typically in state creating: use
// WaitReady.
func (s *VolumeService) Create(ctx context.Context, spec VolumeSpec) (*Volume, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if spec.SizeGB < 0 || spec.SizeGB == 0 && spec.SnapshotID == "" {
		return nil, sdk.InvalidArgument("size_gb", spec.SizeGB, "must be greater than 0 unless the volume is made from a snapshot")
	}
	if spec.Zone == "" {
		spec.Zone = s.p.Zone
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.storage.volumes.create", sdk.CapVolumes, &spec, func(ctx context.Context) (*Volume, error) {
		v, err := s.drv.Create(ctx, spec)
		return s.wrap(v), err
	})
}

// Delete deletes a volume.
func (s *VolumeService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.storage.volumes.delete", sdk.CapVolumes, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// update runs a volume action that answers the new volume and stores it.
func (v *Volume) update(ctx context.Context, event string, args any, fn func(context.Context) (sdk.Volume, error)) error {
	fresh, err := call(ctx, v.svc.p, event, sdk.CapVolumes, args, fn)
	if err == nil {
		v.Volume = fresh
	}
	return err
}

func (v *Volume) change(ctx context.Context, u sdk.VolumeUpdate) error {
	args := UpdateArgs[sdk.VolumeUpdate]{ID: v.ID, Update: u}
	return v.update(ctx, "provider.storage.volumes.update", &args, func(ctx context.Context) (sdk.Volume, error) {
		return v.svc.drv.Update(ctx, args.ID, args.Update)
	})
}

// Refresh reloads the volume.
func (v *Volume) Refresh(ctx context.Context) error {
	id := v.ID
	return v.update(ctx, "provider.storage.volumes.get", &id, func(ctx context.Context) (sdk.Volume, error) {
		return v.svc.drv.Get(ctx, id)
	})
}

// SetLabel changes the volume's label.
func (v *Volume) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	return v.change(ctx, sdk.VolumeUpdate{Label: &label})
}

// SetDescription changes the volume's description.
func (v *Volume) SetDescription(ctx context.Context, description string) error {
	return v.change(ctx, sdk.VolumeUpdate{Description: &description})
}

// Attach attaches the volume to an instance as device ("" lets the cloud
// choose). The volume is in use once WaitFor(ctx, sdk.VolumeInUse) returns.
func (v *Volume) Attach(ctx context.Context, instanceID, device string) error {
	args := VolumeAttachArgs{ID: v.ID, InstanceID: instanceID, Device: device}
	return v.update(ctx, "provider.storage.volumes.attach", &args, func(ctx context.Context) (sdk.Volume, error) {
		return v.svc.drv.Attach(ctx, args.ID, args.InstanceID, args.Device)
	})
}

// Detach detaches the volume from its instance; force detaches it even if the
// instance's operating system still uses it.
func (v *Volume) Detach(ctx context.Context, force bool) error {
	args := VolumeDetachArgs{ID: v.ID, Force: force}
	return v.update(ctx, "provider.storage.volumes.detach", &args, func(ctx context.Context) (sdk.Volume, error) {
		return v.svc.drv.Detach(ctx, args.ID, args.Force)
	})
}

// CreateSnapshot makes a snapshot of the volume. It returns at once, typically
// in state pending: use WaitReady on the snapshot.
func (v *Volume) CreateSnapshot(ctx context.Context, label, description string) (*Snapshot, error) {
	return v.svc.p.Storage.Snapshots.Create(ctx, SnapshotSpec{Label: label, VolumeID: v.ID, Description: description})
}

// Delete deletes the volume.
func (v *Volume) Delete(ctx context.Context) error { return v.svc.Delete(ctx, v.ID) }

// WaitFor waits until the volume is in one of the target states; "error" is
// terminal, and a deleted volume counts as "deleted".
func (v *Volume) WaitFor(ctx context.Context, targets ...sdk.VolumeState) error {
	return v.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (v *Volume) WaitForWith(ctx context.Context, targets []sdk.VolumeState, opts ...WaitOption) error {
	return waitState(ctx, v.svc.p.waitPolicy(opts), "volume", v.ID, func(ctx context.Context) (sdk.VolumeState, error) {
		err := v.Refresh(ctx)
		return v.State, err
	}, targets, []sdk.VolumeState{sdk.VolumeError, sdk.VolumeDeleted}, sdk.VolumeDeleted)
}

// WaitReady waits until the volume is available.
func (v *Volume) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return v.WaitForWith(ctx, []sdk.VolumeState{sdk.VolumeAvailable}, opts...)
}

// ---- snapshots ----

// SnapshotSpec describes a snapshot to make of a volume.
type SnapshotSpec = sdk.SnapshotSpec

// Snapshot is a point-in-time copy of a volume.
type Snapshot struct {
	sdk.Snapshot
	svc *SnapshotService
}

// SnapshotService is p.Storage.Snapshots.
type SnapshotService struct {
	p   *Provider
	drv sdk.Snapshots
}

var snapshotKeys = findKeys[*Snapshot]{
	"label": func(s *Snapshot) string { return s.Label },
	"name":  func(s *Snapshot) string { return s.Name },
	"id":    func(s *Snapshot) string { return s.ID },
}

func (s *SnapshotService) wrap(sn sdk.Snapshot) *Snapshot { return &Snapshot{Snapshot: sn, svc: s} }

// Get returns a snapshot by id.
func (s *SnapshotService) Get(ctx context.Context, id string) (*Snapshot, error) {
	return call(ctx, s.p, "provider.storage.snapshots.get", sdk.CapSnapshots, &id, func(ctx context.Context) (*Snapshot, error) {
		sn, err := s.drv.Get(ctx, id)
		return s.wrap(sn), err
	})
}

// List returns one page of snapshots.
func (s *SnapshotService) List(ctx context.Context, opts ListOptions) (Page[*Snapshot], error) {
	return call(ctx, s.p, "provider.storage.snapshots.list", sdk.CapSnapshots, &opts, func(ctx context.Context) (Page[*Snapshot], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every snapshot.
func (s *SnapshotService) All(ctx context.Context) iter.Seq2[*Snapshot, error] {
	return pages(ctx, s.List)
}

// Find returns the snapshots matching the filter (keys: label, name).
func (s *SnapshotService) Find(ctx context.Context, f Filter) ([]*Snapshot, error) {
	return find(s.All(ctx), f, snapshotKeys)
}

// Create makes a snapshot of a volume. It returns at once, typically in state
// pending: use WaitReady.
func (s *SnapshotService) Create(ctx context.Context, spec SnapshotSpec) (*Snapshot, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.storage.snapshots.create", sdk.CapSnapshots, &spec, func(ctx context.Context) (*Snapshot, error) {
		sn, err := s.drv.Create(ctx, spec)
		return s.wrap(sn), err
	})
}

// Delete deletes a snapshot.
func (s *SnapshotService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.storage.snapshots.delete", sdk.CapSnapshots, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

func (sn *Snapshot) update(ctx context.Context, event string, args any, fn func(context.Context) (sdk.Snapshot, error)) error {
	fresh, err := call(ctx, sn.svc.p, event, sdk.CapSnapshots, args, fn)
	if err == nil {
		sn.Snapshot = fresh
	}
	return err
}

func (sn *Snapshot) change(ctx context.Context, u sdk.SnapshotUpdate) error {
	args := UpdateArgs[sdk.SnapshotUpdate]{ID: sn.ID, Update: u}
	return sn.update(ctx, "provider.storage.snapshots.update", &args, func(ctx context.Context) (sdk.Snapshot, error) {
		return sn.svc.drv.Update(ctx, args.ID, args.Update)
	})
}

// Refresh reloads the snapshot.
func (sn *Snapshot) Refresh(ctx context.Context) error {
	id := sn.ID
	return sn.update(ctx, "provider.storage.snapshots.get", &id, func(ctx context.Context) (sdk.Snapshot, error) {
		return sn.svc.drv.Get(ctx, id)
	})
}

// SetLabel changes the snapshot's label.
func (sn *Snapshot) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	return sn.change(ctx, sdk.SnapshotUpdate{Label: &label})
}

// SetDescription changes the snapshot's description.
func (sn *Snapshot) SetDescription(ctx context.Context, description string) error {
	return sn.change(ctx, sdk.SnapshotUpdate{Description: &description})
}

// CreateVolume makes a volume from the snapshot in the provider's zone;
// sizeGB 0 means the snapshot's size. It returns at once: use WaitReady on the
// volume.
func (sn *Snapshot) CreateVolume(ctx context.Context, label string, sizeGB int) (*Volume, error) {
	return sn.svc.p.Storage.Volumes.Create(ctx, VolumeSpec{Label: label, SizeGB: sizeGB, SnapshotID: sn.ID})
}

// Delete deletes the snapshot.
func (sn *Snapshot) Delete(ctx context.Context) error { return sn.svc.Delete(ctx, sn.ID) }

// WaitFor waits until the snapshot is in one of the target states; "error" is
// terminal, and a deleted snapshot counts as "unknown".
func (sn *Snapshot) WaitFor(ctx context.Context, targets ...sdk.SnapshotState) error {
	return sn.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (sn *Snapshot) WaitForWith(ctx context.Context, targets []sdk.SnapshotState, opts ...WaitOption) error {
	return waitState(ctx, sn.svc.p.waitPolicy(opts), "snapshot", sn.ID, func(ctx context.Context) (sdk.SnapshotState, error) {
		err := sn.Refresh(ctx)
		return sn.State, err
	}, targets, []sdk.SnapshotState{sdk.SnapshotError}, sdk.SnapshotUnknown)
}

// WaitReady waits until the snapshot is available.
func (sn *Snapshot) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return sn.WaitForWith(ctx, []sdk.SnapshotState{sdk.SnapshotAvailable}, opts...)
}
