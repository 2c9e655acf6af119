package aws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// volumes implements sdk.Volumes over EBS volumes. The label is the Name tag
// and the description the Description tag (EBS volumes have none), as
// CloudBridge does.
type volumes struct{ c *Cloud }

// volumeState maps EBS states as CloudBridge does, and says "configuring"
// while an attachment is being made or undone, so that a wait for "in-use"
// or "available" ends when the volume is ready for the next step.
func volumeState(v ec2types.Volume) sdk.VolumeState {
	switch v.State {
	case ec2types.VolumeStateCreating:
		return sdk.VolumeCreating
	case ec2types.VolumeStateAvailable:
		return sdk.VolumeAvailable
	case ec2types.VolumeStateInUse:
		for _, a := range v.Attachments {
			if a.State == ec2types.VolumeAttachmentStateAttaching || a.State == ec2types.VolumeAttachmentStateDetaching {
				return sdk.VolumeConfiguring
			}
		}
		return sdk.VolumeInUse
	case ec2types.VolumeStateDeleting:
		return sdk.VolumeConfiguring
	case ec2types.VolumeStateDeleted:
		return sdk.VolumeDeleted
	case ec2types.VolumeStateError:
		return sdk.VolumeError
	}
	return sdk.VolumeUnknown
}

func volumeFromEC2(v ec2types.Volume) sdk.Volume {
	out := sdk.Volume{
		ID:          aws.ToString(v.VolumeId),
		Name:        aws.ToString(v.VolumeId),
		Label:       tagValue(v.Tags, tagName),
		Description: tagValue(v.Tags, tagDescription),
		State:       volumeState(v),
		SizeGB:      int(aws.ToInt32(v.Size)),
		Zone:        aws.ToString(v.AvailabilityZone),
		CreateTime:  aws.ToTime(v.CreateTime),
		VolumeType:  string(v.VolumeType),
		IOPS:        int(aws.ToInt32(v.Iops)),
		Extra: extraTags(map[string]string{
			"state": string(v.State), "encrypted": strconv.FormatBool(aws.ToBool(v.Encrypted)),
			"multi_attach_enabled": strconv.FormatBool(aws.ToBool(v.MultiAttachEnabled)),
		}, v.Tags),
	}
	if v.Throughput != nil {
		out.Extra["throughput"] = strconv.Itoa(int(*v.Throughput))
	}
	if k := aws.ToString(v.KmsKeyId); k != "" {
		out.Extra["kms_key_id"] = k
	}
	if sn := aws.ToString(v.SnapshotId); sn != "" {
		out.Source = &sdk.ResourceRef{Kind: "snapshot", ID: sn}
	}
	for _, a := range v.Attachments {
		switch a.State {
		case ec2types.VolumeAttachmentStateAttached, ec2types.VolumeAttachmentStateAttaching, ec2types.VolumeAttachmentStateDetaching:
			out.Attachment = &sdk.VolumeAttachment{InstanceID: aws.ToString(a.InstanceId), Device: aws.ToString(a.Device)}
			out.Extra["attachment_state"] = string(a.State)
			out.Extra["delete_on_termination"] = strconv.FormatBool(aws.ToBool(a.DeleteOnTermination))
		}
		if out.Attachment != nil {
			break
		}
	}
	return out
}

func (s *volumes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Volume], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Volume]{}, err
	}
	return serverPage(ctx, cl, opts, "DescribeVolumes", 5, 500, func(v sdk.Volume) string { return v.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Volume, string, error) {
		out, err := ec2.NewDescribeVolumesPaginator(cl.ec2, &ec2.DescribeVolumesInput{NextToken: optString(token), MaxResults: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var vs []sdk.Volume
		for _, v := range out.Volumes {
			vs = append(vs, volumeFromEC2(v))
		}
		return vs, aws.ToString(out.NextToken), nil
	})
}

func (s *volumes) Get(ctx context.Context, id string) (sdk.Volume, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Volume{}, err
	}
	v, err := volume(ctx, cl, id)
	if err != nil {
		return sdk.Volume{}, err
	}
	return volumeFromEC2(v), nil
}

// volume describes one volume; a missing or malformed id is NotFound.
func volume(ctx context.Context, cl *clients, id string) (ec2types.Volume, error) {
	if id == "" {
		return ec2types.Volume{}, sdk.NotFound("volume", id)
	}
	out, err := cl.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil {
		return ec2types.Volume{}, cl.lookupError(err, "volume", id)
	}
	for _, v := range out.Volumes {
		if aws.ToString(v.VolumeId) == id {
			return v, nil
		}
	}
	return ec2types.Volume{}, sdk.NotFound("volume", id)
}

// Create makes a blank volume, or one from a snapshot (of the snapshot's
// size when SizeGB is 0), in the provider's zone unless the spec names
// another. EC2's ClientToken makes the create idempotent; a retry also finds
// the volume by the idempotency token's tag.
func (s *volumes) Create(ctx context.Context, spec sdk.VolumeSpec) (sdk.Volume, error) {
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
		return sdk.Volume{}, sdk.InvalidArgument("size_gb", spec.SizeGB, "a blank volume needs a size in GB greater than 0")
	case spec.IOPS < 0:
		return sdk.Volume{}, sdk.InvalidArgument("iops", spec.IOPS, "must not be negative")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Volume{}, err
	}
	zone := spec.Zone
	if zone == "" {
		zone = cl.zone
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.Volume{}, cl.mapError(err)
		}
		for _, v := range out.Volumes {
			if hasTag(v.Tags, tagToken, spec.IdempotencyToken) {
				return volumeFromEC2(v), nil
			}
		}
	}
	in := &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String(zone), SnapshotId: optString(spec.SnapshotID),
		VolumeType: ec2types.VolumeType(spec.VolumeType), ClientToken: clientToken(spec.IdempotencyToken),
		TagSpecifications: tagSpecs(ec2types.ResourceTypeVolume, spec.Label, spec.Description, spec.IdempotencyToken),
	}
	if spec.SizeGB > 0 {
		in.Size = aws.Int32(int32(spec.SizeGB))
	}
	if spec.IOPS > 0 {
		in.Iops = aws.Int32(int32(spec.IOPS))
	}
	out, err := cl.ec2.CreateVolume(ctx, in)
	if err != nil {
		return sdk.Volume{}, wrapf(volumeCreateError(cl, err), "create volume %q in %s", spec.Label, zone)
	}
	id := aws.ToString(out.VolumeId)
	if v, err := volume(ctx, cl, id); err == nil {
		return volumeFromEC2(v), nil
	}
	// Eventual consistency: CreateVolume's own answer describes the volume.
	return volumeFromEC2(ec2types.Volume{
		VolumeId: out.VolumeId, Size: out.Size, SnapshotId: out.SnapshotId, AvailabilityZone: out.AvailabilityZone,
		State: out.State, CreateTime: out.CreateTime, VolumeType: out.VolumeType, Iops: out.Iops, Encrypted: out.Encrypted,
		Tags: out.Tags,
	}), nil
}

// volumeCreateError names the parameter a refused create got wrong: the
// snapshot (missing or malformed), the zone, or the size.
func volumeCreateError(cl *clients, err error) error {
	err = idempotencyError(cl.mapError(err))
	var e *sdk.Error
	if !errors.As(err, &e) || e.Param != "" {
		return err
	}
	msg := strings.ToLower(e.Message)
	switch {
	case strings.HasPrefix(e.ProviderCode, "InvalidSnapshot"):
		e.Param = "snapshot_id"
		if e.Code != sdk.CodeNotFound && strings.HasSuffix(e.ProviderCode, "Malformed") {
			e.Code = sdk.CodeNotFound
		}
	case e.ProviderCode == "InvalidZone.NotFound" || e.ProviderCode == "InvalidAvailabilityZone" ||
		(e.Code == sdk.CodeInvalidArgument && (strings.Contains(msg, "availability zone") || strings.Contains(msg, "availabilityzone"))):
		e.Param, e.Code = "zone", sdk.CodeInvalidArgument
	case e.Code == sdk.CodeInvalidArgument && strings.Contains(msg, "size"):
		e.Param = "size_gb"
	case e.ProviderCode == "InvalidVolumeType":
		e.Param = "volume_type"
	case e.Code == sdk.CodeInvalidArgument && strings.Contains(msg, "iops"):
		e.Param = "iops"
	}
	return err
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
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Volume{}, err
	}
	if _, err := volume(ctx, cl, id); err != nil {
		return sdk.Volume{}, err
	}
	if err := updateTags(ctx, cl, id, u.Label, u.Description); err != nil {
		return sdk.Volume{}, cl.lookupError(err, "volume", id)
	}
	return s.Get(ctx, id)
}

// updateTags sets the Name and Description tags that are given.
func updateTags(ctx context.Context, cl *clients, id string, label, description *string) error {
	var tags []ec2types.Tag
	if label != nil {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagName), Value: label})
	}
	if description != nil {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagDescription), Value: description})
	}
	if len(tags) == 0 {
		return nil
	}
	_, err := cl.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: tags})
	return err
}

// Delete deletes a volume. One that is attached is FailedPrecondition (EC2's
// VolumeInUse), and one already being deleted is NotFound, as a second
// delete is.
func (s *volumes) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	v, err := volume(ctx, cl, id)
	if err != nil {
		return err
	}
	switch view := volumeFromEC2(v); {
	case v.State == ec2types.VolumeStateDeleting || v.State == ec2types.VolumeStateDeleted:
		return sdk.NotFound("volume", id)
	case view.Attachment != nil:
		// The state just read says so; EC2 would refuse the same way.
		return &sdk.Error{Code: sdk.CodeFailedPrecondition, ProviderCode: "VolumeInUse", Message: fmt.Sprintf(
			"volume %s is attached to instance %s as %s; detach it first", id, view.Attachment.InstanceID, view.Attachment.Device)}
	}
	_, err = cl.ec2.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(id)})
	return cl.lookupError(err, "volume", id)
}

// Attach attaches the volume to an instance in its zone, as device (the next
// free one of /dev/sdf to /dev/sdp, AWS's advice for EBS volumes, when "").
// An attached volume is FailedPrecondition.
func (s *volumes) Attach(ctx context.Context, volumeID, instanceID, device string) (sdk.Volume, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Volume{}, err
	}
	v, err := volume(ctx, cl, volumeID)
	if err != nil {
		return sdk.Volume{}, withParam(err, "volume_id")
	}
	if a := volumeFromEC2(v).Attachment; a != nil {
		return sdk.Volume{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "volume_id", ProviderCode: "VolumeInUse", Message: fmt.Sprintf(
			"volume %s is attached to instance %s as %s; detach it first", volumeID, a.InstanceID, a.Device)}
	}
	in, err := instance(ctx, cl, instanceID)
	if err != nil {
		return sdk.Volume{}, withParam(err, "instance_id")
	}
	if device == "" {
		if device = freeDevice(in); device == "" {
			return sdk.Volume{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "device",
				Message: fmt.Sprintf("instance %s has no free device name from /dev/sdf to /dev/sdp; name one", instanceID)}
		}
	}
	if err := attachVolume(ctx, cl, volumeID, instanceID, device); err != nil {
		return sdk.Volume{}, err
	}
	return s.Get(ctx, volumeID)
}

// attachVolume is AttachVolume, with the parameter a refusal is about named.
func attachVolume(ctx context.Context, cl *clients, volumeID, instanceID, device string) error {
	_, err := cl.ec2.AttachVolume(ctx, &ec2.AttachVolumeInput{
		VolumeId: aws.String(volumeID), InstanceId: aws.String(instanceID), Device: aws.String(device),
	})
	if err == nil {
		return nil
	}
	err = cl.mapError(err)
	var e *sdk.Error
	if errors.As(err, &e) && e.Param == "" {
		switch pc := e.ProviderCode; {
		case strings.HasPrefix(pc, "InvalidInstanceID"):
			e.Param = "instance_id"
			if e.Code == sdk.CodeInvalidArgument {
				e.Code = sdk.CodeNotFound
			}
		case strings.HasPrefix(pc, "InvalidVolume"):
			e.Param = "volume_id"
		case e.Code == sdk.CodeInvalidArgument && strings.Contains(strings.ToLower(e.Message), "device"):
			e.Param = "device"
		}
	}
	return wrapf(err, "attach volume %s to instance %s as %s", volumeID, instanceID, device)
}

// freeDevice is the first of /dev/sdf to /dev/sdp that the instance does not
// use ("" when all are taken). xvdX names are the same devices as sdX.
func freeDevice(in ec2types.Instance) string {
	used := map[string]bool{}
	for _, bd := range in.BlockDeviceMappings {
		used[strings.TrimPrefix(strings.TrimPrefix(aws.ToString(bd.DeviceName), "/dev/"), "xv")] = true
	}
	for c := 'f'; c <= 'p'; c++ {
		if name := "sd" + string(c); !used[name] && !used["d"+string(c)] {
			return "/dev/" + name
		}
	}
	return ""
}

// Detach detaches the volume from its instance (force: even if the instance
// does not let go, at the risk of its data). One that is not attached is
// FailedPrecondition.
func (s *volumes) Detach(ctx context.Context, volumeID string, force bool) (sdk.Volume, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Volume{}, err
	}
	v, err := volume(ctx, cl, volumeID)
	if err != nil {
		return sdk.Volume{}, withParam(err, "volume_id")
	}
	a := volumeFromEC2(v).Attachment
	if a == nil {
		return sdk.Volume{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "volume_id", ProviderCode: "IncorrectState",
			Message: fmt.Sprintf("volume %s is not attached", volumeID)}
	}
	// The instance and device are optional but for Multi-Attach volumes,
	// where they say which attachment to end; naming them is never wrong.
	_, err = cl.ec2.DetachVolume(ctx, &ec2.DetachVolumeInput{
		VolumeId: aws.String(volumeID), InstanceId: aws.String(a.InstanceID), Device: optString(a.Device), Force: aws.Bool(force),
	})
	if err != nil {
		return sdk.Volume{}, wrapf(cl.lookupError(err, "volume", volumeID), "detach volume %s", volumeID)
	}
	return s.Get(ctx, volumeID)
}
