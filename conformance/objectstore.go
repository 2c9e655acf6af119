package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// objectStoreTests port CloudBridge's test_object_store_service and add what
// users of object stores run into that it does not check: thousands of
// objects paged, awkward keys, canceled and failed uploads, concurrency, large
// objects, range edge cases. Only the contract is assumed: keys are
// byte-ordered in listings, ranges follow GetObjectRequest's rules, sizes are
// exact; etags are only compared with each other.
func objectStoreTests() []Test {
	bucketsCap := []string{sdk.CapBuckets}
	objectsCap := []string{sdk.CapBuckets, sdk.CapObjects}
	multipart := []string{sdk.CapBuckets, sdk.CapObjects, sdk.CapMultipart}
	presigned := []string{sdk.CapBuckets, sdk.CapObjects, sdk.CapPresignedURLs}
	return []Test{
		{Name: "objectstore/buckets/crud", Needs: bucketsCap, Run: testBucketCRUD},
		{Name: "objectstore/buckets/names", Needs: bucketsCap, Run: testBucketNames},
		{Name: "objectstore/buckets/missing", Needs: bucketsCap, Run: testBucketsMissing},
		{Name: "objectstore/buckets/paging", Needs: bucketsCap, Run: testBucketsPaging},
		{Name: "objectstore/buckets/idempotent-create", Needs: bucketsCap, Run: testBucketIdempotent},
		{Name: "objectstore/buckets/empty", Needs: objectsCap, Run: testBucketEmpty},
		{Name: "objectstore/buckets/delete-non-empty", Needs: objectsCap, Run: testBucketDeleteNonEmpty},

		{Name: "objectstore/objects/crud", Needs: objectsCap, Run: testObjectCRUD},
		{Name: "objectstore/objects/properties", Needs: objectsCap, Run: testObjectProperties},
		{Name: "objectstore/objects/content-type-and-metadata", Needs: objectsCap, Run: testObjectContentTypeMetadata},
		{Name: "objectstore/objects/round-trip", Needs: objectsCap, Run: testObjectRoundTrip},
		{Name: "objectstore/objects/overwrite", Needs: objectsCap, Run: testObjectOverwrite},
		{Name: "objectstore/objects/missing", Needs: objectsCap, Run: testObjectsMissing},
		{Name: "objectstore/objects/keys", Needs: objectsCap, Run: testObjectKeys},
		{Name: "objectstore/objects/ranged-reads", Needs: objectsCap, Run: testObjectRanges},
		{Name: "objectstore/objects/list-prefix-delimiter", Needs: objectsCap, Run: testObjectListDelimiter},
		{Name: "objectstore/objects/paging-delimiter", Needs: objectsCap, Run: testObjectPagingDelimiter},
		{Name: "objectstore/objects/paging-thousands", Needs: objectsCap, Run: testObjectPagingThousands},
		{Name: "objectstore/objects/bad-page-token", Needs: objectsCap, Run: testObjectBadPageToken},
		{Name: "objectstore/objects/canceled-upload", Needs: objectsCap, Run: testObjectCanceledUpload},
		{Name: "objectstore/objects/failed-body", Needs: objectsCap, Run: testObjectFailedBody},
		{Name: "objectstore/objects/size-mismatch", Needs: objectsCap, Run: testObjectSizeMismatch},
		{Name: "objectstore/objects/sha256", Needs: objectsCap, Run: testObjectSHA256},
		{Name: "objectstore/objects/concurrent", Needs: objectsCap, Run: testObjectConcurrent},
		{Name: "objectstore/objects/large", Needs: objectsCap, Run: testObjectLarge},
		{Name: "objectstore/objects/download-to-file", Needs: objectsCap, Run: testObjectDownloadToFile},

		{Name: "objectstore/multipart/round-trip", Needs: multipart, Run: testMultipartRoundTrip},
		{Name: "objectstore/multipart/out-of-order", Needs: multipart, Run: testMultipartOutOfOrder},
		{Name: "objectstore/multipart/abort", Needs: multipart, Run: testMultipartAbort},
		{Name: "objectstore/multipart/part-too-small", Needs: multipart, Run: testMultipartTooSmall},
		{Name: "objectstore/multipart/bad-parts", Needs: multipart, Run: testMultipartBadParts},
		{Name: "objectstore/multipart/replace-part", Needs: multipart, Run: testMultipartReplacePart},
		{Name: "objectstore/multipart/list-uploads", Needs: multipart, Run: testMultipartList},

		{Name: "objectstore/presigned-urls/get", Needs: presigned, Run: testPresignedGet},
		{Name: "objectstore/presigned-urls/put", Needs: presigned, Run: testPresignedPut},
		{Name: "objectstore/presigned-urls/response-headers", Needs: presigned, Run: testPresignedResponseHeaders},
		{Name: "objectstore/presigned-urls/writable-ignores-response-headers", Needs: presigned, Run: testPresignedPutIgnoresResponseHeaders},
		{Name: "objectstore/presigned-urls/range", Needs: presigned, Run: testPresignedRange},
		{Name: "objectstore/presigned-urls/expired", Needs: presigned, Run: testPresignedExpired},
		{Name: "objectstore/presigned-urls/tampered", Needs: presigned, Run: testPresignedTampered},
		{Name: "objectstore/presigned-urls/missing-object", Needs: presigned, Run: testPresignedMissing},
	}
}

// ---- helpers ----

// NewBucket makes a tracked bucket; it is deleted with its contents when the
// test ends.
func (e *Env) NewBucket(t T, purpose string) *host.Bucket {
	t.Helper()
	b, err := e.P.Storage.Buckets.Create(e.Ctx, sdk.BucketSpec{Name: e.Name(purpose)})
	must(t, err, "create bucket %s", e.Name(purpose))
	e.trackBucket(b.Name)
	return b
}

func (e *Env) trackBucket(name string) {
	e.Track("bucket", name, func(ctx context.Context) error { return e.P.Storage.Buckets.Delete(ctx, name, true) })
}

func bucketService(e *Env) service[*host.Bucket] {
	s := e.P.Storage.Buckets
	return service[*host.Bucket]{
		kind: "bucket", id: func(b *host.Bucket) string { return b.ID },
		findKey: "name", findValue: func(b *host.Bucket) string { return b.Name },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

// objectService adapts a bucket's objects to the standard checks: an object's
// id is its key, Get is Head.
func objectService(objs *host.ObjectService) service[host.ObjectInfo] {
	return service[host.ObjectInfo]{
		kind: "object", id: func(o host.ObjectInfo) string { return o.Key },
		findKey: "name", findValue: func(o host.ObjectInfo) string { return o.Key },
		get: objs.Head, find: objs.Find,
		all: func(ctx context.Context) iter.Seq2[host.ObjectInfo, error] { return objs.All(ctx, "") },
		list: func(ctx context.Context, o host.ListOptions) (host.Page[host.ObjectInfo], error) {
			page, err := objs.List(ctx, host.ObjectListOptions{ListOptions: o})
			return host.Page[host.ObjectInfo]{Items: page.Objects, NextPageToken: page.NextPageToken}, err
		},
	}
}

// putBytes writes an object with a known size.
func putBytes(t T, e *Env, objs *host.ObjectService, key string, b []byte, opts host.PutOptions) host.ObjectInfo {
	t.Helper()
	opts.Size = int64(len(b))
	info, err := objs.Put(e.Ctx, key, bytes.NewReader(b), opts)
	must(t, err, "put object %q (%d bytes)", key, len(b))
	return info
}

// readObject reads a whole object.
func readObject(t T, e *Env, objs *host.ObjectService, key string) []byte {
	t.Helper()
	_, rc, err := objs.Get(e.Ctx, key)
	must(t, err, "get object %q", key)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	must(t, err, "read object %q", key)
	return b
}

// readRange reads a range of an object.
func readRange(e *Env, objs *host.ObjectService, key string, off, n int64) ([]byte, error) {
	_, rc, err := objs.GetRange(e.Ctx, key, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// randomBytes returns n bytes of a seeded stream, the same for the same seed.
func randomBytes(seed byte, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// randomStream is n bytes of a seeded stream, generated as read, so that large
// objects need no memory of their size.
func randomStream(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkGone: key is not headed, read or listed any more.
func checkObjectGone(t T, e *Env, objs *host.ObjectService, key string) {
	t.Helper()
	_, err := objs.Head(e.Ctx, key)
	wantCode(t, err, sdk.ErrNotFound, "head of object %q, which must not exist", key)
	_, rc, err := objs.Get(e.Ctx, key)
	if rc != nil {
		rc.Close()
	}
	wantCode(t, err, sdk.ErrNotFound, "get of object %q, which must not exist", key)
	for o, err := range objs.All(e.Ctx, key) {
		must(t, err, "list objects with prefix %q", key)
		if o.Key == key {
			t.Errorf("object %q, which must not exist, is listed", key)
		}
	}
}

// pendingUploads lists the pending multipart uploads of key.
func pendingUploads(t T, e *Env, objs *host.ObjectService, key string) []*host.MultipartUpload {
	t.Helper()
	var out []*host.MultipartUpload
	for up, err := range objs.ListMultipartUploads(e.Ctx, key) {
		must(t, err, "list multipart uploads of %q", key)
		if up.Key == key {
			out = append(out, up)
		}
	}
	return out
}

// checkNoPendingUpload: no multipart upload of key is pending. A plugin that
// aborts its own uploads after a failed transfer may do so a moment after the
// failure was answered, so this waits for up to 30 seconds.
func checkNoPendingUpload(t T, e *Env, objs *host.ObjectService, key string) {
	t.Helper()
	if !e.P.Has(sdk.CapMultipart) {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ups := pendingUploads(t, e, objs, key)
		if len(ups) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d multipart uploads of %q are left pending (first: %s)", len(ups), key, ups[0].ID)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// newUpload starts a tracked multipart upload.
func newUpload(t T, e *Env, objs *host.ObjectService, key string, opts host.UploadOptions) *host.MultipartUpload {
	t.Helper()
	up, err := objs.CreateMultipartUpload(e.Ctx, key, opts)
	must(t, err, "create multipart upload of %q", key)
	e.Track("multipart upload", up.ID, up.Abort)
	return up
}

func uploadPart(t T, e *Env, up *host.MultipartUpload, n int, b []byte) host.UploadedPart {
	t.Helper()
	part, err := up.UploadPart(e.Ctx, n, bytes.NewReader(b), int64(len(b)))
	must(t, err, "upload part %d (%d bytes) of %q", n, len(b), up.Key)
	if part.PartNumber != n || part.ETag == "" {
		t.Errorf("upload part %d answered %+v: want its number and an etag", n, part)
	}
	return part
}

// tempFile makes a file removed when the test ends.
func tempFile(t T, pattern string) *os.File {
	t.Helper()
	f, err := os.CreateTemp("", pattern)
	must(t, err, "create temporary file")
	t.Cleanup(func() {
		f.Close()
		os.Remove(f.Name())
	})
	return f
}

// ---- buckets ----

// testBucketCRUD is test_crud_bucket: standard behaviour, a duplicate name is
// AlreadyExists, delete twice, gone.
func testBucketCRUD(t T, e *Env) {
	b := e.NewBucket(t, "crud")
	svc := bucketService(e)
	run(t, "standard", func(t T) {
		if b.Name != e.Name("crud") {
			t.Errorf("bucket is named %q, want %q", b.Name, e.Name("crud"))
		}
		svc.checkStandard(t, e, b)
	})
	run(t, "duplicate-name", func(t T) {
		_, err := e.P.Storage.Buckets.Create(e.Ctx, sdk.BucketSpec{Name: b.Name})
		wantCode(t, err, sdk.ErrAlreadyExists, "create bucket %q a second time", b.Name)
	})
	run(t, "delete-twice", func(t T) {
		checkDeleteTwice(t, e, "bucket", b.Name, func(ctx context.Context, name string) error {
			return e.P.Storage.Buckets.Delete(ctx, name, false)
		})
	})
	run(t, "gone", func(t T) { svc.checkGone(t, e, b) })
}

// badBucketNames break S3's bucket naming rules, which the contract adopts.
var badBucketNames = []string{
	"", "ab", strings.Repeat("a", 64), "UPPER-case", "under_score", "has space", "-leading", "trailing-",
	"double..dot", ".leading-dot", "192.168.5.4", "xn--punycode", "sthree-reserved", "name-s3alias", "bang!",
}

// testBucketNames is check_create for buckets: the host and the plugin itself
// refuse bad names; a name with dots and digits is fine.
func testBucketNames(t T, e *Env) {
	run(t, "host-rejects", func(t T) {
		checkRefused(t, e, "host create bucket named", badBucketNames, func(ctx context.Context, n string) (string, error) {
			b, err := e.P.Storage.Buckets.Create(ctx, sdk.BucketSpec{Name: n})
			if err != nil {
				return "", err
			}
			return b.Name, nil
		}, func(ctx context.Context, n string) error { return e.P.Storage.Buckets.Delete(ctx, n, true) })
	})
	run(t, "plugin-rejects", func(t T) {
		drv := e.P.Drivers().ObjectStore.Buckets
		checkRefused(t, e, "plugin create bucket named", badBucketNames, func(ctx context.Context, n string) (string, error) {
			b, err := drv.Create(ctx, sdk.BucketSpec{Name: n})
			return b.Name, err
		}, func(ctx context.Context, n string) error { return drv.Delete(ctx, n, true) })
	})
	run(t, "dots-and-digits", func(t T) {
		name := e.Name("v1.2")
		b, err := e.P.Storage.Buckets.Create(e.Ctx, sdk.BucketSpec{Name: name})
		must(t, err, "create bucket %q", name)
		e.trackBucket(b.Name)
		if b.Name != name {
			t.Errorf("bucket %q is called %q", name, b.Name)
		}
	})
}

func testBucketsMissing(t T, e *Env) {
	bucketService(e).checkMissing(t, e, e.Name("no-such-bucket"))
	err := e.P.Storage.Buckets.Delete(e.Ctx, e.Name("no-such-bucket"), false)
	wantCode(t, err, sdk.ErrNotFound, "delete a bucket that does not exist")
}

func testBucketsPaging(t T, e *Env) {
	var names []string
	for _, p := range []string{"page-a", "page-b", "page-c"} {
		names = append(names, e.NewBucket(t, p).ID)
	}
	bucketService(e).checkPaging(t, e, names)
}

// testBucketIdempotent: a create retried with the first one's idempotency
// token answers that bucket instead of AlreadyExists.
func testBucketIdempotent(t T, e *Env) {
	spec := sdk.BucketSpec{Name: e.Name("idem"), IdempotencyToken: "cbconf-" + randomHex(8)}
	first, err := e.P.Storage.Buckets.Create(e.Ctx, spec)
	must(t, err, "create bucket %s", spec.Name)
	e.trackBucket(first.Name)
	again, err := e.P.Storage.Buckets.Create(e.Ctx, spec)
	must(t, err, "create bucket %s again with the same idempotency token", spec.Name)
	bucketService(e).checkIdempotent(t, e, first, again.ID)
}

// testBucketEmpty: a new bucket lists no objects and no common prefixes.
func testBucketEmpty(t T, e *Env) {
	b := e.NewBucket(t, "empty")
	page, err := b.Objects.List(e.Ctx, host.ObjectListOptions{Delimiter: "/"})
	must(t, err, "list objects of a new bucket")
	if len(page.Objects)+len(page.CommonPrefixes) != 0 || page.NextPageToken != "" {
		t.Errorf("a new bucket lists %d objects, %v, token %q", len(page.Objects), page.CommonPrefixes, page.NextPageToken)
	}
	if got := collect(t, "objects", b.Objects.All(e.Ctx, "")); len(got) != 0 {
		t.Errorf("a new bucket iterates %d objects", len(got))
	}
}

// testBucketDeleteNonEmpty: a bucket holding objects is not deleted (and
// keeps them) unless contents are deleted too, which removes objects and
// pending uploads. (Making the name again at once is not checked: S3 may
// refuse it for a while after a delete.)
func testBucketDeleteNonEmpty(t T, e *Env) {
	b := e.NewBucket(t, "full")
	putBytes(t, e, b.Objects, "a/b.txt", []byte("keep me"), host.PutOptions{})
	putBytes(t, e, b.Objects, "c.txt", []byte("and me"), host.PutOptions{})
	if e.P.Has(sdk.CapMultipart) {
		up := newUpload(t, e, b.Objects, "pending", host.UploadOptions{})
		uploadPart(t, e, up, 1, []byte("part"))
	}
	err := b.Delete(e.Ctx, false)
	wantCode(t, err, sdk.ErrFailedPrecondition, "delete non-empty bucket %s without delete_contents", b.Name)
	if _, err := e.P.Storage.Buckets.Get(e.Ctx, b.Name); err != nil {
		t.Fatalf("the refused delete removed bucket %s: %v", b.Name, err)
	}
	if got := readObject(t, e, b.Objects, "a/b.txt"); string(got) != "keep me" {
		t.Errorf("after the refused delete, a/b.txt reads %q", got)
	}
	must(t, b.Delete(e.Ctx, true), "delete bucket %s with its contents", b.Name)
	_, err = e.P.Storage.Buckets.Get(e.Ctx, b.Name)
	wantCode(t, err, sdk.ErrNotFound, "get bucket %s deleted with its contents", b.Name)
	_, err = b.Objects.Head(e.Ctx, "a/b.txt")
	wantCode(t, err, sdk.ErrNotFound, "head an object of a deleted bucket")
	_, err = b.Objects.List(e.Ctx, host.ObjectListOptions{})
	wantCode(t, err, sdk.ErrNotFound, "list the objects of a deleted bucket")
	if e.P.Has(sdk.CapMultipart) {
		var listErr error
		for _, err := range b.Objects.ListMultipartUploads(e.Ctx, "") {
			listErr = err
			break
		}
		wantCode(t, listErr, sdk.ErrNotFound, "list the uploads of a deleted bucket")
	}
}

// ---- objects ----

// testObjectCRUD is test_crud_bucket_object.
func testObjectCRUD(t T, e *Env) {
	b := e.NewBucket(t, "obj-crud")
	info := putBytes(t, e, b.Objects, "hello.txt", []byte("hello world"), host.PutOptions{ContentType: "text/plain"})
	svc := objectService(b.Objects)
	run(t, "standard", func(t T) {
		if info.Key != "hello.txt" {
			t.Errorf("put answered key %q", info.Key)
		}
		svc.checkStandard(t, e, info)
	})
	run(t, "missing", func(t T) { svc.checkMissing(t, e, "no-such-key") })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "object", "hello.txt", b.Objects.Delete) })
	run(t, "gone", func(t T) {
		svc.checkGone(t, e, info)
		checkObjectGone(t, e, b.Objects, "hello.txt")
	})
}

// testObjectProperties is test_crud_bucket_object_properties: size is the
// byte count, an etag and a last-modified time are set, iteration equals
// listing, and list with a prefix finds the object.
func testObjectProperties(t T, e *Env) {
	b := e.NewBucket(t, "obj-props")
	start := time.Now()
	content := []byte("CloudBridge object properties")
	put := putBytes(t, e, b.Objects, "dir/props.txt", content, host.PutOptions{})
	putBytes(t, e, b.Objects, "other.txt", []byte("x"), host.PutOptions{})
	head, err := b.Objects.Head(e.Ctx, "dir/props.txt")
	must(t, err, "head dir/props.txt")
	for _, v := range []struct {
		how  string
		info host.ObjectInfo
	}{{"put", put}, {"head", head}} {
		if v.info.Size != int64(len(content)) {
			t.Errorf("%s: size %d, want %d", v.how, v.info.Size, len(content))
		}
		if v.info.ETag == "" {
			t.Errorf("%s: no etag", v.how)
		}
		// Clocks differ between here and the cloud; an hour is generous.
		if lm := v.info.LastModified; lm.IsZero() || lm.Before(start.Add(-time.Hour)) || lm.After(time.Now().Add(time.Hour)) {
			t.Errorf("%s: last modified %v, want about %v", v.how, lm, start)
		}
		if v.info.SHA256 != "" && v.info.SHA256 != hexSHA256(content) {
			t.Errorf("%s: sha256 %s, want %s", v.how, v.info.SHA256, hexSHA256(content))
		}
	}
	if put.ETag != head.ETag {
		t.Errorf("put answered etag %q, head %q", put.ETag, head.ETag)
	}
	page, err := b.Objects.List(e.Ctx, host.ObjectListOptions{})
	must(t, err, "list objects")
	iterated := collect(t, "objects", b.Objects.All(e.Ctx, ""))
	listedKeys := ids(page.Objects, func(o host.ObjectInfo) string { return o.Key })
	iterKeys := ids(iterated, func(o host.ObjectInfo) string { return o.Key })
	if !slices.Equal(listedKeys, iterKeys) || !slices.Equal(iterKeys, []string{"dir/props.txt", "other.txt"}) {
		t.Errorf("list = %v, iteration = %v; want both [dir/props.txt other.txt]", listedKeys, iterKeys)
	}
	for _, o := range page.Objects {
		if o.Key == "dir/props.txt" && (o.Size != head.Size || o.ETag != head.ETag) {
			t.Errorf("listed %+v disagrees with head %+v", o, head)
		}
	}
	withPrefix := collect(t, "objects", b.Objects.All(e.Ctx, "dir/"))
	if keys := ids(withPrefix, func(o host.ObjectInfo) string { return o.Key }); !slices.Equal(keys, []string{"dir/props.txt"}) {
		t.Errorf("list with prefix dir/ = %v", keys)
	}
}

// testObjectContentTypeMetadata: content type and user metadata (lowercase
// keys, as every store keeps them) are answered by put, head, get and list.
func testObjectContentTypeMetadata(t T, e *Env) {
	b := e.NewBucket(t, "obj-meta")
	md := map[string]string{"color": "blue", "owner-id": "42", "note": "two words"}
	put := putBytes(t, e, b.Objects, "doc.json", []byte(`{"a":1}`), host.PutOptions{ContentType: "application/json", Metadata: md})
	head, err := b.Objects.Head(e.Ctx, "doc.json")
	must(t, err, "head doc.json")
	got, rc, err := b.Objects.Get(e.Ctx, "doc.json")
	must(t, err, "get doc.json")
	rc.Close()
	for how, info := range map[string]host.ObjectInfo{"put": put, "head": head, "get": got} {
		if info.ContentType != "application/json" {
			t.Errorf("%s: content type %q, want application/json", how, info.ContentType)
		}
		if how == "put" && len(info.Metadata) == 0 {
			continue // a put may answer without echoing metadata
		}
		for k, v := range md {
			if info.Metadata[k] != v {
				t.Errorf("%s: metadata %q = %q, want %q (all: %v)", how, k, info.Metadata[k], v, info.Metadata)
			}
		}
	}
}

// testObjectRoundTrip is test_upload_download_bucket_content and its
// _from_file variant: text, binary, empty and file contents come back as
// written.
func testObjectRoundTrip(t T, e *Env) {
	b := e.NewBucket(t, "round-trip")
	for name, content := range map[string][]byte{
		"text":   []byte("Hello, CloudBridge!\n"),
		"binary": randomBytes(7, 300<<10+17),
		"empty":  {},
	} {
		run(t, name, func(t T) {
			info := putBytes(t, e, b.Objects, name, content, host.PutOptions{})
			if info.Size != int64(len(content)) {
				t.Errorf("put answered size %d, want %d", info.Size, len(content))
			}
			if got := readObject(t, e, b.Objects, name); !bytes.Equal(got, content) {
				t.Errorf("read back %d bytes (sha256 %s), want %d (sha256 %s)", len(got), hexSHA256(got), len(content), hexSHA256(content))
			}
		})
	}
	run(t, "unknown-size", func(t T) {
		content := randomBytes(8, 2<<20+5)
		_, err := b.Objects.Put(e.Ctx, "unknown-size", io.MultiReader(bytes.NewReader(content)), host.PutOptions{Size: -1})
		must(t, err, "put with unknown size")
		if got := readObject(t, e, b.Objects, "unknown-size"); !bytes.Equal(got, content) {
			t.Errorf("read back %d bytes, want %d", len(got), len(content))
		}
	})
	run(t, "from-file", func(t T) {
		content := randomBytes(9, 1<<20+3)
		f := tempFile(t, "cbconf-upload-*")
		_, err := f.Write(content)
		must(t, err, "write temporary file")
		_, err = f.Seek(0, io.SeekStart)
		must(t, err, "rewind temporary file")
		fi, err := f.Stat()
		must(t, err, "stat temporary file")
		_, err = b.Objects.Put(e.Ctx, "from-file.bin", f, host.PutOptions{Size: fi.Size()})
		must(t, err, "upload from file")
		if got := readObject(t, e, b.Objects, "from-file.bin"); !bytes.Equal(got, content) {
			t.Errorf("read back %d bytes, want %d", len(got), len(content))
		}
	})
}

// testObjectOverwrite: a put to an existing key replaces content, size, etag,
// content type and metadata.
func testObjectOverwrite(t T, e *Env) {
	b := e.NewBucket(t, "overwrite")
	first := putBytes(t, e, b.Objects, "k", []byte("first version"), host.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"v": "1"}})
	second := putBytes(t, e, b.Objects, "k", []byte("2nd"), host.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"v": "2"}})
	head, err := b.Objects.Head(e.Ctx, "k")
	must(t, err, "head k")
	if head.Size != 3 || head.ContentType != "text/csv" || head.Metadata["v"] != "2" || head.ETag != second.ETag {
		t.Errorf("after overwrite head = %+v", head)
	}
	if first.ETag == second.ETag {
		t.Errorf("different contents have the same etag %q", first.ETag)
	}
	if got := readObject(t, e, b.Objects, "k"); string(got) != "2nd" {
		t.Errorf("after overwrite k reads %q", got)
	}
	if n := len(collect(t, "objects", b.Objects.All(e.Ctx, ""))); n != 1 {
		t.Errorf("after overwrite the bucket lists %d objects, want 1", n)
	}
}

// testObjectsMissing: a missing key is NotFound for head, get, ranged get and
// delete; a missing bucket is NotFound for object calls.
func testObjectsMissing(t T, e *Env) {
	b := e.NewBucket(t, "missing")
	checkObjectGone(t, e, b.Objects, "no/such/key")
	_, err := readRange(e, b.Objects, "no/such/key", 0, 10)
	wantCode(t, err, sdk.ErrNotFound, "ranged get of a missing key")
	wantCode(t, b.Objects.Delete(e.Ctx, "no/such/key"), sdk.ErrNotFound, "delete a missing key")

	gone := e.NewBucket(t, "gone")
	must(t, gone.Delete(e.Ctx, false), "delete bucket %s", gone.Name)
	_, err = gone.Objects.Head(e.Ctx, "k")
	wantCode(t, err, sdk.ErrNotFound, "head in a missing bucket")
	_, err = gone.Objects.List(e.Ctx, host.ObjectListOptions{})
	wantCode(t, err, sdk.ErrNotFound, "list a missing bucket")
	_, err = gone.Objects.Put(e.Ctx, "k", strings.NewReader("x"), host.PutOptions{Size: 1})
	wantCode(t, err, sdk.ErrNotFound, "put into a missing bucket")
}

// awkwardKeys are valid keys that break naive code: spaces, non-ASCII,
// relative path segments, URL metacharacters and the longest allowed key.
func awkwardKeys() map[string]string {
	long := strings.Repeat("k", 1024-len("long/")-len("/end")) // 1024 bytes with the parts around it
	return map[string]string{
		"spaces":         "with some  spaces .txt",
		"unicode":        "ünïcödé/文件/файл-😀.txt",
		"dot-dot-slash":  "../../outside/../x",
		"url-characters": "a?b=c&d#e%20f+g;h",
		"1024-bytes":     "long/" + long + "/end",
	}
}

// testObjectKeys: each awkward key round-trips, is listed under its own
// prefix and found by name, and deletes; a key of 1025 bytes is refused by
// the host and by the plugin.
func testObjectKeys(t T, e *Env) {
	b := e.NewBucket(t, "keys")
	keys := awkwardKeys()
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		key := keys[name]
		run(t, name, func(t T) {
			content := []byte("content of " + name)
			info := putBytes(t, e, b.Objects, key, content, host.PutOptions{})
			if info.Key != key {
				t.Errorf("put answered key %q, want %q", info.Key, key)
			}
			if got := readObject(t, e, b.Objects, key); !bytes.Equal(got, content) {
				t.Errorf("key %q reads %q", key, got)
			}
			head, err := b.Objects.Head(e.Ctx, key)
			must(t, err, "head %q", key)
			if head.Key != key || head.Size != int64(len(content)) {
				t.Errorf("head answered key %q size %d", head.Key, head.Size)
			}
			listed := collect(t, "objects", b.Objects.All(e.Ctx, key))
			if keys := ids(listed, func(o host.ObjectInfo) string { return o.Key }); !slices.Equal(keys, []string{key}) {
				t.Errorf("list with the key as prefix = %q, want just the key", keys)
			}
			must(t, b.Objects.Delete(e.Ctx, key), "delete %q", key)
			checkObjectGone(t, e, b.Objects, key)
		})
	}
	run(t, "all-listed", func(t T) {
		for _, key := range keys {
			putBytes(t, e, b.Objects, key, []byte("x"), host.PutOptions{})
		}
		listed := ids(collect(t, "objects", b.Objects.All(e.Ctx, "")), func(o host.ObjectInfo) string { return o.Key })
		want := slices.Sorted(maps.Values(keys))
		if !slices.Equal(listed, want) {
			t.Errorf("bucket lists %q, want %q (in byte order)", listed, want)
		}
	})
	run(t, "too-long", func(t T) {
		key := strings.Repeat("k", 1025)
		_, err := b.Objects.Put(e.Ctx, key, strings.NewReader("x"), host.PutOptions{Size: 1})
		wantCode(t, err, sdk.ErrInvalidArgument, "host put of a 1025-byte key")
		drv := e.P.Drivers().ObjectStore.Objects
		_, err = drv.Put(e.Ctx, sdk.PutObjectRequest{Bucket: b.Name, Key: key, Size: 1}, strings.NewReader("x"))
		wantCode(t, err, sdk.ErrInvalidArgument, "plugin put of a 1025-byte key")
	})
}

// testObjectRanges is the ranged-read table, over an object of 1000 bytes.
func testObjectRanges(t T, e *Env) {
	b := e.NewBucket(t, "ranges")
	content := randomBytes(3, 1000)
	putBytes(t, e, b.Objects, "r", content, host.PutOptions{})
	for _, tc := range []struct {
		name        string
		off, n      int64
		from, to    int // the expected bytes: content[from:to]
		wantInvalid bool
	}{
		{name: "whole", off: 0, n: -1, from: 0, to: 1000},
		{name: "start", off: 0, n: 10, from: 0, to: 10},
		{name: "middle", off: 400, n: 100, from: 400, to: 500},
		{name: "end", off: 990, n: -1, from: 990, to: 1000},
		{name: "last-byte", off: 999, n: 1, from: 999, to: 1000},
		{name: "exactly-to-the-end", off: 900, n: 100, from: 900, to: 1000},
		{name: "past-the-end", off: 995, n: 100, from: 995, to: 1000},
		{name: "zero-length", off: 500, n: 0, from: 500, to: 500},
		{name: "offset-at-size", off: 1000, n: -1, from: 1000, to: 1000},
		{name: "offset-past-size", off: 1001, n: 10, wantInvalid: true},
	} {
		run(t, tc.name, func(t T) {
			got, err := readRange(e, b.Objects, "r", tc.off, tc.n)
			if tc.wantInvalid {
				wantCode(t, err, sdk.ErrInvalidArgument, "read %d bytes from offset %d of a 1000-byte object", tc.n, tc.off)
				return
			}
			must(t, err, "read %d bytes from offset %d", tc.n, tc.off)
			if want := content[tc.from:tc.to]; !bytes.Equal(got, want) {
				t.Errorf("read %d bytes from offset %d: got %d bytes, want bytes [%d:%d]", tc.n, tc.off, len(got), tc.from, tc.to)
			}
		})
	}
	run(t, "info-is-the-whole-object", func(t T) {
		info, rc, err := b.Objects.GetRange(e.Ctx, "r", 10, 5)
		must(t, err, "ranged get")
		rc.Close()
		if info.Size != 1000 {
			t.Errorf("a ranged get answered size %d, want the object's 1000", info.Size)
		}
	})
}

// listAll pages through a listing with a page size, checking each page's size.
func listAll(t T, e *Env, objs *host.ObjectService, opts host.ObjectListOptions) (keys, prefixes []string, pagesSeen int) {
	t.Helper()
	for range 100000 {
		page, err := objs.List(e.Ctx, opts)
		must(t, err, "list objects %+v", opts)
		pagesSeen++
		if n := len(page.Objects) + len(page.CommonPrefixes); opts.PageSize > 0 && n > opts.PageSize {
			t.Fatalf("a page of %d entries with page size %d", n, opts.PageSize)
		}
		for _, o := range page.Objects {
			keys = append(keys, o.Key)
		}
		prefixes = append(prefixes, page.CommonPrefixes...)
		if page.NextPageToken == "" {
			return keys, prefixes, pagesSeen
		}
		opts.PageToken = page.NextPageToken
	}
	t.Fatalf("listing did not end after 100000 pages")
	return nil, nil, 0
}

// delimiterKeys are the keys of the delimiter tests.
var delimiterKeys = []string{
	"a.txt", "photos/2023/jan.jpg", "photos/2023/feb.jpg", "photos/2024/mar.jpg", "photos/cover.jpg",
	"readme", "videos/a.mp4", "videos/b.mp4", "z/deep/er/file",
}

func putKeys(t T, e *Env, objs *host.ObjectService, keys []string) {
	t.Helper()
	for _, k := range keys {
		putBytes(t, e, objs, k, []byte(k), host.PutOptions{})
	}
}

// testObjectListDelimiter: a delimiter rolls keys up into common prefixes
// below the prefix, as S3 does.
func testObjectListDelimiter(t T, e *Env) {
	b := e.NewBucket(t, "delim")
	putKeys(t, e, b.Objects, delimiterKeys)
	for _, tc := range []struct {
		prefix, delim  string
		keys, prefixes []string
	}{
		{"", "/", []string{"a.txt", "readme"}, []string{"photos/", "videos/", "z/"}},
		{"photos/", "/", []string{"photos/cover.jpg"}, []string{"photos/2023/", "photos/2024/"}},
		{"photos/2023/", "/", []string{"photos/2023/feb.jpg", "photos/2023/jan.jpg"}, nil},
		{"photos/20", "/", nil, []string{"photos/2023/", "photos/2024/"}},
		{"z/", "/", nil, []string{"z/deep/"}},
		{"nothing/", "/", nil, nil},
		{"videos/", "", []string{"videos/a.mp4", "videos/b.mp4"}, nil},
	} {
		name := fmt.Sprintf("prefix=%q,delimiter=%q", tc.prefix, tc.delim)
		run(t, name, func(t T) {
			keys, prefixes, _ := listAll(t, e, b.Objects, host.ObjectListOptions{Prefix: tc.prefix, Delimiter: tc.delim})
			if !slices.Equal(keys, tc.keys) || !slices.Equal(prefixes, tc.prefixes) {
				t.Errorf("keys %q prefixes %q, want %q %q", keys, prefixes, tc.keys, tc.prefixes)
			}
		})
	}
}

// testObjectPagingDelimiter: paging a delimited listing one entry at a time
// yields each key and each common prefix exactly once, as one listing does.
func testObjectPagingDelimiter(t T, e *Env) {
	b := e.NewBucket(t, "delim-pages")
	putKeys(t, e, b.Objects, delimiterKeys)
	for _, size := range []int{1, 2, 3} {
		keys, prefixes, _ := listAll(t, e, b.Objects, host.ObjectListOptions{Delimiter: "/", ListOptions: host.ListOptions{PageSize: size}})
		slices.Sort(keys)
		slices.Sort(prefixes)
		if !slices.Equal(keys, []string{"a.txt", "readme"}) || !slices.Equal(prefixes, []string{"photos/", "videos/", "z/"}) {
			t.Errorf("page size %d: keys %q prefixes %q, want [a.txt readme] [photos/ videos/ z/], each once", size, keys, prefixes)
		}
	}
}

// testObjectPagingThousands: 2500 objects (written concurrently) listed with
// page size 1000 and 7: each exactly once, in byte order.
func testObjectPagingThousands(t T, e *Env) {
	const n = 2500
	b := e.NewBucket(t, "thousands")
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("obj-%05d", i)
	}
	forEach(t, want, 16, func(key string) error {
		_, err := b.Objects.Put(e.Ctx, key, strings.NewReader(key), host.PutOptions{Size: int64(len(key))})
		return err
	})
	for _, size := range []int{1000, 7} {
		run(t, fmt.Sprintf("page-size-%d", size), func(t T) {
			keys, _, pagesSeen := listAll(t, e, b.Objects, host.ObjectListOptions{ListOptions: host.ListOptions{PageSize: size}})
			if dups := duplicates(keys, func(k string) string { return k }); len(dups) > 0 {
				t.Errorf("%d keys listed more than once, e.g. %q", len(dups), dups[0])
			}
			if !slices.Equal(keys, want) {
				t.Errorf("listed %d keys over %d pages, want the %d written, each once, in order", len(keys), pagesSeen, n)
			}
			if min := (n + size - 1) / size; pagesSeen < min {
				t.Errorf("listed in %d pages of at most %d: impossible", pagesSeen, size)
			}
		})
	}
	run(t, "iterate", func(t T) {
		got := ids(collect(t, "objects", b.Objects.All(e.Ctx, "obj-01")), func(o host.ObjectInfo) string { return o.Key })
		if !slices.Equal(got, want[1000:2000]) {
			t.Errorf("iterating prefix obj-01 gave %d keys, want obj-01000 … obj-01999", len(got))
		}
	})
}

// forEach runs f on every item with workers goroutines and fails the test
// with the first errors.
func forEach(t T, items []string, workers int, f func(string) error) {
	t.Helper()
	work := make(chan string)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range work {
				if err := f(item); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", item, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, item := range items {
		work <- item
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d failed, first: %v", len(errs), len(items), errs[0])
	}
}

func testObjectBadPageToken(t T, e *Env) {
	b := e.NewBucket(t, "bad-token")
	putKeys(t, e, b.Objects, []string{"a", "b"})
	_, err := b.Objects.List(e.Ctx, host.ObjectListOptions{ListOptions: host.ListOptions{PageToken: "not-a-token-we-issued"}})
	wantCode(t, err, sdk.ErrInvalidArgument, "list objects with a bogus page token")
}

// cancelingReader yields n bytes of a seeded stream, then cancels the upload's
// context and fails with its error, as a caller giving up mid-upload does.
type cancelingReader struct {
	r      io.Reader
	cancel context.CancelFunc
	ctx    context.Context
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		c.cancel()
		<-c.ctx.Done()
		return n, c.ctx.Err()
	}
	return n, err
}

// checkNothingStored: a failed put of key left the bucket as it was: the key
// still reads old, or is missing when old is nil; and no multipart upload of
// it is pending.
func checkNothingStored(t T, e *Env, objs *host.ObjectService, key string, old []byte) {
	t.Helper()
	if old != nil {
		if got := readObject(t, e, objs, key); !bytes.Equal(got, old) {
			t.Errorf("after a failed overwrite %q reads %d bytes %q…, want the previous version %q", key, len(got), got[:min(len(got), 20)], old)
		}
	} else {
		checkObjectGone(t, e, objs, key)
	}
	checkNoPendingUpload(t, e, objs, key)
}

// checkNothingStoredLater repeats checkNothingStored for every key a second
// later: a plugin that went on storing after the call failed (a commit racing
// the cancellation) would show it by now.
func checkNothingStoredLater(t T, e *Env, objs *host.ObjectService, old map[string][]byte) {
	t.Helper()
	select {
	case <-time.After(time.Second):
	case <-e.Ctx.Done():
		t.Fatal(e.Ctx.Err())
	}
	for _, key := range slices.Sorted(maps.Keys(old)) {
		checkNothingStored(t, e, objs, key, old[key])
	}
}

// testObjectCanceledUpload: canceling a put mid-body stores nothing (a new key
// stays missing, an existing one keeps its content) and leaves no pending
// multipart upload, whether the size was declared or not.
func testObjectCanceledUpload(t T, e *Env) {
	b := e.NewBucket(t, "canceled")
	previous := map[string][]byte{"existing": []byte("the previous version"), "new-unknown": nil, "new-known": nil}
	putBytes(t, e, b.Objects, "existing", previous["existing"], host.PutOptions{})
	for _, tc := range []struct {
		name, key string
		size      int64
	}{
		{"new-key-unknown-size", "new-unknown", -1},
		{"new-key-known-size", "new-known", 16 << 20},
		{"existing-key", "existing", -1},
	} {
		run(t, tc.name, func(t T) {
			ctx, cancel := context.WithCancel(e.Ctx)
			defer cancel()
			body := &cancelingReader{r: randomStream(4, 6<<20), cancel: cancel, ctx: ctx}
			_, err := b.Objects.Put(ctx, tc.key, body, host.PutOptions{Size: tc.size})
			if err == nil {
				t.Fatalf("a put canceled mid-body succeeded")
			}
			wantCode(t, err, sdk.ErrCanceled, "put canceled mid-body")
			checkNothingStored(t, e, b.Objects, tc.key, previous[tc.key])
		})
	}
	run(t, "nothing-stored-later", func(t T) { checkNothingStoredLater(t, e, b.Objects, previous) })
}

// failingBody yields what r yields, then fails with err instead of io.EOF.
type failingBody struct {
	r   io.Reader
	err error
}

func (f *failingBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

// testObjectFailedBody: a body that fails mid-way stores nothing.
func testObjectFailedBody(t T, e *Env) {
	b := e.NewBucket(t, "failed-body")
	previous := map[string][]byte{"existing": []byte("still here"), "new": nil}
	putBytes(t, e, b.Objects, "existing", previous["existing"], host.PutOptions{})
	boom := errors.New("the disk went away")
	for _, key := range []string{"new", "existing"} {
		run(t, key, func(t T) {
			_, err := b.Objects.Put(e.Ctx, key, &failingBody{r: randomStream(5, 3<<20), err: boom}, host.PutOptions{Size: -1})
			if err == nil {
				t.Fatal("a put whose body failed succeeded")
			}
			checkNothingStored(t, e, b.Objects, key, previous[key])
		})
	}
	run(t, "nothing-stored-later", func(t T) { checkNothingStoredLater(t, e, b.Objects, previous) })
}

// testObjectSizeMismatch: a body shorter or longer than its declared size is
// InvalidArgument and stores nothing.
func testObjectSizeMismatch(t T, e *Env) {
	b := e.NewBucket(t, "size-mismatch")
	for _, tc := range []struct {
		name string
		body []byte
		size int64
	}{
		{"shorter", []byte("12345"), 10},
		{"longer", []byte("1234567890"), 5},
		{"empty-declared-nonzero", nil, 3},
	} {
		run(t, tc.name, func(t T) {
			_, err := b.Objects.Put(e.Ctx, tc.name, bytes.NewReader(tc.body), host.PutOptions{Size: tc.size})
			wantCode(t, err, sdk.ErrInvalidArgument, "put %d bytes declared as %d", len(tc.body), tc.size)
			checkObjectGone(t, e, b.Objects, tc.name)
		})
	}
}

// testObjectSHA256: a declared digest that matches is accepted (and answered,
// if the plugin reports digests); one that does not is InvalidArgument and
// stores nothing.
func testObjectSHA256(t T, e *Env) {
	b := e.NewBucket(t, "sha256")
	content := randomBytes(6, 100<<10)
	run(t, "matching", func(t T) {
		info, err := b.Objects.Put(e.Ctx, "good", bytes.NewReader(content), host.PutOptions{Size: int64(len(content)), SHA256: hexSHA256(content)})
		must(t, err, "put with the right sha256")
		if info.SHA256 != "" && info.SHA256 != hexSHA256(content) {
			t.Errorf("put answered sha256 %s, want %s", info.SHA256, hexSHA256(content))
		}
	})
	run(t, "mismatching", func(t T) {
		_, err := b.Objects.Put(e.Ctx, "bad", bytes.NewReader(content), host.PutOptions{Size: int64(len(content)), SHA256: hexSHA256([]byte("other"))})
		wantCode(t, err, sdk.ErrInvalidArgument, "put with a wrong sha256")
		checkObjectGone(t, e, b.Objects, "bad")
	})
}

// testObjectConcurrent: 16 goroutines each write their own key and read it,
// and another's, back several times; every read sees a whole version.
func testObjectConcurrent(t T, e *Env) {
	const workers, rounds = 16, 4
	b := e.NewBucket(t, "concurrent")
	content := func(w, r int) []byte { return randomBytes(byte(w*rounds+r), 64<<10+w) }
	keys := make([]string, workers)
	for w := range keys {
		keys[w] = fmt.Sprintf("worker-%02d", w)
	}
	forEach(t, keys, workers, func(key string) error {
		var w int
		fmt.Sscanf(key, "worker-%d", &w)
		for r := range rounds {
			want := content(w, r)
			if _, err := b.Objects.Put(e.Ctx, key, bytes.NewReader(want), host.PutOptions{Size: int64(len(want))}); err != nil {
				return err
			}
			_, rc, err := b.Objects.Get(e.Ctx, key)
			if err != nil {
				return err
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("round %d read back %d bytes that differ from the %d written", r, len(got), len(want))
			}
			// Another worker's key holds one of its versions, or nothing yet.
			other := (w + 1) % workers
			if _, rc, err := b.Objects.Get(e.Ctx, keys[other]); err == nil {
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				versions := make([]int, rounds)
				for i := range versions {
					versions[i] = i
				}
				if !slices.ContainsFunc(versions, func(r int) bool { return bytes.Equal(got, content(other, r)) }) {
					return fmt.Errorf("%s read %d bytes that are none of its versions", keys[other], len(got))
				}
			} else if !errors.Is(err, sdk.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if n := len(collect(t, "objects", b.Objects.All(e.Ctx, ""))); n != workers {
		t.Errorf("after the concurrent writes the bucket lists %d objects, want %d", n, workers)
	}
}

// largeSize is the size of the large-object test: over 64 MiB, and not a
// multiple of any chunk size.
const largeSize = 64<<20 + 12345

// testObjectLarge: an object over 64 MiB, streamed from a generator (never
// held in memory here), reads back with the same SHA-256.
func testObjectLarge(t T, e *Env) {
	b := e.NewBucket(t, "large")
	h := sha256.New()
	info, err := b.Objects.Put(e.Ctx, "large.bin", io.TeeReader(randomStream(11, largeSize), h), host.PutOptions{Size: largeSize})
	must(t, err, "put %d bytes", largeSize)
	want := hex.EncodeToString(h.Sum(nil))
	if info.Size != largeSize {
		t.Errorf("put answered size %d, want %d", info.Size, largeSize)
	}
	if info.SHA256 != "" && info.SHA256 != want {
		t.Errorf("put answered sha256 %s, want %s", info.SHA256, want)
	}
	got, rc, err := b.Objects.Get(e.Ctx, "large.bin")
	must(t, err, "get large.bin")
	defer rc.Close()
	h.Reset()
	n, err := io.Copy(h, rc)
	must(t, err, "read large.bin")
	if n != largeSize || got.Size != largeSize {
		t.Errorf("read %d bytes of an object of size %d, want %d", n, got.Size, largeSize)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want {
		t.Errorf("read back sha256 %s, want %s", sum, want)
	}
}

// testObjectDownloadToFile is test_download_to_file_roundtrip done the way a
// transfer manager does it: ranged reads of 1 MiB written at their offsets
// into a file, which must then equal the object.
func testObjectDownloadToFile(t T, e *Env) {
	b := e.NewBucket(t, "download")
	const size, chunk = 3<<20 + 4321, 1 << 20
	content := randomBytes(12, size)
	putBytes(t, e, b.Objects, "dl.bin", content, host.PutOptions{})
	f := tempFile(t, "cbconf-download-*")
	for off := int64(0); off < size; off += chunk {
		part, err := readRange(e, b.Objects, "dl.bin", off, chunk)
		must(t, err, "read range at %d", off)
		if want := min(chunk, size-off); int64(len(part)) != want {
			t.Fatalf("range at %d has %d bytes, want %d", off, len(part), want)
		}
		_, err = f.WriteAt(part, off)
		must(t, err, "write the file at %d", off)
	}
	got, err := os.ReadFile(f.Name())
	must(t, err, "read the downloaded file")
	if !bytes.Equal(got, content) {
		t.Errorf("the downloaded file (%d bytes, sha256 %s) differs from the object (%d, %s)", len(got), hexSHA256(got), size, hexSHA256(content))
	}
}

// ---- multipart uploads ----

// minPart is a part as small as a part other than the last may be.
var minPart = sdk.MinPartSize

// testMultipartRoundTrip is test_explicit_multipart_upload_roundtrip: two
// parts make the object, with the upload's content type and metadata, and
// the upload is no longer pending.
func testMultipartRoundTrip(t T, e *Env) {
	b := e.NewBucket(t, "mpu")
	up := newUpload(t, e, b.Objects, "mp/object.bin", host.UploadOptions{ContentType: "application/x-parts", Metadata: map[string]string{"origin": "multipart"}})
	if up.ID == "" || up.Key != "mp/object.bin" {
		t.Fatalf("create multipart upload answered %+v", up.MultipartUpload)
	}
	p1, p2 := randomBytes(21, minPart), randomBytes(22, 1000)
	parts := []host.UploadedPart{uploadPart(t, e, up, 1, p1), uploadPart(t, e, up, 2, p2)}
	if ups := pendingUploads(t, e, b.Objects, up.Key); len(ups) != 1 || ups[0].ID != up.ID {
		t.Errorf("while in progress, pending uploads of the key are %d, want just %s", len(ups), up.ID)
	}
	info, err := up.Complete(e.Ctx, parts)
	must(t, err, "complete the upload")
	whole := slices.Concat(p1, p2)
	if info.Size != int64(len(whole)) || info.ETag == "" {
		t.Errorf("complete answered size %d etag %q, want size %d and an etag", info.Size, info.ETag, len(whole))
	}
	if got := readObject(t, e, b.Objects, up.Key); !bytes.Equal(got, whole) {
		t.Errorf("the object reads %d bytes (sha256 %s), want %d (%s)", len(got), hexSHA256(got), len(whole), hexSHA256(whole))
	}
	head, err := b.Objects.Head(e.Ctx, up.Key)
	must(t, err, "head the object")
	if head.ContentType != "application/x-parts" || head.Metadata["origin"] != "multipart" {
		t.Errorf("the object has content type %q metadata %v, want the upload's", head.ContentType, head.Metadata)
	}
	if ups := pendingUploads(t, e, b.Objects, up.Key); len(ups) != 0 {
		t.Errorf("%d uploads still pending after complete", len(ups))
	}
}

// testMultipartOutOfOrder is test_multipart_upload_out_of_order_parts: parts
// uploaded last first and listed shuffled assemble in part-number order.
func testMultipartOutOfOrder(t T, e *Env) {
	b := e.NewBucket(t, "mpu-order")
	up := newUpload(t, e, b.Objects, "ordered", host.UploadOptions{})
	bodies := [][]byte{randomBytes(31, minPart), randomBytes(32, minPart+7), randomBytes(33, 4096)}
	parts := make([]host.UploadedPart, len(bodies))
	for i := len(bodies) - 1; i >= 0; i-- {
		parts[i] = uploadPart(t, e, up, i+1, bodies[i])
	}
	_, err := up.Complete(e.Ctx, []host.UploadedPart{parts[1], parts[2], parts[0]})
	must(t, err, "complete with parts listed 2, 3, 1")
	if got, want := readObject(t, e, b.Objects, "ordered"), slices.Concat(bodies...); !bytes.Equal(got, want) {
		t.Errorf("the object reads %d bytes (sha256 %s), want parts 1, 2, 3: %d (%s)", len(got), hexSHA256(got), len(want), hexSHA256(want))
	}
}

// testMultipartAbort is test_multipart_upload_abort: an aborted upload makes
// no object and is no longer pending; aborting again is fine.
func testMultipartAbort(t T, e *Env) {
	b := e.NewBucket(t, "mpu-abort")
	up := newUpload(t, e, b.Objects, "aborted", host.UploadOptions{})
	uploadPart(t, e, up, 1, randomBytes(41, minPart))
	uploadPart(t, e, up, 2, []byte("tail"))
	must(t, up.Abort(e.Ctx), "abort the upload")
	checkObjectGone(t, e, b.Objects, "aborted")
	if ups := pendingUploads(t, e, b.Objects, "aborted"); len(ups) != 0 {
		t.Errorf("%d uploads pending after abort", len(ups))
	}
	must(t, up.Abort(e.Ctx), "abort the upload a second time")
}

// testMultipartTooSmall: a part below the minimum size that is not the last
// makes Complete InvalidArgument, and the upload stays pending.
func testMultipartTooSmall(t T, e *Env) {
	b := e.NewBucket(t, "mpu-small")
	up := newUpload(t, e, b.Objects, "small", host.UploadOptions{})
	parts := []host.UploadedPart{uploadPart(t, e, up, 1, randomBytes(51, 1024)), uploadPart(t, e, up, 2, randomBytes(52, 1024))}
	_, err := up.Complete(e.Ctx, parts)
	wantCode(t, err, sdk.ErrInvalidArgument, "complete with a first part of 1 KiB")
	checkObjectGone(t, e, b.Objects, "small")
	// A single small part is fine: it is the last.
	one := newUpload(t, e, b.Objects, "single", host.UploadOptions{})
	_, err = one.Complete(e.Ctx, []host.UploadedPart{uploadPart(t, e, one, 1, []byte("only part"))})
	must(t, err, "complete an upload of one small part")
	if got := readObject(t, e, b.Objects, "single"); string(got) != "only part" {
		t.Errorf("single-part object reads %q", got)
	}
}

// testMultipartBadParts: completing with a part never uploaded, or with a
// wrong etag, or with no parts, is InvalidArgument and makes no object.
func testMultipartBadParts(t T, e *Env) {
	b := e.NewBucket(t, "mpu-bad")
	up := newUpload(t, e, b.Objects, "bad", host.UploadOptions{})
	p1 := uploadPart(t, e, up, 1, randomBytes(61, minPart))
	p2 := uploadPart(t, e, up, 2, []byte("second"))
	for name, parts := range map[string][]host.UploadedPart{
		"unknown-part-number": {p1, {PartNumber: 3, ETag: p2.ETag}},
		"wrong-etag":          {p1, {PartNumber: 2, ETag: p1.ETag}},
		"no-parts":            {},
	} {
		run(t, name, func(t T) {
			_, err := up.Complete(e.Ctx, parts)
			wantCode(t, err, sdk.ErrInvalidArgument, "complete with %s", name)
			checkObjectGone(t, e, b.Objects, "bad")
		})
	}
	run(t, "plugin-rejects-part-number", func(t T) {
		drv, ok := e.P.Drivers().ObjectStore.Objects.(sdk.MultipartUploader)
		if !ok {
			t.Skip("the host's driver does not upload in parts")
		}
		for _, n := range []int{0, 10001} {
			_, err := drv.UploadPart(e.Ctx, sdk.UploadPartRequest{Bucket: b.Name, Key: "bad", UploadID: up.ID, PartNumber: n, Size: 1}, strings.NewReader("x"))
			wantCode(t, err, sdk.ErrInvalidArgument, "plugin upload of part number %d", n)
		}
	})
}

// testMultipartReplacePart: uploading a part number again replaces the part.
func testMultipartReplacePart(t T, e *Env) {
	b := e.NewBucket(t, "mpu-replace")
	up := newUpload(t, e, b.Objects, "replaced", host.UploadOptions{})
	uploadPart(t, e, up, 1, []byte("first attempt"))
	second := uploadPart(t, e, up, 1, []byte("second attempt"))
	_, err := up.Complete(e.Ctx, []host.UploadedPart{second})
	must(t, err, "complete with the replacing part")
	if got := readObject(t, e, b.Objects, "replaced"); string(got) != "second attempt" {
		t.Errorf("the object reads %q, want the replacing part", got)
	}
}

// testMultipartList: pending uploads are listed by key prefix, each exactly
// once when paged one at a time, and not after they are aborted.
func testMultipartList(t T, e *Env) {
	b := e.NewBucket(t, "mpu-list")
	var want []string
	for _, key := range []string{"logs/a", "logs/b", "logs/c"} {
		want = append(want, newUpload(t, e, b.Objects, key, host.UploadOptions{}).ID)
	}
	other := newUpload(t, e, b.Objects, "other", host.UploadOptions{})
	listed := ids(collect(t, "multipart uploads", b.Objects.ListMultipartUploads(e.Ctx, "logs/")), func(u *host.MultipartUpload) string { return u.ID })
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("uploads with prefix logs/ = %v, want %v", listed, want)
	}
	run(t, "paged", func(t T) {
		drv, ok := e.P.Drivers().ObjectStore.Objects.(sdk.MultipartUploader)
		if !ok {
			t.Skip("the host's driver does not upload in parts")
		}
		var seen []string
		opts := sdk.ListMultipartUploadsOptions{Bucket: b.Name, ListOptions: sdk.ListOptions{PageSize: 1}}
		for range 100 {
			page, err := drv.ListMultipartUploads(e.Ctx, opts)
			must(t, err, "list uploads")
			if len(page.Items) > 1 {
				t.Fatalf("a page of %d uploads with page size 1", len(page.Items))
			}
			seen = append(seen, ids(page.Items, func(u sdk.MultipartUpload) string { return u.ID })...)
			if page.NextPageToken == "" {
				break
			}
			opts.PageToken = page.NextPageToken
		}
		all := append(slices.Clone(want), other.ID)
		slices.Sort(all)
		slices.Sort(seen)
		if !slices.Equal(seen, all) {
			t.Errorf("paging one by one saw %v, want each of %v once", seen, all)
		}
	})
	must(t, other.Abort(e.Ctx), "abort %s", other.ID)
	if ups := pendingUploads(t, e, b.Objects, "other"); len(ups) != 0 {
		t.Errorf("aborted upload still listed")
	}
}

// ---- presigned URLs ----

// fetch makes a plain HTTP request, with no credentials, and returns the
// response with its body read.
func fetch(t T, e *Env, method, rawURL string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(e.Ctx, method, rawURL, body)
	must(t, err, "make %s request", method)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err, "%s presigned URL", method)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err, "read the response to %s", method)
	return resp, b
}

// wantRefused: the status is one an object store answers for a request it
// will not authorise (S3 403, Swift temp URLs 401).
func wantRefused(t T, resp *http.Response, body []byte, what string) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: HTTP %d %q, want 403 (or 401)", what, resp.StatusCode, body[:min(len(body), 200)])
	}
}

// testPresignedGet is test_generate_url: a plain HTTP GET of the URL reads
// the object.
func testPresignedGet(t T, e *Env) {
	b := e.NewBucket(t, "url-get")
	content := randomBytes(71, 200<<10)
	key := "shared/report 2024 ü.bin"
	putBytes(t, e, b.Objects, key, content, host.PutOptions{ContentType: "application/x-report"})
	u, err := b.Objects.PresignGet(e.Ctx, key, 10*time.Minute, host.PresignOptions{})
	must(t, err, "presign GET")
	if u.URL == "" || !u.ExpiresAt.After(time.Now()) {
		t.Fatalf("presigned GET = %+v: want a URL expiring in the future", u)
	}
	resp, got := fetch(t, e, http.MethodGet, u.URL, nil, u.Headers)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("GET = HTTP %d with %d bytes, want 200 with the %d-byte object", resp.StatusCode, len(got), len(content))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-report" {
		t.Errorf("GET answered Content-Type %q, want the object's", ct)
	}
	// A URL is reusable until it expires.
	if resp, _ := fetch(t, e, http.MethodGet, u.URL, nil, u.Headers); resp.StatusCode != http.StatusOK {
		t.Errorf("second GET = HTTP %d", resp.StatusCode)
	}
}

// testPresignedPut is test_generate_url_write_permissions: a plain HTTP PUT
// of the URL, with its headers, stores the object with the content type.
func testPresignedPut(t T, e *Env) {
	b := e.NewBucket(t, "url-put")
	u, err := b.Objects.PresignPut(e.Ctx, "uploaded/data.csv", 10*time.Minute, "text/csv")
	must(t, err, "presign PUT")
	content := []byte("id,name\n1,alpha\n2,beta\n")
	header := map[string]string{"Content-Type": "text/csv"}
	for k, v := range u.Headers {
		header[k] = v
	}
	resp, body := fetch(t, e, http.MethodPut, u.URL, bytes.NewReader(content), header)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT = HTTP %d %q", resp.StatusCode, body)
	}
	if got := readObject(t, e, b.Objects, "uploaded/data.csv"); !bytes.Equal(got, content) {
		t.Errorf("the object reads %q, want what was PUT", got)
	}
	head, err := b.Objects.Head(e.Ctx, "uploaded/data.csv")
	must(t, err, "head the uploaded object")
	if head.ContentType != "text/csv" || head.Size != int64(len(content)) {
		t.Errorf("the uploaded object has content type %q size %d", head.ContentType, head.Size)
	}
	// A large body streams through too.
	big, err := b.Objects.PresignPut(e.Ctx, "uploaded/big.bin", 10*time.Minute, "")
	must(t, err, "presign PUT")
	const bigSize = 8<<20 + 3
	req, err := http.NewRequestWithContext(e.Ctx, http.MethodPut, big.URL, randomStream(72, bigSize))
	must(t, err, "make PUT request")
	req.ContentLength = bigSize
	for k, v := range big.Headers {
		req.Header.Set(k, v)
	}
	r2, err := http.DefaultClient.Do(req)
	must(t, err, "PUT %d bytes", bigSize)
	r2.Body.Close()
	if r2.StatusCode/100 != 2 {
		t.Fatalf("PUT of %d bytes = HTTP %d", bigSize, r2.StatusCode)
	}
	head, err = b.Objects.Head(e.Ctx, "uploaded/big.bin")
	must(t, err, "head the large uploaded object")
	if head.Size != bigSize {
		t.Errorf("the large uploaded object has size %d, want %d", head.Size, bigSize)
	}
}

// testPresignedResponseHeaders is test_generate_url_with_response_headers.
func testPresignedResponseHeaders(t T, e *Env) {
	b := e.NewBucket(t, "url-headers")
	putBytes(t, e, b.Objects, "page", []byte("<p>hi</p>"), host.PutOptions{ContentType: "text/plain"})
	u, err := b.Objects.PresignGet(e.Ctx, "page", 10*time.Minute, host.PresignOptions{
		ResponseContentType: "text/html", ResponseContentDisposition: `attachment; filename="page.html"`,
	})
	must(t, err, "presign GET with response headers")
	resp, got := fetch(t, e, http.MethodGet, u.URL, nil, u.Headers)
	if resp.StatusCode != http.StatusOK || string(got) != "<p>hi</p>" {
		t.Fatalf("GET = HTTP %d %q", resp.StatusCode, got)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type %q, want the override text/html", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="page.html"` {
		t.Errorf("Content-Disposition %q, want the override", cd)
	}
}

// testPresignedPutIgnoresResponseHeaders is
// test_generate_url_writable_ignores_response_headers: response overrides
// asked of a PUT URL do not stop it working.
func testPresignedPutIgnoresResponseHeaders(t T, e *Env) {
	b := e.NewBucket(t, "url-put-headers")
	signer, ok := e.P.Drivers().ObjectStore.Objects.(sdk.URLSigner)
	if !ok {
		t.Skip("the host's driver does not presign")
	}
	u, err := signer.PresignURL(e.Ctx, sdk.PresignRequest{
		Bucket: b.Name, Key: "w", Method: http.MethodPut, ExpiresIn: 10 * time.Minute,
		ResponseContentType: "text/html", ResponseContentDisposition: "attachment",
	})
	must(t, err, "presign PUT with response overrides")
	resp, body := fetch(t, e, http.MethodPut, u.URL, strings.NewReader("written"), u.Headers)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT = HTTP %d %q", resp.StatusCode, body)
	}
	if got := readObject(t, e, b.Objects, "w"); string(got) != "written" {
		t.Errorf("the object reads %q", got)
	}
}

// testPresignedRange: a GET URL honours an HTTP Range header.
func testPresignedRange(t T, e *Env) {
	b := e.NewBucket(t, "url-range")
	content := randomBytes(81, 10000)
	putBytes(t, e, b.Objects, "r", content, host.PutOptions{})
	u, err := b.Objects.PresignGet(e.Ctx, "r", 10*time.Minute, host.PresignOptions{})
	must(t, err, "presign GET")
	header := map[string]string{"Range": "bytes=100-199"}
	for k, v := range u.Headers {
		header[k] = v
	}
	resp, got := fetch(t, e, http.MethodGet, u.URL, nil, header)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, content[100:200]) {
		t.Errorf("ranged GET = HTTP %d with %d bytes, want 206 with bytes 100-199", resp.StatusCode, len(got))
	}
}

// testPresignedExpired: a URL stops working once it has expired.
func testPresignedExpired(t T, e *Env) {
	b := e.NewBucket(t, "url-expired")
	putBytes(t, e, b.Objects, "k", []byte("v"), host.PutOptions{})
	u, err := b.Objects.PresignGet(e.Ctx, "k", time.Second, host.PresignOptions{})
	must(t, err, "presign GET for one second")
	if time.Until(u.ExpiresAt) > time.Minute {
		t.Fatalf("a URL for one second expires at %v", u.ExpiresAt)
	}
	// Wait out the expiry, with a second's margin for the clocks' resolution.
	select {
	case <-time.After(time.Until(u.ExpiresAt) + 1500*time.Millisecond):
	case <-e.Ctx.Done():
		t.Fatal(e.Ctx.Err())
	}
	resp, body := fetch(t, e, http.MethodGet, u.URL, nil, u.Headers)
	wantRefused(t, resp, body, "GET of an expired URL")
}

// testPresignedTampered: a URL used with another method, or edited to name
// another key, is refused.
func testPresignedTampered(t T, e *Env) {
	b := e.NewBucket(t, "url-tampered")
	putBytes(t, e, b.Objects, "secret-a", []byte("a"), host.PutOptions{})
	putBytes(t, e, b.Objects, "secret-b", []byte("b"), host.PutOptions{})
	u, err := b.Objects.PresignGet(e.Ctx, "secret-a", 10*time.Minute, host.PresignOptions{})
	must(t, err, "presign GET")
	run(t, "other-method", func(t T) {
		resp, body := fetch(t, e, http.MethodPut, u.URL, strings.NewReader("overwrite"), u.Headers)
		wantRefused(t, resp, body, "PUT to a GET URL")
		if got := readObject(t, e, b.Objects, "secret-a"); string(got) != "a" {
			t.Errorf("a PUT to a GET URL changed the object to %q", got)
		}
	})
	run(t, "other-key", func(t T) {
		// The key is the end of the URL's path: "secret-a" becomes "secret-b".
		path, query, _ := strings.Cut(u.URL, "?")
		if !strings.HasSuffix(path, "secret-a") {
			t.Skipf("the URL's path does not end with the key: %s", path)
		}
		edited := strings.TrimSuffix(path, "a") + "b"
		if query != "" {
			edited += "?" + query
		}
		resp, body := fetch(t, e, http.MethodGet, edited, nil, u.Headers)
		wantRefused(t, resp, body, "GET of a URL edited to name another key")
	})
}

// testPresignedMissing: a GET URL of a key that does not exist answers 404.
func testPresignedMissing(t T, e *Env) {
	b := e.NewBucket(t, "url-missing")
	u, err := b.Objects.PresignGet(e.Ctx, "no-such-key", 10*time.Minute, host.PresignOptions{})
	must(t, err, "presign GET of a missing key")
	resp, body := fetch(t, e, http.MethodGet, u.URL, nil, u.Headers)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET of a missing object = HTTP %d %q, want 404", resp.StatusCode, body[:min(len(body), 200)])
	}
}
