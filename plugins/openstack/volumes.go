package openstack

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/snapshots"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// volumeSvc manages Cinder v3 volumes; label = the volume's name. Attaching and
// detaching go through Nova's volume attachments, as a server sees its disks
// only that way.
type volumeSvc struct{ c *Cloud }

func (s *volumeSvc) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Volume], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.Volume]{}, err
	}
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Page[sdk.Volume]{}, err
	}
	page, err := firstPage(ctx, volumes.List(sc, volumes.ListOpts{Limit: size + 1, Marker: marker, Sort: "created_at:asc,id:asc"}))
	if err != nil {
		return sdk.Page[sdk.Volume]{}, listError(err, "list volumes", marker)
	}
	vs, err := extract(page, volumes.ExtractVolumes)
	if err != nil {
		return sdk.Page[sdk.Volume]{}, convertError(err, "read volumes", "")
	}
	// Retired volumes (see Delete) are left out; the next page starts after
	// the last volume Cinder answered, shown or not.
	var out sdk.Page[sdk.Volume]
	if len(vs) > size {
		vs = vs[:size]
		out.NextPageToken = markerToken(vs[size-1].ID)
	}
	for _, v := range vs {
		if !retired(v) {
			out.Items = append(out.Items, volumeOf(v))
		}
	}
	return out, nil
}

// A volume deleted while it has snapshots is retired rather than deleted:
// the contract (like EC2) keeps snapshots when their volume goes, Cinder
// refuses to delete a volume with snapshots. A retired volume is marked with
// retiredKey, is NotFound and unlisted from then on, and is deleted with its
// last snapshot. It still counts toward the project's Cinder quota until then.
const retiredKey = "cloudbridge_deleted"

func retired(v volumes.Volume) bool { return v.Metadata[retiredKey] == "true" }

func (s *volumeSvc) Get(ctx context.Context, id string) (sdk.Volume, error) {
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Volume{}, err
	}
	return getVolume(ctx, sc, id)
}

func getVolume(ctx context.Context, sc *gophercloud.ServiceClient, id string) (sdk.Volume, error) {
	if id == "" {
		return sdk.Volume{}, notFound("id", "volume", id)
	}
	v, err := volumes.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.Volume{}, convertError(err, "get volume "+quote(id), "")
	}
	if retired(*v) {
		return sdk.Volume{}, notFound("id", "volume", id)
	}
	return volumeOf(*v), nil
}

func (s *volumeSvc) Create(ctx context.Context, spec sdk.VolumeSpec) (sdk.Volume, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Volume{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.Volume{}, err
	}
	switch {
	case spec.SizeGB < 0:
		return sdk.Volume{}, sdk.InvalidArgument("size_gb", spec.SizeGB, "must not be negative")
	case spec.SizeGB == 0 && spec.SnapshotID == "":
		return sdk.Volume{}, sdk.InvalidArgument("size_gb", spec.SizeGB, "a volume not made from a snapshot needs a size in GB greater than 0")
	case spec.IOPS < 0:
		return sdk.Volume{}, sdk.InvalidArgument("iops", spec.IOPS, "must not be negative")
	}
	cn, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Volume{}, err
	}
	if spec.SnapshotID != "" {
		snap, err := snapshots.Get(ctx, sc, spec.SnapshotID).Extract()
		if err != nil {
			return sdk.Volume{}, withParam(convertError(err, "get snapshot "+quote(spec.SnapshotID), ""), "snapshot_id")
		}
		if spec.SizeGB != 0 && spec.SizeGB < snap.Size {
			return sdk.Volume{}, sdk.InvalidArgument("size_gb", spec.SizeGB, "smaller than the snapshot's "+itoa(snap.Size)+" GB")
		}
	}
	meta := map[string]string{}
	mark := tokenMark(spec.IdempotencyToken)
	if mark != "" {
		meta[tokenMetaKey] = mark
		page, err := firstPage(ctx, volumes.List(sc, volumes.ListOpts{Metadata: map[string]string{tokenMetaKey: mark}}))
		if err != nil {
			return sdk.Volume{}, convertError(err, "look for a volume made by an earlier try", "")
		}
		if vs, err := extract(page, volumes.ExtractVolumes); err == nil && len(vs) > 0 && !retired(vs[0]) {
			return volumeOf(vs[0]), nil
		}
	}
	if spec.IOPS > 0 {
		meta["cloudbridge_iops"] = itoa(spec.IOPS)
	}
	opts := volumes.CreateOpts{Name: spec.Label, Description: spec.Description, Size: spec.SizeGB, SnapshotID: spec.SnapshotID,
		AvailabilityZone: first(spec.Zone, cn.zone), VolumeType: spec.VolumeType, Metadata: meta}
	v, err := volumes.Create(ctx, sc, opts, nil).Extract()
	if err != nil {
		return sdk.Volume{}, convertError(err, "create volume "+quote(spec.Label), sdk.CodeAlreadyExists)
	}
	return volumeOf(*v), nil
}

func (s *volumeSvc) Update(ctx context.Context, id string, u sdk.VolumeUpdate) (sdk.Volume, error) {
	if err := validateUpdate(u.Label, u.Description); err != nil {
		return sdk.Volume{}, err
	}
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Volume{}, err
	}
	if id == "" {
		return sdk.Volume{}, notFound("id", "volume", id)
	}
	v, err := volumes.Update(ctx, sc, id, volumes.UpdateOpts{Name: u.Label, Description: u.Description}).Extract()
	if err != nil {
		return sdk.Volume{}, convertError(err, "update volume "+quote(id), "")
	}
	return volumeOf(*v), nil
}

// Delete refuses an attached volume (Cinder's 400 "must be available") as
// FailedPrecondition.
func (s *volumeSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return err
	}
	v, err := getVolume(ctx, sc, id)
	if err != nil {
		return err
	}
	if v.Attachment != nil {
		return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "volume " + quote(id) + " is attached to instance " + quote(v.Attachment.InstanceID) + "; detach it first"}
	}
	snaps, err := volumeSnapshots(ctx, sc, id)
	if err != nil {
		return err
	}
	if len(snaps) > 0 {
		raw, err := volumes.Get(ctx, sc, id).Extract()
		if err != nil {
			return convertError(err, "get volume "+quote(id), "")
		}
		meta := maps.Clone(raw.Metadata)
		if meta == nil {
			meta = map[string]string{}
		}
		meta[retiredKey] = "true"
		if _, err := volumes.Update(ctx, sc, id, volumes.UpdateOpts{Metadata: meta}).Extract(); err != nil {
			return convertError(err, "retire volume "+quote(id), sdk.CodeFailedPrecondition)
		}
		return nil
	}
	if err := volumes.Delete(ctx, sc, id, nil).ExtractErr(); err != nil {
		return stateError(err, "delete volume "+quote(id))
	}
	return waitGone(ctx, "volume", id, func() (string, error) {
		v, err := volumes.Get(ctx, sc, id).Extract()
		if err != nil {
			return "", err
		}
		return v.Status, nil
	})
}

func (s *volumeSvc) Attach(ctx context.Context, volumeID, instanceID, device string) (sdk.Volume, error) {
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Volume{}, err
	}
	_, compute, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Volume{}, err
	}
	v, err := getVolume(ctx, sc, volumeID)
	if err != nil {
		return sdk.Volume{}, withParam(err, "volume_id")
	}
	if instanceID == "" {
		return sdk.Volume{}, notFound("instance_id", "instance", instanceID)
	}
	if v.Attachment != nil {
		return sdk.Volume{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "volume " + quote(volumeID) + " is already attached to instance " + quote(v.Attachment.InstanceID)}
	}
	if v.State != sdk.VolumeAvailable {
		return sdk.Volume{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "volume " + quote(volumeID) + " is " + string(v.State) + ", not available"}
	}
	_, err = volumeattach.Create(ctx, compute, instanceID, volumeattach.CreateOpts{VolumeID: volumeID, Device: device}).Extract()
	if err != nil {
		mapped := convertError(err, "attach volume "+quote(volumeID)+" to server "+quote(instanceID), sdk.CodeFailedPrecondition)
		if errors.Is(mapped, sdk.ErrNotFound) {
			mapped = withParam(mapped, "instance_id")
		}
		return sdk.Volume{}, mapped
	}
	return getVolume(ctx, sc, volumeID)
}

func (s *volumeSvc) Detach(ctx context.Context, volumeID string, force bool) (sdk.Volume, error) {
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Volume{}, err
	}
	_, compute, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Volume{}, err
	}
	v, err := getVolume(ctx, sc, volumeID)
	if err != nil {
		return sdk.Volume{}, withParam(err, "volume_id")
	}
	if v.Attachment == nil {
		return sdk.Volume{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "volume " + quote(volumeID) + " is not attached"}
	}
	// Nova has no forced detach; force only matters to clouds that do.
	err = volumeattach.Delete(ctx, compute, v.Attachment.InstanceID, volumeID).ExtractErr()
	if err != nil {
		return sdk.Volume{}, convertError(err, "detach volume "+quote(volumeID)+" from server "+quote(v.Attachment.InstanceID), sdk.CodeFailedPrecondition)
	}
	return getVolume(ctx, sc, volumeID)
}

// volumeSnapshots lists the snapshots of a volume that are not being deleted.
func volumeSnapshots(ctx context.Context, sc *gophercloud.ServiceClient, volumeID string) ([]snapshots.Snapshot, error) {
	pages, err := snapshots.ListDetail(sc, snapshots.ListOpts{VolumeID: volumeID}).AllPages(ctx)
	if err != nil {
		return nil, convertError(err, "list snapshots of volume "+quote(volumeID), "")
	}
	all, err := snapshots.ExtractSnapshots(pages)
	if err != nil {
		return nil, convertError(err, "read snapshots", "")
	}
	return slices.DeleteFunc(all, func(s snapshots.Snapshot) bool { return strings.HasPrefix(s.Status, "deleting") }), nil
}

// waitGone waits until Cinder has deleted a volume or snapshot (status
// "deleting", then 404): a volume's snapshots must be gone before the volume
// can go, and a second delete must find nothing. A delete that fails leaves
// it in error_deleting, which is reported.
func waitGone(ctx context.Context, kind, id string, get func() (string, error)) error {
	for {
		status, err := get()
		switch {
		case statusOf(err) == 404:
			return nil
		case err != nil:
			return convertError(err, "wait for "+kind+" "+quote(id)+" to be deleted", "")
		case status == "error_deleting":
			return &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, ProviderCode: status,
				Message: "Cinder could not delete " + kind + " " + quote(id) + " (error_deleting)"}
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

// stateError maps the error of a Cinder call that its resource's state may
// forbid: Cinder answers 400 ("must be available") where others answer 409.
func stateError(err error, what string) error {
	mapped := convertError(err, what, sdk.CodeFailedPrecondition)
	var e *sdk.Error
	if statusOf(err) == 400 && errors.As(mapped, &e) {
		e.Code = sdk.CodeFailedPrecondition
	}
	return mapped
}

func volumeOf(v volumes.Volume) sdk.Volume {
	out := sdk.Volume{
		ID: v.ID, Name: v.Name, Label: v.Name, Description: v.Description, State: volumeState(v.Status), SizeGB: v.Size,
		Zone: v.AvailabilityZone, CreateTime: v.CreatedAt.UTC(), VolumeType: v.VolumeType,
		Extra: map[string]string{"status": v.Status},
	}
	if iops, ok := v.Metadata["cloudbridge_iops"]; ok {
		out.IOPS = atoi(iops)
	}
	switch {
	case v.SnapshotID != "":
		out.Source = &sdk.ResourceRef{Kind: "snapshot", ID: v.SnapshotID}
	case v.SourceVolID != "":
		out.Source = &sdk.ResourceRef{Kind: "volume", ID: v.SourceVolID}
	case v.VolumeImageMetadata["image_id"] != "":
		out.Source = &sdk.ResourceRef{Kind: "image", ID: v.VolumeImageMetadata["image_id"]}
	}
	for _, a := range v.Attachments {
		out.Attachment = &sdk.VolumeAttachment{InstanceID: a.ServerID, Device: a.Device}
		break
	}
	return out
}

func volumeState(status string) sdk.VolumeState {
	switch strings.ToLower(status) {
	case "creating", "downloading":
		return sdk.VolumeCreating
	case "available":
		return sdk.VolumeAvailable
	case "in-use":
		return sdk.VolumeInUse
	case "attaching", "detaching", "reserved", "extending", "maintenance", "uploading", "backing-up", "restoring-backup",
		"retyping", "awaiting-transfer":
		return sdk.VolumeConfiguring
	case "error", "error_restoring", "error_extending", "error_managing", "error_backing-up":
		return sdk.VolumeError
	case "deleting", "error_deleting":
		return sdk.VolumeDeleted
	}
	return sdk.VolumeUnknown
}

// snapshotSvc manages Cinder v3 snapshots; label = the snapshot's name.
type snapshotSvc struct{ c *Cloud }

func (s *snapshotSvc) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Snapshot], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, err
	}
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, err
	}
	page, err := firstPage(ctx, snapshots.ListDetail(sc, snapshots.ListOpts{Limit: size + 1, Marker: marker, Sort: "created_at:asc,id:asc"}))
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, listError(err, "list snapshots", marker)
	}
	ss, err := extract(page, snapshots.ExtractSnapshots)
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, convertError(err, "read snapshots", "")
	}
	items := make([]sdk.Snapshot, len(ss))
	for i, sn := range ss {
		items[i] = snapshotOf(sn)
	}
	return cutPage(items, size, func(s sdk.Snapshot) string { return s.ID }), nil
}

func (s *snapshotSvc) Get(ctx context.Context, id string) (sdk.Snapshot, error) {
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Snapshot{}, err
	}
	if id == "" {
		return sdk.Snapshot{}, notFound("id", "snapshot", id)
	}
	sn, err := snapshots.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.Snapshot{}, convertError(err, "get snapshot "+quote(id), "")
	}
	return snapshotOf(*sn), nil
}

// Create snapshots a volume, attached or not (Cinder's force flag: an
// attached volume is snapshotted crash-consistent, as on other clouds).
func (s *snapshotSvc) Create(ctx context.Context, spec sdk.SnapshotSpec) (sdk.Snapshot, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Snapshot{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.Snapshot{}, err
	}
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Snapshot{}, err
	}
	if _, err := getVolume(ctx, sc, spec.VolumeID); err != nil {
		return sdk.Snapshot{}, withParam(err, "volume_id")
	}
	meta := map[string]string{}
	if mark := tokenMark(spec.IdempotencyToken); mark != "" {
		meta[tokenMetaKey] = mark
		page, err := firstPage(ctx, snapshots.ListDetail(sc, snapshotQuery{VolumeID: spec.VolumeID, mark: mark}))
		if err != nil {
			return sdk.Snapshot{}, convertError(err, "look for a snapshot made by an earlier try", "")
		}
		if ss, err := extract(page, snapshots.ExtractSnapshots); err == nil && len(ss) > 0 {
			return snapshotOf(ss[0]), nil
		}
	}
	sn, err := snapshots.Create(ctx, sc, snapshots.CreateOpts{VolumeID: spec.VolumeID, Name: spec.Label, Description: spec.Description,
		Force: true, Metadata: meta}).Extract()
	if err != nil {
		return sdk.Snapshot{}, convertError(err, "snapshot volume "+quote(spec.VolumeID), sdk.CodeFailedPrecondition)
	}
	return snapshotOf(*sn), nil
}

// snapshotQuery lists a volume's snapshots carrying an idempotency mark
// (Cinder filters snapshots on metadata since microversion 3.22).
type snapshotQuery struct {
	VolumeID string
	mark     string
}

func (q snapshotQuery) ToSnapshotListQuery() (string, error) {
	return "?volume_id=" + q.VolumeID + "&metadata=" + urlQueryEscape(`{"`+tokenMetaKey+`":"`+q.mark+`"}`), nil
}

func (s *snapshotSvc) Update(ctx context.Context, id string, u sdk.SnapshotUpdate) (sdk.Snapshot, error) {
	if err := validateUpdate(u.Label, u.Description); err != nil {
		return sdk.Snapshot{}, err
	}
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return sdk.Snapshot{}, err
	}
	if id == "" {
		return sdk.Snapshot{}, notFound("id", "snapshot", id)
	}
	sn, err := snapshots.Update(ctx, sc, id, snapshots.UpdateOpts{Name: u.Label, Description: u.Description}).Extract()
	if err != nil {
		return sdk.Snapshot{}, convertError(err, "update snapshot "+quote(id), "")
	}
	return snapshotOf(*sn), nil
}

func (s *snapshotSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "volume")
	if err != nil {
		return err
	}
	if id == "" {
		return notFound("id", "snapshot", id)
	}
	sn, err := snapshots.Get(ctx, sc, id).Extract()
	if err != nil {
		return convertError(err, "get snapshot "+quote(id), "")
	}
	if err := snapshots.Delete(ctx, sc, id).ExtractErr(); err != nil {
		return stateError(err, "delete snapshot "+quote(id))
	}
	err = waitGone(ctx, "snapshot", id, func() (string, error) {
		sn, err := snapshots.Get(ctx, sc, id).Extract()
		if err != nil {
			return "", err
		}
		return sn.Status, nil
	})
	if err != nil {
		return err
	}
	return deleteRetired(ctx, sc, sn.VolumeID)
}

// deleteRetired deletes a retired volume once it has no snapshot left.
func deleteRetired(ctx context.Context, sc *gophercloud.ServiceClient, volumeID string) error {
	v, err := volumes.Get(ctx, sc, volumeID).Extract()
	if err != nil || !retired(*v) {
		return nil // gone, or a volume in use: nothing to do
	}
	left, err := volumeSnapshots(ctx, sc, volumeID)
	if err != nil || len(left) > 0 {
		return err
	}
	if err := volumes.Delete(ctx, sc, volumeID, nil).ExtractErr(); err != nil && statusOf(err) != 404 {
		return stateError(err, "delete retired volume "+quote(volumeID))
	}
	return nil
}

func snapshotOf(sn snapshots.Snapshot) sdk.Snapshot {
	out := sdk.Snapshot{ID: sn.ID, Name: sn.Name, Label: sn.Name, Description: sn.Description, SizeGB: sn.Size,
		VolumeID: sn.VolumeID, CreateTime: sn.CreatedAt.UTC(), Extra: map[string]string{"status": sn.Status}}
	switch strings.ToLower(sn.Status) {
	case "creating":
		out.State = sdk.SnapshotPending
	case "available":
		out.State = sdk.SnapshotAvailable
	case "error", "error_deleting":
		out.State = sdk.SnapshotError
	case "backing-up", "restoring", "unmanaging":
		out.State = sdk.SnapshotConfiguring
	default:
		out.State = sdk.SnapshotUnknown
	}
	return out
}
