package mock

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Object bytes never live in memory or in the state: each object is a file in
// the data directory, named by a digest of its bucket and key, so that no key
// ("../../etc/passwd", a 1024-byte name) can pick or escape the path. The
// state holds the object's info and the file's name. Uploads are spooled to a
// temporary file beside the objects and renamed into place once complete, so
// a reader sees the old version or the new one, never half of one.
//
//	<data dir>/objects/<sha256 of bucket NUL key>
//	<data dir>/parts/<upload id>-<part number>-<random>
//	<data dir>/tmp/upload-*   (spooled uploads, renamed or removed)
type dataDirs struct{ root string }

func (d dataDirs) object(file string) string { return filepath.Join(d.root, "objects", file) }
func (d dataDirs) part(file string) string   { return filepath.Join(d.root, "parts", file) }
func (d dataDirs) tmp() string               { return filepath.Join(d.root, "tmp") }

// objectFile is the file name of an object.
func objectFile(bucket, key string) string {
	sum := sha256.Sum256([]byte(bucket + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// remove deletes a file the state no longer refers to. A file already gone is
// fine, and any other failure leaves a stray file, which is only wasted space:
// the change of state it goes with must not fail for it.
func (d dataDirs) remove(path string) { _ = os.Remove(path) }

// removeParts deletes the part files of an upload.
func (d dataDirs) removeParts(up *uploadRecord) {
	for _, p := range up.Parts {
		d.remove(d.part(p.File))
	}
}

// dataDir is the directory a Cloud keeps object bytes in when the data_dir
// setting is empty and there is no state file: a fresh temporary directory,
// made on first use and removed by Close.
type dataDir struct {
	mu   sync.Mutex
	temp string
}

// dirs returns the data directory for a call made with cfg, creating it and
// its subdirectories if needed.
func (c *Cloud) dirs(cfg config) (dataDirs, error) {
	root := cfg.dataDir
	if root == "" {
		var err error
		if root, err = c.data.tempDir(); err != nil {
			return dataDirs{}, err
		}
	}
	d := dataDirs{root: root}
	for _, sub := range []string{d.object(""), d.part(""), d.tmp()} {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return dataDirs{}, &sdk.Error{Code: sdk.CodeUnavailable, Param: "data_dir",
				Message: "create data directory: " + err.Error(), Err: err}
		}
	}
	return d, nil
}

func (d *dataDir) tempDir() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.temp == "" {
		dir, err := os.MkdirTemp("", "cloudbridge-mock-data-")
		if err != nil {
			return "", &sdk.Error{Code: sdk.CodeUnavailable, Param: "data_dir",
				Message: "create temporary data directory: " + err.Error(), Err: err}
		}
		d.temp = dir
	}
	return d.temp, nil
}

// removeTemp removes the temporary data directory, if one was made, and
// reports whether it did.
func (d *dataDir) removeTemp() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.temp == "" {
		return false
	}
	_ = os.RemoveAll(d.temp)
	d.temp = ""
	return true
}

// copyBufferSize is the buffer every copy of object bytes goes through: the
// most memory a transfer holds, whatever the object's size.
const copyBufferSize = 256 << 10

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// copyCtx copies src to dst through a pooled buffer, checking ctx between
// reads, so that a canceled call stops streaming at the next buffer.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	return io.CopyBuffer(dst, ctxReader{ctx, src}, *bp)
}

// ctxReader fails once ctx has ended.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// spooled is an upload body written to a temporary file.
type spooled struct {
	path   string
	size   int64
	md5    []byte
	sha256 []byte
}

// spool streams body into a new temporary file of dirs while hashing it, and
// syncs it to disk. It succeeds only if body reached EOF cleanly, with exactly
// size bytes (unless size is -1) hashing to wantSHA256 (unless it is ""); on
// any failure the file is removed. The caller renames the file into place or
// removes it.
func spool(ctx context.Context, dirs dataDirs, body io.Reader, size int64, wantSHA256 string) (sp spooled, err error) {
	f, err := os.CreateTemp(dirs.tmp(), "upload-*")
	if err != nil {
		return spooled{}, &sdk.Error{Code: sdk.CodeUnavailable, Message: "create upload file: " + err.Error(), Err: err}
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := newHashingWriter(f)
	defer w.stop()
	if size >= 0 {
		// One byte more than declared is enough to know the body is too long.
		body = io.LimitReader(body, size+1)
	}
	n, err := copyCtx(ctx, w, body)
	if err != nil {
		return spooled{}, bodyError(ctx, err)
	}
	if size >= 0 && n != size {
		return spooled{}, sdk.InvalidArgument("size", size, fmt.Sprintf("the body holds %s bytes, not the declared size", countAtLeast(n, size)))
	}
	if wantSHA256 != "" {
		if got := hex.EncodeToString(w.sha.Sum(nil)); got != wantSHA256 {
			return spooled{}, sdk.InvalidArgument("sha256", wantSHA256, "the body's SHA-256 digest is "+got)
		}
	}
	if err := f.Sync(); err != nil {
		return spooled{}, &sdk.Error{Code: sdk.CodeUnavailable, Message: "sync upload file: " + err.Error(), Err: err}
	}
	if err := f.Close(); err != nil {
		return spooled{}, &sdk.Error{Code: sdk.CodeUnavailable, Message: "close upload file: " + err.Error(), Err: err}
	}
	return spooled{path: f.Name(), size: n, md5: w.md5.Sum(nil), sha256: w.sha.Sum(nil)}, nil
}

// hashingWriter writes to a file and hashes what it writes with MD5 (the
// etag) and SHA-256. The SHA-256 runs in a helper goroutine alongside the MD5
// and the write, which are each about as costly: storing is then limited by
// the slowest of them rather than by their sum.
type hashingWriter struct {
	f        io.Writer
	md5, sha hash.Hash
	work     chan []byte
	done     chan struct{}
}

func newHashingWriter(f io.Writer) *hashingWriter {
	w := &hashingWriter{f: f, md5: md5.New(), sha: sha256.New(), work: make(chan []byte), done: make(chan struct{})}
	go func() {
		for p := range w.work {
			w.sha.Write(p)
			w.done <- struct{}{}
		}
	}()
	return w
}

// Write returns once p is written and hashed both ways, so the caller may
// reuse p, as io.Writer requires.
func (w *hashingWriter) Write(p []byte) (int, error) {
	w.work <- p
	w.md5.Write(p)
	n, err := w.f.Write(p)
	<-w.done
	return n, err
}

// stop ends the helper goroutine; w must not be written after.
func (w *hashingWriter) stop() { close(w.work) }

func countAtLeast(n, size int64) string {
	if n > size {
		return fmt.Sprintf("more than %d", size)
	}
	return fmt.Sprint(n)
}

// bodyError reports why reading an upload body failed: the call's context
// ending (which is also how a canceled client stream shows), an *sdk.Error the
// body returned as it is, anything else as the caller's failure with its code.
func bodyError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx.Err())
	}
	var e *sdk.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ctxError(err)
	}
	return &sdk.Error{Code: sdk.CodeOf(err), Message: "read upload body: " + err.Error(), Err: err}
}

// Close releases what the cloud holds outside its calls: it stops the server
// of presigned URLs (URLs issued so far stop working) and removes the
// temporary data directory, if one was made, together with the objects and
// uploads whose bytes it held (they are in the in-memory state, which dies
// with the process anyway). A data_dir or a state file's data directory is
// kept. The plugin calls Close when it stops; the cloud stays usable after.
func (c *Cloud) Close() error {
	c.urls.stop()
	if c.data.removeTemp() {
		c.mu.Lock()
		clear(c.mem.Objects)
		clear(c.mem.Uploads)
		c.mu.Unlock()
	}
	return nil
}
