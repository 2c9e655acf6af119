package openstack

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/accounts"
	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/containers"
	"github.com/gophercloud/gophercloud/v2/openstack/objectstorage/v1/objects"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Object storage is Swift: a bucket is a container, an object an object.
// Multipart uploads are Static Large Objects: parts are segments in the
// hidden container segmentsContainer, named bucket/key/upload-id/part, with a
// marker object bucket/key/upload-id/.upload holding the upload's content
// type and metadata; completing writes the SLO manifest, aborting deletes the
// segments. Presigned URLs are Swift temp URLs, signed with the account's
// temp-URL key, which is set when the account has none.

// segmentsContainer holds the parts of multipart uploads. Its underscore
// makes it an invalid bucket name, so it never collides with a bucket and is
// hidden from bucket listings.
const segmentsContainer = "cloudbridge_segments"

const (
	uploadMarker  = ".upload"
	metaPrefix    = "X-Object-Meta-"
	tokenHeader   = "X-Container-Meta-Cloudbridge-Token"
	uploadIDBytes = 16
)

type buckets struct{ c *Cloud }

func (s *buckets) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Bucket], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.Bucket]{}, err
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.Page[sdk.Bucket]{}, err
	}
	var items []sdk.Bucket
	// The hidden segments container may take a place in a page; ask again
	// after it until the page is full or the listing ends.
	for {
		page, err := firstPage(ctx, containers.List(sc, containers.ListOpts{Limit: size + 2 - len(items), Marker: marker}))
		if err != nil {
			return sdk.Page[sdk.Bucket]{}, convertError(err, "list containers", "")
		}
		cs, err := extract(page, containers.ExtractInfo)
		if err != nil {
			return sdk.Page[sdk.Bucket]{}, convertError(err, "read containers", "")
		}
		for _, c := range cs {
			if c.Name != segmentsContainer {
				items = append(items, sdk.Bucket{ID: c.Name, Name: c.Name, Location: cn.region,
					Extra: map[string]string{"objects": strconv.FormatInt(c.Count, 10), "bytes": strconv.FormatInt(c.Bytes, 10)}})
			}
		}
		if len(cs) == 0 || len(items) > size {
			break
		}
		marker = cs[len(cs)-1].Name
	}
	return cutPage(items, size, func(b sdk.Bucket) string { return b.Name }), nil
}

func (s *buckets) Get(ctx context.Context, name string) (sdk.Bucket, error) {
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.Bucket{}, err
	}
	b, _, err := getBucket(ctx, cn, sc, name)
	return b, err
}

// getBucket heads a container; the hidden segments container does not exist
// as a bucket.
func getBucket(ctx context.Context, cn *conn, sc *gophercloud.ServiceClient, name string) (sdk.Bucket, http.Header, error) {
	if name == "" || name == segmentsContainer || strings.Contains(name, "/") {
		return sdk.Bucket{}, nil, notFound("bucket", "bucket", name)
	}
	resp, err := sc.Head(ctx, sc.ServiceURL(url.PathEscape(name)), &gophercloud.RequestOpts{OkCodes: []int{200, 204}})
	if err != nil {
		return sdk.Bucket{}, nil, withParam(convertError(err, "head container "+quote(name), ""), "bucket")
	}
	b := sdk.Bucket{ID: name, Name: name, Location: cn.region,
		Extra: map[string]string{"objects": resp.Header.Get("X-Container-Object-Count"), "bytes": resp.Header.Get("X-Container-Bytes-Used")}}
	if ts, err := strconv.ParseFloat(resp.Header.Get("X-Timestamp"), 64); err == nil {
		b.CreateTime = time.Unix(0, int64(ts*1e9)).UTC().Truncate(time.Millisecond)
	}
	return b, resp.Header, nil
}

func (s *buckets) Create(ctx context.Context, spec sdk.BucketSpec) (sdk.Bucket, error) {
	if err := sdk.ValidateBucketName(spec.Name); err != nil {
		return sdk.Bucket{}, err
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.Bucket{}, err
	}
	if spec.Location != "" && spec.Location != cn.region {
		return sdk.Bucket{}, sdk.InvalidArgument("location", spec.Location, "Swift containers live in the provider's region "+cn.region)
	}
	mark := tokenMark(spec.IdempotencyToken)
	if b, h, err := getBucket(ctx, cn, sc, spec.Name); err == nil {
		if mark != "" && h.Get(tokenHeader) == mark {
			return b, nil
		}
		return sdk.Bucket{}, &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "bucket", Message: "bucket " + quote(spec.Name) + " already exists"}
	} else if !errors.Is(err, sdk.ErrNotFound) {
		return sdk.Bucket{}, err
	}
	h := map[string]string{}
	if mark != "" {
		h[tokenHeader] = mark
	}
	if _, err := sc.Put(ctx, sc.ServiceURL(url.PathEscape(spec.Name)), nil, nil, &gophercloud.RequestOpts{MoreHeaders: h, OkCodes: []int{201, 202, 204}}); err != nil {
		return sdk.Bucket{}, convertError(err, "create container "+quote(spec.Name), sdk.CodeAlreadyExists)
	}
	b, _, err := getBucket(ctx, cn, sc, spec.Name)
	return b, err
}

// Delete deletes a container; a non-empty one (Swift's 409) is
// FailedPrecondition unless deleteContents, which deletes its objects (large
// objects with their segments) and its pending uploads first.
func (s *buckets) Delete(ctx context.Context, name string, deleteContents bool) error {
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return err
	}
	if _, _, err := getBucket(ctx, cn, sc, name); err != nil {
		return err
	}
	if deleteContents {
		var last []string
		for {
			page, err := firstPage(ctx, objects.List(sc, name, objects.ListOpts{Limit: 1000}))
			if err != nil {
				return convertError(err, "list objects of "+quote(name), "")
			}
			names, err := extract(page, objects.ExtractNames)
			if err != nil {
				return convertError(err, "read objects of "+quote(name), "")
			}
			if len(names) == 0 {
				break
			}
			if slices.Equal(names, last) {
				return &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, Message: "delete the objects of " + quote(name) + ": they are still listed after being deleted"}
			}
			last = names
			for _, n := range names {
				if err := deleteObject(ctx, sc, name, n); err != nil && !errors.Is(err, sdk.ErrNotFound) {
					return err
				}
			}
		}
		if err := deleteSegments(ctx, sc, name+"/"); err != nil {
			return err
		}
	}
	_, err = sc.Delete(ctx, sc.ServiceURL(url.PathEscape(name)), &gophercloud.RequestOpts{OkCodes: []int{204}})
	return convertError(err, "delete container "+quote(name), sdk.CodeFailedPrecondition)
}

type objectSvc struct{ c *Cloud }

// objectURL is an object's URL.
func objectURL(sc *gophercloud.ServiceClient, bucket, key string) string {
	return sc.ServiceURL(url.PathEscape(bucket), escapeKey(key))
}

// escapeKey escapes each path segment of a key, keeping its slashes.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func checkObjectArgs(bucket, key string) error {
	if bucket == "" {
		return sdk.InvalidArgument("bucket", bucket, "required")
	}
	return sdk.ValidateObjectKey(key)
}

func (s *objectSvc) List(ctx context.Context, opts sdk.ListObjectsOptions) (sdk.ObjectPage, error) {
	size, marker, err := pageRequest(opts.ListOptions)
	if err != nil {
		return sdk.ObjectPage{}, err
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.ObjectPage{}, err
	}
	if _, _, err := getBucket(ctx, cn, sc, opts.Bucket); err != nil {
		return sdk.ObjectPage{}, err
	}
	page, err := firstPage(ctx, objects.List(sc, opts.Bucket, objects.ListOpts{Limit: size + 1, Marker: marker, Prefix: opts.Prefix, Delimiter: opts.Delimiter}))
	if err != nil {
		return sdk.ObjectPage{}, convertError(err, "list objects of "+quote(opts.Bucket), "")
	}
	infos, err := extract(page, objects.ExtractInfo)
	if err != nil {
		return sdk.ObjectPage{}, convertError(err, "read objects of "+quote(opts.Bucket), "")
	}
	var out sdk.ObjectPage
	if len(infos) > size {
		infos = infos[:size]
		last := infos[size-1]
		out.NextPageToken = markerToken(first(last.Name, last.Subdir))
	}
	for _, o := range infos {
		if o.Subdir != "" {
			out.CommonPrefixes = append(out.CommonPrefixes, o.Subdir)
			continue
		}
		out.Objects = append(out.Objects, sdk.ObjectInfo{Bucket: opts.Bucket, Key: o.Name, Size: o.Bytes, ETag: o.Hash,
			ContentType: o.ContentType, LastModified: o.LastModified.UTC()})
	}
	return out, nil
}

func (s *objectSvc) Head(ctx context.Context, bucket, key string) (sdk.ObjectInfo, error) {
	if err := checkObjectArgs(bucket, key); err != nil {
		return sdk.ObjectInfo{}, err
	}
	_, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	return headObject(ctx, sc, bucket, key)
}

func headObject(ctx context.Context, sc *gophercloud.ServiceClient, bucket, key string) (sdk.ObjectInfo, error) {
	resp, err := sc.Head(ctx, objectURL(sc, bucket, key), &gophercloud.RequestOpts{OkCodes: []int{200, 204}})
	if err != nil {
		return sdk.ObjectInfo{}, objectError(err, "head", bucket, key)
	}
	return objectInfo(bucket, key, resp.Header, -1), nil
}

// objectError maps an object call's error; a missing container says so.
func objectError(err error, what, bucket, key string) error {
	mapped := convertError(err, what+" object "+quote(key)+" of "+quote(bucket), sdk.CodeFailedPrecondition)
	var e *sdk.Error
	if errors.As(mapped, &e) && e.Code == sdk.CodeNotFound {
		e.Param = "key"
	}
	return mapped
}

// objectInfo reads an object's headers; size -1 takes it from the headers
// (Content-Range's total for a partial answer).
func objectInfo(bucket, key string, h http.Header, size int64) sdk.ObjectInfo {
	info := sdk.ObjectInfo{Bucket: bucket, Key: key, Size: size, ETag: strings.Trim(h.Get("Etag"), `"`), ContentType: h.Get("Content-Type")}
	if info.Size < 0 {
		info.Size, _ = strconv.ParseInt(h.Get("Content-Length"), 10, 64)
		if cr := h.Get("Content-Range"); cr != "" {
			if _, total, ok := strings.Cut(cr, "/"); ok {
				if n, err := strconv.ParseInt(total, 10, 64); err == nil {
					info.Size = n
				}
			}
		}
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		info.LastModified = t.UTC()
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(http.CanonicalHeaderKey(k), metaPrefix); ok && len(v) > 0 {
			if info.Metadata == nil {
				info.Metadata = map[string]string{}
			}
			info.Metadata[strings.ToLower(name)] = v[0]
		}
	}
	if sum, ok := info.Metadata["cloudbridge-sha256"]; ok {
		info.SHA256 = sum
		delete(info.Metadata, "cloudbridge-sha256")
		if len(info.Metadata) == 0 {
			info.Metadata = nil
		}
	}
	if h.Get("X-Static-Large-Object") == "True" {
		info.Extra = map[string]string{"static_large_object": "true"}
	}
	return info
}

func (s *objectSvc) Get(ctx context.Context, req sdk.GetObjectRequest) (sdk.ObjectInfo, io.ReadCloser, error) {
	if err := checkObjectArgs(req.Bucket, req.Key); err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	if req.Offset < 0 {
		return sdk.ObjectInfo{}, nil, sdk.InvalidArgument("offset", req.Offset, "must not be negative")
	}
	_, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	if req.Length == 0 || req.Offset > 0 {
		// Swift answers 416 for a range starting at the end; the contract
		// wants an empty read there, and InvalidArgument only past the end.
		info, err := headObject(ctx, sc, req.Bucket, req.Key)
		if err != nil {
			return sdk.ObjectInfo{}, nil, err
		}
		switch {
		case req.Offset > info.Size:
			return sdk.ObjectInfo{}, nil, sdk.InvalidArgument("offset", req.Offset, fmt.Sprintf("past the end of the %d-byte object", info.Size))
		case req.Length == 0 || req.Offset == info.Size:
			return info, io.NopCloser(strings.NewReader("")), nil
		}
	}
	h := map[string]string{}
	switch {
	case req.Length > 0:
		h["Range"] = fmt.Sprintf("bytes=%d-%d", req.Offset, req.Offset+req.Length-1)
	case req.Offset > 0:
		h["Range"] = fmt.Sprintf("bytes=%d-", req.Offset)
	}
	resp, err := sc.Get(ctx, objectURL(sc, req.Bucket, req.Key), nil, &gophercloud.RequestOpts{
		MoreHeaders: h, OkCodes: []int{200, 206}, KeepResponseBody: true})
	if err != nil {
		return sdk.ObjectInfo{}, nil, objectError(err, "get", req.Bucket, req.Key)
	}
	return objectInfo(req.Bucket, req.Key, resp.Header, -1), ctxBody{resp.Body, ctx}, nil
}

// ctxBody makes a read of an answer's body fail with the contract's code once
// the call's context ends.
type ctxBody struct {
	io.ReadCloser
	ctx context.Context
}

func (b ctxBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		return n, ctxError(b.ctx.Err())
	}
	return n, err
}

// countingBody streams a request body, hashing it and checking its length:
// a body longer or shorter than declared fails the upload before its end,
// so Swift stores nothing.
type countingBody struct {
	r      io.Reader
	want   int64
	n      int64
	md5    hash.Hash
	sha256 hash.Hash
	err    error
}

func newCountingBody(r io.Reader, size int64) *countingBody {
	return &countingBody{r: r, want: size, md5: md5.New(), sha256: sha256.New()}
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	b.md5.Write(p[:n])
	b.sha256.Write(p[:n])
	if b.want >= 0 && b.n > b.want {
		b.err = sdk.InvalidArgument("size", b.want, fmt.Sprintf("the body is longer than the declared %d bytes", b.want))
		return n, b.err
	}
	if err == io.EOF && b.want >= 0 && b.n != b.want {
		b.err = sdk.InvalidArgument("size", b.want, fmt.Sprintf("the body has %d bytes, not the declared %d", b.n, b.want))
		return n, b.err
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// putStream PUTs a body to url, streaming it, and answers the response
// headers. The ETag header makes Swift refuse a body that differs from what
// was read; a body error aborts the request.
func putStream(ctx context.Context, sc *gophercloud.ServiceClient, target string, h map[string]string, body *countingBody) (http.Header, error) {
	resp, err := sc.Put(ctx, target, nil, nil, &gophercloud.RequestOpts{RawBody: body, MoreHeaders: h, OkCodes: []int{201}})
	if body.err != nil {
		return nil, body.err
	}
	if err != nil {
		return nil, err
	}
	if got := strings.Trim(resp.Header.Get("Etag"), `"`); got != "" && got != hex.EncodeToString(body.md5.Sum(nil)) {
		return nil, &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, Message: "Swift stored other bytes than were sent (MD5 mismatch)"}
	}
	return resp.Header, nil
}

func (s *objectSvc) Put(ctx context.Context, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	if err := checkObjectArgs(req.Bucket, req.Key); err != nil {
		return sdk.ObjectInfo{}, err
	}
	if req.SHA256 != "" {
		if b, err := hex.DecodeString(req.SHA256); err != nil || len(b) != sha256.Size {
			return sdk.ObjectInfo{}, sdk.InvalidArgument("sha256", req.SHA256, "not a hex SHA-256 digest")
		}
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	if _, _, err := getBucket(ctx, cn, sc, req.Bucket); err != nil {
		return sdk.ObjectInfo{}, err
	}
	h, err := objectHeaders(req.ContentType, req.Metadata)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	target := objectURL(sc, req.Bucket, req.Key)
	if req.SHA256 != "" {
		// The digest can only be checked once every byte is read; the bytes
		// go to a temporary object first, so that a mismatch leaves the key
		// as it was.
		tmp := fmt.Sprintf("%s/.cb-put-%s", strings.TrimSuffix(req.Key, "/"), randomHex(8))
		if err := ensureSegments(ctx, sc); err != nil {
			return sdk.ObjectInfo{}, err
		}
		cb := newCountingBody(body, req.Size)
		if _, err := putStream(ctx, sc, objectURL(sc, segmentsContainer, req.Bucket+"/"+tmp), h, cb); err != nil {
			return sdk.ObjectInfo{}, objectError(err, "put", req.Bucket, req.Key)
		}
		defer deleteObject(context.WithoutCancel(ctx), sc, segmentsContainer, req.Bucket+"/"+tmp)
		if got := hex.EncodeToString(cb.sha256.Sum(nil)); got != strings.ToLower(req.SHA256) {
			return sdk.ObjectInfo{}, sdk.InvalidArgument("sha256", req.SHA256, "the body's SHA-256 is "+got)
		}
		h["Destination"] = "/" + url.PathEscape(req.Bucket) + "/" + escapeKey(req.Key)
		h[metaPrefix+"Cloudbridge-Sha256"] = strings.ToLower(req.SHA256)
		h["X-Fresh-Metadata"] = "true"
		if _, err := sc.Request(ctx, "COPY", objectURL(sc, segmentsContainer, req.Bucket+"/"+tmp), &gophercloud.RequestOpts{MoreHeaders: h, OkCodes: []int{201}}); err != nil {
			return sdk.ObjectInfo{}, objectError(err, "copy into place", req.Bucket, req.Key)
		}
		return headObject(ctx, sc, req.Bucket, req.Key)
	}
	cb := newCountingBody(body, req.Size)
	rh, err := putStream(ctx, sc, target, h, cb)
	if err != nil {
		return sdk.ObjectInfo{}, objectError(err, "put", req.Bucket, req.Key)
	}
	info := objectInfo(req.Bucket, req.Key, rh, cb.n)
	info.ContentType, info.Metadata = first(req.ContentType, "application/octet-stream"), lowerKeys(req.Metadata)
	if info.LastModified.IsZero() {
		info.LastModified = time.Now().UTC().Truncate(time.Second)
	}
	return info, nil
}

func lowerKeys(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// objectHeaders are the headers of an object's content type and metadata.
func objectHeaders(contentType string, meta map[string]string) (map[string]string, error) {
	h := map[string]string{"Content-Type": first(contentType, "application/octet-stream")}
	for k, v := range meta {
		if k == "" || strings.ContainsAny(k, " :\r\n\t") || strings.ContainsAny(v, "\r\n") {
			return nil, sdk.InvalidArgument("metadata", k, "metadata keys are header tokens and values single lines")
		}
		h[metaPrefix+k] = v
	}
	return h, nil
}

func (s *objectSvc) Delete(ctx context.Context, bucket, key string) error {
	if err := checkObjectArgs(bucket, key); err != nil {
		return err
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return err
	}
	if _, _, err := getBucket(ctx, cn, sc, bucket); err != nil {
		return err
	}
	return deleteObject(ctx, sc, bucket, key)
}

// deleteObject deletes an object; a Static Large Object with its segments.
func deleteObject(ctx context.Context, sc *gophercloud.ServiceClient, bucket, key string) error {
	target := objectURL(sc, bucket, key)
	head, err := sc.Head(ctx, target, &gophercloud.RequestOpts{OkCodes: []int{200, 204}})
	if err != nil {
		return objectError(err, "delete", bucket, key)
	}
	if head.Header.Get("X-Static-Large-Object") != "True" {
		_, err := sc.Delete(ctx, target, &gophercloud.RequestOpts{OkCodes: []int{204}})
		return objectError(err, "delete", bucket, key)
	}
	// SLO deletes answer 200 whatever happened, with the outcome in the body.
	var out struct {
		Status string     `json:"Response Status"`
		Errors [][]string `json:"Errors"`
	}
	resp, err := sc.Delete(ctx, target+"?multipart-manifest=delete", &gophercloud.RequestOpts{
		OkCodes: []int{200}, MoreHeaders: map[string]string{"Accept": "application/json"}, KeepResponseBody: true})
	if err != nil {
		return objectError(err, "delete", bucket, key)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, Message: "delete large object " + quote(key) + ": unreadable answer: " + err.Error()}
	}
	if !strings.HasPrefix(out.Status, "200") && !strings.HasPrefix(out.Status, "404") {
		return &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, ProviderCode: out.Status,
			Message: fmt.Sprintf("delete large object %q of %q: %s %v", key, bucket, out.Status, out.Errors)}
	}
	return nil
}

// ---- multipart uploads (Static Large Objects) ----

func ensureSegments(ctx context.Context, sc *gophercloud.ServiceClient) error {
	_, err := sc.Put(ctx, sc.ServiceURL(segmentsContainer), nil, nil, &gophercloud.RequestOpts{OkCodes: []int{201, 202, 204}})
	return convertError(err, "create the segments container", "")
}

func uploadPrefix(bucket, key, uploadID string) string {
	return bucket + "/" + key + "/" + uploadID + "/"
}

func checkUploadID(id string) error {
	if b, err := hex.DecodeString(id); err != nil || len(b) != uploadIDBytes {
		return sdk.InvalidArgument("upload_id", id, "not an upload id issued by this plugin")
	}
	return nil
}

func (s *objectSvc) CreateMultipartUpload(ctx context.Context, req sdk.CreateMultipartUploadRequest) (sdk.MultipartUpload, error) {
	if err := checkObjectArgs(req.Bucket, req.Key); err != nil {
		return sdk.MultipartUpload{}, err
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.MultipartUpload{}, err
	}
	if _, _, err := getBucket(ctx, cn, sc, req.Bucket); err != nil {
		return sdk.MultipartUpload{}, err
	}
	h, err := objectHeaders(req.ContentType, req.Metadata)
	if err != nil {
		return sdk.MultipartUpload{}, err
	}
	if err := ensureSegments(ctx, sc); err != nil {
		return sdk.MultipartUpload{}, err
	}
	id := randomHex(uploadIDBytes)
	// The marker keeps the upload's content type (as X-Object-Meta-Cb-Content-Type,
	// the marker's own being plain) and metadata.
	mh := map[string]string{"Content-Type": "application/x-cloudbridge-upload", metaPrefix + "Cb-Content-Type": h["Content-Type"]}
	for k, v := range h {
		if strings.HasPrefix(k, metaPrefix) {
			mh[metaPrefix+"Cb-Meta-"+strings.TrimPrefix(k, metaPrefix)] = v
		}
	}
	if _, err := sc.Put(ctx, objectURL(sc, segmentsContainer, uploadPrefix(req.Bucket, req.Key, id)+uploadMarker), nil, nil,
		&gophercloud.RequestOpts{RawBody: strings.NewReader(""), MoreHeaders: mh, OkCodes: []int{201}}); err != nil {
		return sdk.MultipartUpload{}, convertError(err, "start upload of "+quote(req.Key), "")
	}
	return sdk.MultipartUpload{ID: id, Bucket: req.Bucket, Key: req.Key, CreateTime: time.Now().UTC()}, nil
}

// upload heads an upload's marker: NotFound once completed or aborted.
func upload(ctx context.Context, sc *gophercloud.ServiceClient, bucket, key, id string) (http.Header, error) {
	if err := checkUploadID(id); err != nil {
		return nil, err
	}
	resp, err := sc.Head(ctx, objectURL(sc, segmentsContainer, uploadPrefix(bucket, key, id)+uploadMarker), &gophercloud.RequestOpts{OkCodes: []int{200, 204}})
	if err != nil {
		if statusOf(err) == 404 {
			return nil, notFound("upload_id", "multipart upload", id)
		}
		return nil, convertError(err, "head upload "+quote(id), "")
	}
	return resp.Header, nil
}

func (s *objectSvc) UploadPart(ctx context.Context, req sdk.UploadPartRequest, body io.Reader) (sdk.UploadedPart, error) {
	if err := checkObjectArgs(req.Bucket, req.Key); err != nil {
		return sdk.UploadedPart{}, err
	}
	if req.PartNumber < 1 || req.PartNumber > 10000 {
		return sdk.UploadedPart{}, sdk.InvalidArgument("part_number", req.PartNumber, "must be from 1 to 10000")
	}
	_, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	if _, err := upload(ctx, sc, req.Bucket, req.Key, req.UploadID); err != nil {
		return sdk.UploadedPart{}, err
	}
	cb := newCountingBody(body, req.Size)
	seg := uploadPrefix(req.Bucket, req.Key, req.UploadID) + fmt.Sprintf("%05d", req.PartNumber)
	rh, err := putStream(ctx, sc, objectURL(sc, segmentsContainer, seg), map[string]string{"Content-Type": "application/octet-stream"}, cb)
	if err != nil {
		return sdk.UploadedPart{}, convertError(err, fmt.Sprintf("upload part %d of %q", req.PartNumber, req.Key), "")
	}
	return sdk.UploadedPart{PartNumber: req.PartNumber, ETag: strings.Trim(rh.Get("Etag"), `"`), Size: cb.n}, nil
}

// segments lists the objects of the segments container under prefix.
func segments(ctx context.Context, sc *gophercloud.ServiceClient, prefix string) ([]objects.Object, error) {
	pages, err := objects.List(sc, segmentsContainer, objects.ListOpts{Prefix: prefix}).AllPages(ctx)
	if statusOf(err) == 404 {
		return nil, nil
	}
	if err != nil {
		return nil, convertError(err, "list segments", "")
	}
	out, err := objects.ExtractInfo(pages)
	return out, convertError(err, "read segments", "")
}

func (s *objectSvc) CompleteMultipartUpload(ctx context.Context, req sdk.CompleteMultipartUploadRequest) (sdk.ObjectInfo, error) {
	if err := checkObjectArgs(req.Bucket, req.Key); err != nil {
		return sdk.ObjectInfo{}, err
	}
	if len(req.Parts) == 0 {
		return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", 0, "an upload needs at least one part")
	}
	_, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	mh, err := upload(ctx, sc, req.Bucket, req.Key, req.UploadID)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	prefix := uploadPrefix(req.Bucket, req.Key, req.UploadID)
	segs, err := segments(ctx, sc, prefix)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	stored := map[int]objects.Object{}
	for _, o := range segs {
		if n, err := strconv.Atoi(strings.TrimPrefix(o.Name, prefix)); err == nil {
			stored[n] = o
		}
	}
	parts := slices.Clone(req.Parts)
	slices.SortFunc(parts, func(a, b sdk.UploadedPart) int { return a.PartNumber - b.PartNumber })
	type segment struct {
		Path      string `json:"path"`
		Etag      string `json:"etag"`
		SizeBytes int64  `json:"size_bytes"`
	}
	manifest := make([]segment, 0, len(parts))
	for i, p := range parts {
		o, ok := stored[p.PartNumber]
		switch {
		case i > 0 && parts[i-1].PartNumber == p.PartNumber:
			return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", p.PartNumber, "part listed twice")
		case !ok:
			return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", p.PartNumber, "no such part was uploaded")
		case p.ETag != "" && strings.Trim(p.ETag, `"`) != o.Hash:
			return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", p.PartNumber, "the ETag is not the uploaded part's")
		case i < len(parts)-1 && o.Bytes < sdk.MinPartSize:
			return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", p.PartNumber,
				fmt.Sprintf("part is %d bytes; every part but the last must be at least %d", o.Bytes, sdk.MinPartSize))
		}
		manifest = append(manifest, segment{Path: "/" + segmentsContainer + "/" + o.Name, Etag: o.Hash, SizeBytes: o.Bytes})
	}
	body, _ := json.Marshal(manifest)
	h := map[string]string{"Content-Type": first(mh.Get(metaPrefix+"Cb-Content-Type"), "application/octet-stream")}
	for k, v := range mh {
		if name, ok := strings.CutPrefix(http.CanonicalHeaderKey(k), metaPrefix+"Cb-Meta-"); ok && len(v) > 0 {
			h[metaPrefix+name] = v[0]
		}
	}
	if _, err := sc.Put(ctx, objectURL(sc, req.Bucket, req.Key)+"?multipart-manifest=put", nil, nil,
		&gophercloud.RequestOpts{RawBody: strings.NewReader(string(body)), MoreHeaders: h, OkCodes: []int{201}}); err != nil {
		return sdk.ObjectInfo{}, objectError(err, "complete upload of", req.Bucket, req.Key)
	}
	// The manifest now owns the listed segments; the marker and any part
	// left out go.
	_ = deleteObject(ctx, sc, segmentsContainer, prefix+uploadMarker)
	for n, o := range stored {
		if !slices.ContainsFunc(parts, func(p sdk.UploadedPart) bool { return p.PartNumber == n }) {
			_ = deleteObject(ctx, sc, segmentsContainer, o.Name)
		}
	}
	return headObject(ctx, sc, req.Bucket, req.Key)
}

func (s *objectSvc) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := checkObjectArgs(bucket, key); err != nil {
		return err
	}
	if err := checkUploadID(uploadID); err != nil {
		return err
	}
	_, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return err
	}
	return deleteSegments(ctx, sc, uploadPrefix(bucket, key, uploadID))
}

// deleteSegments deletes every segment under prefix, the marker last, so an
// interrupted abort can be repeated.
func deleteSegments(ctx context.Context, sc *gophercloud.ServiceClient, prefix string) error {
	segs, err := segments(ctx, sc, prefix)
	if err != nil {
		return err
	}
	slices.SortFunc(segs, func(a, b objects.Object) int {
		return boolCmp(strings.HasSuffix(a.Name, uploadMarker), strings.HasSuffix(b.Name, uploadMarker))
	})
	for _, o := range segs {
		if err := deleteObject(ctx, sc, segmentsContainer, o.Name); err != nil && !errors.Is(err, sdk.ErrNotFound) {
			return err
		}
	}
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (s *objectSvc) ListMultipartUploads(ctx context.Context, opts sdk.ListMultipartUploadsOptions) (sdk.Page[sdk.MultipartUpload], error) {
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	if _, _, err := getBucket(ctx, cn, sc, opts.Bucket); err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	segs, err := segments(ctx, sc, opts.Bucket+"/"+opts.Prefix)
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	var ups []sdk.MultipartUpload
	for _, o := range segs {
		rest, ok := strings.CutSuffix(strings.TrimPrefix(o.Name, opts.Bucket+"/"), "/"+uploadMarker)
		if !ok {
			continue
		}
		i := strings.LastIndex(rest, "/")
		if i < 0 || checkUploadID(rest[i+1:]) != nil {
			continue
		}
		ups = append(ups, sdk.MultipartUpload{ID: rest[i+1:], Bucket: opts.Bucket, Key: rest[:i], CreateTime: o.LastModified.UTC()})
	}
	return sdk.Paginate(ups, opts.ListOptions, func(u sdk.MultipartUpload) string { return u.Key + "\x00" + u.ID })
}

// ---- presigned URLs (temp URLs) ----

func (s *objectSvc) PresignURL(ctx context.Context, req sdk.PresignRequest) (sdk.PresignedURL, error) {
	if err := checkObjectArgs(req.Bucket, req.Key); err != nil {
		return sdk.PresignedURL{}, err
	}
	method := strings.ToUpper(req.Method)
	if method != http.MethodGet && method != http.MethodPut {
		return sdk.PresignedURL{}, sdk.InvalidArgument("method", req.Method, "must be GET or PUT")
	}
	if req.ExpiresIn <= 0 || req.ExpiresIn > 7*24*time.Hour {
		return sdk.PresignedURL{}, sdk.InvalidArgument("expires_in", req.ExpiresIn, "must be more than 0 and at most 7 days")
	}
	cn, sc, err := s.c.client(ctx, "object")
	if err != nil {
		return sdk.PresignedURL{}, err
	}
	if _, _, err := getBucket(ctx, cn, sc, req.Bucket); err != nil {
		return sdk.PresignedURL{}, err
	}
	key, err := tempURLKey(ctx, cn, sc)
	if err != nil {
		return sdk.PresignedURL{}, err
	}
	ttl := int((req.ExpiresIn + time.Second - 1) / time.Second)
	now := time.Now()
	signed, err := objects.CreateTempURL(ctx, sc, req.Bucket, req.Key, objects.CreateTempURLOpts{
		Method: objects.HTTPMethod(method), TTL: ttl, TempURLKey: key, Timestamp: now})
	if err != nil {
		return sdk.PresignedURL{}, convertError(err, "sign temp URL", "")
	}
	out := sdk.PresignedURL{URL: signed, Method: method, ExpiresAt: now.Add(time.Duration(ttl) * time.Second).UTC()}
	if method == http.MethodGet && (req.ResponseContentType != "" || req.ResponseContentDisposition != "") {
		// Swift's temp URLs cannot override response headers. The URL is
		// made for a server-side copy of the object that carries them,
		// which Swift expires with the URL (X-Delete-At).
		if out.URL, err = presignCopy(ctx, sc, req, key, ttl, now); err != nil {
			return sdk.PresignedURL{}, err
		}
	}
	if method == http.MethodPut && req.ContentType != "" {
		out.Headers = map[string]string{"Content-Type": req.ContentType}
	}
	return out, nil
}

// presignCopy copies the object, with the response headers asked for, to the
// hidden container under the bucket's prefix (so that deleting the bucket
// with its contents deletes it too), expiring with the URL, and signs a GET of
// the copy. A large object's copy is a copy of its manifest, which shares the
// segments.
func presignCopy(ctx context.Context, sc *gophercloud.ServiceClient, req sdk.PresignRequest, key string, ttl int, now time.Time) (string, error) {
	head, err := sc.Head(ctx, objectURL(sc, req.Bucket, req.Key), &gophercloud.RequestOpts{OkCodes: []int{200, 204}})
	if err != nil {
		return "", objectError(err, "presign", req.Bucket, req.Key)
	}
	if err := ensureSegments(ctx, sc); err != nil {
		return "", err
	}
	name := req.Bucket + "/.cb-url/" + randomHex(16)
	h := map[string]string{
		"Destination":      "/" + segmentsContainer + "/" + escapeKey(name),
		"Content-Type":     first(req.ResponseContentType, head.Header.Get("Content-Type")),
		"X-Delete-At":      strconv.FormatInt(now.Unix()+int64(ttl)+60, 10),
		"X-Fresh-Metadata": "true",
	}
	if req.ResponseContentDisposition != "" {
		h["Content-Disposition"] = req.ResponseContentDisposition
	}
	source := objectURL(sc, req.Bucket, req.Key)
	if head.Header.Get("X-Static-Large-Object") == "True" {
		source += "?multipart-manifest=get"
	}
	if _, err := sc.Request(ctx, "COPY", source, &gophercloud.RequestOpts{MoreHeaders: h, OkCodes: []int{201}}); err != nil {
		return "", objectError(err, "copy for a presigned URL", req.Bucket, req.Key)
	}
	signed, err := objects.CreateTempURL(ctx, sc, segmentsContainer, name, objects.CreateTempURLOpts{
		Method: objects.GET, TTL: ttl, TempURLKey: key, Timestamp: now})
	return signed, convertError(err, "sign temp URL", "")
}

// tempURLKey returns the account's temp-URL key, setting a random one when
// the account has none.
func tempURLKey(ctx context.Context, cn *conn, sc *gophercloud.ServiceClient) (string, error) {
	cn.tempURLMu.Lock()
	defer cn.tempURLMu.Unlock()
	if cn.tempURLKey != "" {
		return cn.tempURLKey, nil
	}
	h, err := accounts.Get(ctx, sc, nil).Extract()
	if err != nil {
		return "", convertError(err, "read the account's temp-URL key", "")
	}
	if h.TempURLKey == "" {
		key := randomHex(32)
		if _, err := accounts.Update(ctx, sc, accounts.UpdateOpts{TempURLKey: key}).Extract(); err != nil {
			return "", convertError(err, "set the account's temp-URL key", "")
		}
		h.TempURLKey = key
	}
	cn.tempURLKey = h.TempURLKey
	return cn.tempURLKey, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
