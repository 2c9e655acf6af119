package host

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

const mib = 1 << 20

// fakeStore is an in-memory object store with multipart uploads, for the
// transfer manager's tests (the original's test_multipart_driver and
// test_download_driver fakes): it records what it was asked, counts calls in
// flight, and fails or pauses where a test says.
type fakeStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	etags   map[string]string
	types   map[string]string
	parts   map[int][]byte

	puts, creates, completes, aborts int
	putTries, failPuts               int
	uploadType                       string
	partUploads                      map[int]int
	completedOrder                   []int
	ranges                           [][2]int64 // (offset, length) of ranged reads served
	wholeGets                        int
	active, maxActive                int

	// hold is how long a part upload or range read stays in flight, so that
	// concurrent ones overlap.
	hold time.Duration
	// failPart fails the upload of that part number; failPartOnce only its
	// first try, with a retryable error.
	failPart     int
	failPartOnce bool
	// failOffset fails the range read at that offset (non-retryable), or
	// halfway through its stream with a retryable error when failMidStream.
	failOffset    int64
	failMidStream bool
	// onServe runs as each part or range is served; blockParts makes part
	// uploads wait for their context to end.
	onServe    func(offset int64)
	blockParts bool
}

func newFakeStore() *fakeStore {
	return &fakeStore{objects: map[string][]byte{}, etags: map[string]string{}, types: map[string]string{},
		partUploads: map[int]int{}, failOffset: -1}
}

func (f *fakeStore) enter() {
	f.mu.Lock()
	f.active++
	f.maxActive = max(f.maxActive, f.active)
	f.mu.Unlock()
}

func (f *fakeStore) leave() {
	f.mu.Lock()
	f.active--
	f.mu.Unlock()
}

func (f *fakeStore) store(key string, data []byte, contentType string) sdk.ObjectInfo {
	sum := md5.Sum(data)
	f.objects[key], f.etags[key], f.types[key] = data, hex.EncodeToString(sum[:]), contentType
	return f.info(key)
}

func (f *fakeStore) info(key string) sdk.ObjectInfo {
	return sdk.ObjectInfo{Bucket: "bucket-1", Key: key, Size: int64(len(f.objects[key])), ETag: f.etags[key], ContentType: f.types[key]}
}

func (f *fakeStore) List(context.Context, sdk.ListObjectsOptions) (sdk.ObjectPage, error) {
	return sdk.ObjectPage{}, nil
}

func (f *fakeStore) Delete(context.Context, string, string) error { return nil }

func (f *fakeStore) Head(_ context.Context, _, key string) (sdk.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.objects[key]; !ok {
		return sdk.ObjectInfo{}, sdk.NotFound("object", key)
	}
	return f.info(key), nil
}

func (f *fakeStore) Get(ctx context.Context, req sdk.GetObjectRequest) (sdk.ObjectInfo, io.ReadCloser, error) {
	f.enter()
	defer f.leave()
	if f.onServe != nil {
		f.onServe(req.Offset)
	}
	time.Sleep(f.hold)
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.objects[req.Key]
	if !ok {
		return sdk.ObjectInfo{}, nil, sdk.NotFound("object", req.Key)
	}
	if req.Offset == 0 && req.Length < 0 {
		f.wholeGets++
	} else {
		f.ranges = append(f.ranges, [2]int64{req.Offset, req.Length})
	}
	if req.Offset == f.failOffset && !f.failMidStream {
		return sdk.ObjectInfo{}, nil, sdk.Errorf(sdk.CodeInternal, "boom at offset %d", req.Offset)
	}
	end := int64(len(data))
	if req.Length >= 0 {
		end = min(end, req.Offset+req.Length)
	}
	part := data[req.Offset:end]
	var body io.Reader = bytes.NewReader(part)
	if req.Offset == f.failOffset && f.failMidStream {
		f.failOffset = -1 // once
		body = io.MultiReader(bytes.NewReader(part[:len(part)/2]), errReader{sdk.Errorf(sdk.CodeUnavailable, "stream broke")})
	}
	return f.info(req.Key), io.NopCloser(body), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func (f *fakeStore) Put(_ context.Context, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	f.mu.Lock()
	f.putTries++
	fail := f.putTries <= f.failPuts
	f.mu.Unlock()
	if fail {
		return sdk.ObjectInfo{}, sdk.Errorf(sdk.CodeUnavailable, "connection reset")
	}
	if req.Size >= 0 && int64(len(data)) != req.Size {
		return sdk.ObjectInfo{}, sdk.InvalidArgument("size", req.Size, fmt.Sprintf("the body has %d bytes", len(data)))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	return f.store(req.Key, data, req.ContentType), nil
}

func (f *fakeStore) CreateMultipartUpload(_ context.Context, req sdk.CreateMultipartUploadRequest) (sdk.MultipartUpload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	f.parts, f.uploadType = map[int][]byte{}, req.ContentType
	return sdk.MultipartUpload{ID: "upl", Bucket: req.Bucket, Key: req.Key}, nil
}

func (f *fakeStore) UploadPart(ctx context.Context, req sdk.UploadPartRequest, body io.Reader) (sdk.UploadedPart, error) {
	f.enter()
	defer f.leave()
	if f.onServe != nil {
		f.onServe(int64(req.PartNumber))
	}
	if f.blockParts {
		<-ctx.Done()
		return sdk.UploadedPart{}, sdk.Errorf(sdk.CodeCanceled, "canceled")
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	time.Sleep(f.hold)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.partUploads[req.PartNumber]++
	if req.PartNumber == f.failPart {
		if !f.failPartOnce {
			return sdk.UploadedPart{}, sdk.Errorf(sdk.CodeInternal, "boom on part %d", req.PartNumber)
		}
		if f.partUploads[req.PartNumber] == 1 {
			return sdk.UploadedPart{}, sdk.Errorf(sdk.CodeUnavailable, "connection reset on part %d", req.PartNumber)
		}
	}
	if int64(len(data)) != req.Size {
		return sdk.UploadedPart{}, sdk.InvalidArgument("size", req.Size, "does not match the body")
	}
	f.parts[req.PartNumber] = data
	return sdk.UploadedPart{PartNumber: req.PartNumber, ETag: fmt.Sprintf("etag-%d", req.PartNumber), Size: int64(len(data))}, nil
}

func (f *fakeStore) CompleteMultipartUpload(_ context.Context, req sdk.CompleteMultipartUploadRequest) (sdk.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completes++
	var whole []byte
	f.completedOrder = nil
	for i, p := range req.Parts {
		if i < len(req.Parts)-1 && p.Size < sdk.MinPartSize {
			return sdk.ObjectInfo{}, sdk.InvalidArgument("parts", p.PartNumber, "part too small")
		}
		f.completedOrder = append(f.completedOrder, p.PartNumber)
		whole = append(whole, f.parts[p.PartNumber]...)
	}
	return f.store(req.Key, whole, f.uploadType), nil
}

func (f *fakeStore) AbortMultipartUpload(ctx context.Context, _, _, _ string) error {
	if err := ctx.Err(); err != nil { // as over gRPC: an ended context does nothing
		return sdk.Errorf(sdk.CodeCanceled, "abort: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aborts++
	f.parts = nil
	return nil
}

func (f *fakeStore) ListMultipartUploads(context.Context, sdk.ListMultipartUploadsOptions) (sdk.Page[sdk.MultipartUpload], error) {
	return sdk.Page[sdk.MultipartUpload]{}, nil
}

// objectsOnly hides the fake's multipart methods: a plugin without
// objectstore.multipart.
type objectsOnly struct{ sdk.Objects }

// transferOver returns the objects of bucket-1 over drv, with fast retries.
func transferOver(drv sdk.Objects) *ObjectService {
	objs := objectsOver(drv)
	objs.p.RetryPolicy = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	return objs
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(n)})
	r.Read(b)
	return b
}

// onlyReader hides Len and Seek: a stream of unknown size.
type onlyReader struct{ io.Reader }

// dripReader returns at most max bytes per Read, as a socket does.
type dripReader struct {
	r   io.Reader
	max int
}

func (d dripReader) Read(p []byte) (int, error) { return d.r.Read(p[:min(len(p), d.max)]) }

func wantCode(t *testing.T, err error, code sdk.Code) {
	t.Helper()
	if sdk.CodeOf(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

// ---- uploads (test_multipart_driver) ----

func TestUploadReassemblesPartsInOrder(t *testing.T) {
	content := randomBytes(7*5*mib + 3) // 8 parts, the last 3 bytes
	for name, body := range map[string]func() io.Reader{
		"known size":   func() io.Reader { return bytes.NewReader(content) },
		"unknown size": func() io.Reader { return onlyReader{bytes.NewReader(content)} },
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeStore()
			info, err := transferOver(fake).Upload(t.Context(), "obj", body(), UploadOptions{
				Transfer: TransferConfig{Threshold: 1, PartSize: 5 * mib, Concurrency: 3}})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fake.objects["obj"], content) || info.Size != int64(len(content)) {
				t.Fatalf("stored %d bytes (info %d), not the %d uploaded", len(fake.objects["obj"]), info.Size, len(content))
			}
			if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(fake.completedOrder, want) {
				t.Fatalf("Complete got parts %v, want %v", fake.completedOrder, want)
			}
			if !bytes.Equal(fake.parts[8], content[7*5*mib:]) {
				t.Fatalf("part 8 has %d bytes, want the 3-byte remainder", len(fake.parts[8]))
			}
			if fake.puts != 0 || fake.aborts != 0 {
				t.Fatalf("puts=%d aborts=%d, want a multipart upload only", fake.puts, fake.aborts)
			}
		})
	}
}

func TestUploadCoalescesShortReadsIntoFullParts(t *testing.T) {
	fake := newFakeStore()
	content := randomBytes(12 * mib) // parts of 5, 5 and 2 MiB
	_, err := transferOver(fake).Upload(t.Context(), "obj", dripReader{bytes.NewReader(content), 1000}, UploadOptions{
		Transfer: TransferConfig{Threshold: 1, PartSize: 5 * mib, Concurrency: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fake.objects["obj"], content) {
		t.Fatal("stored bytes differ from the uploaded ones")
	}
	for n, want := range map[int]int{1: 5 * mib, 2: 5 * mib, 3: 2 * mib} {
		if len(fake.parts[n]) != want {
			t.Fatalf("part %d has %d bytes, want %d", n, len(fake.parts[n]), want)
		}
	}
}

func TestUploadSendsPartsConcurrentlyWithinTheLimit(t *testing.T) {
	content := randomBytes(12 * 5 * mib)
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", concurrency), func(t *testing.T) {
			fake := newFakeStore()
			fake.hold = 20 * time.Millisecond
			_, err := transferOver(fake).Upload(t.Context(), "obj", bytes.NewReader(content), UploadOptions{
				Transfer: TransferConfig{Threshold: 1, PartSize: 5 * mib, Concurrency: concurrency}})
			if err != nil {
				t.Fatal(err)
			}
			if fake.maxActive > concurrency || concurrency > 1 && fake.maxActive < 2 {
				t.Fatalf("%d parts in flight at most, want 2..%d", fake.maxActive, concurrency)
			}
		})
	}
}

func TestUploadAbortsOnFailure(t *testing.T) {
	content := randomBytes(4*5*mib + 1)
	for name, tc := range map[string]struct {
		setup func(*fakeStore, context.CancelFunc)
		body  io.Reader
		size  int64
		code  sdk.Code
	}{
		"a part fails": {setup: func(f *fakeStore, _ context.CancelFunc) { f.failPart = 2 }, code: sdk.CodeInternal},
		"the caller cancels": {setup: func(f *fakeStore, cancel context.CancelFunc) {
			f.blockParts = true
			f.onServe = func(int64) { cancel() }
		}, code: sdk.CodeCanceled},
		"the body fails":                    {body: io.MultiReader(bytes.NewReader(content[:7*mib]), errReader{errors.New("disk gone")}), code: sdk.CodeInternal},
		"the body is shorter than its size": {body: onlyReader{bytes.NewReader(content[:7*mib])}, size: int64(len(content)), code: sdk.CodeInvalidArgument},
		"the body is longer than its size":  {body: onlyReader{bytes.NewReader(content)}, size: 11 * mib, code: sdk.CodeInvalidArgument},
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeStore()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.setup != nil {
				tc.setup(fake, cancel)
			}
			body := tc.body
			if body == nil {
				body = bytes.NewReader(content)
			}
			_, err := transferOver(fake).Upload(ctx, "obj", body, UploadOptions{Size: tc.size,
				Transfer: TransferConfig{Threshold: 1, PartSize: 5 * mib, Concurrency: 3}})
			wantCode(t, err, tc.code)
			if fake.creates != 1 || fake.aborts != 1 || fake.completes != 0 {
				t.Fatalf("creates=%d aborts=%d completes=%d, want the upload made and aborted", fake.creates, fake.aborts, fake.completes)
			}
			if _, ok := fake.objects["obj"]; ok {
				t.Fatal("an object was stored")
			}
		})
	}
}

func TestUploadSendsAFailedPartAgain(t *testing.T) {
	fake := newFakeStore()
	fake.failPart, fake.failPartOnce = 2, true
	content := randomBytes(3*5*mib + 7)
	var last Progress
	_, err := transferOver(fake).Upload(t.Context(), "obj", bytes.NewReader(content), UploadOptions{
		Transfer: TransferConfig{Threshold: 1, PartSize: 5 * mib, Concurrency: 2},
		Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if fake.partUploads[2] != 2 || !bytes.Equal(fake.objects["obj"], content) {
		t.Fatalf("part 2 sent %d times; object intact: %v", fake.partUploads[2], bytes.Equal(fake.objects["obj"], content))
	}
	if last != (Progress{Done: int64(len(content)), Total: int64(len(content))}) {
		t.Fatalf("last progress %+v, want all %d bytes (the failed try taken back)", last, len(content))
	}
}

// A single Put that fails with a retryable error is sent again when its body
// can be rewound; a stream's bytes are spent.
func TestUploadRetriesAPutOnlyWhenItCanRewind(t *testing.T) {
	for name, tc := range map[string]struct {
		body  io.Reader
		tries int
		ok    bool
	}{
		"a bytes reader":                   {body: strings.NewReader("hello"), tries: 2, ok: true},
		"a stream, read into memory first": {body: onlyReader{strings.NewReader("hello")}, tries: 2, ok: true},
		"a stream without multipart":       {body: onlyReader{strings.NewReader("hello")}, tries: 1},
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeStore()
			fake.failPuts = 1
			var drv sdk.Objects = fake
			if strings.Contains(name, "without multipart") {
				drv = objectsOnly{fake}
			}
			var last Progress
			_, err := transferOver(drv).Upload(t.Context(), "obj", tc.body, UploadOptions{Progress: func(p Progress) { last = p }})
			if (err == nil) != tc.ok || fake.putTries != tc.tries {
				t.Fatalf("err = %v after %d tries; want success %v after %d", err, fake.putTries, tc.ok, tc.tries)
			}
			if tc.ok && (string(fake.objects["obj"]) != "hello" || last != (Progress{5, 5})) {
				t.Fatalf("stored %q, last progress %+v", fake.objects["obj"], last)
			}
		})
	}
}

func TestUploadRefusesPartsBelowTheMinimum(t *testing.T) {
	fake := newFakeStore()
	_, err := transferOver(fake).Upload(t.Context(), "obj", strings.NewReader("abc"), UploadOptions{
		Transfer: TransferConfig{PartSize: sdk.MinPartSize - 1}})
	wantParam(t, err, "part_size")
	if fake.creates+fake.puts != 0 {
		t.Fatal("something was uploaded before the part size was refused")
	}
}

func TestUploadChoosesSingleShotOrParts(t *testing.T) {
	big := randomBytes(11 * mib)
	for name, tc := range map[string]struct {
		body      io.Reader
		drv       func(*fakeStore) sdk.Objects
		cfg       TransferConfig
		multipart bool
	}{
		"known size at the threshold":              {body: bytes.NewReader(big), cfg: TransferConfig{Threshold: 11 * mib}},
		"known size above the threshold":           {body: bytes.NewReader(big), cfg: TransferConfig{Threshold: 11*mib - 1}, multipart: true},
		"unknown size, short first part":           {body: onlyReader{bytes.NewReader(big[:4*mib])}, cfg: TransferConfig{Threshold: 5 * mib, PartSize: 5 * mib}},
		"unknown size, full first part":            {body: onlyReader{bytes.NewReader(big)}, cfg: TransferConfig{Threshold: 100 * mib, PartSize: 5 * mib}, multipart: true},
		"unknown size, one part above a threshold": {body: onlyReader{bytes.NewReader(big)}, cfg: TransferConfig{Threshold: 10 * mib, PartSize: 20 * mib}, multipart: true},
		"empty body": {body: onlyReader{strings.NewReader("")}, cfg: TransferConfig{Threshold: 1}},
		"no multipart capability": {body: bytes.NewReader(big), cfg: TransferConfig{Threshold: 1},
			drv: func(f *fakeStore) sdk.Objects { return objectsOnly{f} }},
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeStore()
			var drv sdk.Objects = fake
			if tc.drv != nil {
				drv = tc.drv(fake)
			}
			info, err := transferOver(drv).Upload(t.Context(), "obj", tc.body, UploadOptions{Transfer: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			if tc.multipart != (fake.creates == 1) || tc.multipart == (fake.puts == 1) {
				t.Fatalf("puts=%d multipart uploads=%d, want multipart %v", fake.puts, fake.creates, tc.multipart)
			}
			if info.Size != int64(len(fake.objects["obj"])) {
				t.Fatalf("info says %d bytes, %d stored", info.Size, len(fake.objects["obj"]))
			}
		})
	}
}

func TestUploadFileGuessesTheContentTypeAndReportsProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	content := randomBytes(6 * mib)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	fake := newFakeStore()
	var seen []Progress
	_, err := transferOver(fake).UploadFile(t.Context(), "notes.txt", path, UploadOptions{
		Transfer: TransferConfig{Threshold: 1, PartSize: 5 * mib},
		Progress: func(p Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fake.objects["notes.txt"], content) || fake.creates != 1 {
		t.Fatal("the file was not uploaded in parts intact")
	}
	if got := fake.types["notes.txt"]; got != "text/plain; charset=utf-8" {
		t.Fatalf("content type %q, want text/plain guessed from .txt", got)
	}
	if seen[0] != (Progress{0, int64(len(content))}) || seen[len(seen)-1] != (Progress{int64(len(content)), int64(len(content))}) {
		t.Fatalf("progress went from %+v to %+v", seen[0], seen[len(seen)-1])
	}
	_, err = transferOver(fake).UploadFile(t.Context(), "k", filepath.Join(t.TempDir(), "missing"), UploadOptions{})
	wantCode(t, err, sdk.CodeNotFound)
}

// ---- configuration ----

func TestTransferConfigPrecedence(t *testing.T) {
	defaults := TransferConfig{DefaultMultipartThreshold, DefaultMultipartPartSize, DefaultMultipartConcurrency}
	for name, tc := range map[string]struct {
		env      map[string]string
		provider TransferConfig
		call     TransferConfig
		want     TransferConfig
		param    string
	}{
		"defaults": {want: defaults},
		"environment over defaults": {
			env:  map[string]string{EnvMultipartThreshold: "1000", EnvMultipartPartSize: "6000000", EnvMultipartConcurrency: "2"},
			want: TransferConfig{1000, 6000000, 2}},
		"provider over environment": {
			env:      map[string]string{EnvMultipartThreshold: "1000", EnvMultipartConcurrency: "2"},
			provider: TransferConfig{Threshold: 2000},
			want:     TransferConfig{2000, DefaultMultipartPartSize, 2}},
		"call over provider": {
			env:      map[string]string{EnvMultipartPartSize: "6000000"},
			provider: TransferConfig{Threshold: 2000, Concurrency: 3},
			call:     TransferConfig{Concurrency: 9},
			want:     TransferConfig{2000, 6000000, 9}},
		"bad environment":    {env: map[string]string{EnvMultipartPartSize: "50MiB"}, param: EnvMultipartPartSize},
		"zero environment":   {env: map[string]string{EnvMultipartConcurrency: "0"}, param: EnvMultipartConcurrency},
		"negative provider":  {provider: TransferConfig{PartSize: -1}, param: "part_size"},
		"negative call":      {call: TransferConfig{Concurrency: -2}, param: "concurrency"},
		"negative threshold": {call: TransferConfig{Threshold: -1}, param: "threshold"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{EnvMultipartThreshold, EnvMultipartPartSize, EnvMultipartConcurrency} {
				t.Setenv(k, tc.env[k])
			}
			objs := transferOver(newFakeStore())
			objs.p.Transfer = tc.provider
			got, err := objs.transferConfig(tc.call)
			if tc.param != "" {
				wantParam(t, err, tc.param)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("config = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// ---- downloads (test_download_driver) ----

// downloadFake serves content as the object "obj" with the given provider
// transfer config.
func downloadFake(content []byte, cfg TransferConfig) (*fakeStore, *ObjectService) {
	fake := newFakeStore()
	fake.store("obj", content, "")
	objs := transferOver(fake)
	objs.p.Transfer = cfg
	return fake, objs
}

func downloadToTemp(t *testing.T, objs *ObjectService, opts DownloadOptions) ([]byte, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out")
	if _, err := objs.DownloadFile(t.Context(), "obj", path, opts); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func TestDownloadReassemblesRangesInOrder(t *testing.T) {
	content := []byte("abcdefghijABCDEFGHIJ0123456789x") // 31 bytes, 8 ranges
	fake, objs := downloadFake(content, TransferConfig{Threshold: 10, PartSize: 4, Concurrency: 3})
	got, err := downloadToTemp(t, objs, DownloadOptions{})
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %q, %v", got, err)
	}
	if fake.wholeGets != 0 {
		t.Fatal("a whole-object Get was made")
	}
	var want [][2]int64
	for off := int64(0); off < 31; off += 4 {
		want = append(want, [2]int64{off, min(4, 31-off)})
	}
	slices.SortFunc(fake.ranges, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	if !slices.Equal(fake.ranges, want) {
		t.Fatalf("ranges %v, want them to tile the object: %v", fake.ranges, want)
	}
}

// Parts larger than the copy buffer arrive in many writes, each at its own
// offset.
func TestDownloadLargePartsIntact(t *testing.T) {
	content := randomBytes(7*mib + 5)
	_, objs := downloadFake(content, TransferConfig{Threshold: 1, PartSize: 3*mib + 1, Concurrency: 2})
	got, err := downloadToTemp(t, objs, DownloadOptions{})
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes intact: %v, %v", len(got), bytes.Equal(got, content), err)
	}
	var out bytes.Buffer
	if _, err := objs.Download(t.Context(), "obj", &out, DownloadOptions{}); err != nil || !bytes.Equal(out.Bytes(), content) {
		t.Fatalf("downloaded %d bytes to a writer intact: %v, %v", out.Len(), bytes.Equal(out.Bytes(), content), err)
	}
}

func TestDownloadBelowThresholdIsOneGet(t *testing.T) {
	content := []byte("tiny content")
	fake, objs := downloadFake(content, TransferConfig{Threshold: 100, PartSize: 4, Concurrency: 3})
	got, err := downloadToTemp(t, objs, DownloadOptions{})
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %q, %v", got, err)
	}
	if fake.wholeGets != 1 || len(fake.ranges) != 0 {
		t.Fatalf("whole gets %d, ranges %v; want one Get", fake.wholeGets, fake.ranges)
	}
}

func TestDownloadFetchesRangesConcurrentlyWithinTheLimit(t *testing.T) {
	content := []byte("0123456789ab") // 12 ranges of one byte
	for name, tc := range map[string]struct {
		provider, call TransferConfig
		limit          int
	}{
		"concurrency 4":           {provider: TransferConfig{Threshold: 1, PartSize: 1, Concurrency: 4}, limit: 4},
		"concurrency 1":           {provider: TransferConfig{Threshold: 1, PartSize: 1, Concurrency: 1}, limit: 1},
		"per-call config wins":    {provider: TransferConfig{Threshold: 1, PartSize: 1, Concurrency: 1}, call: TransferConfig{Concurrency: 3}, limit: 3},
		"per-call part size wins": {provider: TransferConfig{Threshold: 1, PartSize: 100, Concurrency: 3}, call: TransferConfig{PartSize: 1}, limit: 3},
	} {
		t.Run(name, func(t *testing.T) {
			fake, objs := downloadFake(content, tc.provider)
			fake.hold = 20 * time.Millisecond
			got, err := downloadToTemp(t, objs, DownloadOptions{Transfer: tc.call})
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("downloaded %q, %v", got, err)
			}
			if fake.maxActive > tc.limit || tc.limit > 1 && fake.maxActive < 2 {
				t.Fatalf("%d ranges in flight at most, want 2..%d", fake.maxActive, tc.limit)
			}
		})
	}
}

func TestDownloadFileIsAtomic(t *testing.T) {
	content := make([]byte, 256)
	for i := range content {
		content[i] = byte(i)
	}
	cfg := TransferConfig{Threshold: 1, PartSize: 16, Concurrency: 3}
	dir := t.TempDir()
	path := filepath.Join(dir, "dataset.dat")
	entries := func() []string {
		var names []string
		list, _ := os.ReadDir(dir)
		for _, e := range list {
			names = append(names, e.Name())
		}
		return names
	}

	t.Run("the destination appears only once complete", func(t *testing.T) {
		os.Remove(path)
		fake, objs := downloadFake(content, cfg)
		var seen []bool
		var mu sync.Mutex
		fake.onServe = func(int64) {
			_, err := os.Stat(path)
			mu.Lock()
			seen = append(seen, err == nil)
			mu.Unlock()
		}
		if _, err := objs.DownloadFile(t.Context(), "obj", path, DownloadOptions{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, content) || len(seen) != 16 || slices.Contains(seen, true) {
			t.Fatalf("content ok %v; destination seen during the download: %v", bytes.Equal(got, content), seen)
		}
	})

	t.Run("a concurrent downloader taking the destination", func(t *testing.T) {
		os.Remove(path)
		fake, objs := downloadFake(content, cfg)
		fake.onServe = func(int64) {
			os.Rename(path, filepath.Join(dir, "taken.dat")) // fails while path does not exist
		}
		if _, err := objs.DownloadFile(t.Context(), "obj", path, DownloadOptions{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
			t.Fatal("downloaded bytes differ")
		}
		os.Remove(filepath.Join(dir, "taken.dat"))
	})

	t.Run("a failed range removes the partial file", func(t *testing.T) {
		os.Remove(path)
		fake, objs := downloadFake(content, cfg)
		fake.failOffset = 128
		_, err := objs.DownloadFile(t.Context(), "obj", path, DownloadOptions{})
		wantCode(t, err, sdk.CodeInternal)
		if names := entries(); len(names) != 0 {
			t.Fatalf("left behind: %v", names)
		}
	})

	t.Run("a failed download leaves an existing destination intact", func(t *testing.T) {
		if err := os.WriteFile(path, []byte("previously cached"), 0o640); err != nil {
			t.Fatal(err)
		}
		fake, objs := downloadFake(content, cfg)
		fake.failOffset = 16
		_, err := objs.DownloadFile(t.Context(), "obj", path, DownloadOptions{})
		wantCode(t, err, sdk.CodeInternal)
		if got, _ := os.ReadFile(path); string(got) != "previously cached" {
			t.Fatalf("destination now holds %q", got)
		}
		if names := entries(); !slices.Equal(names, []string{"dataset.dat"}) {
			t.Fatalf("directory holds %v, want only the old file", names)
		}
	})

	t.Run("a replaced file keeps its permissions", func(t *testing.T) {
		_, objs := downloadFake(content, cfg)
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := objs.DownloadFile(t.Context(), "obj", path, DownloadOptions{}); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", fi.Mode())
		}
	})

	t.Run("a canceled download removes the partial file", func(t *testing.T) {
		os.Remove(path)
		fake, objs := downloadFake(content, cfg)
		ctx, cancel := context.WithCancel(t.Context())
		fake.onServe = func(off int64) {
			if off == 32 {
				cancel()
			}
		}
		_, err := objs.DownloadFile(ctx, "obj", path, DownloadOptions{})
		wantCode(t, err, sdk.CodeCanceled)
		if names := entries(); len(names) != 0 {
			t.Fatalf("left behind: %v", names)
		}
	})
}

func TestDownloadRefusesBadPartSizes(t *testing.T) {
	fake, objs := downloadFake(make([]byte, 16), TransferConfig{Threshold: 1, PartSize: 4, Concurrency: 2})
	_, err := downloadToTemp(t, objs, DownloadOptions{Transfer: TransferConfig{PartSize: -1}})
	wantParam(t, err, "part_size")
	if len(fake.ranges)+fake.wholeGets != 0 {
		t.Fatal("ranges were read before the part size was refused")
	}
}

// A writer gets the parts in order even when later ranges arrive first.
func TestDownloadWritesPartsInOrder(t *testing.T) {
	content := randomBytes(40)
	fake, objs := downloadFake(content, TransferConfig{Threshold: 1, PartSize: 4, Concurrency: 4})
	fake.onServe = func(off int64) { time.Sleep(time.Duration(40-off) * time.Millisecond / 4) }
	var out bytes.Buffer
	var last Progress
	info, err := objs.Download(t.Context(), "obj", &out, DownloadOptions{Progress: func(p Progress) { last = p }})
	if err != nil || !bytes.Equal(out.Bytes(), content) || info.Size != 40 {
		t.Fatalf("downloaded %x (%d bytes), %v; want %x", out.Bytes(), info.Size, err, content)
	}
	if last != (Progress{40, 40}) {
		t.Fatalf("last progress %+v", last)
	}
}

func TestDownloadFetchesABrokenRangeAgain(t *testing.T) {
	content := randomBytes(64)
	fake, objs := downloadFake(content, TransferConfig{Threshold: 1, PartSize: 16, Concurrency: 2})
	fake.failOffset, fake.failMidStream = 32, true
	var last Progress
	got, err := downloadToTemp(t, objs, DownloadOptions{Progress: func(p Progress) { last = p }})
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %x, %v", got, err)
	}
	if n := len(fake.ranges); n != 5 || last != (Progress{64, 64}) {
		t.Fatalf("%d ranges read (want 4 and one again), last progress %+v", n, last)
	}
}

func TestDownloadNoticesAChangedObject(t *testing.T) {
	content := randomBytes(64)
	fake, objs := downloadFake(content, TransferConfig{Threshold: 1, PartSize: 16, Concurrency: 1})
	fake.onServe = func(off int64) {
		if off == 32 {
			fake.mu.Lock()
			fake.store("obj", randomBytes(65), "")
			fake.mu.Unlock()
		}
	}
	var out bytes.Buffer
	_, err := objs.Download(t.Context(), "obj", &out, DownloadOptions{})
	wantCode(t, err, sdk.CodeFailedPrecondition)
}

func TestDownloadOfAMissingObjectIsNotFound(t *testing.T) {
	_, objs := downloadFake(nil, TransferConfig{})
	path := filepath.Join(t.TempDir(), "out")
	_, err := objs.DownloadFile(t.Context(), "nope", path, DownloadOptions{})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was made for a missing object")
	}
}
