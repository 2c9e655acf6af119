package aws

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// snapshots implements sdk.Snapshots over EBS snapshots of the account. The
// label is the Name tag; the description is the Description tag, because a
// snapshot's own description cannot be changed (it is set too, for the
// console).
type snapshots struct{ c *Cloud }

func snapshotState(s ec2types.SnapshotState) sdk.SnapshotState {
	switch s {
	case ec2types.SnapshotStatePending:
		return sdk.SnapshotPending
	case ec2types.SnapshotStateCompleted:
		return sdk.SnapshotAvailable
	case ec2types.SnapshotStateError:
		return sdk.SnapshotError
	case ec2types.SnapshotStateRecoverable, ec2types.SnapshotStateRecovering:
		// Archived snapshots on their way back.
		return sdk.SnapshotConfiguring
	}
	return sdk.SnapshotUnknown
}

func snapshotFromEC2(sn ec2types.Snapshot) sdk.Snapshot {
	out := sdk.Snapshot{
		ID:          aws.ToString(sn.SnapshotId),
		Name:        aws.ToString(sn.SnapshotId),
		Label:       tagValue(sn.Tags, tagName),
		Description: aws.ToString(sn.Description),
		State:       snapshotState(sn.State),
		SizeGB:      int(aws.ToInt32(sn.VolumeSize)),
		VolumeID:    aws.ToString(sn.VolumeId),
		CreateTime:  aws.ToTime(sn.StartTime),
		Extra: extraTags(map[string]string{
			"state": string(sn.State), "progress": aws.ToString(sn.Progress), "owner_id": aws.ToString(sn.OwnerId),
			"storage_tier": string(sn.StorageTier),
		}, sn.Tags),
	}
	if d, ok := lookupTag(sn.Tags, tagDescription); ok {
		out.Description = d
	}
	if m := aws.ToString(sn.StateMessage); m != "" {
		out.Extra["state_message"] = m
	}
	return out
}

// List lists the account's own snapshots (public ones are a very long list).
func (s *snapshots) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Snapshot], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Snapshot]{}, err
	}
	return serverPage(ctx, cl, opts, "DescribeSnapshots owner=self", 5, 1000, func(sn sdk.Snapshot) string { return sn.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Snapshot, string, error) {
		out, err := ec2.NewDescribeSnapshotsPaginator(cl.ec2, &ec2.DescribeSnapshotsInput{
			OwnerIds: []string{"self"}, NextToken: optString(token), MaxResults: aws.Int32(max),
		}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var sns []sdk.Snapshot
		for _, sn := range out.Snapshots {
			sns = append(sns, snapshotFromEC2(sn))
		}
		return sns, aws.ToString(out.NextToken), nil
	})
}

func (s *snapshots) Get(ctx context.Context, id string) (sdk.Snapshot, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Snapshot{}, err
	}
	sn, err := snapshot(ctx, cl, id)
	if err != nil {
		return sdk.Snapshot{}, err
	}
	return snapshotFromEC2(sn), nil
}

// snapshot describes one snapshot; a missing or malformed id is NotFound.
func snapshot(ctx context.Context, cl *clients, id string) (ec2types.Snapshot, error) {
	if id == "" {
		return ec2types.Snapshot{}, sdk.NotFound("snapshot", id)
	}
	out, err := cl.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
	if err != nil {
		return ec2types.Snapshot{}, cl.lookupError(err, "snapshot", id)
	}
	for _, sn := range out.Snapshots {
		if aws.ToString(sn.SnapshotId) == id {
			return sn, nil
		}
	}
	return ec2types.Snapshot{}, sdk.NotFound("snapshot", id)
}

// snapshotDescriptionChars are the characters EC2 takes in a snapshot's own
// description; the Description tag holds any.
const snapshotDescriptionChars = groupDescriptionChars

// Create snapshots a volume. EC2 has no ClientToken for it: a retry finds the
// snapshot by the idempotency token's tag.
func (s *snapshots) Create(ctx context.Context, spec sdk.SnapshotSpec) (sdk.Snapshot, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Snapshot{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.Snapshot{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Snapshot{}, err
	}
	if spec.VolumeID == "" {
		return sdk.Snapshot{}, sdk.InvalidArgument("volume_id", "", "required")
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.Snapshot{}, cl.mapError(err)
		}
		for _, sn := range out.Snapshots {
			if hasTag(sn.Tags, tagToken, spec.IdempotencyToken) {
				return snapshotFromEC2(sn), nil
			}
		}
	}
	tags := tagSpecs(ec2types.ResourceTypeSnapshot, spec.Label, "", spec.IdempotencyToken)
	tags[0].Tags = append(tags[0].Tags, ec2types.Tag{Key: aws.String(tagDescription), Value: aws.String(spec.Description)})
	in := &ec2.CreateSnapshotInput{VolumeId: aws.String(spec.VolumeID), TagSpecifications: tags}
	if spec.Description != "" && strings.Trim(spec.Description, snapshotDescriptionChars) == "" {
		in.Description = aws.String(spec.Description)
	}
	out, err := cl.ec2.CreateSnapshot(ctx, in)
	if err != nil {
		err = cl.mapError(err)
		if isCode(err, "InvalidVolume.Malformed") {
			err = sdk.NotFound("volume", spec.VolumeID)
		}
		return sdk.Snapshot{}, wrapf(withParam(err, "volume_id"), "snapshot volume %s", spec.VolumeID)
	}
	if sn, err := snapshot(ctx, cl, aws.ToString(out.SnapshotId)); err == nil {
		return snapshotFromEC2(sn), nil
	}
	// Eventual consistency: CreateSnapshot's own answer describes it.
	return snapshotFromEC2(ec2types.Snapshot{
		SnapshotId: out.SnapshotId, VolumeId: out.VolumeId, VolumeSize: out.VolumeSize, State: out.State,
		StartTime: out.StartTime, Description: out.Description, OwnerId: out.OwnerId, Progress: out.Progress, Tags: out.Tags,
	}), nil
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
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Snapshot{}, err
	}
	if _, err := snapshot(ctx, cl, id); err != nil {
		return sdk.Snapshot{}, err
	}
	if err := updateTags(ctx, cl, id, u.Label, u.Description); err != nil {
		return sdk.Snapshot{}, cl.lookupError(err, "snapshot", id)
	}
	return s.Get(ctx, id)
}

// Delete deletes a snapshot. One an image is made of is FailedPrecondition
// (InvalidSnapshot.InUse): delete the image first.
func (s *snapshots) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := snapshot(ctx, cl, id); err != nil {
		return err
	}
	_, err = cl.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
	return cl.lookupError(err, "snapshot", id)
}
