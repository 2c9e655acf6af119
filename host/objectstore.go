package host

import (
	"bytes"
	"context"
	"io"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ---- buckets ----

// BucketSpec describes a bucket to create.
type BucketSpec = sdk.BucketSpec

// Bucket is an object storage bucket. Objects reads and writes its objects.
type Bucket struct {
	sdk.Bucket
	Objects *ObjectService
	svc     *BucketService
}

// BucketService is p.Storage.Buckets. Buckets are addressed by name.
type BucketService struct {
	p       *Provider
	drv     sdk.Buckets
	objects sdk.Objects
}

func newBucketService(p *Provider) *BucketService {
	o := p.drivers.ObjectStore
	if o == nil {
		o = &sdk.ObjectStore{}
	}
	return &BucketService{p: p, drv: o.Buckets, objects: o.Objects}
}

var bucketKeys = findKeys[*Bucket]{
	"name": func(b *Bucket) string { return b.Name },
	"id":   func(b *Bucket) string { return b.ID },
}

func (s *BucketService) wrap(b sdk.Bucket) *Bucket {
	return &Bucket{Bucket: b, svc: s, Objects: &ObjectService{p: s.p, drv: s.objects, bucket: b.Name}}
}

// Get returns a bucket by name.
func (s *BucketService) Get(ctx context.Context, name string) (*Bucket, error) {
	return call(ctx, s.p, "provider.storage.buckets.get", sdk.CapBuckets, &name, func(ctx context.Context) (*Bucket, error) {
		b, err := s.drv.Get(ctx, name)
		return s.wrap(b), err
	})
}

// List returns one page of buckets.
func (s *BucketService) List(ctx context.Context, opts ListOptions) (Page[*Bucket], error) {
	return call(ctx, s.p, "provider.storage.buckets.list", sdk.CapBuckets, &opts, func(ctx context.Context) (Page[*Bucket], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every bucket.
func (s *BucketService) All(ctx context.Context) iter.Seq2[*Bucket, error] { return pages(ctx, s.List) }

// Find returns the buckets matching the filter (key: name).
func (s *BucketService) Find(ctx context.Context, f Filter) ([]*Bucket, error) {
	return find(s.All(ctx), f, bucketKeys)
}

// Create makes a bucket; an existing name is ErrAlreadyExists.
func (s *BucketService) Create(ctx context.Context, spec BucketSpec) (*Bucket, error) {
	if err := sdk.ValidateBucketName(spec.Name); err != nil {
		return nil, err
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.storage.buckets.create", sdk.CapBuckets, &spec, func(ctx context.Context) (*Bucket, error) {
		b, err := s.drv.Create(ctx, spec)
		return s.wrap(b), err
	})
}

// Delete deletes a bucket. A bucket that still holds objects is
// ErrFailedPrecondition unless deleteContents, which deletes them first.
func (s *BucketService) Delete(ctx context.Context, name string, deleteContents bool) error {
	args := BucketDeleteArgs{Name: name, DeleteContents: deleteContents}
	return do(ctx, s.p, "provider.storage.buckets.delete", sdk.CapBuckets, &args, func(ctx context.Context) error {
		return s.drv.Delete(ctx, args.Name, args.DeleteContents)
	})
}

// Delete deletes the bucket; see BucketService.Delete.
func (b *Bucket) Delete(ctx context.Context, deleteContents bool) error {
	return b.svc.Delete(ctx, b.Name, deleteContents)
}

// ---- objects ----

// ObjectInfo describes a stored object.
type ObjectInfo = sdk.ObjectInfo

// ObjectPage is one page of a bucket listing: objects, and with a delimiter
// the common prefixes ("directories").
type ObjectPage = sdk.ObjectPage

// UploadedPart is a part of a multipart upload, as Complete needs it.
type UploadedPart = sdk.UploadedPart

// PresignedURL is a URL, with the headers its request must carry, that a plain
// HTTP client can use without credentials until it expires.
type PresignedURL = sdk.PresignedURL

// ObjectService is bucket.Objects: the objects of one bucket. Bodies are
// streamed both ways, never held whole in memory.
type ObjectService struct {
	p      *Provider
	drv    sdk.Objects
	bucket string
}

// ObjectListOptions asks for one page of a bucket's objects: those whose key
// starts with Prefix and, with a Delimiter (usually "/"), the common prefixes
// up to the next delimiter instead of the objects below them.
type ObjectListOptions struct {
	ListOptions
	Prefix    string
	Delimiter string
}

// PutOptions describe an object to write.
type PutOptions struct {
	ContentType string
	Metadata    map[string]string
	// Size is the exact byte count of the body, or -1 when unknown. Because the
	// zero PutOptions must be safe to pass, 0 with a non-nil body is taken as
	// unknown too; a nil body stores an empty object.
	Size int64
	// SHA256 is a hex digest the stored bytes must have, when non-empty.
	SHA256 string
}

// UploadOptions describe the object a multipart upload will make, and for
// the transfer manager (Upload, UploadFile) how to send it; the transfer
// fields are ignored by CreateMultipartUpload.
type UploadOptions struct {
	ContentType string
	Metadata    map[string]string

	// Size is the exact byte count of Upload's body when the caller knows it;
	// 0 lets Upload find out (a file, a bytes or strings Reader, a seeker),
	// and -1 (or a body it cannot measure) means unknown.
	Size int64
	// Transfer overrides, field by field, the provider's TransferConfig.
	Transfer TransferConfig
	// Progress, when set, is told how many bytes have been sent (see Progress).
	Progress func(Progress)
}

// PresignOptions override headers of the response to a presigned GET.
type PresignOptions struct {
	ResponseContentType        string
	ResponseContentDisposition string
}

var objectKeys = findKeys[ObjectInfo]{"name": func(o ObjectInfo) string { return o.Key }}

// Bucket returns the name of the bucket the service works in.
func (s *ObjectService) Bucket() string { return s.bucket }

// List returns one page of the bucket's objects.
func (s *ObjectService) List(ctx context.Context, opts ObjectListOptions) (ObjectPage, error) {
	req := sdk.ListObjectsOptions{ListOptions: opts.ListOptions, Bucket: s.bucket, Prefix: opts.Prefix, Delimiter: opts.Delimiter}
	return call(ctx, s.p, "provider.storage.bucket_objects.list", sdk.CapObjects, &req, func(ctx context.Context) (ObjectPage, error) {
		return s.drv.List(ctx, req)
	})
}

// All yields every object whose key starts with prefix ("" for all).
func (s *ObjectService) All(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return pages(ctx, func(ctx context.Context, o ListOptions) (Page[ObjectInfo], error) {
		page, err := s.List(ctx, ObjectListOptions{ListOptions: o, Prefix: prefix})
		return Page[ObjectInfo]{Items: page.Objects, NextPageToken: page.NextPageToken}, err
	})
}

// Find returns the objects matching the filter (key: name, the object key).
func (s *ObjectService) Find(ctx context.Context, f Filter) ([]ObjectInfo, error) {
	return find(s.All(ctx, ""), f, objectKeys)
}

// Head returns an object's info without its content.
func (s *ObjectService) Head(ctx context.Context, key string) (ObjectInfo, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	return call(ctx, s.p, "provider.storage.bucket_objects.head", sdk.CapObjects, &key, func(ctx context.Context) (ObjectInfo, error) {
		return s.drv.Head(ctx, s.bucket, key)
	})
}

// Get returns an object's info and a reader of its content; close the reader.
func (s *ObjectService) Get(ctx context.Context, key string) (ObjectInfo, io.ReadCloser, error) {
	return s.read(ctx, "provider.storage.bucket_objects.get", key, 0, -1)
}

// GetRange returns an object's info and a reader of length bytes from offset
// (length < 0 reads to the end; a range past the end is cut short, an offset
// past the end is ErrInvalidArgument); close the reader.
func (s *ObjectService) GetRange(ctx context.Context, key string, offset, length int64) (ObjectInfo, io.ReadCloser, error) {
	if offset < 0 {
		return ObjectInfo{}, nil, sdk.InvalidArgument("offset", offset, "must not be negative")
	}
	return s.read(ctx, "provider.storage.bucket_objects.download_range", key, offset, length)
}

// read opens a reader of a range of an object. Errors of the reader's Read
// come from the driver, already mapped to the contract's codes.
func (s *ObjectService) read(ctx context.Context, event, key string, offset, length int64) (ObjectInfo, io.ReadCloser, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return ObjectInfo{}, nil, err
	}
	req := sdk.GetObjectRequest{Bucket: s.bucket, Key: key, Offset: offset, Length: length}
	var body io.ReadCloser
	info, err := call(ctx, s.p, event, sdk.CapObjects, &req, func(ctx context.Context) (ObjectInfo, error) {
		info, rc, err := s.drv.Get(ctx, req)
		body = rc
		return info, err
	})
	if err != nil {
		if body != nil {
			body.Close()
		}
		return ObjectInfo{}, nil, err
	}
	return info, body, nil
}

// Put writes an object from body, streaming it. If ctx is canceled or body
// fails before EOF, nothing is stored (an existing object is left as it was).
func (s *ObjectService) Put(ctx context.Context, key string, body io.Reader, opts PutOptions) (ObjectInfo, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	if err := checkSize(opts.Size); err != nil {
		return ObjectInfo{}, err
	}
	if body == nil {
		body, opts.Size = bytes.NewReader(nil), 0
	} else if opts.Size == 0 {
		opts.Size = -1
	}
	req := sdk.PutObjectRequest{Bucket: s.bucket, Key: key, ContentType: opts.ContentType,
		Metadata: maps.Clone(opts.Metadata), Size: opts.Size, SHA256: opts.SHA256}
	return call(ctx, s.p, "provider.storage.bucket_objects.put", sdk.CapObjects, &req, func(ctx context.Context) (ObjectInfo, error) {
		return s.drv.Put(ctx, req, body)
	})
}

// Delete deletes an object.
func (s *ObjectService) Delete(ctx context.Context, key string) error {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return err
	}
	return do(ctx, s.p, "provider.storage.bucket_objects.delete", sdk.CapObjects, &key, func(ctx context.Context) error {
		return s.drv.Delete(ctx, s.bucket, key)
	})
}

func checkSize(size int64) error {
	if size < -1 {
		return sdk.InvalidArgument("size", size, "must be the byte count, or -1 when unknown")
	}
	return nil
}

// ---- multipart uploads ----

// MultipartUpload is a pending multipart upload (capability
// objectstore.multipart): upload parts of at least sdk.MinPartSize bytes
// (except the last), then Complete, or Abort to discard them.
type MultipartUpload struct {
	sdk.MultipartUpload
	svc *ObjectService
}

func (s *ObjectService) wrapUpload(u sdk.MultipartUpload) *MultipartUpload {
	return &MultipartUpload{MultipartUpload: u, svc: s}
}

// CreateMultipartUpload starts a multipart upload of the object key.
func (s *ObjectService) CreateMultipartUpload(ctx context.Context, key string, opts UploadOptions) (*MultipartUpload, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return nil, err
	}
	req := sdk.CreateMultipartUploadRequest{Bucket: s.bucket, Key: key, ContentType: opts.ContentType, Metadata: maps.Clone(opts.Metadata)}
	return callAs(ctx, s.p, s.drv, "provider.storage.bucket_objects.create_multipart_upload", sdk.CapMultipart, &req,
		func(ctx context.Context, m sdk.MultipartUploader) (*MultipartUpload, error) {
			u, err := m.CreateMultipartUpload(ctx, req)
			return s.wrapUpload(u), err
		})
}

// ListMultipartUploads yields the bucket's pending uploads of keys starting
// with prefix; each can be completed or aborted.
func (s *ObjectService) ListMultipartUploads(ctx context.Context, prefix string) iter.Seq2[*MultipartUpload, error] {
	return pages(ctx, func(ctx context.Context, o ListOptions) (Page[*MultipartUpload], error) {
		req := sdk.ListMultipartUploadsOptions{ListOptions: o, Bucket: s.bucket, Prefix: prefix}
		return callAs(ctx, s.p, s.drv, "provider.storage.bucket_objects.list_multipart_uploads", sdk.CapMultipart, &req,
			func(ctx context.Context, m sdk.MultipartUploader) (Page[*MultipartUpload], error) {
				page, err := m.ListMultipartUploads(ctx, req)
				return mapPage(page, s.wrapUpload), err
			})
	})
}

// UploadPart uploads part n (numbered from 1) from body, streaming it; size is its
// exact byte count, or -1 when unknown. Uploading a part number again replaces
// the part.
func (u *MultipartUpload) UploadPart(ctx context.Context, n int, body io.Reader, size int64) (UploadedPart, error) {
	if n < 1 {
		return UploadedPart{}, sdk.InvalidArgument("part_number", n, "must be at least 1")
	}
	if err := checkSize(size); err != nil {
		return UploadedPart{}, err
	}
	if body == nil {
		return UploadedPart{}, sdk.InvalidArgument("body", "<nil>", "must not be nil")
	}
	req := sdk.UploadPartRequest{Bucket: u.Bucket, Key: u.Key, UploadID: u.ID, PartNumber: n, Size: size}
	return callAs(ctx, u.svc.p, u.svc.drv, "provider.storage.bucket_objects.upload_part", sdk.CapMultipart, &req,
		func(ctx context.Context, m sdk.MultipartUploader) (UploadedPart, error) {
			return m.UploadPart(ctx, req, body)
		})
}

// Complete assembles the uploaded parts, given in any order, into the object.
func (u *MultipartUpload) Complete(ctx context.Context, parts []UploadedPart) (ObjectInfo, error) {
	if len(parts) == 0 {
		return ObjectInfo{}, sdk.InvalidArgument("parts", "[]", "must list at least one part")
	}
	req := sdk.CompleteMultipartUploadRequest{Bucket: u.Bucket, Key: u.Key, UploadID: u.ID, Parts: slices.Clone(parts)}
	return callAs(ctx, u.svc.p, u.svc.drv, "provider.storage.bucket_objects.complete_multipart_upload", sdk.CapMultipart, &req,
		func(ctx context.Context, m sdk.MultipartUploader) (ObjectInfo, error) {
			return m.CompleteMultipartUpload(ctx, req)
		})
}

// Abort discards the upload and its parts; aborting an upload that is already
// gone is not an error.
func (u *MultipartUpload) Abort(ctx context.Context) error {
	id := u.ID
	_, err := callAs(ctx, u.svc.p, u.svc.drv, "provider.storage.bucket_objects.abort_multipart_upload", sdk.CapMultipart, &id,
		func(ctx context.Context, m sdk.MultipartUploader) (struct{}, error) {
			return struct{}{}, m.AbortMultipartUpload(ctx, u.Bucket, u.Key, id)
		})
	return err
}

// ---- presigned URLs ----

// PresignGet returns a URL that reads the object key for expiresIn (capability
// objectstore.presigned_urls).
func (s *ObjectService) PresignGet(ctx context.Context, key string, expiresIn time.Duration, opts PresignOptions) (PresignedURL, error) {
	return s.presign(ctx, sdk.PresignRequest{Key: key, Method: "GET", ExpiresIn: expiresIn,
		ResponseContentType: opts.ResponseContentType, ResponseContentDisposition: opts.ResponseContentDisposition})
}

// PresignPut returns a URL that writes the object key for expiresIn; with a
// contentType, the PUT must send that Content-Type (capability
// objectstore.presigned_urls).
func (s *ObjectService) PresignPut(ctx context.Context, key string, expiresIn time.Duration, contentType string) (PresignedURL, error) {
	return s.presign(ctx, sdk.PresignRequest{Key: key, Method: "PUT", ExpiresIn: expiresIn, ContentType: contentType})
}

func (s *ObjectService) presign(ctx context.Context, req sdk.PresignRequest) (PresignedURL, error) {
	if err := sdk.ValidateObjectKey(req.Key); err != nil {
		return PresignedURL{}, err
	}
	if req.ExpiresIn <= 0 {
		return PresignedURL{}, sdk.InvalidArgument("expires_in", req.ExpiresIn, "must be positive")
	}
	req.Bucket = s.bucket
	return callAs(ctx, s.p, s.drv, "provider.storage.bucket_objects.generate_url", sdk.CapPresignedURLs, &req,
		func(ctx context.Context, u sdk.URLSigner) (PresignedURL, error) {
			return u.PresignURL(ctx, req)
		})
}
