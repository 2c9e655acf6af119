package mock

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// objectRecord is a stored object: its info, and the name of the file in the
// data directory that holds its bytes. A record is replaced, never changed in
// place, so a view taken under the lock stays valid.
type objectRecord struct {
	sdk.ObjectInfo
	File string `json:"file"`
}

// objectID is the key of an object in the state. Bucket names cannot contain
// "/", so the first one separates bucket from key.
func objectID(bucket, key string) string { return bucket + "/" + key }

func objectView(o *objectRecord) sdk.ObjectInfo {
	v := o.ObjectInfo
	v.Metadata = maps.Clone(v.Metadata)
	v.Extra = maps.Clone(v.Extra)
	return v
}

// defaultContentType is what an object written without a content type has.
const defaultContentType = "application/octet-stream"

// objects implements sdk.Objects, sdk.MultipartUploader (multipart.go) and
// sdk.URLSigner (presign.go).
type objects struct{ c *Cloud }

var (
	_ sdk.Objects           = (*objects)(nil)
	_ sdk.MultipartUploader = (*objects)(nil)
	_ sdk.URLSigner         = (*objects)(nil)
)

// List returns one page of a bucket's objects whose keys start with
// opts.Prefix. With a delimiter, keys that have it after the prefix are rolled
// up into common prefixes (up to and including the delimiter), as S3 does.
// Objects and common prefixes are paged together, in byte order of key or
// prefix, so each appears exactly once across the pages; a token carries the
// last key or prefix returned.
func (s *objects) List(ctx context.Context, opts sdk.ListObjectsOptions) (sdk.ObjectPage, error) {
	if !utf8.ValidString(opts.Prefix) {
		return sdk.ObjectPage{}, sdk.InvalidArgument("prefix", opts.Prefix, "must be valid UTF-8")
	}
	if !utf8.ValidString(opts.Delimiter) {
		return sdk.ObjectPage{}, sdk.InvalidArgument("delimiter", opts.Delimiter, "must be valid UTF-8")
	}
	// An entry is an object (rec set) or a common prefix (rec nil).
	type entry struct {
		name string
		rec  *objectRecord
	}
	var out sdk.ObjectPage
	err := s.c.read(ctx, func(t *txn) error {
		if _, err := t.bucket("bucket", opts.Bucket); err != nil {
			return err
		}
		var entries []entry
		prefixes := map[string]bool{}
		for _, o := range t.Objects {
			if o.Bucket != opts.Bucket || !strings.HasPrefix(o.Key, opts.Prefix) {
				continue
			}
			if opts.Delimiter != "" {
				rest := o.Key[len(opts.Prefix):]
				if i := strings.Index(rest, opts.Delimiter); i >= 0 {
					prefixes[opts.Prefix+rest[:i+len(opts.Delimiter)]] = true
					continue
				}
			}
			entries = append(entries, entry{name: o.Key, rec: o})
		}
		// No key can equal a common prefix: such a key has the delimiter
		// after the prefix, so it was rolled up itself.
		for p := range prefixes {
			entries = append(entries, entry{name: p})
		}
		// Paginate would sort a copy, stably; names are unique, so an
		// unstable sort in place is the same order, several times faster.
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
		page, err := sdk.Paginate(entries, opts.ListOptions, func(e entry) string { return e.name })
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if e.rec != nil {
				out.Objects = append(out.Objects, objectView(e.rec))
			} else {
				out.CommonPrefixes = append(out.CommonPrefixes, e.name)
			}
		}
		out.NextPageToken = page.NextPageToken
		return nil
	})
	if err != nil {
		return sdk.ObjectPage{}, err
	}
	return out, nil
}

func (s *objects) Head(ctx context.Context, bucket, key string) (sdk.ObjectInfo, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return sdk.ObjectInfo{}, err
	}
	var info sdk.ObjectInfo
	err := s.c.read(ctx, func(t *txn) error {
		o, err := t.object(bucket, key)
		if err == nil {
			info = objectView(o)
		}
		return err
	})
	return info, err
}

// Get returns the object's info (of the whole object) and a reader of the
// requested range of its file.
func (s *objects) Get(ctx context.Context, req sdk.GetObjectRequest) (sdk.ObjectInfo, io.ReadCloser, error) {
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	info, f, err := s.c.openObject(ctx, cfg, req.Bucket, req.Key)
	if err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	off, n, err := objectRange(info.Size, req.Offset, req.Length)
	if err != nil {
		f.Close()
		return sdk.ObjectInfo{}, nil, err
	}
	return info, &objectBody{ctx: ctx, f: f, r: io.NewSectionReader(f, off, n)}, nil
}

// objectRange applies the contract's range rules to an object of size bytes:
// a negative length reads to the end, a range past the end is cut short, an
// offset at the end reads nothing and one past it is InvalidArgument.
func objectRange(size, offset, length int64) (off, n int64, err error) {
	switch {
	case offset < 0:
		return 0, 0, sdk.InvalidArgument("offset", offset, "must not be negative")
	case offset > size:
		e := sdk.InvalidArgument("offset", offset, fmt.Sprintf("is past the end of the object (%d bytes)", size))
		e.ProviderCode = "InvalidRange"
		return 0, 0, e
	}
	n = size - offset
	if length >= 0 && length < n {
		n = length
	}
	return offset, n, nil
}

// openObject opens an object's file under the state lock, so that the file
// opened is the version the returned info describes (a later overwrite
// renames another file into place; the open one reads on unchanged).
func (c *Cloud) openObject(ctx context.Context, cfg config, bucket, key string) (sdk.ObjectInfo, *os.File, error) {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	dirs, err := c.dirs(cfg)
	if err != nil {
		return sdk.ObjectInfo{}, nil, err
	}
	var info sdk.ObjectInfo
	var f *os.File
	err = c.locked(ctx, cfg, false, func(t *txn) error {
		o, err := t.object(bucket, key)
		if err != nil {
			return err
		}
		if f, err = os.Open(dirs.object(o.File)); err != nil {
			return &sdk.Error{Code: sdk.CodeInternal,
				Message: fmt.Sprintf("the data of object %q in bucket %q is missing from the data directory: %v", key, bucket, err), Err: err}
		}
		info = objectView(o)
		return nil
	})
	return info, f, err
}

// objectBody reads a range of an object's file, stopping when the call's
// context ends.
type objectBody struct {
	ctx context.Context
	f   *os.File
	r   io.Reader
}

func (b *objectBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, ctxError(err)
	}
	return b.r.Read(p)
}

func (b *objectBody) Close() error { return b.f.Close() }

func (s *objects) Put(ctx context.Context, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	return s.c.putObject(ctx, cfg, req, body)
}

// putObject stores an object: the body is spooled to a temporary file and
// renamed into place, and the object's info recorded, only once the body has
// ended cleanly with the declared size and digest. Until then the previous
// version, if any, stays; after a failure nothing has changed.
func (c *Cloud) putObject(ctx context.Context, cfg config, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	if err := sdk.ValidateObjectKey(req.Key); err != nil {
		return sdk.ObjectInfo{}, err
	}
	if req.Size < -1 {
		return sdk.ObjectInfo{}, sdk.InvalidArgument("size", req.Size, "must be the byte count, or -1 when unknown")
	}
	wantSHA := strings.ToLower(req.SHA256)
	if wantSHA != "" {
		if b, err := hex.DecodeString(wantSHA); err != nil || len(b) != 32 {
			return sdk.ObjectInfo{}, sdk.InvalidArgument("sha256", req.SHA256, "must be a hex SHA-256 digest of 64 characters")
		}
	}
	contentType, err := checkContentType(req.ContentType)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	if err := validateMetadata(req.Metadata); err != nil {
		return sdk.ObjectInfo{}, err
	}
	if body == nil {
		return sdk.ObjectInfo{}, sdk.InvalidArgument("body", "<nil>", "must not be nil")
	}
	dirs, err := c.dirs(cfg)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	// Fail fast on a missing bucket, before reading the body.
	if err := c.locked(ctx, cfg, false, func(t *txn) error {
		_, err := t.bucket("bucket", req.Bucket)
		return err
	}); err != nil {
		return sdk.ObjectInfo{}, err
	}

	sp, err := spool(ctx, dirs, body, req.Size, wantSHA)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	var info sdk.ObjectInfo
	err = c.locked(ctx, cfg, true, func(t *txn) error {
		if err := ctx.Err(); err != nil {
			return ctxError(err)
		}
		if _, err := t.bucket("bucket", req.Bucket); err != nil {
			return err // deleted while the body was read
		}
		rec := &objectRecord{
			ObjectInfo: sdk.ObjectInfo{
				Bucket: req.Bucket, Key: req.Key, Size: sp.size,
				ETag: hex.EncodeToString(sp.md5), SHA256: hex.EncodeToString(sp.sha256),
				ContentType: contentType, Metadata: maps.Clone(req.Metadata), LastModified: t.now,
			},
			File: objectFile(req.Bucket, req.Key),
		}
		if err := t.storeObject(dirs, rec, sp.path); err != nil {
			return err
		}
		info = objectView(rec)
		return nil
	})
	if err != nil {
		dirs.remove(sp.path) // gone already if it was renamed
		return sdk.ObjectInfo{}, err
	}
	return info, nil
}

// storeObject renames the complete file tmp into place as rec's and records
// rec, replacing any earlier version. It is the last step of a change.
func (t *txn) storeObject(dirs dataDirs, rec *objectRecord, tmp string) error {
	if err := os.Rename(tmp, dirs.object(rec.File)); err != nil {
		return &sdk.Error{Code: sdk.CodeUnavailable, Message: "store object file: " + err.Error(), Err: err}
	}
	t.Objects[objectID(rec.Bucket, rec.Key)] = rec
	return nil
}

func (s *objects) Delete(ctx context.Context, bucket, key string) error {
	if err := sdk.ValidateObjectKey(key); err != nil {
		return err
	}
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return err
	}
	dirs, err := s.c.dirs(cfg)
	if err != nil {
		return err
	}
	return s.c.locked(ctx, cfg, true, func(t *txn) error {
		o, err := t.object(bucket, key)
		if err != nil {
			return err
		}
		dirs.remove(dirs.object(o.File))
		delete(t.Objects, objectID(bucket, key))
		return nil
	})
}

// object returns the object key of bucket.
func (t *txn) object(bucket, key string) (*objectRecord, error) {
	if _, err := t.bucket("bucket", bucket); err != nil {
		return nil, err
	}
	o, ok := t.Objects[objectID(bucket, key)]
	if !ok {
		e := missing("key", "object", key)
		e.Message = fmt.Sprintf("object %q not found in bucket %q", key, bucket)
		e.ProviderCode = "NoSuchKey"
		return nil, e
	}
	return o, nil
}

// checkContentType returns the content type to store: the one given, or the
// default. It must be printable ASCII, as it travels as an HTTP header.
func checkContentType(ct string) (string, error) {
	if ct == "" {
		return defaultContentType, nil
	}
	if len(ct) > 1024 {
		return "", sdk.InvalidArgument("content_type", ct[:64]+"...", "must be at most 1024 bytes")
	}
	for _, r := range ct {
		if r < ' ' || r > '~' {
			return "", sdk.InvalidArgument("content_type", ct, fmt.Sprintf("character %q is not printable ASCII", r))
		}
	}
	return ct, nil
}

// maxMetadataSize is S3's limit on user metadata: keys and values together.
const maxMetadataSize = 2 << 10

// validateMetadata applies the object stores' common rules: keys are letters,
// digits, '-', '_' and '.' (they travel as HTTP header names: x-amz-meta-…,
// X-Object-Meta-…), values have no control characters, and all of it takes at
// most 2 KiB. Clouds differ on the case of keys; portable callers use
// lowercase.
func validateMetadata(md map[string]string) error {
	total := 0
	for k, v := range md {
		total += len(k) + len(v)
		if k == "" {
			return sdk.InvalidArgument("metadata", k, "keys must not be empty")
		}
		for _, r := range k {
			if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')) {
				return sdk.InvalidArgument("metadata", k, fmt.Sprintf("key character %q is not allowed: use ASCII letters, digits, '-', '_' and '.'", r))
			}
		}
		if !utf8.ValidString(v) {
			return sdk.InvalidArgument("metadata", k, "the value must be valid UTF-8")
		}
		for _, r := range v {
			if unicode.IsControl(r) {
				return sdk.InvalidArgument("metadata", k, fmt.Sprintf("the value must not contain the control character %q", r))
			}
		}
	}
	if total > maxMetadataSize {
		return sdk.InvalidArgument("metadata", fmt.Sprintf("%d bytes", total), fmt.Sprintf("keys and values must take at most %d bytes together", maxMetadataSize))
	}
	return nil
}
