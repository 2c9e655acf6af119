package mock

import (
	"context"
	"maps"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// snapshotRecord is a snapshot as kept in the state.
type snapshotRecord struct {
	sdk.Snapshot
	// Pending makes a new snapshot available once it has been "taken".
	Pending transition[sdk.SnapshotState] `json:"transition,omitzero"`
}

// view is the snapshot as a caller sees it at time now.
func (r *snapshotRecord) view(now time.Time) sdk.Snapshot {
	s := r.Snapshot
	s.State = r.Pending.apply(s.State, now)
	s.Extra = maps.Clone(s.Extra)
	return s
}

// availableSnapshot returns snapshot id, named by param, which must be
// available to make a volume of.
func (t *txn) availableSnapshot(param, id string) (sdk.Snapshot, error) {
	r, ok := t.Snapshots[id]
	if !ok {
		return sdk.Snapshot{}, missing(param, "snapshot", id)
	}
	snap := r.view(t.now)
	if snap.State != sdk.SnapshotAvailable {
		e := failedPrecondition("snapshot %s is %s; wait until it is available", id, snap.State)
		e.Param = param
		return sdk.Snapshot{}, e
	}
	return snap, nil
}

// snapshots implements sdk.Snapshots.
type snapshots struct{ c *Cloud }

func (s *snapshots) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Snapshot], error) {
	var all []sdk.Snapshot
	err := s.c.read(ctx, func(t *txn) error {
		for _, r := range t.Snapshots {
			all = append(all, r.view(t.now))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, err
	}
	return sdk.Paginate(all, opts, func(sn sdk.Snapshot) string { return sn.ID })
}

func (s *snapshots) Get(ctx context.Context, id string) (sdk.Snapshot, error) {
	var sn sdk.Snapshot
	err := s.c.read(ctx, func(t *txn) error {
		r, ok := t.Snapshots[id]
		if !ok {
			return sdk.NotFound("snapshot", id)
		}
		sn = r.view(t.now)
		return nil
	})
	return sn, err
}

// Create takes a snapshot of a volume that is available or in use. It is
// pending for the boot_time setting, then available; its size is the
// volume's.
func (s *snapshots) Create(ctx context.Context, spec sdk.SnapshotSpec) (sdk.Snapshot, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Snapshot{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.Snapshot{}, err
	}
	if spec.VolumeID == "" {
		return sdk.Snapshot{}, sdk.InvalidArgument("volume_id", "", "required")
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var sn sdk.Snapshot
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("snapshot", token, digest); err != nil || rec != nil {
			if rec != nil {
				sn = t.Snapshots[rec.ID].view(t.now)
			}
			return err
		}
		vr, ok := t.Volumes[spec.VolumeID]
		if !ok {
			return missing("volume_id", "volume", spec.VolumeID)
		}
		vol := vr.view(t.now)
		if vol.State != sdk.VolumeAvailable && vol.State != sdk.VolumeInUse {
			return failedPrecondition("volume %s is %s; a snapshot is taken of an available or in-use volume", vol.ID, vol.State)
		}
		id := newID("snap-", t.Snapshots)
		r := &snapshotRecord{
			Snapshot: sdk.Snapshot{
				ID: id, Name: id, Label: spec.Label, Description: spec.Description,
				State: sdk.SnapshotPending, SizeGB: vol.SizeGB, VolumeID: vol.ID, CreateTime: t.now,
			},
			Pending: transition[sdk.SnapshotState]{To: sdk.SnapshotAvailable, At: t.now.Add(t.cfg.bootTime)},
		}
		t.Snapshots[id] = r
		t.remember("snapshot", token, digest, id)
		sn = r.view(t.now)
		return nil
	})
	return sn, err
}

func (s *snapshots) Update(ctx context.Context, id string, u sdk.SnapshotUpdate) (sdk.Snapshot, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Snapshot{}, err
		}
	}
	if u.Description != nil {
		if err := validateDescription(*u.Description); err != nil {
			return sdk.Snapshot{}, err
		}
	}
	var sn sdk.Snapshot
	err := s.c.write(ctx, func(t *txn) error {
		r, ok := t.Snapshots[id]
		if !ok {
			return sdk.NotFound("snapshot", id)
		}
		if u.Label != nil {
			r.Label = *u.Label
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		sn = r.view(t.now)
		return nil
	})
	return sn, err
}

// Delete deletes a snapshot. Volumes made from it stay, and keep naming it as
// their source, as on EC2.
func (s *snapshots) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.Snapshots[id]; !ok {
			return sdk.NotFound("snapshot", id)
		}
		delete(t.Snapshots, id)
		t.forget("snapshot", id)
		return nil
	})
}
