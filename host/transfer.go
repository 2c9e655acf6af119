package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The transfer manager: Upload, UploadFile, Download and DownloadFile move
// whole objects of any size, as CloudBridge's upload, upload_from_file,
// save_content and download_to_file do. Small objects go in one request;
// larger ones go up as a parallel multipart upload and come down as parallel
// ranged reads. Memory stays within PartSize × Concurrency per transfer
// whatever the object's size: parts are read into (or received into) at most
// Concurrency reused buffers, and a file download writes each range straight
// to its place in the file.

// Defaults of TransferConfig, CloudBridge's.
const (
	DefaultMultipartThreshold   int64 = 100 << 20
	DefaultMultipartPartSize    int64 = 50 << 20
	DefaultMultipartConcurrency       = 5
)

// MaxPartSize is the largest part Upload sends (S3's limit); with the limit
// of maxParts parts it bounds the size of an object Upload can make.
const MaxPartSize int64 = 5 << 30

// maxParts is the most parts a multipart upload may have (S3's limit). An
// upload of a known size grows its part size to fit.
const maxParts = 10000

// The environment variables that override the defaults of TransferConfig,
// CloudBridge's: byte counts and a number of parts in flight.
const (
	EnvMultipartThreshold   = "CB_MULTIPART_THRESHOLD"
	EnvMultipartPartSize    = "CB_MULTIPART_PART_SIZE"
	EnvMultipartConcurrency = "CB_MULTIPART_MAX_CONCURRENCY"
)

// abortTimeout bounds the Abort of a failed multipart upload, which runs even
// when the caller's context has ended.
const abortTimeout = 30 * time.Second

// TransferConfig tunes the transfer manager. An object larger than Threshold
// bytes goes up in parts of PartSize bytes (at least sdk.MinPartSize, at most
// MaxPartSize) and comes down in ranged reads of PartSize bytes, Concurrency
// parts at a time; memory stays within PartSize × Concurrency.
//
// A zero field is unset. Each field comes from the first of these that sets
// it, as CloudBridge's TransferConfig, multipart_* settings and environment:
//
//  1. the call's options (UploadOptions.Transfer, DownloadOptions.Transfer);
//  2. the provider's Transfer;
//  3. the environment: CB_MULTIPART_THRESHOLD, CB_MULTIPART_PART_SIZE,
//     CB_MULTIPART_MAX_CONCURRENCY;
//  4. the defaults: 100 MiB, 50 MiB and 5.
type TransferConfig struct {
	Threshold   int64
	PartSize    int64
	Concurrency int
}

// Progress is how far a transfer has got: Done bytes of Total, which is -1
// while the size is unknown (an upload from a stream that cannot be
// measured). Done falls back when a failed part is sent or fetched again.
type Progress struct {
	Done  int64
	Total int64
}

// DownloadOptions say how Download and DownloadFile fetch an object.
type DownloadOptions struct {
	// Transfer overrides, field by field, the provider's TransferConfig.
	Transfer TransferConfig
	// Progress, when set, is told how many bytes have arrived.
	Progress func(Progress)
}

// ---- configuration ----

// transferConfig resolves a call's TransferConfig over the provider's, the
// environment's and the defaults, refusing bad values with the layer they
// came from named.
func (s *ObjectService) transferConfig(call TransferConfig) (TransferConfig, error) {
	cfg := TransferConfig{DefaultMultipartThreshold, DefaultMultipartPartSize, DefaultMultipartConcurrency}
	env, err := envTransferConfig()
	if err != nil {
		return TransferConfig{}, err
	}
	for _, layer := range []struct {
		c    TransferConfig
		from string
	}{{env, "the environment"}, {s.p.Transfer, "the provider's Transfer"}, {call, "the call's options"}} {
		c := layer.c
		for _, f := range []struct {
			param string
			value int64
		}{{"threshold", c.Threshold}, {"part_size", c.PartSize}, {"concurrency", int64(c.Concurrency)}} {
			if f.value < 0 {
				return TransferConfig{}, sdk.InvalidArgument(f.param, f.value, "must not be negative (0 leaves it to "+
					"the next layer: provider, environment, default); set in "+layer.from)
			}
		}
		if c.Threshold > 0 {
			cfg.Threshold = c.Threshold
		}
		if c.PartSize > 0 {
			cfg.PartSize = c.PartSize
		}
		if c.Concurrency > 0 {
			cfg.Concurrency = c.Concurrency
		}
	}
	return cfg, nil
}

// envTransferConfig reads the CB_MULTIPART_* variables; an unset or empty
// one leaves its field unset, a bad one is InvalidArgument naming it.
func envTransferConfig() (TransferConfig, error) {
	var c TransferConfig
	for _, v := range []struct {
		name string
		dst  func(int64)
	}{
		{EnvMultipartThreshold, func(n int64) { c.Threshold = n }},
		{EnvMultipartPartSize, func(n int64) { c.PartSize = n }},
		{EnvMultipartConcurrency, func(n int64) { c.Concurrency = int(n) }},
	} {
		s := os.Getenv(v.name)
		if s == "" {
			continue
		}
		bits := 64
		if v.name == EnvMultipartConcurrency {
			bits = 32
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil || n <= 0 {
			return TransferConfig{}, sdk.InvalidArgument(v.name, s, "must be a positive whole number")
		}
		v.dst(n)
	}
	return c, nil
}

// checkPartSize refuses a part size no multipart upload accepts.
func checkPartSize(partSize int64) error {
	switch {
	case partSize < sdk.MinPartSize:
		return sdk.InvalidArgument("part_size", partSize, fmt.Sprintf("must be at least %d bytes (5 MiB), the smallest part clouds accept", sdk.MinPartSize))
	case partSize > MaxPartSize:
		return sdk.InvalidArgument("part_size", partSize, fmt.Sprintf("must be at most %d bytes (5 GiB)", MaxPartSize))
	}
	return nil
}

// ---- progress ----

// meter counts a transfer's bytes and tells the caller's Progress function,
// one call at a time.
type meter struct {
	mu          sync.Mutex
	fn          func(Progress)
	done, total int64
}

func newMeter(fn func(Progress), total int64) *meter {
	m := &meter{fn: fn, total: total}
	m.add(0)
	return m
}

func (m *meter) add(n int64) {
	if m.fn == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.fn(Progress{Done: m.done, Total: m.total})
}

// setTotal tells the size once it is known.
func (m *meter) setTotal(total int64) {
	m.mu.Lock()
	m.total = total
	m.mu.Unlock()
	m.add(0)
}

// counter is a reader that feeds a meter and remembers what it counted, so
// that a failed attempt can take its bytes back.
type counter struct {
	r io.Reader
	m *meter
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.m.add(int64(n))
	}
	return n, err
}

// undo takes back what this attempt counted.
func (c *counter) undo() {
	if c.n != 0 {
		c.m.add(-c.n)
		c.n = 0
	}
}

// ---- buffers ----

// Part buffers are reused within a transfer, not between transfers: each
// worker allocates one when it takes its first part and fills it again for
// every later part, so a transfer holds at most Concurrency of them, and
// they are garbage once it returns. A process-wide pool of buffers this large
// would keep hundreds of MiB alive between transfers and, since the GC sizes
// its next target from the live heap, let as much garbage again pile up
// before the next collection.

// copyBuffers are the buffers range bodies are copied through.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, wire.ChunkSize); return &b }}

// ---- errors ----

// bodyReadError reports that the caller's body failed (never retried: the
// bytes read are gone).
func bodyReadError(err error) error {
	return &Error{Code: sdk.CodeOf(err), Message: "read the upload body: " + err.Error(), Err: err}
}

// localError reports a failure of the local file system with the contract's
// nearest code, naming the path.
func localError(what, path string, err error) error {
	code := sdk.CodeInternal
	switch {
	case errors.Is(err, fs.ErrNotExist):
		code = sdk.CodeNotFound
	case errors.Is(err, fs.ErrPermission):
		code = sdk.CodePermissionDenied
	case errors.Is(err, fs.ErrExist):
		code = sdk.CodeAlreadyExists
	}
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err // it names the path already
	}
	return &Error{Code: code, Param: "path", Message: fmt.Sprintf("%s %s: %v", what, path, cause), Err: err}
}

// retryPart runs one attempt of a part's transfer until it succeeds or may
// not be retried. The transfer manager holds each part's bytes (or can fetch
// its range again), so a part whose attempt failed with a retryable error is
// sent again, which the host cannot do for a streamed body (see RetryPolicy).
// attempt reports whether its failure may be retried at all: the host has
// already retried a failed call itself, so only failures after it (of the
// stream) are retried here.
func (s *ObjectService) retryPart(ctx context.Context, attempt func(context.Context) (retry bool, err error)) error {
	policy := s.p.RetryPolicy.withDefaults()
	for n := 1; ; n++ {
		retry, err := attempt(ctx)
		if err == nil {
			return nil
		}
		if !retry || n >= policy.MaxAttempts || !retryable(err) || ctx.Err() != nil || s.p.conn != nil && s.p.conn.dead() {
			return err
		}
		if err := sleep(ctx, pauseFor(policy, n, err), err); err != nil {
			return err
		}
	}
}

// ---- uploads ----

// Upload writes the object key from body, reading it to EOF. An object of at
// most the threshold (see TransferConfig) goes in one Put; a larger one, when
// the plugin supports multipart uploads, as a multipart upload of parts sent
// Concurrency at a time. A body whose size Upload cannot tell (opts.Size, or
// a file, bytes or strings Reader or seeker) is read a part at a time: if the
// first part is short and within the threshold it goes in one Put. A part
// that fails with a retryable error is sent again (so is a Put whose body can
// be rewound); a multipart upload that fails, or whose ctx ends, is aborted,
// so that no parts are left behind. A plugin without objectstore.multipart
// gets one streamed Put whatever the size.
func (s *ObjectService) Upload(ctx context.Context, key string, body io.Reader, opts UploadOptions) (ObjectInfo, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	cfg, err := s.transferConfig(opts.Transfer)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := checkPartSize(cfg.PartSize); err != nil {
		return ObjectInfo{}, err
	}
	size := opts.Size
	switch {
	case size < -1:
		return ObjectInfo{}, sdk.InvalidArgument("size", size, "must be the byte count, 0 to measure the body, or -1 when unknown")
	case body == nil:
		body, size = bytes.NewReader(nil), 0
	case size == 0:
		size = sizeOf(body)
	}
	m := newMeter(opts.Progress, size)
	if !s.p.Has(sdk.CapMultipart) || size >= 0 && size <= cfg.Threshold {
		return s.putWhole(ctx, key, body, size, opts, m)
	}
	if size >= 0 {
		return s.uploadParts(ctx, key, body, size, nil, cfg, opts, m)
	}
	// Unknown size: the first part decides.
	first, err := readFirst(body, cfg.PartSize)
	switch {
	case errors.Is(err, io.EOF):
		if int64(len(first)) <= cfg.Threshold {
			m.setTotal(int64(len(first)))
			return s.putWhole(ctx, key, bytes.NewReader(first), int64(len(first)), opts, m)
		}
	case err != nil:
		return ObjectInfo{}, fmt.Errorf("upload %q: %w", key, bodyReadError(err))
	}
	return s.uploadParts(ctx, key, body, -1, first, cfg, opts, m)
}

// readFirst reads up to limit bytes of r, coalescing short reads, into a
// buffer that grows as they come, so that a small stream of unknown size does
// not cost a whole part buffer. The error is io.EOF when r ended first.
func readFirst(r io.Reader, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(limit, 64<<10))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			bigger := make([]byte, len(buf), min(limit, 4*int64(cap(buf))))
			copy(bigger, buf)
			buf = bigger
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// UploadFile uploads the file at path as the object key (see Upload). When
// opts.ContentType is empty it is guessed from the file's extension.
func (s *ObjectService) UploadFile(ctx context.Context, key, path string, opts UploadOptions) (ObjectInfo, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return ObjectInfo{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return ObjectInfo{}, localError("open", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ObjectInfo{}, localError("stat", path, err)
	}
	if fi.IsDir() {
		return ObjectInfo{}, sdk.InvalidArgument("path", path, "is a directory")
	}
	if opts.ContentType == "" {
		opts.ContentType = mime.TypeByExtension(filepath.Ext(path))
	}
	return s.Upload(ctx, key, f, opts)
}

// sizeOf returns how many bytes are left in r, or -1 when it cannot tell
// without reading.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		return int64(v.Len())
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1 // a pipe, a terminal, a device
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil || pos > fi.Size() {
			return -1
		}
		return fi.Size() - pos
	case io.Seeker:
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		end, err := v.Seek(0, io.SeekEnd)
		if _, err2 := v.Seek(pos, io.SeekStart); err != nil || err2 != nil || end < pos {
			return -1
		}
		return end - pos
	}
	return -1
}

// putWhole stores the object in one streamed Put. A body that can be
// rewound (a file, a bytes Reader, the first part read into memory) is sent
// again when the Put fails with a retryable error; any other is spent.
func (s *ObjectService) putWhole(ctx context.Context, key string, body io.Reader, size int64, opts UploadOptions, m *meter) (ObjectInfo, error) {
	put := PutOptions{ContentType: opts.ContentType, Metadata: opts.Metadata, Size: size}
	if size == 0 {
		body = bytes.NewReader(nil)
	}
	rewind := func() bool { return false }
	if sk, ok := body.(io.Seeker); ok {
		if start, err := sk.Seek(0, io.SeekCurrent); err == nil {
			rewind = func() bool { _, err := sk.Seek(start, io.SeekStart); return err == nil }
		}
	}
	var info ObjectInfo
	err := s.retryPart(ctx, func(ctx context.Context) (bool, error) {
		c := &counter{r: body, m: m}
		var err error
		if info, err = s.Put(ctx, key, c, put); err != nil {
			c.undo()
			return rewind(), err
		}
		return false, nil
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	return info, nil
}

// uploadParts makes the object with a multipart upload: a known size is cut
// into parts of the configured size (larger if it would need more than
// maxParts), an unknown one is read a part at a time after first, which was
// read already. Whatever fails, the upload is aborted.
func (s *ObjectService) uploadParts(ctx context.Context, key string, body io.Reader, size int64, first []byte, cfg TransferConfig, opts UploadOptions, m *meter) (ObjectInfo, error) {
	partSize, workers := cfg.PartSize, cfg.Concurrency
	if size >= 0 {
		const mib = 1 << 20
		if need := (size + maxParts - 1) / maxParts; need > partSize {
			partSize = (need + mib - 1) / mib * mib
		}
		if partSize > MaxPartSize {
			return ObjectInfo{}, sdk.InvalidArgument("size", size, fmt.Sprintf("is more than %d parts of %d bytes, the largest object a multipart upload can make", maxParts, MaxPartSize))
		}
		workers = int(min(int64(workers), (size+partSize-1)/partSize))
	}
	src := &partSource{r: body, size: size, partSize: partSize, next: 1}
	if first != nil {
		src.next, src.read = 2, int64(len(first))
		src.done = int64(len(first)) < partSize
	}
	up, err := s.CreateMultipartUpload(ctx, key, UploadOptions{ContentType: opts.ContentType, Metadata: opts.Metadata})
	if err != nil {
		return ObjectInfo{}, err
	}
	parts, err := s.sendParts(ctx, up, src, first, workers, m)
	if err == nil {
		var info ObjectInfo
		if info, err = up.Complete(ctx, parts); err == nil {
			if size < 0 {
				m.setTotal(info.Size)
			}
			return info, nil
		}
	}
	return ObjectInfo{}, fmt.Errorf("upload %q in parts: %w", key, abortUpload(ctx, up, err))
}

// abortUpload discards a failed upload's parts, even after ctx has ended (a
// canceled upload must not leave parts behind, which clouds keep and bill),
// and returns err, saying so if the abort failed too.
func abortUpload(ctx context.Context, up *MultipartUpload, err error) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	if aerr := up.Abort(actx); aerr != nil {
		return fmt.Errorf("%w (aborting multipart upload %s failed too, so its parts may remain: %v)", err, up.ID, aerr)
	}
	return err
}

// partSource cuts the body into numbered parts for the workers, one reader
// at a time.
type partSource struct {
	mu       sync.Mutex
	r        io.Reader
	size     int64 // -1 when unknown
	partSize int64
	read     int64
	next     int
	done     bool
}

func (ps *partSource) finished() bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.done
}

// take reads the next part into buf and returns its number and length; a
// number of 0 means there are no more parts. Reads are coalesced up to the
// part size, so a body that returns a few bytes per Read still makes full
// parts. A body that ends before its declared size, or goes on after it, is
// an error.
func (ps *partSource) take(buf []byte) (num, n int, err error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.done {
		return 0, 0, nil
	}
	want := ps.partSize
	if ps.size >= 0 {
		want = min(want, ps.size-ps.read)
	}
	n, err = io.ReadFull(ps.r, buf[:want])
	ps.read += int64(n)
	switch {
	case err != nil && ps.size >= 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		ps.done = true
		return 0, 0, sdk.InvalidArgument("size", ps.size, fmt.Sprintf("the body ended after %d bytes", ps.read))
	case errors.Is(err, io.EOF):
		ps.done = true
		return 0, 0, nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		ps.done = true
	case err != nil:
		ps.done = true
		return 0, 0, bodyReadError(err)
	}
	if ps.size >= 0 && ps.read == ps.size {
		ps.done = true
		var one [1]byte
		if k, _ := io.ReadFull(ps.r, one[:]); k > 0 {
			return 0, 0, sdk.InvalidArgument("size", ps.size, "the body has more bytes than that")
		}
	}
	if ps.next > maxParts {
		ps.done = true
		return 0, 0, sdk.InvalidArgument("part_size", ps.partSize, fmt.Sprintf(
			"a body of unknown size longer than %d parts of %d bytes needs a larger part size", maxParts, ps.partSize))
	}
	num = ps.next
	ps.next++
	return num, n, nil
}

// sendParts uploads the parts with workers goroutines, each with its own
// part buffer; the first worker starts with first (part 1) when it is given.
// It returns the parts sorted by number, or the first error, after every
// worker has stopped.
func (s *ObjectService) sendParts(ctx context.Context, up *MultipartUpload, src *partSource, first []byte, workers int, m *meter) ([]UploadedPart, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		parts    []UploadedPart
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	for w := range workers {
		var buf []byte
		num, n := 0, 0
		if w == 0 && first != nil {
			buf, num, n = first[:cap(first)], 1, len(first)
		}
		wg.Go(func() {
			for {
				if num == 0 {
					if ctx.Err() != nil || src.finished() {
						return
					}
					if buf == nil {
						buf = make([]byte, src.partSize)
					}
					var err error
					if num, n, err = src.take(buf); err != nil {
						fail(err)
						return
					}
					if num == 0 {
						return
					}
				}
				part, err := s.sendPart(ctx, up, num, buf[:n], m)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				parts = append(parts, part)
				mu.Unlock()
				num = 0
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, contextError(err)
	}
	slices.SortFunc(parts, func(a, b UploadedPart) int { return a.PartNumber - b.PartNumber })
	return parts, nil
}

// sendPart uploads one part from its buffer, again if an attempt fails with
// a retryable error.
func (s *ObjectService) sendPart(ctx context.Context, up *MultipartUpload, num int, data []byte, m *meter) (UploadedPart, error) {
	var part UploadedPart
	err := s.retryPart(ctx, func(ctx context.Context) (bool, error) {
		c := &counter{r: bytes.NewReader(data), m: m}
		p, err := up.UploadPart(ctx, num, c, int64(len(data)))
		if err != nil {
			c.undo()
			return true, err
		}
		part = p
		return false, nil
	})
	return part, err
}

// ---- downloads ----

// Download writes the object key to w and returns its info. An object of at
// most the threshold (see TransferConfig) is read with one Get; a larger one
// with ranged reads of PartSize bytes, Concurrency at a time, each into a
// reused buffer and written to w in order. A range that fails with a
// retryable error is fetched again. If the object changes while its ranges
// are read (its ETag or size differs), the download fails with
// ErrFailedPrecondition. On failure w may have received part of the object.
func (s *ObjectService) Download(ctx context.Context, key string, w io.Writer, opts DownloadOptions) (ObjectInfo, error) {
	if w == nil {
		return ObjectInfo{}, sdk.InvalidArgument("writer", "<nil>", "must not be nil")
	}
	head, cfg, err := s.prepareDownload(ctx, key, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	m := newMeter(opts.Progress, head.Size)
	if head.Size <= cfg.Threshold {
		return s.downloadWhole(ctx, key, w, m)
	}
	seq := newSequencer()
	err = s.downloadRanges(ctx, key, head, cfg, m, seq.abort, func() partSink {
		return &orderedSink{w: w, seq: seq, buf: make([]byte, cfg.PartSize)}
	})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("download %q: %w", key, err)
	}
	return head, nil
}

// DownloadFile writes the object key to the file at path and returns its
// info (see Download; parallel ranges are written straight to their place in
// the file, without part buffers). The bytes go to a scratch file beside it,
// <path>.<random>.cbpart, renamed to path only once complete, so path never
// holds part of the object: a failed download removes the scratch file and
// leaves an existing file at path as it was. A file replaced keeps its
// permissions.
func (s *ObjectService) DownloadFile(ctx context.Context, key, path string, opts DownloadOptions) (ObjectInfo, error) {
	if path == "" {
		return ObjectInfo{}, sdk.InvalidArgument("path", path, "must not be empty")
	}
	perm := fs.FileMode(0o666) // before the umask, as os.Create
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return ObjectInfo{}, sdk.InvalidArgument("path", path, "is a directory")
		}
		perm = fi.Mode().Perm()
	}
	head, cfg, err := s.prepareDownload(ctx, key, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	f, scratch, err := createScratch(path, perm)
	if err != nil {
		return ObjectInfo{}, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(scratch)
		}
	}()
	m := newMeter(opts.Progress, head.Size)
	info := head
	if head.Size <= cfg.Threshold {
		info, err = s.downloadWhole(ctx, key, f, m)
	} else {
		err = s.downloadRanges(ctx, key, head, cfg, m, func() {}, func() partSink { return fileSink{f} })
		if err != nil {
			err = fmt.Errorf("download %q: %w", key, err)
		}
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := f.Close(); err != nil {
		return ObjectInfo{}, localError("write", scratch, err)
	}
	if err := os.Rename(scratch, path); err != nil {
		return ObjectInfo{}, localError("rename the download to", path, err)
	}
	done = true
	return info, nil
}

// createScratch makes the scratch file of a download to path. Its name is
// unique, so that two downloads to one path do not write into each other.
func createScratch(path string, perm fs.FileMode) (*os.File, string, error) {
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		name := path + "." + hex.EncodeToString(b[:]) + ".cbpart"
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", localError("create", name, err)
		}
		return f, name, nil
	}
}

func (s *ObjectService) prepareDownload(ctx context.Context, key string, opts DownloadOptions) (ObjectInfo, TransferConfig, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return ObjectInfo{}, TransferConfig{}, err
	}
	cfg, err := s.transferConfig(opts.Transfer)
	if err != nil {
		return ObjectInfo{}, TransferConfig{}, err
	}
	head, err := s.Head(ctx, key)
	if err != nil {
		return ObjectInfo{}, TransferConfig{}, err
	}
	return head, cfg, nil
}

// downloadWhole copies the object to w with one Get.
func (s *ObjectService) downloadWhole(ctx context.Context, key string, w io.Writer, m *meter) (ObjectInfo, error) {
	info, body, err := s.Get(ctx, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer body.Close()
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	n, err := io.CopyBuffer(onlyWriter{w}, &counter{r: body, m: m}, *bp)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("download %q: %w", key, contractError(err))
	}
	if n != info.Size {
		return ObjectInfo{}, fmt.Errorf("download %q: %w", key, &Error{Code: sdk.CodeInternal,
			Message: fmt.Sprintf("the plugin sent %d bytes of an object of %d", n, info.Size)})
	}
	return info, nil
}

// onlyWriter hides a writer's ReadFrom, so that io.CopyBuffer uses the
// buffer it is given (os.File's ReadFrom would allocate its own).
type onlyWriter struct{ io.Writer }

// partSink is where one worker of a ranged download puts its parts.
type partSink interface {
	// start returns where part i's n bytes, from offset off, go; each
	// attempt at the part starts again.
	start(i, off, n int64) io.Writer
	// finish is called when part i has all its bytes.
	finish(i int64) error
}

// downloadRanges fetches the object in parts of cfg.PartSize with up to
// cfg.Concurrency workers, each with its own sink. Parts are taken in order
// and each worker finishes its part before taking another, so the lowest
// unfinished part always has a worker: an ordered sink cannot deadlock.
// stop is called when the download fails, to release waiting workers.
func (s *ObjectService) downloadRanges(ctx context.Context, key string, head ObjectInfo, cfg TransferConfig, m *meter, stop func(), sink func() partSink) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	unwatch := context.AfterFunc(ctx, stop)
	defer unwatch()
	size, partSize := head.Size, cfg.PartSize
	parts := (size + partSize - 1) / partSize
	workers := int(min(int64(cfg.Concurrency), parts))
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	for range workers {
		wg.Go(func() {
			var out partSink
			for {
				i := next.Add(1) - 1
				if i >= parts || ctx.Err() != nil {
					return
				}
				if out == nil {
					out = sink()
				}
				off := i * partSize
				n := min(partSize, size-off)
				err := s.retryPart(ctx, func(ctx context.Context) (bool, error) {
					return s.fetchRange(ctx, key, head, off, n, out.start(i, off, n), m)
				})
				if err == nil {
					err = out.finish(i)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return contextError(err)
	}
	return nil
}

// fetchRange copies n bytes of the object from off to dst. It fails with
// FailedPrecondition if the object is no longer the one head describes. A
// failure to open the range is not to be retried (the host has retried the
// call); one while reading it is.
func (s *ObjectService) fetchRange(ctx context.Context, key string, head ObjectInfo, off, n int64, dst io.Writer, m *meter) (retry bool, err error) {
	info, body, err := s.GetRange(ctx, key, off, n)
	if err != nil {
		return false, err
	}
	defer body.Close()
	if info.Size != head.Size || info.ETag != head.ETag {
		return false, &Error{Code: sdk.CodeFailedPrecondition, Message: fmt.Sprintf(
			"object %q changed during the download (etag %q and %d bytes, then etag %q and %d bytes); download it again",
			key, head.ETag, head.Size, info.ETag, info.Size)}
	}
	c := &counter{r: body, m: m}
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	got, err := io.CopyBuffer(&limitWriter{w: dst, left: n}, c, *bp)
	if err != nil {
		c.undo()
		var local *localWriteError
		if errors.As(err, &local) {
			return false, local.err
		}
		return true, contractError(err)
	}
	if got != n {
		c.undo()
		return true, &Error{Code: sdk.CodeUnavailable, Retryable: true, Message: fmt.Sprintf(
			"the range of %d bytes at offset %d of object %q ended after %d bytes", n, off, key, got)}
	}
	return false, nil
}

// limitWriter refuses bytes past the range it was given, so that a plugin
// sending too much cannot overwrite the next part of a file.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, &Error{Code: sdk.CodeInternal, Message: "the plugin sent more bytes than the range asked for"}
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	if err != nil {
		return n, &localWriteError{err}
	}
	return n, nil
}

// localWriteError marks a failure to write the download locally: not the
// plugin's, and not worth fetching the range again.
type localWriteError struct{ err error }

func (e *localWriteError) Error() string { return e.err.Error() }

// fileSink writes each part at its offset in the scratch file.
type fileSink struct{ f *os.File }

func (s fileSink) start(_, off, _ int64) io.Writer { return &fileAt{s.f, off} }
func (fileSink) finish(int64) error                { return nil }

// fileAt writes a file from an offset on; failures name the file.
type fileAt struct {
	f   *os.File
	off int64
}

func (w *fileAt) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	if err != nil {
		return n, localError("write", w.f.Name(), err)
	}
	return n, nil
}

// orderedSink receives a part into its buffer, then waits for the part's
// turn to write it to w.
type orderedSink struct {
	w   io.Writer
	seq *sequencer
	buf []byte
	n   int
}

func (s *orderedSink) start(_, _, n int64) io.Writer {
	s.n = 0
	return s
}

func (s *orderedSink) Write(p []byte) (int, error) {
	n := copy(s.buf[s.n:], p)
	s.n += n
	if n < len(p) {
		return n, io.ErrShortWrite
	}
	return n, nil
}

func (s *orderedSink) finish(i int64) error {
	if !s.seq.wait(i) {
		return contextError(context.Canceled) // another part failed: its error is reported
	}
	defer s.seq.advance()
	if _, err := s.w.Write(s.buf[:s.n]); err != nil {
		return &Error{Code: sdk.CodeOf(err), Message: "write the download: " + err.Error(), Err: err}
	}
	return nil
}

// sequencer lets parts be written in order: part i waits until parts before
// it are written.
type sequencer struct {
	mu      sync.Mutex
	cond    sync.Cond
	next    int64
	stopped bool
}

func newSequencer() *sequencer {
	q := &sequencer{}
	q.cond.L = &q.mu
	return q
}

// wait blocks until it is part i's turn, or the download stops (false).
func (q *sequencer) wait(i int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.next != i && !q.stopped {
		q.cond.Wait()
	}
	return !q.stopped
}

func (q *sequencer) advance() {
	q.mu.Lock()
	q.next++
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *sequencer) abort() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
