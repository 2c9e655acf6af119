package conformance

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// storageTests port CloudBridge's test_block_store_service and the block
// device cases of test_compute_service (test_block_device_mapping_*). Tests
// that attach volumes make one instance and check several things of it in
// subtests.
func storageTests() []Test {
	volumes := []string{sdk.CapVolumes}
	snapshots := []string{sdk.CapVolumes, sdk.CapSnapshots}
	// Test instances boot the test image on the test VM type.
	instances := []string{sdk.CapInstances, sdk.CapImages, sdk.CapVMTypes}
	attach := slices.Concat(volumes, instances)
	launch := slices.Concat(snapshots, instances)
	return []Test{
		{Name: "storage/volumes/crud", Needs: volumes, Run: testVolumeCRUD},
		{Name: "storage/volumes/missing", Needs: volumes, Run: testVolumesMissing},
		{Name: "storage/volumes/paging", Needs: volumes, Run: testVolumesPaging},
		{Name: "storage/volumes/properties", Needs: volumes, Run: testVolumeProperties},
		{Name: "storage/volumes/size-validation", Needs: volumes, Run: testVolumeSizeValidation},
		{Name: "storage/volumes/wait", Needs: volumes, Run: testVolumeWait},
		{Name: "storage/volumes/other-zone", Needs: slices.Concat(volumes, []string{sdk.CapRegions}), Run: testVolumeOtherZone},
		{Name: "storage/volumes/unknown-zone", Needs: volumes, Run: testVolumeUnknownZone},
		{Name: "storage/volumes/from-missing-snapshot", Needs: snapshots, Run: testVolumeFromMissingSnapshot},
		{Name: "storage/volumes/attach-detach", Needs: attach, Run: testVolumeAttachDetach},
		{Name: "storage/volumes/attach-missing-instance", Needs: []string{sdk.CapVolumes, sdk.CapInstances}, Run: testVolumeAttachMissingInstance},

		{Name: "storage/snapshots/crud", Needs: snapshots, Run: testSnapshotCRUD},
		{Name: "storage/snapshots/missing", Needs: snapshots, Run: testSnapshotsMissing},
		{Name: "storage/snapshots/paging", Needs: snapshots, Run: testSnapshotsPaging},
		{Name: "storage/snapshots/properties", Needs: snapshots, Run: testSnapshotProperties},
		{Name: "storage/snapshots/outlive-volume", Needs: snapshots, Run: testSnapshotOutlivesVolume},
		{Name: "storage/snapshots/missing-volume", Needs: snapshots, Run: testSnapshotMissingVolume},

		{Name: "storage/launch-config/validation", Needs: instances, Run: testLaunchConfigTable},
		{Name: "storage/launch-config/missing-sources", Needs: launch, Run: testLaunchConfigMissingSources},
		{Name: "storage/launch-config/attachments", Needs: launch, Run: testLaunchConfigAttachments},
	}
}

// ---- adapters and helpers ----

func volumeService(e *Env) service[*host.Volume] {
	s := e.P.Storage.Volumes
	return service[*host.Volume]{
		kind: "volume", id: func(v *host.Volume) string { return v.ID },
		findKey: "label", findValue: func(v *host.Volume) string { return v.Label },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func snapshotService(e *Env) service[*host.Snapshot] {
	s := e.P.Storage.Snapshots
	return service[*host.Snapshot]{
		kind: "snapshot", id: func(sn *host.Snapshot) string { return sn.ID },
		findKey: "label", findValue: func(sn *host.Snapshot) string { return sn.Label },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func volumeLabels(e *Env, v *host.Volume) labeled {
	drv := e.P.Drivers().Storage.Volumes
	return labeled{
		kind: "volume", label: func() string { return v.Label },
		set: v.SetLabel, refresh: v.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, v.ID, sdk.VolumeUpdate{Label: &l})
			return err
		},
	}
}

func snapshotLabels(e *Env, sn *host.Snapshot) labeled {
	drv := e.P.Drivers().Storage.Snapshots
	return labeled{
		kind: "snapshot", label: func() string { return sn.Label },
		set: sn.SetLabel, refresh: sn.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, sn.ID, sdk.SnapshotUpdate{Label: &l})
			return err
		},
	}
}

// NewVolume makes a tracked blank volume of sizeGB in the provider's zone and
// waits until it is available.
func (e *Env) NewVolume(t T, purpose string, sizeGB int) *host.Volume {
	t.Helper()
	v := e.createVolume(t, sdk.VolumeSpec{Label: e.Name(purpose), SizeGB: sizeGB, Description: "conformance " + purpose})
	must(t, v.WaitReady(e.Ctx), "wait for volume %s to be available", v.ID)
	return v
}

// createVolume makes a tracked volume and returns at once.
func (e *Env) createVolume(t T, spec sdk.VolumeSpec) *host.Volume {
	t.Helper()
	v, err := e.P.Storage.Volumes.Create(e.Ctx, spec)
	must(t, err, "create volume %q", spec.Label)
	e.trackVolume(v.ID)
	return v
}

// trackVolume registers a volume to delete when the test ends. A volume still
// attached then (to an instance made before it, so deleted after it) is
// detached first.
func (e *Env) trackVolume(id string) {
	e.Track("volume", id, func(ctx context.Context) error { return deleteVolume(ctx, e.P, id) })
}

func deleteVolume(ctx context.Context, p *host.Provider, id string) error {
	v, err := p.Storage.Volumes.Get(ctx, id)
	if err != nil {
		return err
	}
	if v.Attachment != nil {
		if err := v.Detach(ctx, false); err != nil {
			return err
		}
		if err := v.WaitFor(ctx, sdk.VolumeAvailable); err != nil {
			return err
		}
	}
	return v.Delete(ctx)
}

// NewSnapshot makes a tracked snapshot of v and waits until it is available.
func (e *Env) NewSnapshot(t T, v *host.Volume, purpose string) *host.Snapshot {
	t.Helper()
	sn, err := v.CreateSnapshot(e.Ctx, e.Name(purpose), "conformance "+purpose)
	must(t, err, "create snapshot of volume %s", v.ID)
	e.Track("snapshot", sn.ID, sn.Delete)
	must(t, sn.WaitReady(e.Ctx), "wait for snapshot %s to be available", sn.ID)
	return sn
}

// checkVolumeGone is test_crud_volume's check after delete: the volume ends
// up gone (NotFound, state unknown in CloudBridge's terms) or in state
// deleted, wherever it is seen.
func checkVolumeGone(t T, e *Env, v *host.Volume) {
	t.Helper()
	must(t, v.WaitFor(e.Ctx, sdk.VolumeDeleted), "wait for volume %s to be deleted", v.ID)
	got, err := e.P.Storage.Volumes.Get(e.Ctx, v.ID)
	switch {
	case errors.Is(err, sdk.ErrNotFound):
	case err != nil:
		t.Errorf("get deleted volume %s: %v", v.ID, err)
	case got.State != sdk.VolumeDeleted:
		t.Errorf("deleted volume %s is %s", v.ID, got.State)
	}
	for _, other := range collect(t, "volumes", e.P.Storage.Volumes.All(e.Ctx)) {
		if other.ID == v.ID && other.State != sdk.VolumeDeleted {
			t.Errorf("deleted volume %s is listed as %s", v.ID, other.State)
		}
	}
	found, err := e.P.Storage.Volumes.Find(e.Ctx, host.Filter{"label": v.Label})
	must(t, err, "find volume by label")
	for _, f := range found {
		if f.ID == v.ID && f.State != sdk.VolumeDeleted {
			t.Errorf("deleted volume %s is found as %s", v.ID, f.State)
		}
	}
}

// wantOneOf fails the test unless err matches one of targets: clouds differ on
// whether a reference to a missing resource is NotFound or InvalidArgument.
func wantOneOf(t T, err error, what string, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if errors.Is(err, target) {
			return
		}
	}
	t.Errorf("%s: err = %v, want one of %v", what, err, targets)
}

// checkNoneLabeled fails the test if any volume carries label: what a refused
// create must not have made.
func checkNoneLabeled(t T, e *Env, label string) {
	t.Helper()
	found, err := e.P.Storage.Volumes.Find(e.Ctx, host.Filter{"label": label})
	must(t, err, "find volumes labeled %s", label)
	for _, v := range found {
		e.trackVolume(v.ID)
		t.Errorf("a refused create made volume %s labeled %s", v.ID, label)
	}
}

// ---- volumes ----

// testVolumeCRUD is test_crud_volume, check_crud for volumes: a retried create,
// label validation by the host and by the plugin, the standard checks, and
// delete.
func testVolumeCRUD(t T, e *Env) {
	svc := volumeService(e)
	spec := sdk.VolumeSpec{Label: e.Name("crud"), SizeGB: 1, IdempotencyToken: randomHex(16)}
	v := e.createVolume(t, spec)

	run(t, "idempotent-create", func(t T) {
		again, err := e.P.Storage.Volumes.Create(e.Ctx, spec)
		must(t, err, "create volume again with the same idempotency token")
		if again.ID != v.ID {
			e.trackVolume(again.ID)
		}
		svc.checkIdempotent(t, e, v, again.ID)
	})
	run(t, "host-rejects-bad-labels", func(t T) {
		checkRefused(t, e, "host create volume with label", badLabels, func(ctx context.Context, l string) (string, error) {
			bad, err := e.P.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: l, SizeGB: 1})
			if err != nil {
				return "", err
			}
			return bad.ID, nil
		}, func(ctx context.Context, id string) error { return deleteVolume(ctx, e.P, id) })
	})
	run(t, "plugin-rejects-bad-labels", func(t T) {
		drv := e.P.Drivers().Storage.Volumes
		checkRefused(t, e, "plugin create volume with label", badLabels, func(ctx context.Context, l string) (string, error) {
			bad, err := drv.Create(ctx, sdk.VolumeSpec{Label: l, SizeGB: 1, Zone: e.P.Zone, IdempotencyToken: randomHex(16)})
			return bad.ID, err
		}, func(ctx context.Context, id string) error { return deleteVolume(ctx, e.P, id) })
		volumeLabels(e, v).checkPluginRefuses(t, e)
	})
	must(t, v.WaitReady(e.Ctx), "wait for volume %s to be available", v.ID)
	run(t, "standard", func(t T) { svc.checkStandard(t, e, v) })
	run(t, "relabel", func(t T) { volumeLabels(e, v).checkRelabel(t, e) })
	run(t, "delete-twice", func(t T) {
		must(t, v.Delete(e.Ctx), "delete volume %s", v.ID)
		must(t, v.WaitFor(e.Ctx, sdk.VolumeDeleted), "wait for volume %s to be deleted", v.ID)
		wantCode(t, v.Delete(e.Ctx), sdk.ErrNotFound, "delete volume %s a second time", v.ID)
	})
	run(t, "gone", func(t T) { checkVolumeGone(t, e, v) })
}

func testVolumesMissing(t T, e *Env) {
	volumeService(e).checkMissing(t, e, e.Name("no-such-volume"))
}

func testVolumesPaging(t T, e *Env) {
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, e.createVolume(t, sdk.VolumeSpec{Label: e.Name(purpose), SizeGB: 1}).ID)
	}
	volumeService(e).checkPaging(t, e, made)
}

// testVolumeProperties is test_volume_properties without the attachment
// (see attach-detach): what a new volume says of itself, and that label and
// description change independently.
func testVolumeProperties(t T, e *Env) {
	v := e.NewVolume(t, "props", 1)
	same := func(what string, got, want any) func(T) {
		return func(t T) {
			if got != want {
				t.Errorf("volume %s: %s = %v, want %v", v.ID, what, got, want)
			}
		}
	}
	run(t, "id", func(t T) {
		if v.ID == "" {
			t.Errorf("volume has no id")
		}
	})
	run(t, "label", same("label", v.Label, e.Name("props")))
	run(t, "size", same("size", v.SizeGB, 1))
	run(t, "description", same("description", v.Description, "conformance props"))
	run(t, "state", same("state", v.State, sdk.VolumeAvailable))
	run(t, "zone", same("zone", v.Zone, e.P.Zone))
	run(t, "zone-in-region", func(t T) { checkZoneInRegion(t, e, v.Zone) })
	run(t, "no-source", func(t T) {
		if v.Source != nil {
			t.Errorf("blank volume %s has source %+v, want none", v.ID, *v.Source)
		}
	})
	run(t, "not-attached", func(t T) {
		if v.Attachment != nil {
			t.Errorf("new volume %s is attached: %+v", v.ID, *v.Attachment)
		}
	})
	run(t, "create-time", func(t T) {
		// A few minutes of clock skew between here and the cloud are allowed.
		if age := time.Since(v.CreateTime); age > time.Hour || age < -5*time.Minute {
			t.Errorf("volume %s: create time %v is not within the last hour", v.ID, v.CreateTime)
		}
	})
	run(t, "relabel-keeps-description", func(t T) {
		must(t, v.SetLabel(e.Ctx, e.Name("props-2")), "relabel volume %s", v.ID)
		must(t, v.Refresh(e.Ctx), "refresh volume %s", v.ID)
		if v.Label != e.Name("props-2") || v.Description != "conformance props" {
			t.Errorf("after relabel, volume %s has label %q and description %q; want %q and the old description",
				v.ID, v.Label, v.Description, e.Name("props-2"))
		}
	})
	run(t, "set-description-keeps-label", func(t T) {
		label := v.Label
		must(t, v.SetDescription(e.Ctx, "conformance new description"), "set description of volume %s", v.ID)
		must(t, v.Refresh(e.Ctx), "refresh volume %s", v.ID)
		if v.Description != "conformance new description" || v.Label != label {
			t.Errorf("after setting the description, volume %s has description %q and label %q; want the new one and %q",
				v.ID, v.Description, v.Label, label)
		}
	})
}

// testVolumeSizeValidation: a blank volume needs a size greater than 0; the
// host and the plugin itself refuse one without, and nothing is made.
func testVolumeSizeValidation(t T, e *Env) {
	drv := e.P.Drivers().Storage.Volumes
	label := e.Name("bad-size")
	for _, size := range []int{0, -1} {
		v, err := e.P.Storage.Volumes.Create(e.Ctx, sdk.VolumeSpec{Label: label, SizeGB: size})
		if err == nil {
			e.trackVolume(v.ID)
		}
		wantCode(t, err, sdk.ErrInvalidArgument, "host create blank volume of %d GB", size)
		raw, err := drv.Create(e.Ctx, sdk.VolumeSpec{Label: label, SizeGB: size, Zone: e.P.Zone, IdempotencyToken: randomHex(16)})
		if err == nil {
			e.trackVolume(raw.ID)
		}
		wantCode(t, err, sdk.ErrInvalidArgument, "plugin create blank volume of %d GB", size)
	}
	checkNoneLabeled(t, e, label)
}

// testVolumeWait: a new volume is creating (or already available), a wait for
// available ends with it available, and a wait for a state it will not reach
// ends with DeadlineExceeded when the context's deadline passes.
func testVolumeWait(t T, e *Env) {
	v := e.createVolume(t, sdk.VolumeSpec{Label: e.Name("wait"), SizeGB: 1})
	switch v.State {
	case sdk.VolumeCreating, sdk.VolumeConfiguring, sdk.VolumeAvailable:
	default:
		t.Errorf("new volume %s is %s, want creating, configuring or available", v.ID, v.State)
	}
	must(t, v.WaitFor(e.Ctx, sdk.VolumeAvailable), "wait for volume %s to be available", v.ID)
	if v.State != sdk.VolumeAvailable {
		t.Errorf("after waiting for available, volume %s is %s", v.ID, v.State)
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 300*time.Millisecond)
	defer cancel()
	wantCode(t, v.WaitFor(ctx, sdk.VolumeInUse), sdk.ErrDeadlineExceeded, "wait for unattached volume %s to be in use", v.ID)
}

// testVolumeOtherZone is test_clone_provider_zone for volumes: a volume asked
// for in another zone of the region is made there.
func testVolumeOtherZone(t T, e *Env) {
	r, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	var other *host.Zone
	for _, z := range r.Zones {
		if z.Name != e.P.Zone && z.ID != e.P.Zone && z.Available {
			other = &z
			break
		}
	}
	if other == nil {
		t.Skipf("region %s has no other available zone than %s", r.Name, e.P.Zone)
	}
	v := e.createVolume(t, sdk.VolumeSpec{Label: e.Name("zoned"), SizeGB: 1, Zone: other.Name})
	inZone := func(zone string) bool { return zone == other.Name || zone == other.ID }
	if !inZone(v.Zone) {
		t.Errorf("volume %s made in zone %s says it is in %q", v.ID, other.Name, v.Zone)
	}
	must(t, v.WaitReady(e.Ctx), "wait for volume %s to be available", v.ID)
	if !inZone(v.Zone) {
		t.Errorf("available volume %s made in zone %s is in %q", v.ID, other.Name, v.Zone)
	}
}

// testVolumeUnknownZone: a zone the region does not have is refused, and
// nothing is made.
func testVolumeUnknownZone(t T, e *Env) {
	label := e.Name("nowhere")
	v, err := e.P.Storage.Volumes.Create(e.Ctx, sdk.VolumeSpec{Label: label, SizeGB: 1, Zone: e.Name("no-such-zone")})
	if err == nil {
		e.trackVolume(v.ID)
	}
	wantOneOf(t, err, "create volume in a made-up zone", sdk.ErrInvalidArgument, sdk.ErrNotFound)
	checkNoneLabeled(t, e, label)
}

// testVolumeFromMissingSnapshot: a volume from a snapshot that does not exist
// is refused, and nothing is made.
func testVolumeFromMissingSnapshot(t T, e *Env) {
	label := e.Name("orphan")
	v, err := e.P.Storage.Volumes.Create(e.Ctx, sdk.VolumeSpec{Label: label, SnapshotID: e.Name("no-such-snapshot")})
	if err == nil {
		e.trackVolume(v.ID)
	}
	wantOneOf(t, err, "create volume from a missing snapshot", sdk.ErrNotFound, sdk.ErrInvalidArgument)
	checkNoneLabeled(t, e, label)
}

// testVolumeAttachDetach is test_attach_detach_volume and the attachment part
// of test_volume_properties, plus what a user hits: an in-use volume can be
// neither attached again nor deleted, an unattached one not detached, and
// deleting the instance frees its volume.
func testVolumeAttachDetach(t T, e *Env) {
	inst := e.NewInstance(t, "attach", InstanceOptions{})
	// Made after the instance, so deleted (and detached) before it.
	v := e.createVolume(t, sdk.VolumeSpec{Label: e.Name("attach"), SizeGB: 1, Zone: inst.Zone})
	must(t, v.WaitReady(e.Ctx), "wait for volume %s to be available", v.ID)

	var att sdk.VolumeAttachment
	attached := run(t, "attach", func(t T) {
		must(t, v.Attach(e.Ctx, inst.ID, ""), "attach volume %s to instance %s", v.ID, inst.ID)
		must(t, v.WaitFor(e.Ctx, sdk.VolumeInUse), "wait for volume %s to be in use", v.ID)
		if v.Attachment == nil {
			t.Fatalf("in-use volume %s has no attachment", v.ID)
		}
		att = *v.Attachment
		if att.InstanceID != inst.ID || att.Device == "" {
			t.Errorf("volume %s attachment = %+v, want instance %s and a device", v.ID, att, inst.ID)
		}
	})
	if !attached {
		return
	}
	// stillAttached: the volume is as the attach left it.
	stillAttached := func(t T, after string) {
		t.Helper()
		got, err := e.P.Storage.Volumes.Get(e.Ctx, v.ID)
		must(t, err, "get volume %s", v.ID)
		if got.State != sdk.VolumeInUse || got.Attachment == nil || *got.Attachment != att {
			t.Errorf("after %s, volume %s is %s attached as %+v; want in-use as %+v", after, v.ID, got.State, got.Attachment, att)
		}
	}
	run(t, "listed-in-use", func(t T) {
		for _, other := range collect(t, "volumes", e.P.Storage.Volumes.All(e.Ctx)) {
			if other.ID == v.ID && (other.State != sdk.VolumeInUse || other.Attachment == nil || *other.Attachment != att) {
				t.Errorf("attached volume %s is listed as %s attached as %+v", v.ID, other.State, other.Attachment)
			}
		}
	})
	run(t, "attach-again-refused", func(t T) {
		again, err := e.P.Storage.Volumes.Get(e.Ctx, v.ID)
		must(t, err, "get volume %s", v.ID)
		wantCode(t, again.Attach(e.Ctx, inst.ID, ""), sdk.ErrFailedPrecondition, "attach in-use volume %s again", v.ID)
		stillAttached(t, "a refused attach")
	})
	run(t, "delete-in-use-refused", func(t T) {
		wantCode(t, e.P.Storage.Volumes.Delete(e.Ctx, v.ID), sdk.ErrFailedPrecondition, "delete in-use volume %s", v.ID)
		stillAttached(t, "a refused delete")
	})
	run(t, "detach", func(t T) {
		must(t, v.Detach(e.Ctx, false), "detach volume %s", v.ID)
		must(t, v.WaitFor(e.Ctx, sdk.VolumeAvailable), "wait for volume %s to be available", v.ID)
		if v.Attachment != nil {
			t.Errorf("detached volume %s still has attachment %+v", v.ID, *v.Attachment)
		}
	})
	run(t, "detach-unattached-refused", func(t T) {
		wantCode(t, v.Detach(e.Ctx, false), sdk.ErrFailedPrecondition, "detach unattached volume %s", v.ID)
		must(t, v.Refresh(e.Ctx), "refresh volume %s", v.ID)
		if v.State != sdk.VolumeAvailable || v.Attachment != nil {
			t.Errorf("after a refused detach, volume %s is %s attached as %+v", v.ID, v.State, v.Attachment)
		}
	})
	run(t, "instance-delete-detaches", func(t T) {
		must(t, v.Attach(e.Ctx, inst.ID, ""), "attach volume %s to instance %s", v.ID, inst.ID)
		must(t, v.WaitFor(e.Ctx, sdk.VolumeInUse), "wait for volume %s to be in use", v.ID)
		must(t, inst.Delete(e.Ctx), "delete instance %s", inst.ID)
		must(t, inst.WaitFor(e.Ctx, sdk.InstanceDeleted, sdk.InstanceUnknown), "wait for instance %s to be deleted", inst.ID)
		must(t, v.WaitFor(e.Ctx, sdk.VolumeAvailable), "wait for volume %s to be available after its instance's deletion", v.ID)
		if v.Attachment != nil {
			t.Errorf("volume %s is still attached to deleted instance: %+v", v.ID, *v.Attachment)
		}
	})
}

// testVolumeAttachMissingInstance: attaching to an instance that does not
// exist is refused, and the volume stays available.
func testVolumeAttachMissingInstance(t T, e *Env) {
	v := e.NewVolume(t, "no-instance", 1)
	err := v.Attach(e.Ctx, e.Name("no-such-instance"), "")
	wantOneOf(t, err, "attach volume to a missing instance", sdk.ErrNotFound, sdk.ErrInvalidArgument)
	must(t, v.Refresh(e.Ctx), "refresh volume %s", v.ID)
	if v.State != sdk.VolumeAvailable || v.Attachment != nil {
		t.Errorf("after a refused attach, volume %s is %s attached as %+v", v.ID, v.State, v.Attachment)
	}
}

// ---- snapshots ----

// testSnapshotCRUD is test_crud_snapshot: check_crud for a snapshot made
// through the service, and one made through its volume.
func testSnapshotCRUD(t T, e *Env) {
	vol := e.NewVolume(t, "snap-src", 1)
	svc := snapshotService(e)

	run(t, "via-volume", func(t T) {
		sn, err := vol.CreateSnapshot(e.Ctx, e.Name("via-volume"), "")
		must(t, err, "create snapshot of volume %s", vol.ID)
		e.Track("snapshot", sn.ID, sn.Delete)
		if sn.VolumeID != vol.ID {
			t.Errorf("snapshot %s of volume %s says its volume is %q", sn.ID, vol.ID, sn.VolumeID)
		}
		must(t, sn.WaitReady(e.Ctx), "wait for snapshot %s to be available", sn.ID)
		svc.checkStandard(t, e, sn)
	})

	spec := sdk.SnapshotSpec{Label: e.Name("crud"), VolumeID: vol.ID, IdempotencyToken: randomHex(16)}
	sn, err := e.P.Storage.Snapshots.Create(e.Ctx, spec)
	must(t, err, "create snapshot of volume %s", vol.ID)
	e.Track("snapshot", sn.ID, sn.Delete)

	run(t, "idempotent-create", func(t T) {
		again, err := e.P.Storage.Snapshots.Create(e.Ctx, spec)
		must(t, err, "create snapshot again with the same idempotency token")
		if again.ID != sn.ID {
			e.Track("snapshot", again.ID, again.Delete)
		}
		svc.checkIdempotent(t, e, sn, again.ID)
	})
	run(t, "host-rejects-bad-labels", func(t T) {
		checkRefused(t, e, "host create snapshot with label", badLabels, func(ctx context.Context, l string) (string, error) {
			bad, err := e.P.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: l, VolumeID: vol.ID})
			if err != nil {
				return "", err
			}
			return bad.ID, nil
		}, e.P.Storage.Snapshots.Delete)
	})
	run(t, "plugin-rejects-bad-labels", func(t T) {
		drv := e.P.Drivers().Storage.Snapshots
		checkRefused(t, e, "plugin create snapshot with label", badLabels, func(ctx context.Context, l string) (string, error) {
			bad, err := drv.Create(ctx, sdk.SnapshotSpec{Label: l, VolumeID: vol.ID, IdempotencyToken: randomHex(16)})
			return bad.ID, err
		}, drv.Delete)
		snapshotLabels(e, sn).checkPluginRefuses(t, e)
	})
	must(t, sn.WaitReady(e.Ctx), "wait for snapshot %s to be available", sn.ID)
	run(t, "standard", func(t T) { svc.checkStandard(t, e, sn) })
	run(t, "relabel", func(t T) { snapshotLabels(e, sn).checkRelabel(t, e) })
	run(t, "delete-twice", func(t T) {
		must(t, sn.Delete(e.Ctx), "delete snapshot %s", sn.ID)
		must(t, sn.WaitFor(e.Ctx, sdk.SnapshotUnknown), "wait for snapshot %s to be gone", sn.ID)
		wantCode(t, sn.Delete(e.Ctx), sdk.ErrNotFound, "delete snapshot %s a second time", sn.ID)
	})
	run(t, "gone", func(t T) { svc.checkGone(t, e, sn) })
}

func testSnapshotsMissing(t T, e *Env) {
	snapshotService(e).checkMissing(t, e, e.Name("no-such-snapshot"))
}

func testSnapshotsPaging(t T, e *Env) {
	vol := e.NewVolume(t, "page-src", 1)
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		sn, err := e.P.Storage.Snapshots.Create(e.Ctx, sdk.SnapshotSpec{Label: e.Name(purpose), VolumeID: vol.ID})
		must(t, err, "create snapshot %s", purpose)
		e.Track("snapshot", sn.ID, sn.Delete)
		made = append(made, sn.ID)
	}
	snapshotService(e).checkPaging(t, e, made)
}

// testSnapshotProperties is test_snapshot_properties: size and volume, a new
// label and description, and volumes made from the snapshot, which name it as
// their source.
func testSnapshotProperties(t T, e *Env) {
	vol := e.NewVolume(t, "snap-props-src", 1)
	sn := e.NewSnapshot(t, vol, "props")

	run(t, "size", func(t T) {
		if sn.SizeGB != vol.SizeGB {
			t.Errorf("snapshot %s has %d GB, its volume %d", sn.ID, sn.SizeGB, vol.SizeGB)
		}
	})
	run(t, "volume-id", func(t T) {
		if sn.VolumeID != vol.ID {
			t.Errorf("snapshot %s says its volume is %q, want %s", sn.ID, sn.VolumeID, vol.ID)
		}
	})
	run(t, "state", func(t T) {
		if sn.State != sdk.SnapshotAvailable {
			t.Errorf("ready snapshot %s is %s", sn.ID, sn.State)
		}
	})
	run(t, "create-time", func(t T) {
		if age := time.Since(sn.CreateTime); age > time.Hour || age < -5*time.Minute {
			t.Errorf("snapshot %s: create time %v is not within the last hour", sn.ID, sn.CreateTime)
		}
	})
	run(t, "relabel-and-describe", func(t T) {
		must(t, sn.SetLabel(e.Ctx, e.Name("props-2")), "relabel snapshot %s", sn.ID)
		must(t, sn.SetDescription(e.Ctx, "conformance new description"), "set description of snapshot %s", sn.ID)
		must(t, sn.Refresh(e.Ctx), "refresh snapshot %s", sn.ID)
		if sn.Label != e.Name("props-2") || sn.Description != "conformance new description" {
			t.Errorf("snapshot %s has label %q and description %q after changing both", sn.ID, sn.Label, sn.Description)
		}
	})
	checkFromSnapshot := func(t T, v *host.Volume, wantGB int) {
		t.Helper()
		must(t, v.WaitReady(e.Ctx), "wait for volume %s to be available", v.ID)
		if v.Source == nil || v.Source.Kind != "snapshot" || v.Source.ID != sn.ID {
			t.Errorf("volume %s made from snapshot %s has source %+v", v.ID, sn.ID, v.Source)
		}
		if v.SizeGB != wantGB {
			t.Errorf("volume %s made from snapshot %s has %d GB, want %d", v.ID, sn.ID, v.SizeGB, wantGB)
		}
	}
	run(t, "create-volume", func(t T) {
		v, err := sn.CreateVolume(e.Ctx, e.Name("from-snap"), 0)
		must(t, err, "create volume from snapshot %s", sn.ID)
		e.trackVolume(v.ID)
		checkFromSnapshot(t, v, sn.SizeGB)
	})
	run(t, "create-bigger-volume", func(t T) {
		v := e.createVolume(t, sdk.VolumeSpec{Label: e.Name("from-snap-big"), SnapshotID: sn.ID, SizeGB: sn.SizeGB + 1})
		checkFromSnapshot(t, v, sn.SizeGB+1)
	})
}

// testSnapshotOutlivesVolume: deleting a volume leaves its snapshots, which
// still make volumes.
func testSnapshotOutlivesVolume(t T, e *Env) {
	vol := e.NewVolume(t, "short-lived", 1)
	sn := e.NewSnapshot(t, vol, "outlive")
	must(t, vol.Delete(e.Ctx), "delete volume %s", vol.ID)
	must(t, vol.WaitFor(e.Ctx, sdk.VolumeDeleted), "wait for volume %s to be deleted", vol.ID)
	must(t, sn.Refresh(e.Ctx), "get snapshot %s of deleted volume %s", sn.ID, vol.ID)
	if sn.State != sdk.SnapshotAvailable || sn.VolumeID != vol.ID {
		t.Errorf("snapshot %s of deleted volume %s is %s with volume %q", sn.ID, vol.ID, sn.State, sn.VolumeID)
	}
	v, err := sn.CreateVolume(e.Ctx, e.Name("restored"), 0)
	must(t, err, "create volume from snapshot %s of a deleted volume", sn.ID)
	e.trackVolume(v.ID)
	must(t, v.WaitReady(e.Ctx), "wait for restored volume %s to be available", v.ID)
}

// testSnapshotMissingVolume: a snapshot of a volume that does not exist is
// refused, and nothing is made.
func testSnapshotMissingVolume(t T, e *Env) {
	label := e.Name("no-volume")
	sn, err := e.P.Storage.Snapshots.Create(e.Ctx, sdk.SnapshotSpec{Label: label, VolumeID: e.Name("no-such-volume")})
	if err == nil {
		e.Track("snapshot", sn.ID, sn.Delete)
	}
	wantOneOf(t, err, "snapshot a missing volume", sdk.ErrNotFound, sdk.ErrInvalidArgument)
	found, err := e.P.Storage.Snapshots.Find(e.Ctx, host.Filter{"label": label})
	must(t, err, "find snapshots")
	if len(found) != 0 {
		t.Errorf("a refused snapshot create made %d snapshots", len(found))
	}
}

// ---- launch configs ----

// testLaunchConfigTable is test_block_device_mapping_launch_config: every
// launch config CloudBridge refuses (a blank device without a size, a size
// not greater than 0, a bad source, two roots) is InvalidArgument naming the
// device, from the host and from the plugin called directly, and launches
// nothing.
func testLaunchConfigTable(t T, e *Env) {
	img := e.TestImage(t)
	specs := launchSpecs(t, e, e.TestSubnet(t))
	label := e.Name("bad-lc")
	drv := e.P.Drivers().Compute.Instances
	root := sdk.BlockDevice{Source: sdk.SourceImage, SourceID: img.ID, IsRoot: true}
	cases := []struct {
		name    string
		devices []sdk.BlockDevice
	}{
		{"blank-without-size", []sdk.BlockDevice{{Source: sdk.SourceBlank}}},
		{"blank-negative-size", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: -1}}},
		{"image-negative-size", []sdk.BlockDevice{{Source: sdk.SourceImage, SourceID: img.ID, IsRoot: true, SizeGB: -8}}},
		{"no-source", []sdk.BlockDevice{{SizeGB: 1}}},
		{"unknown-source", []sdk.BlockDevice{root, {Source: "floppy", SizeGB: 1}}},
		{"volume-without-id", []sdk.BlockDevice{{Source: sdk.SourceVolume}}},
		{"snapshot-without-id", []sdk.BlockDevice{root, {Source: sdk.SourceSnapshot}}},
		{"image-without-id", []sdk.BlockDevice{{Source: sdk.SourceImage, IsRoot: true}}},
		{"blank-with-source-id", []sdk.BlockDevice{{Source: sdk.SourceBlank, SourceID: img.ID, SizeGB: 1}}},
		{"two-roots", []sdk.BlockDevice{root, {Source: sdk.SourceBlank, SizeGB: 1, IsRoot: true}}},
		{"ephemeral-root", []sdk.BlockDevice{{Source: sdk.SourceEphemeral, IsRoot: true}}},
	}
	for _, c := range cases {
		run(t, c.name, func(t T) {
			spec := specs(label)
			spec.BlockDevices = c.devices
			in, err := e.P.Compute.Instances.Create(e.Ctx, spec)
			if err == nil {
				e.Track("instance", in.ID, in.Delete)
			}
			checkBlockDeviceError(t, err, "host launch with "+c.name)
			spec.IdempotencyToken = randomHex(16)
			raw, err := drv.Create(e.Ctx, spec)
			if err == nil {
				e.Track("instance", raw.ID, func(ctx context.Context) error { return drv.Delete(ctx, raw.ID) })
			}
			checkBlockDeviceError(t, err, "plugin launch with "+c.name)
		})
	}
	run(t, "nothing-launched", func(t T) {
		found, err := e.P.Compute.Instances.Find(e.Ctx, host.Filter{"label": label})
		must(t, err, "find instances")
		for _, in := range found {
			if in.State != sdk.InstanceDeleted {
				t.Errorf("a refused launch made instance %s (%s)", in.ID, in.State)
			}
		}
	})
}

// checkBlockDeviceError: err is InvalidArgument whose Param names the launch
// config (block_devices, or one device's field, block_devices[1].size_gb).
func checkBlockDeviceError(t T, err error, what string) {
	t.Helper()
	if !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("%s: err = %v, want InvalidArgument", what, err)
		return
	}
	if e := (*sdk.Error)(nil); !errors.As(err, &e) || !strings.HasPrefix(e.Param, "block_devices") {
		t.Errorf("%s: err = %v does not name a block_devices param", what, err)
	}
}

// testLaunchConfigMissingSources: a launch config naming a volume, snapshot or
// image that does not exist is refused (NotFound or InvalidArgument, clouds
// differ) and launches nothing.
func testLaunchConfigMissingSources(t T, e *Env) {
	specs := launchSpecs(t, e, e.TestSubnet(t))
	missing := e.Name("missing")
	for _, c := range []struct {
		name   string
		device sdk.BlockDevice
	}{
		{"volume", sdk.BlockDevice{Source: sdk.SourceVolume, SourceID: missing}},
		{"snapshot", sdk.BlockDevice{Source: sdk.SourceSnapshot, SourceID: missing}},
		{"image", sdk.BlockDevice{Source: sdk.SourceImage, SourceID: missing, SizeGB: 1}},
	} {
		run(t, c.name, func(t T) {
			label := e.Name("lc-missing-" + c.name)
			spec := specs(label)
			spec.BlockDevices = []sdk.BlockDevice{c.device}
			in, err := e.P.Compute.Instances.Create(e.Ctx, spec)
			if err == nil {
				e.Track("instance", in.ID, in.Delete)
			}
			wantOneOf(t, err, "launch with a missing "+c.name, sdk.ErrNotFound, sdk.ErrInvalidArgument)
			found, err := e.P.Compute.Instances.Find(e.Ctx, host.Filter{"label": label})
			must(t, err, "find instances")
			for _, in := range found {
				if in.State != sdk.InstanceDeleted {
					t.Errorf("a refused launch made instance %s (%s)", in.ID, in.State)
				}
			}
		})
	}
}

// testLaunchConfigAttachments is test_block_device_mapping_attachments: an
// instance launched with a blank volume, an existing volume, a volume from a
// snapshot, the image as a resized root and the VM type's ephemeral disks
// runs, lists its devices, and their volumes are real, attached volumes; when
// the instance is deleted those marked delete_on_terminate go with it and
// the existing volume is freed.
func testLaunchConfigAttachments(t T, e *Env) {
	img, vt := e.TestImage(t), e.TestVMType(t)
	subnet := e.TestSubnet(t)
	existing := e.NewVolume(t, "lc-existing", 1)
	snap := e.NewSnapshot(t, e.NewVolume(t, "lc-snap-src", 1), "lc")
	// The volumes the launch makes are deleted after the instance (tracked
	// later, so deleted first) even if a test fails before delete_on_terminate
	// removes them.
	var made []string
	e.Track("launch-config volumes", "of the instance", func(ctx context.Context) error {
		for _, id := range made {
			if err := deleteVolume(ctx, e.P, id); err != nil && !errors.Is(err, sdk.ErrNotFound) {
				return err
			}
		}
		return nil
	})

	rootGB := img.MinDiskGB
	if rootGB <= 0 {
		rootGB = 30 // CloudBridge's choice when the image does not say
	}
	devices := []sdk.BlockDevice{
		{Source: sdk.SourceBlank, SizeGB: 1, DeleteOnTerminate: true},
		{Source: sdk.SourceVolume, SourceID: existing.ID},
		{Source: sdk.SourceSnapshot, SourceID: snap.ID, DeleteOnTerminate: true},
		{Source: sdk.SourceImage, SourceID: img.ID, IsRoot: true, SizeGB: rootGB, DeleteOnTerminate: true},
	}
	const volumeBacked = 4
	for range vt.NumEphemeralDisks {
		devices = append(devices, sdk.BlockDevice{Source: sdk.SourceEphemeral})
	}
	inst := e.NewInstance(t, "lc", InstanceOptions{SubnetID: subnet, BlockDevices: devices})

	var volumeIDs []string
	roots := 0
	for _, d := range inst.BlockDevices {
		if d.VolumeID != "" && !slices.Contains(volumeIDs, d.VolumeID) {
			volumeIDs = append(volumeIDs, d.VolumeID)
		}
		if d.IsRoot {
			roots++
		}
	}
	for _, id := range volumeIDs {
		if id != existing.ID {
			made = append(made, id)
		}
	}

	run(t, "lists-devices", func(t T) {
		if len(volumeIDs) < volumeBacked {
			t.Errorf("instance %s lists %d volumes among its devices %+v, want at least %d", inst.ID, len(volumeIDs), inst.BlockDevices, volumeBacked)
		}
		if !slices.Contains(volumeIDs, existing.ID) {
			t.Errorf("instance %s's devices %+v lack the volume %s it was launched with", inst.ID, inst.BlockDevices, existing.ID)
		}
		if roots != 1 {
			t.Errorf("instance %s lists %d root devices, want 1: %+v", inst.ID, roots, inst.BlockDevices)
		}
	})
	volumes := map[string]*host.Volume{}
	run(t, "volumes-attached", func(t T) {
		for _, id := range volumeIDs {
			v, err := e.P.Storage.Volumes.Get(e.Ctx, id)
			must(t, err, "get volume %s of instance %s", id, inst.ID)
			must(t, v.WaitFor(e.Ctx, sdk.VolumeInUse), "wait for volume %s of instance %s to be in use", id, inst.ID)
			volumes[id] = v
			if v.Attachment == nil || v.Attachment.InstanceID != inst.ID || v.Attachment.Device == "" {
				t.Errorf("volume %s of instance %s is attached as %+v", id, inst.ID, v.Attachment)
			}
			if v.Zone != inst.Zone {
				t.Errorf("volume %s is in zone %s, its instance %s in %s", id, v.Zone, inst.ID, inst.Zone)
			}
		}
	})
	run(t, "volumes-listed", func(t T) {
		listed := ids(collect(t, "volumes", e.P.Storage.Volumes.All(e.Ctx)), func(v *host.Volume) string { return v.ID })
		for _, id := range volumeIDs {
			if !slices.Contains(listed, id) {
				t.Errorf("volume %s of instance %s is not listed", id, inst.ID)
			}
		}
	})
	run(t, "from-snapshot", func(t T) {
		for _, v := range volumes {
			if v.Source != nil && v.Source.Kind == "snapshot" && v.Source.ID == snap.ID {
				if v.SizeGB < snap.SizeGB {
					t.Errorf("volume %s from snapshot %s has %d GB, less than the snapshot's %d", v.ID, snap.ID, v.SizeGB, snap.SizeGB)
				}
				return
			}
		}
		t.Errorf("no volume of instance %s names snapshot %s as its source", inst.ID, snap.ID)
	})
	run(t, "blank", func(t T) {
		for id, v := range volumes {
			if id != existing.ID && v.Source == nil && v.SizeGB == 1 {
				return
			}
		}
		t.Errorf("no volume of instance %s is a blank 1 GB volume", inst.ID)
	})
	run(t, "delete-on-terminate", func(t T) {
		must(t, inst.Delete(e.Ctx), "delete instance %s", inst.ID)
		must(t, inst.WaitFor(e.Ctx, sdk.InstanceDeleted, sdk.InstanceUnknown), "wait for instance %s to be deleted", inst.ID)
		must(t, existing.WaitFor(e.Ctx, sdk.VolumeAvailable), "wait for volume %s to be freed by its instance's deletion", existing.ID)
		if existing.Attachment != nil {
			t.Errorf("volume %s is still attached to deleted instance: %+v", existing.ID, *existing.Attachment)
		}
		for _, id := range made {
			v, err := e.P.Storage.Volumes.Get(e.Ctx, id)
			if errors.Is(err, sdk.ErrNotFound) {
				continue
			}
			must(t, err, "get volume %s", id)
			if err := v.WaitFor(e.Ctx, sdk.VolumeDeleted); err != nil {
				t.Errorf("volume %s, launched with delete_on_terminate, outlives its instance: %v", id, err)
			}
		}
	})
}
