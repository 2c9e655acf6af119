package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The host's transfer manager over the plugin's primitives, as the original's
// test_small_upload_stays_single_shot,
// test_transparent_upload_large_stream_uses_multipart,
// test_download_to_file_roundtrip and
// test_transparent_download_large_uses_ranged: whatever the cloud, an
// object above the threshold goes up in parts and comes down in ranges,
// intact, and a failed upload leaves no parts behind.
func transferTests() []Test {
	objectsCap := []string{sdk.CapBuckets, sdk.CapObjects}
	multipart := []string{sdk.CapBuckets, sdk.CapObjects, sdk.CapMultipart}
	return []Test{
		{Name: "objectstore/transfers/small-upload-single-shot", Needs: objectsCap, Run: testTransferSmallUpload},
		{Name: "objectstore/transfers/large-stream-in-parts", Needs: multipart, Run: testTransferLargeStream},
		{Name: "objectstore/transfers/failed-upload-aborted", Needs: multipart, Run: testTransferFailedUpload},
		{Name: "objectstore/transfers/download-in-ranges", Needs: objectsCap, Run: testTransferDownload},
	}
}

// transferConfig makes objects above one minimum part move in minimum parts,
// so that the tests move a few MiB, not hundreds.
var transferConfig = host.TransferConfig{Threshold: sdk.MinPartSize, PartSize: sdk.MinPartSize, Concurrency: 3}

// countCalls counts the provider's calls of the named events until the test
// ends.
func countCalls(t T, e *Env, events ...string) func(event string) int {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	for i, name := range events {
		h, err := e.P.Events.Observe(name, 3100+i, func(context.Context, *host.Event) {
			mu.Lock()
			counts[name]++
			mu.Unlock()
		})
		must(t, err, "observe %s", name)
		t.Cleanup(h.Remove)
	}
	return func(event string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[event]
	}
}

const (
	evPut      = "provider.storage.bucket_objects.put"
	evCreate   = "provider.storage.bucket_objects.create_multipart_upload"
	evPart     = "provider.storage.bucket_objects.upload_part"
	evComplete = "provider.storage.bucket_objects.complete_multipart_upload"
	evGet      = "provider.storage.bucket_objects.get"
	evRange    = "provider.storage.bucket_objects.download_range"
)

// testTransferSmallUpload: an object within the threshold is one Put, even
// from a stream of unknown size.
func testTransferSmallUpload(t T, e *Env) {
	b := e.NewBucket(t, "small-upload")
	calls := countCalls(t, e, evPut, evCreate)
	content := randomBytes(21, 100<<10)
	info, err := b.Objects.Upload(e.Ctx, "small.bin", io.MultiReader(bytes.NewReader(content)), host.UploadOptions{Transfer: transferConfig})
	must(t, err, "upload %d bytes of unknown size", len(content))
	if info.Size != int64(len(content)) {
		t.Errorf("upload answered size %d, want %d", info.Size, len(content))
	}
	if got := readObject(t, e, b.Objects, "small.bin"); !bytes.Equal(got, content) {
		t.Errorf("the object (%d bytes) differs from the upload (%d)", len(got), len(content))
	}
	if calls(evPut) != 1 || calls(evCreate) != 0 {
		t.Errorf("%d puts and %d multipart uploads, want one put", calls(evPut), calls(evCreate))
	}
}

// testTransferLargeStream: a stream of unknown size above the threshold goes
// up as one multipart upload of full parts and a short last one, and the
// object is the stream.
func testTransferLargeStream(t T, e *Env) {
	b := e.NewBucket(t, "large-upload")
	calls := countCalls(t, e, evPut, evCreate, evPart, evComplete)
	const size = 2*sdk.MinPartSize + 12345 // three parts
	want := sha256.New()
	info, err := b.Objects.Upload(e.Ctx, "large.bin", io.TeeReader(randomStream(22, size), want), host.UploadOptions{
		ContentType: "application/x-large", Transfer: transferConfig})
	must(t, err, "upload a stream of %d bytes", size)
	if info.Size != size {
		t.Errorf("upload answered size %d, want %d", info.Size, size)
	}
	if calls(evCreate) != 1 || calls(evPart) != 3 || calls(evComplete) != 1 || calls(evPut) != 0 {
		t.Errorf("%d multipart uploads of %d parts, %d completed, %d puts; want one of 3 parts and no put",
			calls(evCreate), calls(evPart), calls(evComplete), calls(evPut))
	}
	got := readObject(t, e, b.Objects, "large.bin")
	if sum := hexSHA256(got); sum != hex.EncodeToString(want.Sum(nil)) {
		t.Errorf("the object (%d bytes, sha256 %s) differs from the stream (%d bytes)", len(got), sum, size)
	}
	head, err := b.Objects.Head(e.Ctx, "large.bin")
	must(t, err, "head the object")
	if head.ContentType != "application/x-large" {
		t.Errorf("content type %q, want the upload's application/x-large", head.ContentType)
	}
	checkNoPendingUpload(t, e, b.Objects, "large.bin")
}

// testTransferFailedUpload: an upload in parts whose body fails, or whose
// context ends, stores nothing and leaves no upload pending.
func testTransferFailedUpload(t T, e *Env) {
	b := e.NewBucket(t, "failed-upload")
	boom := errors.New("the disk went away")
	run(t, "failing-body", func(t T) {
		body := &failingBody{r: randomStream(23, 2*sdk.MinPartSize+7), err: boom}
		_, err := b.Objects.Upload(e.Ctx, "failed.bin", body, host.UploadOptions{Transfer: transferConfig})
		if err == nil {
			t.Fatal("an upload whose body failed succeeded")
		}
		checkObjectGone(t, e, b.Objects, "failed.bin")
		checkNoPendingUpload(t, e, b.Objects, "failed.bin")
	})
	run(t, "canceled", func(t T) {
		ctx, cancel := context.WithCancel(e.Ctx)
		body := &cancelAfter{r: randomStream(24, 3*sdk.MinPartSize), n: sdk.MinPartSize + 1, cancel: cancel}
		_, err := b.Objects.Upload(ctx, "canceled.bin", body, host.UploadOptions{Transfer: transferConfig})
		wantCode(t, err, sdk.ErrCanceled, "an upload canceled mid-way")
		checkObjectGone(t, e, b.Objects, "canceled.bin")
		checkNoPendingUpload(t, e, b.Objects, "canceled.bin")
	})
}

// cancelAfter reads r and cancels once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// testTransferDownload: an object above the threshold comes down in ranges
// that tile it, to a file (which appears only complete) and to a writer (in
// order); one within it is one Get.
func testTransferDownload(t T, e *Env) {
	b := e.NewBucket(t, "download")
	const size = 3<<20 + 4321
	content := randomBytes(25, size)
	putBytes(t, e, b.Objects, "dl.bin", content, host.PutOptions{})
	cfg := host.TransferConfig{Threshold: 1 << 20, PartSize: 1 << 20, Concurrency: 3}

	run(t, "to-a-file", func(t T) {
		calls := countCalls(t, e, evGet, evRange)
		dir, err := os.MkdirTemp("", "cbconf-download-")
		must(t, err, "make a directory")
		t.Cleanup(func() { os.RemoveAll(dir) })
		path := filepath.Join(dir, "dl.bin")
		info, err := b.Objects.DownloadFile(e.Ctx, "dl.bin", path, host.DownloadOptions{Transfer: cfg})
		must(t, err, "download to a file")
		got, err := os.ReadFile(path)
		must(t, err, "read the downloaded file")
		if !bytes.Equal(got, content) || info.Size != size {
			t.Errorf("the file (%d bytes, sha256 %s; info %d) differs from the object (%d, %s)", len(got), hexSHA256(got), info.Size, size, hexSHA256(content))
		}
		if calls(evRange) != 4 || calls(evGet) != 0 {
			t.Errorf("%d ranged reads and %d whole gets, want 4 ranges of 1 MiB", calls(evRange), calls(evGet))
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("the directory holds %d files, want only the download", len(entries))
		}
	})
	run(t, "to-a-writer", func(t T) {
		var out bytes.Buffer
		_, err := b.Objects.Download(e.Ctx, "dl.bin", &out, host.DownloadOptions{Transfer: cfg})
		must(t, err, "download to a writer")
		if !bytes.Equal(out.Bytes(), content) {
			t.Errorf("the download (%d bytes, sha256 %s) differs from the object (%d, %s)", out.Len(), hexSHA256(out.Bytes()), size, hexSHA256(content))
		}
	})
	run(t, "within-the-threshold", func(t T) {
		calls := countCalls(t, e, evGet, evRange)
		var out bytes.Buffer
		_, err := b.Objects.Download(e.Ctx, "dl.bin", &out, host.DownloadOptions{Transfer: host.TransferConfig{Threshold: size}})
		must(t, err, "download within the threshold")
		if !bytes.Equal(out.Bytes(), content) || calls(evGet) != 1 || calls(evRange) != 0 {
			t.Errorf("intact %v after %d gets and %d ranged reads; want one get", bytes.Equal(out.Bytes(), content), calls(evGet), calls(evRange))
		}
	})
}
