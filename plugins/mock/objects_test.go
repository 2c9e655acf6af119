package mock

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// newStore returns a configured mock plugin and its cloud, closed when the
// test ends, with a bucket called "bkt".
func newStore(t *testing.T, settings map[string]string) (sdk.Plugin, *Cloud) {
	t.Helper()
	c := New()
	t.Cleanup(func() { c.Close() })
	p := configure(t, c, settings)
	if _, err := p.ObjectStore.Buckets.Create(t.Context(), sdk.BucketSpec{Name: "bkt"}); err != nil {
		t.Fatal(err)
	}
	return p, c
}

func put(t *testing.T, p sdk.Plugin, key, body string) sdk.ObjectInfo {
	t.Helper()
	info, err := p.ObjectStore.Objects.Put(t.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: key, Size: int64(len(body))}, strings.NewReader(body))
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

func get(t *testing.T, p sdk.Plugin, key string, off, n int64) (sdk.ObjectInfo, string, error) {
	t.Helper()
	info, rc, err := p.ObjectStore.Objects.Get(t.Context(), sdk.GetObjectRequest{Bucket: "bkt", Key: key, Offset: off, Length: n})
	if err != nil {
		return info, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return info, string(b), err
}

// dataFiles lists the files under the cloud's data directory, relative to it.
func dataFiles(t *testing.T, c *Cloud, sub string) []string {
	t.Helper()
	dirs, err := c.dirs(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dirs.root, sub))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBuckets(t *testing.T) {
	p, c := newStore(t, nil)
	ctx, b := t.Context(), p.ObjectStore.Buckets

	got, err := b.Get(ctx, "bkt")
	if err != nil || got.ID != "bkt" || got.Name != "bkt" || got.Location != DefaultRegion || got.CreateTime.IsZero() {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	_, err = b.Create(ctx, sdk.BucketSpec{Name: "bkt"})
	wantErr(t, err, sdk.CodeAlreadyExists, "name")
	_, err = b.Create(ctx, sdk.BucketSpec{Name: "Bad_Name"})
	wantErr(t, err, sdk.CodeInvalidArgument, "bucket")
	_, err = b.Create(ctx, sdk.BucketSpec{Name: "elsewhere", Location: "mars-1"})
	wantErr(t, err, sdk.CodeInvalidArgument, "location")
	_, err = b.Get(ctx, "no-such-bucket")
	wantErr(t, err, sdk.CodeNotFound, "name")

	// A retried create answers the first; the same token with another spec is refused.
	first, err := b.Create(ctx, sdk.BucketSpec{Name: "west", Location: "mock-west-1", IdempotencyToken: "tok"})
	if err != nil || first.Location != "mock-west-1" {
		t.Fatalf("create west = %+v, %v", first, err)
	}
	again, err := b.Create(ctx, sdk.BucketSpec{Name: "west", Location: "mock-west-1", IdempotencyToken: "tok"})
	if err != nil || again.CreateTime != first.CreateTime {
		t.Fatalf("retried create = %+v, %v; want the first %+v", again, err, first)
	}
	_, err = b.Create(ctx, sdk.BucketSpec{Name: "other", IdempotencyToken: "tok"})
	wantErr(t, err, sdk.CodeInvalidArgument, "idempotency_token")

	for _, name := range []string{"b-1", "b-2", "b-3"} {
		if _, err := b.Create(ctx, sdk.BucketSpec{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for opts := (sdk.ListOptions{PageSize: 2}); ; {
		page, err := b.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Items {
			names = append(names, x.Name)
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if want := []string{"b-1", "b-2", "b-3", "bkt", "west"}; !slices.Equal(names, want) {
		t.Fatalf("paged bucket names = %v, want %v", names, want)
	}

	// A bucket with an object is not deleted without delete_contents, and
	// loses the object, its pending uploads and their files with it.
	put(t, p, "a", "x")
	up, err := p.ObjectStore.Objects.(sdk.MultipartUploader).CreateMultipartUpload(ctx, sdk.CreateMultipartUploadRequest{Bucket: "bkt", Key: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ObjectStore.Objects.(sdk.MultipartUploader).UploadPart(ctx, sdk.UploadPartRequest{Bucket: "bkt", Key: "m", UploadID: up.ID, PartNumber: 1, Size: 1}, strings.NewReader("p")); err != nil {
		t.Fatal(err)
	}
	err = b.Delete(ctx, "bkt", false)
	wantErr(t, err, sdk.CodeFailedPrecondition, "name")
	if _, err := b.Get(ctx, "bkt"); err != nil {
		t.Fatalf("refused delete removed the bucket: %v", err)
	}
	if err := b.Delete(ctx, "bkt", true); err != nil {
		t.Fatal(err)
	}
	if files := append(dataFiles(t, c, "objects"), dataFiles(t, c, "parts")...); len(files) != 0 {
		t.Errorf("files left after deleting the bucket with its contents: %v", files)
	}
	if len(c.mem.Objects) != 0 || len(c.mem.Uploads) != 0 {
		t.Errorf("state keeps %d objects, %d uploads of the deleted bucket", len(c.mem.Objects), len(c.mem.Uploads))
	}
	wantErr(t, b.Delete(ctx, "bkt", true), sdk.CodeNotFound, "name")
	// An empty bucket needs no delete_contents.
	if err := b.Delete(ctx, "b-1", false); err != nil {
		t.Fatal(err)
	}
}

func TestObjectRoundTripAndRanges(t *testing.T) {
	p, _ := newStore(t, nil)
	const body = "0123456789"
	info, err := p.ObjectStore.Objects.Put(t.Context(), sdk.PutObjectRequest{
		Bucket: "bkt", Key: "dir/file.txt", ContentType: "text/plain", Metadata: map[string]string{"color": "blue"}, Size: -1,
	}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	md5sum, shasum := md5.Sum([]byte(body)), sha256.Sum256([]byte(body))
	if info.Size != 10 || info.ETag != hex.EncodeToString(md5sum[:]) || info.SHA256 != hex.EncodeToString(shasum[:]) ||
		info.ContentType != "text/plain" || info.Metadata["color"] != "blue" || info.LastModified.IsZero() {
		t.Fatalf("put info = %+v", info)
	}
	head, err := p.ObjectStore.Objects.Head(t.Context(), "bkt", "dir/file.txt")
	if err != nil || head.ETag != info.ETag || head.Size != 10 || !head.LastModified.Equal(info.LastModified) {
		t.Fatalf("head = %+v, %v", head, err)
	}
	for _, tc := range []struct {
		name      string
		off, n    int64
		want      string
		wantParam string
	}{
		{"whole", 0, -1, body, ""},
		{"start", 0, 3, "012", ""},
		{"middle", 4, 3, "456", ""},
		{"end", 7, -1, "789", ""},
		{"past the end is cut", 8, 100, "89", ""},
		{"zero length", 5, 0, "", ""},
		{"offset at the size", 10, -1, "", ""},
		{"offset past the size", 11, -1, "", "offset"},
		{"negative offset", -1, 1, "", "offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ginfo, got, err := get(t, p, "dir/file.txt", tc.off, tc.n)
			if tc.wantParam != "" {
				wantErr(t, err, sdk.CodeInvalidArgument, tc.wantParam)
				return
			}
			if err != nil || got != tc.want || ginfo.Size != 10 {
				t.Fatalf("get [%d,+%d) = %q (size %d), %v; want %q", tc.off, tc.n, got, ginfo.Size, err, tc.want)
			}
		})
	}

	_, _, err = get(t, p, "missing", 0, -1)
	wantErr(t, err, sdk.CodeNotFound, "key")
	_, err = p.ObjectStore.Objects.Head(t.Context(), "no-bucket", "k")
	wantErr(t, err, sdk.CodeNotFound, "bucket")
	_, err = p.ObjectStore.Objects.Put(t.Context(), sdk.PutObjectRequest{Bucket: "no-bucket", Key: "k", Size: -1}, strings.NewReader(""))
	wantErr(t, err, sdk.CodeNotFound, "bucket")

	if err := p.ObjectStore.Objects.Delete(t.Context(), "bkt", "dir/file.txt"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.ObjectStore.Objects.Delete(t.Context(), "bkt", "dir/file.txt"), sdk.CodeNotFound, "key")
}

// failingReader yields n bytes and then fails with err.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestFailedPutKeepsPreviousVersion(t *testing.T) {
	p, c := newStore(t, nil)
	prev := put(t, p, "k", "old content")
	objs := p.ObjectStore.Objects

	canceled, cancel := context.WithCancel(t.Context())
	cancelling := io.MultiReader(strings.NewReader("new"), readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, canceled.Err()
	}))
	sum := sha256.Sum256([]byte("other"))
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		req   sdk.PutObjectRequest
		body  io.Reader
		code  sdk.Code
		param string
	}{
		{"body fails", t.Context(), sdk.PutObjectRequest{Size: -1}, &failingReader{n: 300 << 10, err: errors.New("disk on fire")}, sdk.CodeInternal, ""},
		{"body fails with a code", t.Context(), sdk.PutObjectRequest{Size: -1}, &failingReader{n: 10, err: sdk.Errorf(sdk.CodeUnavailable, "gone")}, sdk.CodeUnavailable, ""},
		{"context canceled mid-body", canceled, sdk.PutObjectRequest{Size: -1}, cancelling, sdk.CodeCanceled, ""},
		{"shorter than its size", t.Context(), sdk.PutObjectRequest{Size: 100}, strings.NewReader("short"), sdk.CodeInvalidArgument, "size"},
		{"longer than its size", t.Context(), sdk.PutObjectRequest{Size: 2}, strings.NewReader("too long"), sdk.CodeInvalidArgument, "size"},
		{"wrong sha256", t.Context(), sdk.PutObjectRequest{Size: -1, SHA256: hex.EncodeToString(sum[:])}, strings.NewReader("mine"), sdk.CodeInvalidArgument, "sha256"},
		{"malformed sha256", t.Context(), sdk.PutObjectRequest{Size: -1, SHA256: "abc"}, strings.NewReader("mine"), sdk.CodeInvalidArgument, "sha256"},
		{"bad metadata key", t.Context(), sdk.PutObjectRequest{Size: -1, Metadata: map[string]string{"a b": "c"}}, strings.NewReader("mine"), sdk.CodeInvalidArgument, "metadata"},
		{"metadata too large", t.Context(), sdk.PutObjectRequest{Size: -1, Metadata: map[string]string{"big": strings.Repeat("v", 3000)}}, strings.NewReader("mine"), sdk.CodeInvalidArgument, "metadata"},
		{"bad content type", t.Context(), sdk.PutObjectRequest{Size: -1, ContentType: "text/\x01"}, strings.NewReader("mine"), sdk.CodeInvalidArgument, "content_type"},
		{"key too long", t.Context(), sdk.PutObjectRequest{Size: -1, Key: strings.Repeat("k", 1025)}, strings.NewReader("mine"), sdk.CodeInvalidArgument, "key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Bucket = "bkt"
			if req.Key == "" {
				req.Key = "k"
			}
			_, err := objs.Put(tc.ctx, req, tc.body)
			wantErr(t, err, tc.code, tc.param)
			info, got, err := get(t, p, "k", 0, -1)
			if err != nil || got != "old content" || info.ETag != prev.ETag {
				t.Fatalf("after the failed put: %q (etag %s), %v; want the previous version", got, info.ETag, err)
			}
			if tmp := dataFiles(t, c, "tmp"); len(tmp) != 0 {
				t.Fatalf("temporary files left behind: %v", tmp)
			}
		})
	}
	// The right digest is accepted.
	good := sha256.Sum256([]byte("mine"))
	if _, err := objs.Put(t.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: "k", Size: 4, SHA256: strings.ToUpper(hex.EncodeToString(good[:]))}, strings.NewReader("mine")); err != nil {
		t.Fatal(err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestKeysNeverNamePaths: whatever the key, the object's file is a digest in
// the objects directory, and nothing is written elsewhere.
func TestKeysNeverNamePaths(t *testing.T) {
	p, c := newStore(t, nil)
	keys := []string{"../../escape", "../x", "/abs/path", "a b c", "ünï/cødé ☃", "./.", "..", strings.Repeat("é", 512)}
	for i, k := range keys {
		put(t, p, k, fmt.Sprint(i))
	}
	for i, k := range keys {
		if _, got, err := get(t, p, k, 0, -1); err != nil || got != fmt.Sprint(i) {
			t.Errorf("get %q = %q, %v", k, got, err)
		}
	}
	files := dataFiles(t, c, "objects")
	if len(files) != len(keys) {
		t.Fatalf("objects directory holds %v, want %d files", files, len(keys))
	}
	for _, f := range files {
		if len(f) != 64 || strings.Trim(f, "0123456789abcdef") != "" {
			t.Errorf("object file %q is not a hex digest", f)
		}
	}
	objDir := filepath.Join(c.data.temp, "objects")
	for _, k := range []string{"../../escape", "../x", "/abs/path"} {
		if _, err := os.Stat(filepath.Join(objDir, k)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("key %q named a path: stat %s: %v", k, filepath.Join(objDir, k), err)
		}
	}
}

func TestListPrefixDelimiterPaging(t *testing.T) {
	p, _ := newStore(t, nil)
	keys := []string{"a", "b/1", "b/2", "b/c/3", "c", "d/1", "d/2", "e", "f/x/1", "f/y", "g"}
	for _, k := range keys {
		put(t, p, k, k)
	}
	list := func(prefix, delim string, size int) (objs, prefixes []string) {
		t.Helper()
		opts := sdk.ListObjectsOptions{Bucket: "bkt", Prefix: prefix, Delimiter: delim, ListOptions: sdk.ListOptions{PageSize: size}}
		for range 100 {
			page, err := p.ObjectStore.Objects.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(page.Objects) + len(page.CommonPrefixes); n > size {
				t.Fatalf("page of %d entries with page size %d", n, size)
			}
			for _, o := range page.Objects {
				objs = append(objs, o.Key)
			}
			prefixes = append(prefixes, page.CommonPrefixes...)
			if page.NextPageToken == "" {
				return objs, prefixes
			}
			opts.PageToken = page.NextPageToken
		}
		t.Fatal("listing did not end")
		return nil, nil
	}
	for _, tc := range []struct {
		prefix, delim string
		objs, pfx     []string
	}{
		{"", "", keys, nil},
		{"", "/", []string{"a", "c", "e", "g"}, []string{"b/", "d/", "f/"}},
		{"b/", "/", []string{"b/1", "b/2"}, []string{"b/c/"}},
		{"f/", "/", []string{"f/y"}, []string{"f/x/"}},
		{"b", "", []string{"b/1", "b/2", "b/c/3"}, nil},
		{"zzz", "/", nil, nil},
		{"", "1", []string{"a", "b/2", "b/c/3", "c", "d/2", "e", "f/y", "g"}, []string{"b/1", "d/1", "f/x/1"}},
	} {
		for _, size := range []int{1, 2, 3, 1000} {
			objs, pfx := list(tc.prefix, tc.delim, size)
			if !slices.Equal(objs, tc.objs) || !slices.Equal(pfx, tc.pfx) {
				t.Errorf("list(prefix %q, delimiter %q, page size %d) = %v %v, want %v %v", tc.prefix, tc.delim, size, objs, pfx, tc.objs, tc.pfx)
			}
		}
	}
	_, err := p.ObjectStore.Objects.List(t.Context(), sdk.ListObjectsOptions{Bucket: "bkt", ListOptions: sdk.ListOptions{PageToken: "bogus"}})
	wantErr(t, err, sdk.CodeInvalidArgument, "page_token")
	_, err = p.ObjectStore.Objects.List(t.Context(), sdk.ListObjectsOptions{Bucket: "nope"})
	wantErr(t, err, sdk.CodeNotFound, "bucket")
}

// TestStateFileKeepsInfoNotBytes: with a state file, object bytes go to
// <state_file>.data and the state holds only their info; another cloud on the
// same file reads the object.
func TestStateFileKeepsInfoNotBytes(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "state.json")
	p, _ := newStore(t, map[string]string{"state_file": stateFile})
	secret := "object-bytes-" + strings.Repeat("z", 100)
	put(t, p, "k", secret)
	b, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secret)) {
		t.Fatal("the state file holds object bytes")
	}
	if entries, err := os.ReadDir(filepath.Join(stateFile+".data", "objects")); err != nil || len(entries) != 1 {
		t.Fatalf("data directory objects = %v, %v", entries, err)
	}
	other := configure(t, New(), map[string]string{"state_file": stateFile})
	_, rc, err := other.ObjectStore.Objects.Get(t.Context(), sdk.GetObjectRequest{Bucket: "bkt", Key: "k", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != secret {
		t.Fatalf("other cloud read %q", got)
	}
}

func TestCloseRemovesTemporaryData(t *testing.T) {
	p, c := newStore(t, nil)
	put(t, p, "k", "v")
	dir := c.data.temp
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary data directory %s still there after Close: %v", dir, err)
	}
	_, err := p.ObjectStore.Objects.Head(t.Context(), "bkt", "k")
	wantErr(t, err, sdk.CodeNotFound, "key")
	// The cloud stays usable.
	put(t, p, "k2", "v2")

	kept := t.TempDir()
	p2, c2 := newStore(t, map[string]string{"data_dir": kept})
	put(t, p2, "k", "v")
	c2.Close()
	if entries, err := os.ReadDir(filepath.Join(kept, "objects")); err != nil || len(entries) != 1 {
		t.Fatalf("a configured data_dir must survive Close: %v, %v", entries, err)
	}
}

// TestStreamingMemoryIsBounded puts and gets a 64 MiB object and checks that
// the heap allocated along the way is a small fraction of it.
func TestStreamingMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 128 MiB")
	}
	p, _ := newStore(t, nil)
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	src := rand.NewChaCha8([32]byte{1})
	info, err := p.ObjectStore.Objects.Put(t.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: "big", Size: size}, io.LimitReader(src, size))
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := p.ObjectStore.Objects.Get(t.Context(), sdk.GetObjectRequest{Bucket: "bkt", Key: "big", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, rc, make([]byte, 64<<10))
	rc.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != info.SHA256 {
		t.Fatalf("read back %d bytes, %v; digest mismatch: %x vs %s", n, err, h.Sum(nil), info.SHA256)
	}
	t.Logf("heap allocated: %d KiB", (after.TotalAlloc-before.TotalAlloc)>>10)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("moving 128 MiB allocated %d MiB of heap; object bytes must be streamed", alloc>>20)
	}
}

func TestConcurrentObjects(t *testing.T) {
	p, _ := newStore(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, body := fmt.Sprintf("k-%d", i), strings.Repeat(fmt.Sprint(i), 1000+i)
			for range 5 {
				if _, err := p.ObjectStore.Objects.Put(t.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: key, Size: -1}, strings.NewReader(body)); err != nil {
					errs <- err
					return
				}
				_, rc, err := p.ObjectStore.Objects.Get(t.Context(), sdk.GetObjectRequest{Bucket: "bkt", Key: key, Length: -1})
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || string(b) != body {
					errs <- fmt.Errorf("key %s read %d bytes, %v", key, len(b), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDataDirSetting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"a file":         file,
		"missing parent": filepath.Join(dir, "no", "data"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New().Plugin("test").Configure(t.Context(), sdk.Config{Settings: map[string]string{"data_dir": v}})
			wantErr(t, err, sdk.CodeInvalidArgument, "data_dir")
		})
	}
	// A data_dir wins over the state file's default, and is made if missing.
	data := filepath.Join(dir, "data")
	p, _ := newStore(t, map[string]string{"data_dir": data, "state_file": filepath.Join(dir, "state.json")})
	put(t, p, "k", "v")
	if entries, err := os.ReadDir(filepath.Join(data, "objects")); err != nil || len(entries) != 1 {
		t.Fatalf("objects in data_dir: %v, %v", entries, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json.data")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the state file's default data directory was used: %v", err)
	}
}
