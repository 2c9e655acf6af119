package aws

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ---- buckets ----

// buckets implements sdk.Buckets over S3 buckets, addressed by name.
type buckets struct{ c *Cloud }

func (s *buckets) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Bucket], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Bucket]{}, err
	}
	return serverPage(ctx, cl, opts, "ListBuckets", 1, 10000, func(b sdk.Bucket) string { return b.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Bucket, string, error) {
		out, err := s3.NewListBucketsPaginator(cl.s3, &s3.ListBucketsInput{ContinuationToken: optString(token), MaxBuckets: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var bs []sdk.Bucket
		for _, b := range out.Buckets {
			name := aws.ToString(b.Name)
			bs = append(bs, sdk.Bucket{ID: name, Name: name, Location: aws.ToString(b.BucketRegion),
				CreateTime: aws.ToTime(b.CreationDate), Extra: map[string]string{}})
		}
		return bs, aws.ToString(out.ContinuationToken), nil
	})
}

func (s *buckets) Get(ctx context.Context, name string) (sdk.Bucket, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Bucket{}, err
	}
	return getBucket(ctx, cl, name)
}

func getBucket(ctx context.Context, cl *clients, name string) (sdk.Bucket, error) {
	if sdk.ValidateBucketName(name) != nil {
		return sdk.Bucket{}, sdk.NotFound("bucket", name)
	}
	out, err := cl.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err != nil {
		return sdk.Bucket{}, cl.lookupError(err, "bucket", name)
	}
	return sdk.Bucket{ID: name, Name: name, Location: aws.ToString(out.BucketRegion), Extra: map[string]string{}}, nil
}

// Create makes a bucket in the configured region (or spec.Location). S3 in
// us-east-1 answers a create of a bucket the account owns with success, so
// the name is looked up first: an existing bucket is AlreadyExists, unless
// this process made it with the same idempotency token (a retry). S3 keeps no
// token of its own, and bucket tags, the one place for one, are missing from
// many S3-compatible stores and need a permission of their own: the tokens
// are remembered in the plugin process, which is where a host's retries go.
func (s *buckets) Create(ctx context.Context, spec sdk.BucketSpec) (sdk.Bucket, error) {
	if err := sdk.ValidateBucketName(spec.Name); err != nil {
		return sdk.Bucket{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Bucket{}, err
	}
	if b, err := getBucket(ctx, cl, spec.Name); err == nil {
		if spec.IdempotencyToken != "" && s.c.bucketMadeWith(spec.IdempotencyToken) == spec.Name {
			return b, nil
		}
		return sdk.Bucket{}, &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name", Message: fmt.Sprintf("bucket %q already exists", spec.Name)}
	} else if !errors.Is(err, sdk.ErrNotFound) {
		if errors.Is(err, sdk.ErrPermissionDenied) {
			// HeadBucket of another account's bucket is 403.
			return sdk.Bucket{}, &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name",
				Message: fmt.Sprintf("bucket name %q is taken by another account", spec.Name)}
		}
		return sdk.Bucket{}, err
	}
	location := spec.Location
	if location == "" {
		location = cl.region
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(spec.Name)}
	// us-east-1 is the one region that must not be named as a constraint.
	if location != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(location)}
	}
	if _, err := cl.s3.CreateBucket(ctx, in); err != nil {
		err = cl.mapError(err)
		if errors.Is(err, sdk.ErrAlreadyExists) {
			err.(*sdk.Error).Param = "name"
		}
		return sdk.Bucket{}, wrapf(err, "create bucket %q in %s", spec.Name, location)
	}
	s.c.rememberBucket(spec.IdempotencyToken, spec.Name)
	return sdk.Bucket{ID: spec.Name, Name: spec.Name, Location: location, CreateTime: time.Now().UTC(), Extra: map[string]string{}}, nil
}

// Delete deletes a bucket; with deleteContents, its objects (every version)
// and pending multipart uploads first.
func (s *buckets) Delete(ctx context.Context, name string, deleteContents bool) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := getBucket(ctx, cl, name); err != nil {
		return err
	}
	if deleteContents {
		if err := emptyBucket(ctx, cl, name); err != nil {
			return wrapf(err, "empty bucket %q", name)
		}
	}
	_, err = cl.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	if err != nil {
		err = cl.lookupError(err, "bucket", name)
		if isCode(err, "BucketNotEmpty") {
			return &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "name", ProviderCode: "BucketNotEmpty",
				Message: fmt.Sprintf("bucket %q is not empty; delete its contents first, or delete with contents", name)}
		}
	}
	return err
}

// emptyBucket aborts the bucket's uploads and deletes its objects, 1000 at a
// time.
func emptyBucket(ctx context.Context, cl *clients, name string) error {
	up := s3.NewListMultipartUploadsPaginator(uploadLister{cl.s3}, &s3.ListMultipartUploadsInput{Bucket: aws.String(name)})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			if err = cl.mapError(err); errors.Is(err, sdk.ErrUnsupported) {
				// A store that cannot list uploads (some S3-compatible
				// ones; never S3) has none this plugin could abort, and
				// the delete goes on. It costs nothing on S3.
				break
			}
			return err
		}
		for _, u := range page.Uploads {
			_, err := cl.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(name), Key: u.Key, UploadId: u.UploadId})
			if err != nil && !isCode(err, "NoSuchUpload") {
				return cl.mapError(err)
			}
		}
	}
	objs := s3.NewListObjectsV2Paginator(cl.s3, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	for objs.HasMorePages() {
		page, err := objs.NextPage(ctx)
		if err != nil {
			return cl.mapError(err)
		}
		var ids []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if err := deleteObjects(ctx, cl, name, ids); err != nil {
			return err
		}
	}
	// A versioned bucket keeps old versions and delete markers.
	vers := s3.NewListObjectVersionsPaginator(cl.s3, &s3.ListObjectVersionsInput{Bucket: aws.String(name)})
	for vers.HasMorePages() {
		page, err := vers.NextPage(ctx)
		if err != nil {
			if errors.Is(cl.mapError(err), sdk.ErrUnsupported) {
				return nil // a store without versions has none to delete
			}
			return cl.mapError(err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if err := deleteObjects(ctx, cl, name, ids); err != nil {
			return err
		}
	}
	return nil
}

func deleteObjects(ctx context.Context, cl *clients, bucket string, ids []s3types.ObjectIdentifier) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		out, err := cl.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)},
		})
		if err != nil {
			return cl.mapError(err)
		}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) != "NoSuchKey" && aws.ToString(e.Code) != "NoSuchVersion" {
				return &sdk.Error{Code: codeOf(aws.ToString(e.Code), 0), ProviderCode: aws.ToString(e.Code),
					Message: fmt.Sprintf("delete object %q: %s", aws.ToString(e.Key), aws.ToString(e.Message))}
			}
		}
		ids = ids[n:]
	}
	return nil
}

// ---- objects ----

// objects implements sdk.Objects, sdk.MultipartUploader and sdk.URLSigner over
// S3 objects.
type objects struct{ c *Cloud }

var (
	_ sdk.MultipartUploader = (*objects)(nil)
	_ sdk.URLSigner         = (*objects)(nil)
)

// unsignedPayload sends a streamed body with the UNSIGNED-PAYLOAD content
// hash: SigV4 cannot hash a body it may read only once, and over plain HTTP
// the SDK refuses an unseekable body otherwise. The bytes are still checked:
// their count by Content-Length, their SHA-256 when the caller gave one.
var unsignedPayload = s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)

// trimETag drops the quotes S3 puts around etags.
func trimETag(s *string) string { return strings.Trim(aws.ToString(s), `"`) }

// hexChecksum turns S3's base64 SHA-256 checksum into hex, "" when absent.
func hexChecksum(s *string) string {
	b, err := base64.StdEncoding.DecodeString(aws.ToString(s))
	if err != nil || len(b) != 32 {
		return ""
	}
	return hex.EncodeToString(b)
}

func (s *objects) List(ctx context.Context, opts sdk.ListObjectsOptions) (sdk.ObjectPage, error) {
	size, err := pageSize(opts.PageSize)
	if err != nil {
		return sdk.ObjectPage{}, err
	}
	tok, err := decodeToken(opts.PageToken)
	if err != nil {
		return sdk.ObjectPage{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.ObjectPage{}, err
	}
	for {
		out, err := cl.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String(opts.Bucket), Prefix: optString(opts.Prefix), Delimiter: optString(opts.Delimiter),
			MaxKeys: aws.Int32(int32(size)), ContinuationToken: optString(tok.AWS),
		})
		if err != nil {
			err = cl.mapError(err)
			if tok.AWS != "" && errors.As(err, new(*sdk.Error)) && errors.Is(err, sdk.ErrInvalidArgument) {
				return sdk.ObjectPage{}, sdk.InvalidArgument("page_token", opts.PageToken, "refused by S3: "+err.(*sdk.Error).Message)
			}
			if errors.Is(err, sdk.ErrNotFound) {
				return sdk.ObjectPage{}, sdk.NotFound("bucket", opts.Bucket)
			}
			return sdk.ObjectPage{}, err
		}
		// Keys and common prefixes come in byte order, each page after the
		// last (S3's guarantee); the token keeps the last one returned, and
		// nothing at or before it is returned again. On S3 that filters
		// nothing and costs a string comparison per key; it keeps the
		// contract's "every object once" on S3-compatible stores that
		// resume a page inside a common prefix and repeat the prefix.
		page, last := sdk.ObjectPage{}, tok.After
		for _, o := range out.Contents {
			if key := aws.ToString(o.Key); key > tok.After {
				page.Objects = append(page.Objects, sdk.ObjectInfo{
					Bucket: opts.Bucket, Key: key, Size: aws.ToInt64(o.Size), ETag: trimETag(o.ETag),
					LastModified: aws.ToTime(o.LastModified), Extra: map[string]string{"storage_class": string(o.StorageClass)},
				})
				last = max(last, key)
			}
		}
		for _, p := range out.CommonPrefixes {
			if prefix := aws.ToString(p.Prefix); prefix > tok.After {
				page.CommonPrefixes = append(page.CommonPrefixes, prefix)
				last = max(last, prefix)
			}
		}
		next := aws.ToString(out.NextContinuationToken)
		if !aws.ToBool(out.IsTruncated) || next == "" {
			return page, nil
		}
		tok = pageToken{AWS: next, After: last}
		if len(page.Objects)+len(page.CommonPrefixes) > 0 {
			page.NextPageToken = tok.encode()
			return page, nil
		}
	}
}

func (s *objects) Head(ctx context.Context, bucket, key string) (sdk.ObjectInfo, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	return headObject(ctx, cl, bucket, key)
}

func headObject(ctx context.Context, cl *clients, bucket, key string) (sdk.ObjectInfo, error) {
	out, err := cl.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		return sdk.ObjectInfo{}, objectError(ctx, cl, err, bucket, key)
	}
	return sdk.ObjectInfo{
		Bucket: bucket, Key: key, Size: aws.ToInt64(out.ContentLength), ETag: trimETag(out.ETag),
		ContentType: aws.ToString(out.ContentType), LastModified: aws.ToTime(out.LastModified),
		Metadata: out.Metadata, SHA256: hexChecksum(out.ChecksumSHA256), Extra: objectExtra(string(out.StorageClass), out.VersionId),
	}, nil
}

func objectExtra(storageClass string, version *string) map[string]string {
	m := map[string]string{}
	if storageClass != "" {
		m["storage_class"] = storageClass
	}
	if v := aws.ToString(version); v != "" {
		m["version_id"] = v
	}
	return m
}

// objectError maps the error of a call on one object. A HEAD answers a bare
// 404 whether the key or the bucket is missing; the message says which.
func objectError(ctx context.Context, cl *clients, err error, bucket, key string) error {
	err = cl.mapError(err)
	if !errors.Is(err, sdk.ErrNotFound) {
		return err
	}
	if isCode(err, "NoSuchBucket") {
		return sdk.NotFound("bucket", bucket)
	}
	if !isCode(err, "NoSuchKey") {
		if _, berr := getBucket(ctx, cl, bucket); errors.Is(berr, sdk.ErrNotFound) {
			return sdk.NotFound("bucket", bucket)
		}
	}
	e := sdk.NotFound("object", key)
	e.ProviderCode = providerCode(err)
	return e
}

// Get reads an object or a range of it. HTTP ranges cannot say "no bytes" or
// "from the end of the object", so those reads are answered from a HEAD.
func (s *objects) Get(ctx context.Context, req sdk.GetObjectRequest) (sdk.ObjectInfo, io.ReadCloser, error) {
	if req.Offset < 0 {
		return sdk.ObjectInfo{}, nil, sdk.InvalidArgument("offset", req.Offset, "must not be negative")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	emptyRead := func() (sdk.ObjectInfo, io.ReadCloser, error) {
		info, err := headObject(ctx, cl, req.Bucket, req.Key)
		if err != nil {
			return sdk.ObjectInfo{}, nil, err
		}
		if req.Offset > info.Size {
			return sdk.ObjectInfo{}, nil, sdk.InvalidArgument("offset", req.Offset, fmt.Sprintf("past the end of the %d-byte object", info.Size))
		}
		return info, io.NopCloser(bytes.NewReader(nil)), nil
	}
	if req.Length == 0 {
		return emptyRead()
	}
	in := &s3.GetObjectInput{Bucket: aws.String(req.Bucket), Key: aws.String(req.Key)}
	ranged := req.Offset > 0 || req.Length > 0
	switch {
	case req.Length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", req.Offset, req.Offset+req.Length-1))
	case req.Offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", req.Offset))
	}
	out, err := cl.s3.GetObject(ctx, in)
	if err != nil {
		if ranged && (isCode(err, "InvalidRange") || statusOf(err) == http.StatusRequestedRangeNotSatisfiable) {
			// The offset is at or past the end.
			return emptyRead()
		}
		return sdk.ObjectInfo{}, nil, objectError(ctx, cl, err, req.Bucket, req.Key)
	}
	info := sdk.ObjectInfo{
		Bucket: req.Bucket, Key: req.Key, Size: aws.ToInt64(out.ContentLength), ETag: trimETag(out.ETag),
		ContentType: aws.ToString(out.ContentType), LastModified: aws.ToTime(out.LastModified), Metadata: out.Metadata,
		SHA256: hexChecksum(out.ChecksumSHA256), Extra: objectExtra(string(out.StorageClass), out.VersionId),
	}
	if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok {
		info.Size = total
		info.SHA256 = "" // a part's checksum is not the object's
	}
	return info, out.Body, nil
}

// rangeTotal reads the object size from a Content-Range ("bytes 0-9/1000").
func rangeTotal(cr string) (int64, bool) {
	_, total, ok := strings.Cut(cr, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil
}

func statusOf(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Put stores an object. With a known size the body is streamed in one
// PutObject with that Content-Length (a body of unknown length would go out
// chunked, which S3 refuses with 411). With an unknown size, up to one part is
// buffered: a small object goes in one PutObject, a larger one as a multipart
// upload of 8 MiB parts, so memory stays bounded whatever the size.
func (s *objects) Put(ctx context.Context, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	var checksum *string
	if req.SHA256 != "" {
		b, err := hex.DecodeString(req.SHA256)
		if err != nil || len(b) != 32 {
			return sdk.ObjectInfo{}, sdk.InvalidArgument("sha256", req.SHA256, "not a hex SHA-256 digest")
		}
		checksum = aws.String(base64.StdEncoding.EncodeToString(b))
	}
	size := req.Size
	if size < 0 {
		buf := make([]byte, partSize)
		n, err := io.ReadFull(body, buf)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			body, size = bytes.NewReader(buf[:n]), int64(n)
		case err != nil:
			return sdk.ObjectInfo{}, mapError(err)
		default:
			return s.putMultipart(ctx, cl, req, io.MultiReader(bytes.NewReader(buf), body))
		}
	}
	exact := &exactReader{r: body, left: size}
	_, err = cl.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key), Body: exact, ContentLength: aws.Int64(size),
		ContentType: optString(req.ContentType), Metadata: req.Metadata, ChecksumSHA256: checksum,
	}, unsignedPayload, noRetry)
	if err != nil {
		return sdk.ObjectInfo{}, wrapf(bodyError(exact, objectError(ctx, cl, err, req.Bucket, req.Key)), "put object %q", req.Key)
	}
	return headObject(ctx, cl, req.Bucket, req.Key)
}

// exactReader streams a body of a declared size to S3 and makes sure S3
// never receives a complete body that is wrong: the last bytes are held back
// until the source has said EOF, so a source that is longer than declared, or
// that fails at its end (a SHA-256 mismatch, a canceled client), cuts the
// request short and S3 stores nothing. It hides everything of the body but
// Read, so the SDK neither seeks it nor mistakes it for something it can
// measure. err is the source's failure, which the caller reports instead of
// the transport's.
type exactReader struct {
	r    io.Reader
	left int64
	err  error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		e.err = err
		return 0, err
	case e.left > 0 && errors.Is(err, io.EOF):
		e.err = sdk.InvalidArgument("size", "", "the body ended before the declared size")
		return 0, e.err
	case e.left == 0 && !errors.Is(err, io.EOF):
		// Hold the last bytes until the source confirms its end.
		var probe [1]byte
		for {
			m, perr := e.r.Read(probe[:])
			if m > 0 {
				e.err = sdk.InvalidArgument("size", "", "the body is longer than the declared size")
				return 0, e.err
			}
			if errors.Is(perr, io.EOF) {
				break
			}
			if perr != nil {
				e.err = perr
				return 0, perr
			}
		}
	}
	return n, nil
}

// bodyError is the error of a streamed upload: the body's own failure when it
// had one (the transport only says the request was cut short).
func bodyError(body *exactReader, err error) error {
	if body.err != nil {
		return mapError(body.err)
	}
	return err
}

// noRetry sends a streamed body once: it cannot be rewound for a retry.
var noRetry = func(o *s3.Options) { o.RetryMaxAttempts = 1 }

// partSize is the part size of uploads of unknown length.
const partSize = 8 << 20

func (s *objects) putMultipart(ctx context.Context, cl *clients, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	up, err := s.CreateMultipartUpload(ctx, sdk.CreateMultipartUploadRequest{Bucket: req.Bucket, Key: req.Key, ContentType: req.ContentType, Metadata: req.Metadata})
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	abort := func(err error) (sdk.ObjectInfo, error) {
		_ = s.AbortMultipartUpload(context.WithoutCancel(ctx), req.Bucket, req.Key, up.ID)
		return sdk.ObjectInfo{}, err
	}
	buf := make([]byte, partSize)
	var parts []sdk.UploadedPart
	for n := 1; ; n++ {
		got, err := io.ReadFull(body, buf)
		if got > 0 {
			p, perr := s.UploadPart(ctx, sdk.UploadPartRequest{Bucket: req.Bucket, Key: req.Key, UploadID: up.ID, PartNumber: n, Size: int64(got)}, bytes.NewReader(buf[:got]))
			if perr != nil {
				return abort(perr)
			}
			parts = append(parts, p)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return abort(mapError(err))
		}
	}
	info, err := s.CompleteMultipartUpload(ctx, sdk.CompleteMultipartUploadRequest{Bucket: req.Bucket, Key: req.Key, UploadID: up.ID, Parts: parts})
	if err != nil {
		return abort(err)
	}
	return info, nil
}

// Delete deletes an object. S3 answers success for a key that does not
// exist, so the key is looked up first: a missing one is NotFound.
func (s *objects) Delete(ctx context.Context, bucket, key string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := headObject(ctx, cl, bucket, key); err != nil {
		return err
	}
	_, err = cl.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return objectError(ctx, cl, err, bucket, key)
}

// ---- multipart ----

func (s *objects) CreateMultipartUpload(ctx context.Context, req sdk.CreateMultipartUploadRequest) (sdk.MultipartUpload, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.MultipartUpload{}, err
	}
	out, err := cl.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key), ContentType: optString(req.ContentType), Metadata: req.Metadata,
	})
	if err != nil {
		return sdk.MultipartUpload{}, objectError(ctx, cl, err, req.Bucket, req.Key)
	}
	return sdk.MultipartUpload{ID: aws.ToString(out.UploadId), Bucket: req.Bucket, Key: req.Key, CreateTime: time.Now().UTC()}, nil
}

// UploadPart uploads one part. A part of unknown size is spooled to a
// temporary file first: S3 needs every part's length up front.
func (s *objects) UploadPart(ctx context.Context, req sdk.UploadPartRequest, body io.Reader) (sdk.UploadedPart, error) {
	if req.PartNumber < 1 || req.PartNumber > 10000 {
		return sdk.UploadedPart{}, sdk.InvalidArgument("part_number", req.PartNumber, "must be from 1 to 10000")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	size := req.Size
	if size < 0 {
		f, err := os.CreateTemp("", "cloudbridge-aws-part-*")
		if err != nil {
			return sdk.UploadedPart{}, mapError(err)
		}
		defer func() {
			f.Close()
			os.Remove(f.Name())
		}()
		if size, err = io.Copy(f, body); err != nil {
			return sdk.UploadedPart{}, mapError(err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return sdk.UploadedPart{}, mapError(err)
		}
		body = f
	}
	exact := &exactReader{r: body, left: size}
	out, err := cl.s3.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key), UploadId: aws.String(req.UploadID),
		PartNumber: aws.Int32(int32(req.PartNumber)), Body: exact, ContentLength: aws.Int64(size),
	}, unsignedPayload, noRetry)
	if err != nil {
		return sdk.UploadedPart{}, bodyError(exact, uploadError(cl, err, req.UploadID))
	}
	return sdk.UploadedPart{PartNumber: req.PartNumber, ETag: trimETag(out.ETag), Size: size}, nil
}

func uploadError(cl *clients, err error, uploadID string) error {
	err = cl.mapError(err)
	if isCode(err, "NoSuchUpload") {
		e := sdk.NotFound("multipart upload", uploadID)
		e.ProviderCode, e.Param = "NoSuchUpload", "upload_id"
		return e
	}
	return err
}

// CompleteMultipartUpload assembles the parts, given in any order.
func (s *objects) CompleteMultipartUpload(ctx context.Context, req sdk.CompleteMultipartUploadRequest) (sdk.ObjectInfo, error) {
	if len(req.Parts) == 0 {
		return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", "[]", "an upload needs at least one part")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	parts := slices.Clone(req.Parts)
	slices.SortFunc(parts, func(a, b sdk.UploadedPart) int { return a.PartNumber - b.PartNumber })
	if err := checkParts(ctx, cl, req, parts); err != nil {
		return sdk.ObjectInfo{}, err
	}
	var completed []s3types.CompletedPart
	for _, p := range parts {
		completed = append(completed, s3types.CompletedPart{PartNumber: aws.Int32(int32(p.PartNumber)), ETag: aws.String(`"` + p.ETag + `"`)})
	}
	_, err = cl.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key), UploadId: aws.String(req.UploadID),
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: completed},
	})
	if err != nil {
		return sdk.ObjectInfo{}, wrapf(uploadError(cl, err, req.UploadID), "complete multipart upload of %q", req.Key)
	}
	return headObject(ctx, cl, req.Bucket, req.Key)
}

// checkParts checks the parts to complete against the parts S3 holds
// (ListParts), so that a wrong list is refused saying which part is wrong:
// a part number listed twice or never uploaded, an etag that is not the
// part's, a part other than the last smaller than S3's minimum.
func checkParts(ctx context.Context, cl *clients, req sdk.CompleteMultipartUploadRequest, parts []sdk.UploadedPart) error {
	held := map[int]s3types.Part{}
	p := s3.NewListPartsPaginator(cl.s3, &s3.ListPartsInput{Bucket: aws.String(req.Bucket), Key: aws.String(req.Key), UploadId: aws.String(req.UploadID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return uploadError(cl, err, req.UploadID)
		}
		for _, part := range page.Parts {
			held[int(aws.ToInt32(part.PartNumber))] = part
		}
	}
	for i, part := range parts {
		if i > 0 && parts[i-1].PartNumber == part.PartNumber {
			return sdk.InvalidArgument("parts", part.PartNumber, "part number listed twice")
		}
		got, ok := held[part.PartNumber]
		switch {
		case !ok:
			return sdk.InvalidArgument("parts", part.PartNumber, "no such part was uploaded")
		case trimETag(got.ETag) != part.ETag:
			return sdk.InvalidArgument("parts", part.PartNumber, fmt.Sprintf("etag %q is not the part's (%q)", part.ETag, trimETag(got.ETag)))
		case i < len(parts)-1 && aws.ToInt64(got.Size) < sdk.MinPartSize:
			return sdk.InvalidArgument("parts", part.PartNumber, fmt.Sprintf("a part other than the last must be at least %d bytes, not %d", sdk.MinPartSize, aws.ToInt64(got.Size)))
		}
	}
	return nil
}

// AbortMultipartUpload aborts an upload; one already gone is fine.
func (s *objects) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	_, err = cl.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	if err != nil && isCode(err, "NoSuchUpload") {
		return nil
	}
	return cl.mapError(err)
}

// ListMultipartUploads lists pending uploads; the page token carries S3's key
// and upload id markers.
func (s *objects) ListMultipartUploads(ctx context.Context, opts sdk.ListMultipartUploadsOptions) (sdk.Page[sdk.MultipartUpload], error) {
	size, err := pageSize(opts.PageSize)
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	tok, err := decodeToken(opts.PageToken)
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	if opts.PageToken != "" && len(tok.Extra) != 2 {
		return sdk.Page[sdk.MultipartUpload]{}, sdk.InvalidArgument("page_token", opts.PageToken, "not a page token of multipart uploads")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(opts.Bucket), Prefix: optString(opts.Prefix), MaxUploads: aws.Int32(int32(size))}
	if len(tok.Extra) == 2 {
		in.KeyMarker, in.UploadIdMarker = optString(tok.Extra[0]), optString(tok.Extra[1])
	}
	out, err := uploadLister{cl.s3}.ListMultipartUploads(ctx, in)
	if err != nil {
		err = cl.mapError(err)
		if errors.Is(err, sdk.ErrNotFound) {
			return sdk.Page[sdk.MultipartUpload]{}, sdk.NotFound("bucket", opts.Bucket)
		}
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	var page sdk.Page[sdk.MultipartUpload]
	for _, u := range out.Uploads {
		page.Items = append(page.Items, sdk.MultipartUpload{ID: aws.ToString(u.UploadId), Bucket: opts.Bucket,
			Key: aws.ToString(u.Key), CreateTime: aws.ToTime(u.Initiated)})
	}
	if len(page.Items) > size {
		// A store that ignores MaxUploads: resume after the last one kept.
		page.Items = page.Items[:size]
		last := page.Items[size-1]
		page.NextPageToken = pageToken{Extra: []string{last.Key, last.ID}}.encode()
		return page, nil
	}
	if aws.ToBool(out.IsTruncated) {
		page.NextPageToken = pageToken{Extra: []string{aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)}}.encode()
	}
	return page, nil
}

// uploadLister is S3's ListMultipartUploads, reading the answer NoSuchUpload
// as "no uploads". ListMultipartUploads names no upload, so S3 never answers
// it with NoSuchUpload and this costs nothing there; S3-compatible stores
// that this plugin is also pointed at (gofakes3 among them) answer it for a
// bucket that never had an upload, and reading that as an error would make
// such a bucket impossible to empty and delete.
type uploadLister struct{ c *s3.Client }

func (l uploadLister) ListMultipartUploads(ctx context.Context, in *s3.ListMultipartUploadsInput, opts ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	out, err := l.c.ListMultipartUploads(ctx, in, opts...)
	if err != nil && isCode(err, "NoSuchUpload") {
		return &s3.ListMultipartUploadsOutput{Bucket: in.Bucket}, nil
	}
	return out, err
}

// ---- presigned URLs ----

// maxPresignExpiry is SigV4's limit on a presigned URL's life.
const maxPresignExpiry = 7 * 24 * time.Hour

// defaultPresignExpiry applies when the request asks for none.
const defaultPresignExpiry = 15 * time.Minute

// PresignURL signs a GET or PUT of an object (SigV4 query signing). A PUT URL
// signed with a content type must be used with that Content-Type header,
// which Headers says.
func (s *objects) PresignURL(ctx context.Context, req sdk.PresignRequest) (sdk.PresignedURL, error) {
	expires := req.ExpiresIn
	switch {
	case expires == 0:
		expires = defaultPresignExpiry
	case expires < time.Second || expires > maxPresignExpiry:
		return sdk.PresignedURL{}, sdk.InvalidArgument("expires_in", expires, "must be from 1 second to 7 days")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.PresignedURL{}, err
	}
	opt := s3.WithPresignExpires(expires)
	signedAt := time.Now()
	var out *v4.PresignedHTTPRequest
	switch strings.ToUpper(req.Method) {
	case http.MethodGet:
		out, err = cl.presign.PresignGetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(req.Bucket), Key: aws.String(req.Key),
			ResponseContentType: optString(req.ResponseContentType), ResponseContentDisposition: optString(req.ResponseContentDisposition),
		}, opt)
	case http.MethodPut:
		out, err = cl.presign.PresignPutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(req.Bucket), Key: aws.String(req.Key), ContentType: optString(req.ContentType),
		}, opt)
	default:
		return sdk.PresignedURL{}, sdk.InvalidArgument("method", req.Method, `must be "GET" or "PUT"`)
	}
	if err != nil {
		return sdk.PresignedURL{}, cl.mapError(err)
	}
	u := sdk.PresignedURL{URL: out.URL, Method: out.Method, Headers: map[string]string{}, ExpiresAt: signedAt.Add(expires)}
	for k, vs := range out.SignedHeader {
		if strings.EqualFold(k, "Host") || len(vs) == 0 {
			continue
		}
		u.Headers[http.CanonicalHeaderKey(k)] = strings.Join(vs, ",")
	}
	return u, nil
}
