package openstack

import (
	"context"
	"net/url"
	"strings"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// images are Glance v2 images; label = the image's name, description = its
// "description" property. An image is made from a server by Nova's
// createImage action.
type imageSvc struct{ c *Cloud }

// imageQuery adds property filters to gophercloud's ListOpts: Glance filters
// on any image property given as a query parameter.
type imageQuery struct {
	images.ListOpts
	props url.Values
}

func (q imageQuery) ToImageListQuery() (string, error) {
	s, err := q.ListOpts.ToImageListQuery()
	if err != nil || len(q.props) == 0 {
		return s, err
	}
	if s == "" {
		return "?" + q.props.Encode(), nil
	}
	return s + "&" + q.props.Encode(), nil
}

func (s *imageSvc) List(ctx context.Context, opts sdk.ImageListOptions) (sdk.Page[sdk.Image], error) {
	size, marker, err := pageRequest(opts.ListOptions)
	if err != nil {
		return sdk.Page[sdk.Image]{}, err
	}
	cn, sc, err := s.c.client(ctx, "image")
	if err != nil {
		return sdk.Page[sdk.Image]{}, err
	}
	lo := images.ListOpts{Limit: size + 1, Marker: marker, Sort: "created_at:asc,id:asc"}
	if opts.OwnedOnly {
		lo.Owner = cn.projectID
	}
	page, err := firstPage(ctx, images.List(sc, lo))
	if err != nil {
		return sdk.Page[sdk.Image]{}, listError(err, "list images", marker)
	}
	is, err := extract(page, images.ExtractImages)
	if err != nil {
		return sdk.Page[sdk.Image]{}, convertError(err, "read images", "")
	}
	items := make([]sdk.Image, len(is))
	for i, im := range is {
		items[i] = imageOf(im)
	}
	return cutPage(items, size, func(i sdk.Image) string { return i.ID }), nil
}

func (s *imageSvc) Get(ctx context.Context, id string) (sdk.Image, error) {
	_, sc, err := s.c.client(ctx, "image")
	if err != nil {
		return sdk.Image{}, err
	}
	if id == "" {
		return sdk.Image{}, notFound("id", "image", id)
	}
	im, err := images.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.Image{}, convertError(err, "get image "+quote(id), "")
	}
	return imageOf(*im), nil
}

// Create snapshots a server into a new image.
func (s *imageSvc) Create(ctx context.Context, spec sdk.ImageSpec) (sdk.Image, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return sdk.Image{}, err
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.Image{}, err
	}
	if spec.InstanceID == "" {
		return sdk.Image{}, sdk.InvalidArgument("instance_id", "", "required")
	}
	cn, sc, err := s.c.client(ctx, "image")
	if err != nil {
		return sdk.Image{}, err
	}
	_, compute, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Image{}, err
	}
	meta := map[string]string{}
	if spec.Description != "" {
		meta["description"] = spec.Description
	}
	if mark := tokenMark(spec.IdempotencyToken); mark != "" {
		meta[tokenMetaKey] = mark
		q := imageQuery{ListOpts: images.ListOpts{Owner: cn.projectID, Limit: 1}, props: url.Values{tokenMetaKey: {mark}}}
		page, err := firstPage(ctx, images.List(sc, q))
		if err != nil {
			return sdk.Image{}, convertError(err, "look for an image made by an earlier try", "")
		}
		if is, err := extract(page, images.ExtractImages); err == nil && len(is) > 0 {
			return imageOf(is[0]), nil
		}
	}
	id, err := servers.CreateImage(ctx, compute, spec.InstanceID, servers.CreateImageOpts{Name: spec.Label, Metadata: meta}).ExtractImageID()
	if err != nil {
		return sdk.Image{}, withParam(convertError(err, "create image of server "+quote(spec.InstanceID), sdk.CodeFailedPrecondition), "instance_id")
	}
	im, err := images.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.Image{}, convertError(err, "get new image "+quote(id), "")
	}
	return imageOf(*im), nil
}

func (s *imageSvc) Update(ctx context.Context, id string, u sdk.ImageUpdate) (sdk.Image, error) {
	if err := validateUpdate(u.Label, u.Description); err != nil {
		return sdk.Image{}, err
	}
	_, sc, err := s.c.client(ctx, "image")
	if err != nil {
		return sdk.Image{}, err
	}
	if id == "" {
		return sdk.Image{}, notFound("id", "image", id)
	}
	var patch images.UpdateOpts
	if u.Label != nil {
		patch = append(patch, images.ReplaceImageName{NewName: *u.Label})
	}
	if u.Description != nil {
		cur, err := images.Get(ctx, sc, id).Extract()
		if err != nil {
			return sdk.Image{}, convertError(err, "get image "+quote(id), "")
		}
		op := images.AddOp
		if _, ok := cur.Properties["description"]; ok {
			op = images.ReplaceOp
		}
		patch = append(patch, images.UpdateImageProperty{Op: op, Name: "description", Value: *u.Description})
	}
	if len(patch) == 0 {
		return s.Get(ctx, id)
	}
	im, err := images.Update(ctx, sc, id, patch).Extract()
	if err != nil {
		return sdk.Image{}, convertError(err, "update image "+quote(id), "")
	}
	return imageOf(*im), nil
}

func (s *imageSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "image")
	if err != nil {
		return err
	}
	if id == "" {
		return notFound("id", "image", id)
	}
	return convertError(images.Delete(ctx, sc, id).ExtractErr(), "delete image "+quote(id), sdk.CodeFailedPrecondition)
}

func imageOf(im images.Image) sdk.Image {
	out := sdk.Image{
		ID: im.ID, Name: im.Name, Label: im.Name, MinDiskGB: im.MinDiskGigabytes, Owner: im.Owner,
		Public: im.Visibility == images.ImageVisibilityPublic, CreateTime: im.CreatedAt.UTC(),
		Extra: map[string]string{"status": string(im.Status), "visibility": string(im.Visibility),
			"disk_format": im.DiskFormat, "container_format": im.ContainerFormat},
	}
	if d, ok := im.Properties["description"].(string); ok {
		out.Description = d
	}
	if src, ok := im.Properties["instance_uuid"].(string); ok {
		out.SourceInstanceID = src
	}
	switch strings.ToLower(string(im.Status)) {
	case "active":
		out.State = sdk.ImageAvailable
	case "queued", "saving", "importing", "uploading":
		out.State = sdk.ImagePending
	case "killed", "deactivated":
		out.State = sdk.ImageError
	default:
		out.State = sdk.ImageUnknown
	}
	return out
}
