package aws

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// images implements sdk.Images over AMIs. The label is the Name tag; the
// AMI's own name (unique per account, fixed for life) is Name.
type images struct{ c *Cloud }

func imageState(s ec2types.ImageState) sdk.ImageState {
	switch s {
	case ec2types.ImageStatePending:
		return sdk.ImagePending
	case ec2types.ImageStateAvailable:
		return sdk.ImageAvailable
	case ec2types.ImageStateFailed, ec2types.ImageStateError, ec2types.ImageStateInvalid:
		return sdk.ImageError
	}
	return sdk.ImageUnknown
}

func imageFromEC2(im ec2types.Image) sdk.Image {
	img := sdk.Image{
		ID:          aws.ToString(im.ImageId),
		Name:        aws.ToString(im.Name),
		Label:       tagValue(im.Tags, tagName),
		Description: aws.ToString(im.Description),
		State:       imageState(im.State),
		Owner:       aws.ToString(im.OwnerId),
		Public:      aws.ToBool(im.Public),
		Extra: extraTags(map[string]string{
			"architecture": string(im.Architecture), "root_device_type": string(im.RootDeviceType),
			"root_device_name": aws.ToString(im.RootDeviceName), "virtualization_type": string(im.VirtualizationType),
			"platform": aws.ToString(im.PlatformDetails), "state": string(im.State),
		}, im.Tags),
	}
	if t, err := time.Parse(time.RFC3339, aws.ToString(im.CreationDate)); err == nil {
		img.CreateTime = t
	}
	for _, bd := range im.BlockDeviceMappings {
		if bd.Ebs != nil && (aws.ToString(bd.DeviceName) == aws.ToString(im.RootDeviceName) || img.MinDiskGB == 0) {
			img.MinDiskGB = int(aws.ToInt32(bd.Ebs.VolumeSize))
		}
	}
	if v := tagValue(im.Tags, tagSourceInstance); v != "" {
		img.SourceInstanceID = v
	}
	return img
}

// tagSourceInstance remembers which instance an image was made from: EC2 does
// not.
const tagSourceInstance = "cloudbridge-source-instance"

// List lists the images the account can launch, or only its own. All public
// AMIs are a very long list on AWS; the page token is EC2's NextToken.
func (s *images) List(ctx context.Context, opts sdk.ImageListOptions) (sdk.Page[sdk.Image], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Image]{}, err
	}
	in := ec2.DescribeImagesInput{}
	if opts.OwnedOnly {
		in.Owners = []string{"self"}
	}
	return serverPage(ctx, cl, opts.ListOptions, "DescribeImages owned="+strconv.FormatBool(opts.OwnedOnly), 5, 1000, func(i sdk.Image) string { return i.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Image, string, error) {
		in := in
		in.NextToken, in.MaxResults = optString(token), aws.Int32(max)
		out, err := ec2.NewDescribeImagesPaginator(cl.ec2, &in).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var imgs []sdk.Image
		for _, im := range out.Images {
			imgs = append(imgs, imageFromEC2(im))
		}
		return imgs, aws.ToString(out.NextToken), nil
	})
}

func (s *images) Get(ctx context.Context, id string) (sdk.Image, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Image{}, err
	}
	im, err := image(ctx, cl, id)
	if err != nil {
		return sdk.Image{}, err
	}
	return imageFromEC2(im), nil
}

// image describes one AMI; a missing, malformed or deregistered one is
// NotFound.
func image(ctx context.Context, cl *clients, id string) (ec2types.Image, error) {
	if id == "" {
		return ec2types.Image{}, sdk.NotFound("image", id)
	}
	out, err := cl.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		return ec2types.Image{}, cl.lookupError(err, "image", id)
	}
	for _, im := range out.Images {
		if aws.ToString(im.ImageId) == id && im.State != ec2types.ImageStateDeregistered {
			return im, nil
		}
	}
	return ec2types.Image{}, sdk.NotFound("image", id)
}

// Create makes an AMI of an instance (CreateImage, which reboots it unless
// the image is made without; CloudBridge lets EC2 reboot). A retry with the
// same idempotency token finds the image by its token tag.
func (s *images) Create(ctx context.Context, spec sdk.ImageSpec) (sdk.Image, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Image{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.Image{}, err
	}
	if spec.InstanceID == "" {
		return sdk.Image{}, sdk.InvalidArgument("instance_id", "", "required")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Image{}, err
	}
	if spec.IdempotencyToken != "" {
		out, err := cl.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, Filters: tokenFilter(spec.IdempotencyToken)})
		if err != nil {
			return sdk.Image{}, cl.mapError(err)
		}
		for _, im := range out.Images {
			if hasTag(im.Tags, tagToken, spec.IdempotencyToken) && im.State != ec2types.ImageStateDeregistered {
				return imageFromEC2(im), nil
			}
		}
	}
	tags := tagSpecs(ec2types.ResourceTypeImage, spec.Label, "", spec.IdempotencyToken)
	tags[0].Tags = append(tags[0].Tags, ec2types.Tag{Key: aws.String(tagSourceInstance), Value: aws.String(spec.InstanceID)})
	out, err := cl.ec2.CreateImage(ctx, &ec2.CreateImageInput{
		InstanceId: aws.String(spec.InstanceID),
		// AMI names are unique per account; labels need not be.
		Name:              aws.String(spec.Label + "-" + uniqueSuffix()),
		Description:       optString(spec.Description),
		TagSpecifications: tags,
	})
	if err != nil {
		return sdk.Image{}, wrapf(cl.refError(err, "instance_id"), "create image %q of instance %s", spec.Label, spec.InstanceID)
	}
	id := aws.ToString(out.ImageId)
	im, err := image(ctx, cl, id)
	if err != nil {
		// Eventual consistency: the image exists though it is not described yet.
		return sdk.Image{ID: id, Label: spec.Label, Description: spec.Description, State: sdk.ImagePending,
			SourceInstanceID: spec.InstanceID}, nil
	}
	return imageFromEC2(im), nil
}

func (s *images) Update(ctx context.Context, id string, u sdk.ImageUpdate) (sdk.Image, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Image{}, err
		}
	}
	if u.Description != nil {
		if err := validateDescription(*u.Description); err != nil {
			return sdk.Image{}, err
		}
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Image{}, err
	}
	if _, err := image(ctx, cl, id); err != nil {
		return sdk.Image{}, err
	}
	if u.Label != nil {
		if err := setTag(ctx, cl, id, tagName, *u.Label); err != nil {
			return sdk.Image{}, cl.lookupError(err, "image", id)
		}
	}
	if u.Description != nil {
		_, err := cl.ec2.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{
			ImageId: aws.String(id), Description: &ec2types.AttributeValue{Value: u.Description},
		})
		if err != nil {
			return sdk.Image{}, cl.lookupError(err, "image", id)
		}
	}
	return s.Get(ctx, id)
}

// Delete deregisters the image and deletes the snapshots behind it, as
// CloudBridge does: an AMI's snapshots are not deleted with it and would be
// billed on.
func (s *images) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	im, err := image(ctx, cl, id)
	if err != nil {
		return err
	}
	if _, err := cl.ec2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(id)}); err != nil {
		return cl.lookupError(err, "image", id)
	}
	for _, bd := range im.BlockDeviceMappings {
		if bd.Ebs == nil || aws.ToString(bd.Ebs.SnapshotId) == "" {
			continue
		}
		_, err := cl.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: bd.Ebs.SnapshotId})
		if err != nil && !isCode(err, "InvalidSnapshot.NotFound") {
			return wrapf(cl.mapError(err), "image %s is deregistered; delete its snapshot %s", id, aws.ToString(bd.Ebs.SnapshotId))
		}
	}
	return nil
}
