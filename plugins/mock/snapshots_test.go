package mock

import (
	"context"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// waitSnapshot polls until snapshot id is in state want, and returns it.
func waitSnapshot(t *testing.T, p sdk.Plugin, id string, want sdk.SnapshotState) sdk.Snapshot {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := p.Storage.Snapshots.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		if s.State == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot %s is %s; waited in vain for %s", id, s.State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSnapshotLifecycle(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	in := runningInstance(t, p, sdk.InstanceSpec{})
	vol := createVolume(t, p, sdk.VolumeSpec{SizeGB: 12})
	// An in-use volume can be snapshotted, as on EC2.
	if _, err := p.Storage.Volumes.Attach(ctx, vol.ID, in.ID, ""); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	s, err := p.Storage.Snapshots.Create(ctx, sdk.SnapshotSpec{Label: "nightly", VolumeID: vol.ID, Description: "before upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	if s.State != sdk.SnapshotPending || s.SizeGB != 12 || s.VolumeID != vol.ID || s.Label != "nightly" ||
		s.Description != "before upgrade" || s.Name != s.ID || s.ID[:5] != "snap-" {
		t.Errorf("new snapshot = %+v", s)
	}
	if s.CreateTime.Before(before.Add(-time.Second)) || s.CreateTime.After(time.Now()) {
		t.Errorf("CreateTime %v is not now", s.CreateTime)
	}
	waitSnapshot(t, p, s.ID, sdk.SnapshotAvailable)

	label, desc := "weekly", "after upgrade"
	got, err := p.Storage.Snapshots.Update(ctx, s.ID, sdk.SnapshotUpdate{Label: &label, Description: &desc})
	if err != nil || got.Label != label || got.Description != desc {
		t.Fatalf("Update = %+v, %v", got, err)
	}
	bad := "-bad"
	_, err = p.Storage.Snapshots.Update(ctx, s.ID, sdk.SnapshotUpdate{Label: &bad})
	wantErr(t, err, sdk.CodeInvalidArgument, "label")
	_, err = p.Storage.Snapshots.Update(ctx, "snap-000000000000", sdk.SnapshotUpdate{Label: &label})
	wantErr(t, err, sdk.CodeNotFound, "")

	// Deleting the volume keeps its snapshots.
	if _, err := p.Storage.Volumes.Detach(ctx, vol.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := p.Storage.Volumes.Delete(ctx, vol.ID); err != nil {
		t.Fatal(err)
	}
	if kept, err := p.Storage.Snapshots.Get(ctx, s.ID); err != nil || kept.VolumeID != vol.ID || kept.State != sdk.SnapshotAvailable {
		t.Fatalf("snapshot after its volume's deletion = %+v, %v", kept, err)
	}
	// A snapshot of a deleted volume is still good to make a volume of.
	if v := createVolume(t, p, sdk.VolumeSpec{Label: "restored", SnapshotID: s.ID}); v.SizeGB != 12 {
		t.Errorf("restored volume has %d GB; want 12", v.SizeGB)
	}

	if err := p.Storage.Snapshots.Delete(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.Storage.Snapshots.Get(ctx, s.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
	wantErr(t, p.Storage.Snapshots.Delete(ctx, s.ID), sdk.CodeNotFound, "")
}

func TestSnapshotCreateErrorsAndTokens(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	vol := createVolume(t, p, sdk.VolumeSpec{})
	for _, tt := range []struct {
		name  string
		spec  sdk.SnapshotSpec
		code  sdk.Code
		param string
	}{
		{"bad label", sdk.SnapshotSpec{Label: "UPPER", VolumeID: vol.ID}, sdk.CodeInvalidArgument, "label"},
		{"no volume", sdk.SnapshotSpec{Label: "snap"}, sdk.CodeInvalidArgument, "volume_id"},
		{"missing volume", sdk.SnapshotSpec{Label: "snap", VolumeID: "vol-000000000000"}, sdk.CodeNotFound, "volume_id"},
		{"long description", sdk.SnapshotSpec{Label: "snap", VolumeID: vol.ID, Description: string(make([]byte, 300))},
			sdk.CodeInvalidArgument, "description"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Storage.Snapshots.Create(ctx, tt.spec)
			wantErr(t, err, tt.code, tt.param)
		})
	}
	if page, _ := p.Storage.Snapshots.List(ctx, sdk.ListOptions{}); len(page.Items) != 0 {
		t.Fatalf("%d snapshots after failed creates", len(page.Items))
	}

	spec := sdk.SnapshotSpec{Label: "once", VolumeID: vol.ID, IdempotencyToken: "tok-1"}
	first, err := p.Storage.Snapshots.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Storage.Snapshots.Create(ctx, spec)
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry = %+v, %v; want snapshot %s", again, err, first.ID)
	}
	spec.Label = "twice"
	_, err = p.Storage.Snapshots.Create(ctx, spec)
	wantErr(t, err, sdk.CodeInvalidArgument, "idempotency_token")
	// Tokens are per kind: the same token makes a volume.
	if _, err := p.Storage.Volumes.Create(ctx, sdk.VolumeSpec{Label: "vol", SizeGB: 1, IdempotencyToken: "tok-1"}); err != nil {
		t.Fatal(err)
	}
	if page, _ := p.Storage.Snapshots.List(ctx, sdk.ListOptions{}); len(page.Items) != 1 {
		t.Fatalf("%d snapshots after a retried create; want 1", len(page.Items))
	}
}
