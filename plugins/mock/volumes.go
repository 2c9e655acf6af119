package mock

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// maxVolumeGB is the largest volume, EBS's limit for every volume type.
const maxVolumeGB = 16384

// defaultVolumeType is the type of a volume created without one.
const defaultVolumeType = "standard"

// volumeTypeTakesIOPS says whether a volume type of the mock's catalogue takes
// provisioned IOPS; ok is false for a type the mock does not have. The
// catalogue is a function, not a variable, so that no caller can change it.
func volumeTypeTakesIOPS(name string) (iops, ok bool) {
	switch name {
	case "standard", "ssd":
		return false, true
	case "piops":
		return true, true
	}
	return false, false
}

// Provisioned IOPS limits, as EBS io1's: from 100 to 64000, at most 50 per GB.
const (
	minIOPS      = 100
	maxIOPS      = 64000
	maxIOPSPerGB = 50
)

// volumeRecord is a volume as kept in the state.
type volumeRecord struct {
	sdk.Volume
	// Pending makes a new volume available once it has been "created".
	Pending transition[sdk.VolumeState] `json:"transition,omitzero"`
	// DeleteOnTerminate deletes the volume with the instance it is attached
	// to; a launch config sets it, a later attach or a detach clears it.
	DeleteOnTerminate bool `json:"delete_on_terminate,omitempty"`
}

// view is the volume as a caller sees it at time now; it shares no memory with
// the record.
func (r *volumeRecord) view(now time.Time) sdk.Volume {
	v := r.Volume
	v.State = r.Pending.apply(v.State, now)
	if v.Source != nil {
		src := *v.Source
		v.Source = &src
	}
	if v.Attachment != nil {
		att := *v.Attachment
		v.Attachment = &att
	}
	v.Extra = maps.Clone(v.Extra)
	return v
}

// settle records the transitions that have happened by now, before a change.
func (r *volumeRecord) settle(now time.Time) { settle(&r.State, &r.Pending, now) }

// attach marks the volume attached to instance inst as device.
func (r *volumeRecord) attach(inst, device string, deleteOnTerminate bool) {
	r.State = sdk.VolumeInUse
	r.Pending = transition[sdk.VolumeState]{}
	r.Attachment = &sdk.VolumeAttachment{InstanceID: inst, Device: device}
	r.DeleteOnTerminate = deleteOnTerminate
}

// detach marks the volume available again.
func (r *volumeRecord) detach() {
	r.State = sdk.VolumeAvailable
	r.Attachment = nil
	r.DeleteOnTerminate = false
}

// volumes implements sdk.Volumes.
type volumes struct{ c *Cloud }

func (s *volumes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Volume], error) {
	var all []sdk.Volume
	err := s.c.read(ctx, func(t *txn) error {
		for _, r := range t.Volumes {
			all = append(all, r.view(t.now))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Volume]{}, err
	}
	return sdk.Paginate(all, opts, func(v sdk.Volume) string { return v.ID })
}

func (s *volumes) Get(ctx context.Context, id string) (sdk.Volume, error) {
	var v sdk.Volume
	err := s.c.read(ctx, func(t *txn) error {
		r, ok := t.Volumes[id]
		if !ok {
			return sdk.NotFound("volume", id)
		}
		v = r.view(t.now)
		return nil
	})
	return v, err
}

// Create makes a volume, blank or from a snapshot. It is creating for the
// boot_time setting, then available.
func (s *volumes) Create(ctx context.Context, spec sdk.VolumeSpec) (sdk.Volume, error) {
	if err := validateVolumeSpec(spec); err != nil {
		return sdk.Volume{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var v sdk.Volume
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("volume", token, digest); err != nil || rec != nil {
			if rec != nil {
				v = t.Volumes[rec.ID].view(t.now)
			}
			return err
		}
		zone, err := t.zoneOf(spec.Zone)
		if err != nil {
			return err
		}
		size := spec.SizeGB
		var source *sdk.ResourceRef
		if spec.SnapshotID != "" {
			snap, err := t.availableSnapshot("snapshot_id", spec.SnapshotID)
			if err != nil {
				return err
			}
			if size == 0 {
				size = snap.SizeGB
			} else if size < snap.SizeGB {
				return sdk.InvalidArgument("size_gb", size,
					fmt.Sprintf("a volume from snapshot %s needs at least its %d GB", snap.ID, snap.SizeGB))
			}
			source = &sdk.ResourceRef{Kind: "snapshot", ID: snap.ID}
		}
		if err := checkIOPS("iops", spec.VolumeType, spec.IOPS, size); err != nil {
			return err
		}
		id := newID("vol-", t.Volumes)
		r := &volumeRecord{
			Volume: sdk.Volume{
				ID: id, Name: id, Label: spec.Label, Description: spec.Description,
				State: sdk.VolumeCreating, SizeGB: size, Zone: zone, Source: source, CreateTime: t.now,
				VolumeType: cmp.Or(spec.VolumeType, defaultVolumeType), IOPS: spec.IOPS,
			},
			Pending: transition[sdk.VolumeState]{To: sdk.VolumeAvailable, At: t.now.Add(t.cfg.bootTime)},
		}
		t.Volumes[id] = r
		t.remember("volume", token, digest, id)
		v = r.view(t.now)
		return nil
	})
	return v, err
}

// validateVolumeSpec checks what needs no state.
func validateVolumeSpec(spec sdk.VolumeSpec) error {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return err
	}
	if err := validateDescription(spec.Description); err != nil {
		return err
	}
	switch {
	case spec.SizeGB < 0:
		return sdk.InvalidArgument("size_gb", spec.SizeGB, "must not be negative")
	case spec.SizeGB == 0 && spec.SnapshotID == "":
		return sdk.InvalidArgument("size_gb", spec.SizeGB, "must be greater than 0 unless the volume is made from a snapshot")
	case spec.SizeGB > maxVolumeGB:
		return sdk.InvalidArgument("size_gb", spec.SizeGB, fmt.Sprintf("must be at most %d", maxVolumeGB))
	}
	if spec.VolumeType != "" {
		if _, ok := volumeTypeTakesIOPS(spec.VolumeType); !ok {
			return sdk.InvalidArgument("volume_type", spec.VolumeType, "unknown; the mock has standard (the default), ssd and piops")
		}
	}
	if spec.IOPS < 0 {
		return sdk.InvalidArgument("iops", spec.IOPS, "must not be negative")
	}
	return nil
}

// checkIOPS checks the IOPS of a volume of a type and size: a piops volume
// needs them, within EBS io1's limits; the other types take none.
func checkIOPS(param, volumeType string, iops, sizeGB int) error {
	takes, _ := volumeTypeTakesIOPS(cmp.Or(volumeType, defaultVolumeType))
	switch {
	case !takes && iops != 0:
		return sdk.InvalidArgument(param, iops, fmt.Sprintf("volume type %s has no provisioned IOPS; use piops, or 0", cmp.Or(volumeType, defaultVolumeType)))
	case takes && (iops < minIOPS || iops > maxIOPS):
		return sdk.InvalidArgument(param, iops, fmt.Sprintf("a piops volume needs from %d to %d IOPS", minIOPS, maxIOPS))
	case takes && iops > maxIOPSPerGB*sizeGB:
		return sdk.InvalidArgument(param, iops, fmt.Sprintf("a %d GB volume takes at most %d IOPS (%d per GB)", sizeGB, maxIOPSPerGB*sizeGB, maxIOPSPerGB))
	}
	return nil
}

func (s *volumes) Update(ctx context.Context, id string, u sdk.VolumeUpdate) (sdk.Volume, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Volume{}, err
		}
	}
	if u.Description != nil {
		if err := validateDescription(*u.Description); err != nil {
			return sdk.Volume{}, err
		}
	}
	var v sdk.Volume
	err := s.c.write(ctx, func(t *txn) error {
		r, ok := t.Volumes[id]
		if !ok {
			return sdk.NotFound("volume", id)
		}
		if u.Label != nil {
			r.Label = *u.Label
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		v = r.view(t.now)
		return nil
	})
	return v, err
}

// Delete deletes a volume; its snapshots stay. An attached volume is
// FailedPrecondition, as on EC2 (VolumeInUse) and Cinder.
func (s *volumes) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		r, ok := t.Volumes[id]
		if !ok {
			return sdk.NotFound("volume", id)
		}
		if a := r.Attachment; a != nil {
			return failedPrecondition("volume %s is in-use, attached to instance %s as %s; detach it first", id, a.InstanceID, a.Device)
		}
		t.deleteVolume(id)
		return nil
	})
}

func (t *txn) deleteVolume(id string) {
	delete(t.Volumes, id)
	t.forget("volume", id)
}

// Attach attaches an available volume to a running or stopped instance of
// its zone, as device, or as the instance's first free device when device is "".
func (s *volumes) Attach(ctx context.Context, volumeID, instanceID, device string) (sdk.Volume, error) {
	if device != "" {
		if _, ok := dataDeviceSlot(device); !ok {
			return sdk.Volume{}, sdk.InvalidArgument("device", device, "use a data device name /dev/sd[b-z], /dev/vd[b-z] or /dev/xvd[b-z], or \"\" for the next free one")
		}
	}
	var v sdk.Volume
	err := s.c.write(ctx, func(t *txn) error {
		r, ok := t.Volumes[volumeID]
		if !ok {
			return missing("volume_id", "volume", volumeID)
		}
		st := r.view(t.now).State
		if a := r.Attachment; a != nil {
			return failedPrecondition("volume %s is in-use, attached to instance %s as %s; detach it first", volumeID, a.InstanceID, a.Device)
		}
		if st != sdk.VolumeAvailable {
			return failedPrecondition("volume %s is %s; wait until it is available", volumeID, st)
		}
		inst, ok := t.Instances[instanceID]
		if !ok {
			return missing("instance_id", "instance", instanceID)
		}
		if ist := inst.view(t.now).State; ist != sdk.InstanceRunning && ist != sdk.InstanceStopped {
			return failedPrecondition("instance %s is %s; a volume attaches to a running or stopped instance", instanceID, ist)
		}
		if inst.Zone != r.Zone {
			return sdk.InvalidArgument("instance_id", instanceID,
				fmt.Sprintf("the instance is in zone %s and volume %s in zone %s; a volume attaches only to instances of its zone", inst.Zone, volumeID, r.Zone))
		}
		used := usedSlots(inst.BlockDevices)
		if device == "" {
			var ok bool
			if device, ok = freeDevice(used); !ok {
				return failedPrecondition("instance %s has no free device name left", instanceID)
			}
		} else if slot, _ := dataDeviceSlot(device); used[slot] != "" {
			// InvalidArgument, as EC2 answers (InvalidParameterValue:
			// "Attachment point /dev/sdf is already in use").
			return sdk.InvalidArgument("device", device, fmt.Sprintf("instance %s already uses it, as %s", instanceID, used[slot]))
		}

		r.settle(t.now)
		r.attach(instanceID, device, false)
		inst.BlockDevices = append(slices.Clone(inst.BlockDevices), sdk.BlockDevice{
			Source: sdk.SourceVolume, SourceID: volumeID, SizeGB: r.SizeGB, Device: device, VolumeID: volumeID,
		})
		v = r.view(t.now)
		return nil
	})
	return v, err
}

// Detach detaches an attached volume, which is available again. The root
// volume of an instance that is not stopped cannot be detached, force or not,
// as on EC2.
func (s *volumes) Detach(ctx context.Context, volumeID string, force bool) (sdk.Volume, error) {
	var v sdk.Volume
	err := s.c.write(ctx, func(t *txn) error {
		r, ok := t.Volumes[volumeID]
		if !ok {
			return missing("volume_id", "volume", volumeID)
		}
		a := r.Attachment
		if a == nil {
			return failedPrecondition("volume %s is %s, not attached to an instance", volumeID, r.view(t.now).State)
		}
		inst := t.Instances[a.InstanceID]
		if inst != nil {
			i := slices.IndexFunc(inst.BlockDevices, func(d sdk.BlockDevice) bool { return d.VolumeID == volumeID })
			if i >= 0 && inst.BlockDevices[i].IsRoot {
				if st := inst.view(t.now).State; st != sdk.InstanceStopped {
					return failedPrecondition("volume %s is the root device of instance %s, which is %s; stop the instance first", volumeID, inst.ID, st)
				}
			}
			if i >= 0 {
				inst.BlockDevices = slices.Delete(slices.Clone(inst.BlockDevices), i, i+1)
			}
		}
		r.detach()
		v = r.view(t.now)
		return nil
	})
	return v, err
}

// releaseVolumes is what deleting an instance does to its volumes: those made
// to go with it are deleted, the others detached.
func (t *txn) releaseVolumes(instanceID string) {
	for id, r := range t.Volumes {
		if r.Attachment == nil || r.Attachment.InstanceID != instanceID {
			continue
		}
		if r.DeleteOnTerminate {
			t.deleteVolume(id)
		} else {
			r.detach()
		}
	}
}

// ---- device names ----

// rootDevice is the device name a root volume gets unless the launch config
// names one.
const rootDevice = "/dev/sda1"

// dataDeviceSlot returns the drive letter of a data device name: /dev/sdf,
// /dev/vdf and /dev/xvdf are all drive f, the same slot of the instance (on
// EC2 the kernel may show sdf as xvdf). Drive a is the root's.
func dataDeviceSlot(device string) (byte, bool) {
	for _, prefix := range []string{"/dev/xvd", "/dev/sd", "/dev/vd"} {
		if rest, ok := strings.CutPrefix(device, prefix); ok && len(rest) == 1 && 'b' <= rest[0] && rest[0] <= 'z' {
			return rest[0], true
		}
	}
	return 0, false
}

// rootDeviceNames are the names a root device may have.
var rootDeviceNames = []string{"/dev/sda", "/dev/sda1", "/dev/vda", "/dev/xvda"}

// deviceSlot is dataDeviceSlot for any device name, the root's included.
func deviceSlot(device string) (byte, bool) {
	if slices.Contains(rootDeviceNames, device) {
		return 'a', true
	}
	return dataDeviceSlot(device)
}

// usedSlots maps the drive letters an instance's devices take to their names.
func usedSlots(devices []sdk.BlockDevice) map[byte]string {
	used := map[byte]string{}
	for _, d := range devices {
		if slot, ok := deviceSlot(d.Device); ok {
			used[slot] = d.Device
		}
	}
	return used
}

// freeDevice returns the first data device name whose slot is free.
func freeDevice(used map[byte]string) (string, bool) {
	for slot := byte('b'); slot <= 'z'; slot++ {
		if used[slot] == "" {
			return "/dev/sd" + string(slot), true
		}
	}
	return "", false
}

// ---- launch configs ----

// launchDevice is one device of a checked launch config.
type launchDevice struct {
	sdk.BlockDevice
	// volume is the volume to make for the device (blank, snapshot or image
	// source), or nil.
	volume *sdk.Volume
}

// launchPlan is a launch config checked against the state, ready to be made
// once the instance has an id.
type launchPlan struct {
	devices []launchDevice
	// rootGB is the root disk's size, 0 if no device is the root.
	rootGB int
}

// planLaunch checks a launch config (already through sdk.ValidateBlockDevices)
// for an instance of image im in zone: each source exists and is usable, each
// size fits its source, device names are valid and distinct. Every device
// gets a name; the root is /dev/sda1 unless named.
func (t *txn) planLaunch(devices []sdk.BlockDevice, im sdk.Image, zone string) (launchPlan, error) {
	var plan launchPlan
	used := map[byte]string{}
	volumes := map[string]bool{}
	for i, d := range devices {
		param := func(field string) string { return fmt.Sprintf("block_devices[%d].%s", i, field) }
		if d.Device != "" {
			slot, ok := dataDeviceSlot(d.Device)
			if d.IsRoot {
				slot, ok = 'a', slices.Contains(rootDeviceNames, d.Device)
			}
			if !ok {
				want := "a data device name /dev/sd[b-z], /dev/vd[b-z] or /dev/xvd[b-z]"
				if d.IsRoot {
					want = "a root device name, one of " + strings.Join(rootDeviceNames, ", ")
				}
				return launchPlan{}, sdk.InvalidArgument(param("device"), d.Device, "use "+want+", or \"\"")
			}
			if used[slot] != "" {
				return launchPlan{}, sdk.InvalidArgument(param("device"), d.Device, "the launch config names this device twice")
			}
			used[slot] = d.Device
		}
		if d.SizeGB > maxVolumeGB {
			return launchPlan{}, sdk.InvalidArgument(param("size_gb"), d.SizeGB, fmt.Sprintf("must be at most %d", maxVolumeGB))
		}
		ld := launchDevice{BlockDevice: d}
		ld.VolumeID = ""
		newVolume := func(size int, source *sdk.ResourceRef) {
			ld.SizeGB = size
			ld.volume = &sdk.Volume{SizeGB: size, Zone: zone, Source: source, VolumeType: defaultVolumeType}
		}
		switch d.Source {
		case sdk.SourceBlank:
			if d.IsRoot {
				return launchPlan{}, sdk.InvalidArgument(param("is_root"), d.IsRoot,
					"a blank device cannot be the root, since nothing could boot from it; use the image as the root source")
			}
			newVolume(d.SizeGB, nil)
		case sdk.SourceSnapshot:
			snap, err := t.availableSnapshot(param("source_id"), d.SourceID)
			if err != nil {
				return launchPlan{}, err
			}
			size := cmp.Or(d.SizeGB, snap.SizeGB)
			if size < snap.SizeGB {
				return launchPlan{}, sdk.InvalidArgument(param("size_gb"), d.SizeGB,
					fmt.Sprintf("a volume from snapshot %s needs at least its %d GB", snap.ID, snap.SizeGB))
			}
			newVolume(size, &sdk.ResourceRef{Kind: "snapshot", ID: snap.ID})
		case sdk.SourceImage:
			src, ok := t.image(d.SourceID)
			switch {
			case !ok:
				return launchPlan{}, missing(param("source_id"), "image", d.SourceID)
			case src.State != sdk.ImageAvailable:
				return launchPlan{}, sdk.InvalidArgument(param("source_id"), d.SourceID, fmt.Sprintf("image is %s, not available", src.State))
			case d.IsRoot && src.ID != im.ID:
				return launchPlan{}, sdk.InvalidArgument(param("source_id"), d.SourceID,
					fmt.Sprintf("the root device's image must be the instance's image %s", im.ID))
			}
			size := cmp.Or(d.SizeGB, src.MinDiskGB)
			if size < src.MinDiskGB {
				return launchPlan{}, sdk.InvalidArgument(param("size_gb"), d.SizeGB,
					fmt.Sprintf("image %s needs a disk of at least %d GB", src.ID, src.MinDiskGB))
			}
			newVolume(size, &sdk.ResourceRef{Kind: "image", ID: src.ID})
		case sdk.SourceVolume:
			r, ok := t.Volumes[d.SourceID]
			if !ok {
				return launchPlan{}, missing(param("source_id"), "volume", d.SourceID)
			}
			v := r.view(t.now)
			switch {
			case volumes[v.ID]:
				return launchPlan{}, sdk.InvalidArgument(param("source_id"), d.SourceID, "the launch config names this volume twice")
			case v.State != sdk.VolumeAvailable:
				e := failedPrecondition("volume %s is %s; a launch config attaches only an available volume", v.ID, v.State)
				e.Param = param("source_id")
				return launchPlan{}, e
			case v.Zone != zone:
				return launchPlan{}, sdk.InvalidArgument(param("source_id"), d.SourceID,
					fmt.Sprintf("the volume is in zone %s and the instance goes to zone %s", v.Zone, zone))
			case d.SizeGB != 0 && d.SizeGB != v.SizeGB:
				return launchPlan{}, sdk.InvalidArgument(param("size_gb"), d.SizeGB,
					fmt.Sprintf("an existing volume keeps its size of %d GB; give 0", v.SizeGB))
			}
			volumes[v.ID] = true
			ld.SizeGB = v.SizeGB
			ld.VolumeID = v.ID
		}
		if d.IsRoot {
			plan.rootGB = ld.SizeGB
			if plan.rootGB < im.MinDiskGB {
				return launchPlan{}, sdk.InvalidArgument(param("size_gb"), ld.SizeGB,
					fmt.Sprintf("image %s needs a root disk of at least %d GB", im.ID, im.MinDiskGB))
			}
		}
		plan.devices = append(plan.devices, ld)
	}
	// Name the devices that were not named, once every given name is known.
	for i := range plan.devices {
		d := &plan.devices[i]
		switch {
		case d.Device != "":
		case d.IsRoot:
			if used['a'] != "" {
				return launchPlan{}, sdk.InvalidArgument(fmt.Sprintf("block_devices[%d].device", i), "",
					fmt.Sprintf("%s is the root's name but another device has it", used['a']))
			}
			d.Device, used['a'] = rootDevice, rootDevice
		default:
			name, ok := freeDevice(used)
			if !ok {
				return launchPlan{}, sdk.InvalidArgument("block_devices", len(devices), "more devices than an instance has device names")
			}
			d.Device = name
			slot, _ := dataDeviceSlot(name)
			used[slot] = name
		}
	}
	return plan, nil
}

// apply makes the plan's volumes and attaches them, and those it names, to
// instance inst (labelled label), and returns the instance's devices. It
// cannot fail: planLaunch has checked everything.
func (p launchPlan) apply(t *txn, inst, label string) []sdk.BlockDevice {
	var out []sdk.BlockDevice
	for _, d := range p.devices {
		bd := d.BlockDevice
		switch {
		case d.volume != nil:
			id := newID("vol-", t.Volumes)
			v := *d.volume
			v.ID, v.Name, v.CreateTime = id, id, t.now
			v.Label = launchVolumeLabel(label, bd.Device)
			v.Description = fmt.Sprintf("%s device %s of instance %s", bd.Source, bd.Device, inst)
			r := &volumeRecord{Volume: v}
			r.attach(inst, bd.Device, bd.DeleteOnTerminate)
			t.Volumes[id] = r
			bd.VolumeID = id
		case bd.Source == sdk.SourceVolume:
			r := t.Volumes[bd.VolumeID]
			r.settle(t.now)
			r.attach(inst, bd.Device, bd.DeleteOnTerminate)
		}
		out = append(out, bd)
	}
	return out
}

// launchVolumeLabel labels a volume made by a launch config after its
// instance and device: "web-1-sdb". It is a valid label: the instance's label
// is one, cut to leave room for the device.
func launchVolumeLabel(instance, device string) string {
	dev := device[strings.LastIndexByte(device, '/')+1:]
	base := strings.TrimRight(instance[:min(len(instance), 62-len(dev))], "-")
	return base + "-" + dev
}
