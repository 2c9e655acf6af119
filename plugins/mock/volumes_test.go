package mock

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// waitVolume polls until volume id is in state want, and returns it.
func waitVolume(t *testing.T, p sdk.Plugin, id string, want sdk.VolumeState) sdk.Volume {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := p.Storage.Volumes.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		if v.State == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("volume %s is %s; waited in vain for %s", id, v.State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// createVolume makes a volume and waits until it is available.
func createVolume(t *testing.T, p sdk.Plugin, spec sdk.VolumeSpec) sdk.Volume {
	t.Helper()
	if spec.Label == "" {
		spec.Label = "test-vol"
	}
	if spec.SizeGB == 0 && spec.SnapshotID == "" {
		spec.SizeGB = 10
	}
	v, err := p.Storage.Volumes.Create(context.Background(), spec)
	if err != nil {
		t.Fatalf("Create(%+v): %v", spec, err)
	}
	return waitVolume(t, p, v.ID, sdk.VolumeAvailable)
}

// runningInstance launches an instance and waits until it runs.
func runningInstance(t *testing.T, p sdk.Plugin, spec sdk.InstanceSpec) sdk.Instance {
	t.Helper()
	in := createInstance(t, p, spec)
	return waitInstance(t, p, in.ID, sdk.InstanceRunning)
}

func countVolumes(t *testing.T, p sdk.Plugin) int {
	t.Helper()
	page, err := p.Storage.Volumes.List(context.Background(), sdk.ListOptions{PageSize: sdk.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

func TestVolumeLifecycle(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	before := time.Now()
	v, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "data-1", SizeGB: 20, Description: "scratch"})
	if err != nil {
		t.Fatal(err)
	}
	if v.State != sdk.VolumeCreating {
		t.Errorf("new volume is %s; want creating", v.State)
	}
	if len(v.ID) != len("vol-")+12 || v.ID[:4] != "vol-" || v.Name != v.ID {
		t.Errorf("id %q, name %q: want vol- and 12 hex digits, and the name the id", v.ID, v.Name)
	}
	if v.Label != "data-1" || v.Description != "scratch" || v.SizeGB != 20 || v.Zone != "mock-east-1a" ||
		v.VolumeType != "standard" || v.IOPS != 0 || v.Source != nil || v.Attachment != nil {
		t.Errorf("volume = %+v", v)
	}
	if v.CreateTime.Before(before.Add(-time.Second)) || v.CreateTime.After(time.Now()) {
		t.Errorf("CreateTime %v is not now", v.CreateTime)
	}
	waitVolume(t, p, v.ID, sdk.VolumeAvailable)

	label, desc := "data-2", "kept"
	got, err := p.Storage.Volumes.Update(ctx, v.ID, sdk.VolumeUpdate{Label: &label})
	if err != nil || got.Label != "data-2" || got.Description != "scratch" {
		t.Fatalf("Update(label) = %+v, %v; want the new label and the old description", got, err)
	}
	got, err = p.Storage.Volumes.Update(ctx, v.ID, sdk.VolumeUpdate{Description: &desc})
	if err != nil || got.Label != "data-2" || got.Description != "kept" {
		t.Fatalf("Update(description) = %+v, %v", got, err)
	}
	bad := "Bad"
	_, err = p.Storage.Volumes.Update(ctx, v.ID, sdk.VolumeUpdate{Label: &bad})
	wantErr(t, err, sdk.CodeInvalidArgument, "label")
	_, err = p.Storage.Volumes.Update(ctx, "vol-000000000000", sdk.VolumeUpdate{Label: &label})
	wantErr(t, err, sdk.CodeNotFound, "")

	if err := p.Storage.Volumes.Delete(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.Storage.Volumes.Get(ctx, v.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
	wantErr(t, p.Storage.Volumes.Delete(ctx, v.ID), sdk.CodeNotFound, "")
}

func TestVolumeCreateValidation(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, map[string]string{"boot_time": "1h"})
	vol, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "source", SizeGB: 5})
	if err != nil {
		t.Fatal(err)
	}
	// A snapshot of a creating volume is refused; make it available first.
	_, err = p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "snap", VolumeID: vol.ID})
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	tests := []struct {
		name  string
		spec  sdk.VolumeSpec
		code  sdk.Code
		param string
	}{
		{"bad label", sdk.VolumeSpec{Label: "Data", SizeGB: 1}, sdk.CodeInvalidArgument, "label"},
		{"no size", sdk.VolumeSpec{}, sdk.CodeInvalidArgument, "size_gb"},
		{"negative size", sdk.VolumeSpec{SizeGB: -1}, sdk.CodeInvalidArgument, "size_gb"},
		{"too big", sdk.VolumeSpec{SizeGB: 16385}, sdk.CodeInvalidArgument, "size_gb"},
		{"long description", sdk.VolumeSpec{SizeGB: 1, Description: string(make([]byte, 256))}, sdk.CodeInvalidArgument, "description"},
		{"unknown type", sdk.VolumeSpec{SizeGB: 1, VolumeType: "gp9"}, sdk.CodeInvalidArgument, "volume_type"},
		{"iops on standard", sdk.VolumeSpec{SizeGB: 100, IOPS: 1000}, sdk.CodeInvalidArgument, "iops"},
		{"piops without iops", sdk.VolumeSpec{SizeGB: 100, VolumeType: "piops"}, sdk.CodeInvalidArgument, "iops"},
		{"piops over 50 per GB", sdk.VolumeSpec{SizeGB: 10, VolumeType: "piops", IOPS: 501}, sdk.CodeInvalidArgument, "iops"},
		{"zone of another region", sdk.VolumeSpec{SizeGB: 1, Zone: "mock-west-1a"}, sdk.CodeInvalidArgument, "zone"},
		{"missing snapshot", sdk.VolumeSpec{SnapshotID: "snap-000000000000"}, sdk.CodeNotFound, "snapshot_id"},
		{"a volume is no snapshot", sdk.VolumeSpec{SnapshotID: vol.ID}, sdk.CodeNotFound, "snapshot_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			if spec.Label == "" {
				spec.Label = "test-vol"
			}
			_, err := p.Storage.Volumes.Create(ctx, spec)
			wantErr(t, err, tt.code, tt.param)
		})
	}
	if n := countVolumes(t, p); n != 1 {
		t.Errorf("%d volumes after failed creates; want just the first", n)
	}

	v, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "fast", SizeGB: 100, VolumeType: "piops", IOPS: 5000, Zone: "mock-east-1c"})
	if err != nil || v.VolumeType != "piops" || v.IOPS != 5000 || v.Zone != "mock-east-1c" {
		t.Fatalf("Create(piops in mock-east-1c) = %+v, %v", v, err)
	}
}

func TestVolumeFromSnapshot(t *testing.T) {
	ctx := context.Background()
	c := New()
	p := configure(t, c, map[string]string{"boot_time": "1h"})
	vol, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "source", SizeGB: 8})
	if err != nil {
		t.Fatal(err)
	}
	// A snapshot is taken of a volume once it is available, and made into a
	// volume once it is available itself.
	_, err = p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "snap", VolumeID: vol.ID})
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	configure(t, c, map[string]string{"boot_time": "0s"})
	vol = createVolume(t, p, sdk.VolumeSpec{Label: "source", SizeGB: 8})
	configure(t, c, map[string]string{"boot_time": "1h"})
	pending, err := p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "pending", VolumeID: vol.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "early", SnapshotID: pending.ID})
	wantErr(t, err, sdk.CodeFailedPrecondition, "snapshot_id")

	configure(t, c, map[string]string{"boot_time": "0s"})
	snap, err := p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "snap", VolumeID: vol.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, p, snap.ID, sdk.SnapshotAvailable)

	same := createVolume(t, p, sdk.VolumeSpec{Label: "copy", SnapshotID: snap.ID})
	if same.SizeGB != 8 || same.Source == nil || *same.Source != (sdk.ResourceRef{Kind: "snapshot", ID: snap.ID}) {
		t.Errorf("volume from snapshot = %+v (source %v); want 8 GB from %s", same, same.Source, snap.ID)
	}
	bigger := createVolume(t, p, sdk.VolumeSpec{Label: "bigger", SnapshotID: snap.ID, SizeGB: 20})
	if bigger.SizeGB != 20 {
		t.Errorf("bigger volume from snapshot has %d GB; want 20", bigger.SizeGB)
	}
	_, err = p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "smaller", SnapshotID: snap.ID, SizeGB: 4})
	wantErr(t, err, sdk.CodeInvalidArgument, "size_gb")

	// Deleting the snapshot leaves its volumes, which still say where they came from.
	if err := p.Storage.Snapshots.Delete(ctx, snap.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Storage.Volumes.Get(ctx, same.ID); err != nil || got.Source == nil || got.Source.ID != snap.ID {
		t.Errorf("volume after its snapshot's deletion = %+v, %v", got, err)
	}
}

func TestVolumeAttachDetach(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	in := runningInstance(t, p, sdk.InstanceSpec{})
	vol := createVolume(t, p, sdk.VolumeSpec{Label: "data"})

	_, err := p.Storage.Volumes.Attach(ctx, vol.ID, "i-000000000000", "")
	wantErr(t, err, sdk.CodeNotFound, "instance_id")
	_, err = p.Storage.Volumes.Attach(ctx, "vol-000000000000", in.ID, "")
	wantErr(t, err, sdk.CodeNotFound, "volume_id")
	for _, bad := range []string{"sdb", "/dev/sda", "/dev/sda1", "/dev/sdB", "/dev/sdbb", "/dev/hdb", "/dev/xvd"} {
		_, err = p.Storage.Volumes.Attach(ctx, vol.ID, in.ID, bad)
		wantErr(t, err, sdk.CodeInvalidArgument, "device")
	}
	_, err = p.Storage.Volumes.Detach(ctx, vol.ID, false)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	got, err := p.Storage.Volumes.Attach(ctx, vol.ID, in.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != sdk.VolumeInUse || got.Attachment == nil || *got.Attachment != (sdk.VolumeAttachment{InstanceID: in.ID, Device: "/dev/sdb"}) {
		t.Fatalf("attached volume = %+v, attachment %v; want in-use on %s as /dev/sdb", got, got.Attachment, in.ID)
	}
	inst, _ := p.Compute.Instances.Get(ctx, in.ID)
	if !slices.ContainsFunc(inst.BlockDevices, func(d sdk.BlockDevice) bool { return d.VolumeID == vol.ID && d.Device == "/dev/sdb" }) {
		t.Errorf("instance devices %+v lack volume %s as /dev/sdb", inst.BlockDevices, vol.ID)
	}

	// An in-use volume can be neither attached again nor deleted, and stays as it was.
	_, err = p.Storage.Volumes.Attach(ctx, vol.ID, in.ID, "/dev/sdh")
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	wantErr(t, p.Storage.Volumes.Delete(ctx, vol.ID), sdk.CodeFailedPrecondition, "")
	if again, err := p.Storage.Volumes.Get(ctx, vol.ID); err != nil || again.State != sdk.VolumeInUse || *again.Attachment != *got.Attachment {
		t.Fatalf("volume after refused changes = %+v, %v", again, err)
	}

	// A second volume: a device name already in use, in any spelling, is refused.
	vol2 := createVolume(t, p, sdk.VolumeSpec{Label: "data-2"})
	for _, taken := range []string{"/dev/sdb", "/dev/xvdb", "/dev/vdb"} {
		_, err = p.Storage.Volumes.Attach(ctx, vol2.ID, in.ID, taken)
		wantErr(t, err, sdk.CodeInvalidArgument, "device")
	}
	got2, err := p.Storage.Volumes.Attach(ctx, vol2.ID, in.ID, "/dev/xvdf")
	if err != nil || got2.Attachment.Device != "/dev/xvdf" {
		t.Fatalf("Attach(/dev/xvdf) = %+v, %v", got2, err)
	}

	// Another zone's volume does not attach.
	far := createVolume(t, p, sdk.VolumeSpec{Label: "far", Zone: "mock-east-1b"})
	_, err = p.Storage.Volumes.Attach(ctx, far.ID, in.ID, "")
	wantErr(t, err, sdk.CodeInvalidArgument, "instance_id")

	det, err := p.Storage.Volumes.Detach(ctx, vol.ID, false)
	if err != nil || det.State != sdk.VolumeAvailable || det.Attachment != nil {
		t.Fatalf("Detach = %+v, %v; want available and unattached", det, err)
	}
	inst, _ = p.Compute.Instances.Get(ctx, in.ID)
	if slices.ContainsFunc(inst.BlockDevices, func(d sdk.BlockDevice) bool { return d.VolumeID == vol.ID }) {
		t.Errorf("instance devices %+v still list detached volume %s", inst.BlockDevices, vol.ID)
	}
	// The freed name is the first free one again.
	if re, err := p.Storage.Volumes.Attach(ctx, vol.ID, in.ID, ""); err != nil || re.Attachment.Device != "/dev/sdb" {
		t.Fatalf("re-attach = %+v, %v; want /dev/sdb", re, err)
	}
}

func TestVolumeAttachNeedsReadyParties(t *testing.T) {
	ctx := context.Background()
	c := New()
	p := configure(t, c, map[string]string{"boot_time": "0s"})
	vol := createVolume(t, p, sdk.VolumeSpec{})
	stopped := createInstance(t, p, sdk.InstanceSpec{})
	if _, err := p.Compute.Instances.(sdk.InstanceStartStopper).Stop(ctx, stopped.ID); err != nil {
		t.Fatal(err)
	}

	// From now on instances boot and volumes are made in an hour.
	configure(t, c, map[string]string{"boot_time": "1h"})
	booting := createInstance(t, p, sdk.InstanceSpec{})
	_, err := p.Storage.Volumes.Attach(ctx, vol.ID, booting.ID, "")
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	creating, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "slow", SizeGB: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Storage.Volumes.Attach(ctx, creating.ID, stopped.ID, "")
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	// A stopped instance takes an available volume.
	if _, err := p.Storage.Volumes.Attach(ctx, vol.ID, stopped.ID, ""); err != nil {
		t.Fatalf("attach to a stopped instance: %v", err)
	}
}

func TestInstanceDeleteReleasesVolumes(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	in := runningInstance(t, p, sdk.InstanceSpec{BlockDevices: []sdk.BlockDevice{
		{Source: sdk.SourceBlank, SizeGB: 1, DeleteOnTerminate: true},
		{Source: sdk.SourceBlank, SizeGB: 2},
	}})
	later := createVolume(t, p, sdk.VolumeSpec{Label: "later"})
	if _, err := p.Storage.Volumes.Attach(ctx, later.ID, in.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := countVolumes(t, p); n != 3 {
		t.Fatalf("%d volumes; want 3", n)
	}
	if err := p.Compute.Instances.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	_, err := p.Storage.Volumes.Get(ctx, in.BlockDevices[0].VolumeID)
	wantErr(t, err, sdk.CodeNotFound, "")
	for _, id := range []string{in.BlockDevices[1].VolumeID, later.ID} {
		v, err := p.Storage.Volumes.Get(ctx, id)
		if err != nil || v.State != sdk.VolumeAvailable || v.Attachment != nil {
			t.Errorf("volume %s after its instance's deletion = %+v, %v; want available", id, v, err)
		}
	}
}

func TestLaunchConfigVolumes(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	vol := createVolume(t, p, sdk.VolumeSpec{Label: "existing", SizeGB: 3})
	snapOf := createVolume(t, p, sdk.VolumeSpec{Label: "snap-src", SizeGB: 4})
	snap, err := p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "snap", VolumeID: snapOf.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, p, snap.ID, sdk.SnapshotAvailable)

	in := runningInstance(t, p, sdk.InstanceSpec{Label: "web-1", ImageID: "img-debian-12", VMTypeID: "m.large",
		BlockDevices: []sdk.BlockDevice{
			{Source: sdk.SourceBlank, SizeGB: 1, DeleteOnTerminate: true},
			{Source: sdk.SourceVolume, SourceID: vol.ID, Device: "/dev/xvdc"},
			{Source: sdk.SourceSnapshot, SourceID: snap.ID, DeleteOnTerminate: true},
			{Source: sdk.SourceImage, SourceID: "img-debian-12", IsRoot: true, SizeGB: 30, DeleteOnTerminate: true},
			{Source: sdk.SourceEphemeral},
		}})
	type want struct {
		device string
		size   int
		source *sdk.ResourceRef
	}
	wants := []want{
		{"/dev/sdb", 1, nil},
		{"/dev/xvdc", 3, &sdk.ResourceRef{Kind: "volume", ID: vol.ID}},
		{"/dev/sdd", 4, &sdk.ResourceRef{Kind: "snapshot", ID: snap.ID}},
		{"/dev/sda1", 30, &sdk.ResourceRef{Kind: "image", ID: "img-debian-12"}},
		{"/dev/sde", 0, nil},
	}
	if len(in.BlockDevices) != len(wants) {
		t.Fatalf("instance devices = %+v; want %d", in.BlockDevices, len(wants))
	}
	for i, w := range wants {
		d := in.BlockDevices[i]
		if d.Device != w.device || d.SizeGB != w.size {
			t.Errorf("device %d = %+v; want %s of %d GB", i, d, w.device, w.size)
		}
		if d.Source == sdk.SourceEphemeral {
			if d.VolumeID != "" {
				t.Errorf("ephemeral device has volume %s", d.VolumeID)
			}
			continue
		}
		v, err := p.Storage.Volumes.Get(ctx, d.VolumeID)
		if err != nil {
			t.Fatalf("device %d's volume %q: %v", i, d.VolumeID, err)
		}
		if v.State != sdk.VolumeInUse || v.Attachment == nil || *v.Attachment != (sdk.VolumeAttachment{InstanceID: in.ID, Device: w.device}) ||
			v.SizeGB != w.size || v.Zone != in.Zone {
			t.Errorf("device %d's volume = %+v (attachment %v)", i, v, v.Attachment)
		}
		if w.source != nil && w.source.Kind != "volume" && (v.Source == nil || *v.Source != *w.source) {
			t.Errorf("device %d's volume source = %v; want %v", i, v.Source, w.source)
		}
		if err := sdk.ValidateLabel(v.Label); err != nil {
			t.Errorf("device %d's volume has a bad label: %v", i, err)
		}
	}
	if got := in.BlockDevices[3].VolumeID; got == "" {
		t.Fatal("the root device has no volume")
	}
	// The root volume stays while the instance runs; a stopped instance lets it go.
	root := in.BlockDevices[3].VolumeID
	_, err = p.Storage.Volumes.Detach(ctx, root, true)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	if _, err := p.Storage.Volumes.Detach(ctx, in.BlockDevices[0].VolumeID, false); err != nil {
		t.Fatalf("detach a data volume of a running instance: %v", err)
	}
	if _, err := p.Compute.Instances.(sdk.InstanceStartStopper).Stop(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Storage.Volumes.Detach(ctx, root, false); err != nil {
		t.Fatalf("detach the root volume of a stopped instance: %v", err)
	}

	if n := countVolumes(t, p); n != 5 {
		t.Fatalf("%d volumes; want 5", n)
	}
	if err := p.Compute.Instances.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	// The snapshot's volume went with the instance; the detached ones, the
	// existing one and the sources stay.
	_, err = p.Storage.Volumes.Get(ctx, in.BlockDevices[2].VolumeID)
	wantErr(t, err, sdk.CodeNotFound, "")
	if v, err := p.Storage.Volumes.Get(ctx, vol.ID); err != nil || v.State != sdk.VolumeAvailable {
		t.Errorf("existing volume after its instance's deletion = %+v, %v", v, err)
	}
	if n := countVolumes(t, p); n != 4 {
		t.Errorf("%d volumes after the instance's deletion; want 4", n)
	}
}

func TestLaunchConfigErrors(t *testing.T) {
	ctx := context.Background()
	c := New()
	p := configure(t, c, map[string]string{"boot_time": "0s"})
	in := runningInstance(t, p, sdk.InstanceSpec{})
	free := createVolume(t, p, sdk.VolumeSpec{Label: "free", SizeGB: 5})
	used := createVolume(t, p, sdk.VolumeSpec{Label: "used"})
	if _, err := p.Storage.Volumes.Attach(ctx, used.ID, in.ID, ""); err != nil {
		t.Fatal(err)
	}
	far := createVolume(t, p, sdk.VolumeSpec{Label: "far", Zone: "mock-east-1b"})
	tiny := createVolume(t, p, sdk.VolumeSpec{Label: "tiny", SizeGB: 1})
	snapSrc := createVolume(t, p, sdk.VolumeSpec{Label: "snap-src", SizeGB: 6})
	snap, err := p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "snap", VolumeID: snapSrc.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, p, snap.ID, sdk.SnapshotAvailable)
	// What is made from now on takes an hour.
	configure(t, c, map[string]string{"boot_time": "1h"})
	pending, err := p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "pending", VolumeID: snapSrc.ID})
	if err != nil {
		t.Fatal(err)
	}
	creating, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "creating", SizeGB: 5})
	if err != nil {
		t.Fatal(err)
	}

	blank := sdk.BlockDevice{Source: sdk.SourceBlank, SizeGB: 1}
	tests := []struct {
		name    string
		devices []sdk.BlockDevice
		code    sdk.Code
		param   string
	}{
		{"blank without size", []sdk.BlockDevice{{Source: sdk.SourceBlank}}, sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"unknown source", []sdk.BlockDevice{{Source: "tape", SizeGB: 1}}, sdk.CodeInvalidArgument, "block_devices[0].source"},
		{"two roots", []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: "img-debian-12", IsRoot: true}, {Source: sdk.SourceVolume, SourceID: free.ID, IsRoot: true},
		}, sdk.CodeInvalidArgument, "block_devices[1].is_root"},
		{"blank root", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 10, IsRoot: true}}, sdk.CodeInvalidArgument, "block_devices[0].is_root"},
		{"root of another image", []sdk.BlockDevice{{Source: sdk.SourceImage, SourceID: "img-cirros-06", IsRoot: true}},
			sdk.CodeInvalidArgument, "block_devices[0].source_id"},
		{"missing image", []sdk.BlockDevice{{Source: sdk.SourceImage, SourceID: "img-000000000000"}}, sdk.CodeNotFound, "block_devices[0].source_id"},
		{"image root too small", []sdk.BlockDevice{{Source: sdk.SourceImage, SourceID: "img-debian-12", IsRoot: true, SizeGB: 1}},
			sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"volume root smaller than the image", []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: tiny.ID, IsRoot: true}},
			sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"missing volume", []sdk.BlockDevice{blank, {Source: sdk.SourceVolume, SourceID: "vol-000000000000"}}, sdk.CodeNotFound, "block_devices[1].source_id"},
		{"volume in use", []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: used.ID}}, sdk.CodeFailedPrecondition, "block_devices[0].source_id"},
		{"volume of another zone", []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: far.ID}}, sdk.CodeInvalidArgument, "block_devices[0].source_id"},
		{"volume twice", []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: free.ID}, {Source: sdk.SourceVolume, SourceID: free.ID}},
			sdk.CodeInvalidArgument, "block_devices[1].source_id"},
		{"volume resized", []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: free.ID, SizeGB: 6}}, sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"volume being created", []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: creating.ID}}, sdk.CodeFailedPrecondition, "block_devices[0].source_id"},
		{"missing snapshot", []sdk.BlockDevice{{Source: sdk.SourceSnapshot, SourceID: "snap-000000000000"}}, sdk.CodeNotFound, "block_devices[0].source_id"},
		{"pending snapshot", []sdk.BlockDevice{{Source: sdk.SourceSnapshot, SourceID: pending.ID}}, sdk.CodeFailedPrecondition, "block_devices[0].source_id"},
		{"smaller than the snapshot", []sdk.BlockDevice{{Source: sdk.SourceSnapshot, SourceID: snap.ID, SizeGB: 5}}, sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"bad device name", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 1, Device: "/dev/sda"}}, sdk.CodeInvalidArgument, "block_devices[0].device"},
		{"bad root device name", []sdk.BlockDevice{{Source: sdk.SourceImage, SourceID: "img-debian-12", IsRoot: true, Device: "/dev/sdb"}},
			sdk.CodeInvalidArgument, "block_devices[0].device"},
		{"device named twice", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 1, Device: "/dev/sdc"}, {Source: sdk.SourceBlank, SizeGB: 1, Device: "/dev/xvdc"}},
			sdk.CodeInvalidArgument, "block_devices[1].device"},
		{"too big", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 16385}}, sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
	}
	before := countVolumes(t, p)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Compute.Instances.Create(ctx, sdk.InstanceSpec{
				Label: "vm-1", ImageID: "img-debian-12", VMTypeID: "m.small", BlockDevices: tt.devices,
			})
			wantErr(t, err, tt.code, tt.param)
		})
	}
	if n := countVolumes(t, p); n != before {
		t.Errorf("%d volumes after failed launches; want %d", n, before)
	}
	if v, _ := p.Storage.Volumes.Get(ctx, free.ID); v.State != sdk.VolumeAvailable {
		t.Errorf("volume %s named by failed launches is %s; want available", free.ID, v.State)
	}
	page, _ := p.Compute.Instances.List(ctx, sdk.ListOptions{})
	if len(page.Items) != 1 {
		t.Errorf("%d instances after failed launches; want 1", len(page.Items))
	}
}

func TestLaunchVolumeLabel(t *testing.T) {
	long := "a" + strings.Repeat("b", 62)
	cutAtHyphen := strings.Repeat("a", 58) + "-bcde"
	for _, tt := range []struct{ instance, device, want string }{
		{"web-1", "/dev/sdb", "web-1-sdb"},
		{"web-1", "/dev/sda1", "web-1-sda1"},
		{long, "/dev/xvdc", long[:58] + "-xvdc"},
		{cutAtHyphen, "/dev/sdb", strings.Repeat("a", 58) + "-sdb"},
	} {
		got := launchVolumeLabel(tt.instance, tt.device)
		if got != tt.want {
			t.Errorf("launchVolumeLabel(%q, %q) = %q; want %q", tt.instance, tt.device, got, tt.want)
		}
		if err := sdk.ValidateLabel(got); err != nil {
			t.Errorf("launchVolumeLabel(%q, %q): %v", tt.instance, tt.device, err)
		}
	}
}

func TestVolumeIdempotentCreateAndPaging(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	spec := sdk.VolumeSpec{Label: "once", SizeGB: 1, IdempotencyToken: "tok-1"}
	first, err := p.Storage.Volumes.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitVolume(t, p, first.ID, sdk.VolumeAvailable)
	again, err := p.Storage.Volumes.Create(ctx, spec)
	if err != nil || again.ID != first.ID || again.State != sdk.VolumeAvailable {
		t.Fatalf("retry = %+v, %v; want volume %s, now available", again, err, first.ID)
	}
	spec.SizeGB = 2
	_, err = p.Storage.Volumes.Create(ctx, spec)
	wantErr(t, err, sdk.CodeInvalidArgument, "idempotency_token")

	for i := range 4 {
		createVolume(t, p, sdk.VolumeSpec{Label: "page-" + string(rune('a'+i))})
	}
	var seen []string
	opts := sdk.ListOptions{PageSize: 2}
	for {
		page, err := p.Storage.Volumes.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 2 {
			t.Fatalf("page of %d items; want at most 2", len(page.Items))
		}
		for _, v := range page.Items {
			seen = append(seen, v.ID)
		}
		if opts.PageToken = page.NextPageToken; opts.PageToken == "" {
			break
		}
	}
	if len(seen) != 5 || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != 5 {
		t.Errorf("paged ids %v; want 5 distinct, in order", seen)
	}
	_, err = p.Storage.Volumes.List(ctx, sdk.ListOptions{PageToken: "bogus"})
	wantErr(t, err, sdk.CodeInvalidArgument, "page_token")

	// Once the volume is gone its token makes a new one.
	if err := p.Storage.Volumes.Delete(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	spec.SizeGB = 1
	if v, err := p.Storage.Volumes.Create(ctx, spec); err != nil || v.ID == first.ID {
		t.Fatalf("create with a deleted volume's token = %+v, %v; want a new volume", v, err)
	}
}

// Volumes, their attachments and snapshots live in the state file, so that
// another process sees them.
func TestVolumesInStateFile(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "cloud.json")
	a := configure(t, New(), map[string]string{"state_file": file, "boot_time": "0s"})
	b := configure(t, New(), map[string]string{"state_file": file, "boot_time": "0s"})
	in := runningInstance(t, a, sdk.InstanceSpec{BlockDevices: []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 2}}})
	snap, err := a.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "snap", VolumeID: in.BlockDevices[0].VolumeID})
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.Storage.Volumes.Get(ctx, in.BlockDevices[0].VolumeID)
	if err != nil || v.Attachment == nil || v.Attachment.InstanceID != in.ID || v.SizeGB != 2 {
		t.Fatalf("other process sees volume %+v, %v", v, err)
	}
	if s, err := b.Storage.Snapshots.Get(ctx, snap.ID); err != nil || s.State != sdk.SnapshotAvailable || s.VolumeID != v.ID {
		t.Fatalf("other process sees snapshot %+v, %v", s, err)
	}
	if _, err := b.Storage.Volumes.Detach(ctx, v.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Compute.Instances.Get(ctx, in.ID); len(got.BlockDevices) != 0 {
		t.Errorf("instance devices after another process detached its volume: %+v", got.BlockDevices)
	}
}
