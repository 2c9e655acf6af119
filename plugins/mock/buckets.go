package mock

import (
	"context"
	"fmt"
	"maps"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// buckets implements sdk.Buckets. A bucket's id is its name, and names are
// unique within the cloud (S3's are unique across all accounts).
type buckets struct{ c *Cloud }

func bucketView(b *sdk.Bucket) sdk.Bucket {
	v := *b
	v.Extra = maps.Clone(v.Extra)
	return v
}

func (s *buckets) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Bucket], error) {
	var all []sdk.Bucket
	err := s.c.read(ctx, func(t *txn) error {
		for _, b := range t.Buckets {
			all = append(all, bucketView(b))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Bucket]{}, err
	}
	return sdk.Paginate(all, opts, func(b sdk.Bucket) string { return b.ID })
}

func (s *buckets) Get(ctx context.Context, name string) (sdk.Bucket, error) {
	var b sdk.Bucket
	err := s.c.read(ctx, func(t *txn) error {
		rec, err := t.bucket("name", name)
		if err == nil {
			b = bucketView(rec)
		}
		return err
	})
	return b, err
}

// Create makes a bucket in spec.Location, which must be one of the mock's
// regions, or in the configured region when it is empty. An existing name is
// AlreadyExists, unless the create is a retry with the same idempotency token.
func (s *buckets) Create(ctx context.Context, spec sdk.BucketSpec) (sdk.Bucket, error) {
	if err := sdk.ValidateBucketName(spec.Name); err != nil {
		return sdk.Bucket{}, err
	}
	if spec.Location != "" && regionByName(spec.Location) == nil {
		return sdk.Bucket{}, sdk.InvalidArgument("location", spec.Location, "not a region of the mock cloud")
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var b sdk.Bucket
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("bucket", token, digest); err != nil || rec != nil {
			if rec != nil {
				b = bucketView(t.Buckets[rec.ID])
			}
			return err
		}
		if _, dup := t.Buckets[spec.Name]; dup {
			return &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name", ProviderCode: "BucketAlreadyExists",
				Message: fmt.Sprintf("bucket %q already exists", spec.Name)}
		}
		loc := spec.Location
		if loc == "" {
			loc = t.cfg.region
		}
		rec := &sdk.Bucket{ID: spec.Name, Name: spec.Name, Location: loc, CreateTime: t.now}
		t.Buckets[spec.Name] = rec
		t.remember("bucket", token, digest, spec.Name)
		b = bucketView(rec)
		return nil
	})
	return b, err
}

// Delete deletes a bucket. One that holds objects is FailedPrecondition (S3's
// BucketNotEmpty) unless deleteContents; pending multipart uploads do not keep
// a bucket alive and are discarded with it, as their parts would otherwise be
// left behind unreachable.
func (s *buckets) Delete(ctx context.Context, name string, deleteContents bool) error {
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return err
	}
	dirs, err := s.c.dirs(cfg)
	if err != nil {
		return err
	}
	return s.c.locked(ctx, cfg, true, func(t *txn) error {
		if _, err := t.bucket("name", name); err != nil {
			return err
		}
		var objs []string
		for id, o := range t.Objects {
			if o.Bucket == name {
				objs = append(objs, id)
			}
		}
		if len(objs) > 0 && !deleteContents {
			return &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "name", ProviderCode: "BucketNotEmpty",
				Message: fmt.Sprintf("bucket %q holds %d objects; delete them first, or delete with delete_contents", name, len(objs))}
		}
		for _, id := range objs {
			dirs.remove(dirs.object(t.Objects[id].File))
			delete(t.Objects, id)
		}
		for id, up := range t.Uploads {
			if up.Bucket == name {
				dirs.removeParts(up)
				delete(t.Uploads, id)
			}
		}
		delete(t.Buckets, name)
		t.forget("bucket", name)
		return nil
	})
}

// bucket returns the bucket called name; param names the argument that gave it.
func (t *txn) bucket(param, name string) (*sdk.Bucket, error) {
	b, ok := t.Buckets[name]
	if !ok {
		e := missing(param, "bucket", name)
		e.ProviderCode = "NoSuchBucket"
		return nil, e
	}
	return b, nil
}
