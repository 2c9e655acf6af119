package mock

import (
	"context"
	"maps"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Image owners: the public catalogue's and the account's own.
const (
	OwnerPublic  = "mock-public"
	OwnerAccount = "mock-account"
)

// imageRecord is an image the account made, as kept in the state.
type imageRecord struct {
	sdk.Image
	// Pending makes the image available once it has been "built".
	Pending transition[sdk.ImageState] `json:"transition,omitzero"`
}

// view is the image as a caller sees it at time now.
func (r *imageRecord) view(now time.Time) sdk.Image {
	im := r.Image
	im.State = r.Pending.apply(im.State, now)
	im.Extra = maps.Clone(im.Extra)
	return im
}

// publicImages is the cloud's catalogue of public images, every account's to use
// and nobody's to change.
func publicImages() []sdk.Image {
	released := time.Date(2024, 4, 25, 0, 0, 0, 0, time.UTC)
	image := func(id, name, label, description string, minDiskGB int) sdk.Image {
		return sdk.Image{
			ID: id, Name: name, Label: label, Description: description,
			State: sdk.ImageAvailable, MinDiskGB: minDiskGB,
			Owner: OwnerPublic, Public: true, CreateTime: released,
		}
	}
	return []sdk.Image{ // sorted by id
		image("img-cirros-06", "cirros-0.6", "cirros-06", "CirrOS 0.6, a tiny test image", 1),
		image("img-debian-12", "debian-12", "debian-12", "Debian 12 (bookworm)", 2),
		image("img-ubuntu-2404", "ubuntu-24.04", "ubuntu-2404", "Ubuntu 24.04 LTS (Noble Numbat)", 8),
	}
}

func publicImage(id string) *sdk.Image {
	for _, im := range publicImages() {
		if im.ID == id {
			return &im
		}
	}
	return nil
}

// image returns the image id as seen at the transaction's time, public or own.
func (t *txn) image(id string) (sdk.Image, bool) {
	if im := publicImage(id); im != nil {
		return *im, true
	}
	if r, ok := t.Images[id]; ok {
		return r.view(t.now), true
	}
	return sdk.Image{}, false
}

// images implements sdk.Images.
type images struct{ c *Cloud }

func (s *images) List(ctx context.Context, opts sdk.ImageListOptions) (sdk.Page[sdk.Image], error) {
	var all []sdk.Image
	err := s.c.read(ctx, func(t *txn) error {
		if !opts.OwnedOnly {
			all = publicImages()
		}
		for _, r := range t.Images {
			all = append(all, r.view(t.now))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Image]{}, err
	}
	return sdk.Paginate(all, opts.ListOptions, func(im sdk.Image) string { return im.ID })
}

func (s *images) Get(ctx context.Context, id string) (sdk.Image, error) {
	var im sdk.Image
	err := s.c.read(ctx, func(t *txn) error {
		var ok bool
		if im, ok = t.image(id); !ok {
			return sdk.NotFound("image", id)
		}
		return nil
	})
	return im, err
}

// Create makes an image of an instance. It is pending for the boot_time setting,
// then available; its MinDiskGB is the source instance's root disk size.
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
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var im sdk.Image
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("image", token, digest); err != nil || rec != nil {
			if rec != nil {
				im = t.Images[rec.ID].view(t.now)
			}
			return err
		}
		inst, ok := t.Instances[spec.InstanceID]
		if !ok {
			return missing("instance_id", "instance", spec.InstanceID)
		}
		if st := inst.view(t.now).State; st == sdk.InstancePending {
			return failedPrecondition("instance %s is %s; wait until it is running or stopped", inst.ID, st)
		}
		id := newID("img-", t.Images)
		r := &imageRecord{
			Image: sdk.Image{
				ID: id, Name: id, Label: spec.Label, Description: spec.Description,
				State: sdk.ImagePending, MinDiskGB: inst.RootDiskGB,
				Owner: OwnerAccount, SourceInstanceID: inst.ID, CreateTime: t.now,
			},
			Pending: transition[sdk.ImageState]{To: sdk.ImageAvailable, At: t.now.Add(t.cfg.bootTime)},
		}
		t.Images[id] = r
		t.remember("image", token, digest, id)
		im = r.view(t.now)
		return nil
	})
	return im, err
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
	var im sdk.Image
	err := s.c.write(ctx, func(t *txn) error {
		r, err := t.ownImage(id, "update")
		if err != nil {
			return err
		}
		if u.Label != nil {
			r.Label = *u.Label
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		im = r.view(t.now)
		return nil
	})
	return im, err
}

func (s *images) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, err := t.ownImage(id, "delete"); err != nil {
			return err
		}
		delete(t.Images, id)
		t.forget("image", id)
		return nil
	})
}

// ownImage returns one of the account's images for a change; a public image is
// PermissionDenied, as on clouds where it belongs to another account.
func (t *txn) ownImage(id, verb string) (*imageRecord, error) {
	if publicImage(id) != nil {
		return nil, &sdk.Error{Code: sdk.CodePermissionDenied,
			Message: "image " + id + " is a public image of " + OwnerPublic + "; this account cannot " + verb + " it"}
	}
	r, ok := t.Images[id]
	if !ok {
		return nil, sdk.NotFound("image", id)
	}
	return r, nil
}
