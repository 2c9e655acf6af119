package mock

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// uploadRecord is a pending multipart upload and its parts so far.
type uploadRecord struct {
	sdk.MultipartUpload
	ContentType string              `json:"content_type"`
	Metadata    map[string]string   `json:"metadata,omitempty"`
	Parts       map[int]*partRecord `json:"parts"`
}

// partRecord is an uploaded part and the file that holds its bytes. Each
// upload of a part gets a new file, so a Complete reading the previous one
// is not disturbed by its replacement.
type partRecord struct {
	sdk.UploadedPart
	File string `json:"file"`
}

// maxPartNumber is the highest part number (S3's limit).
const maxPartNumber = 10000

func (s *objects) CreateMultipartUpload(ctx context.Context, req sdk.CreateMultipartUploadRequest) (sdk.MultipartUpload, error) {
	if err := sdk.ValidateObjectKey(req.Key); err != nil {
		return sdk.MultipartUpload{}, err
	}
	contentType, err := checkContentType(req.ContentType)
	if err != nil {
		return sdk.MultipartUpload{}, err
	}
	if err := validateMetadata(req.Metadata); err != nil {
		return sdk.MultipartUpload{}, err
	}
	var up sdk.MultipartUpload
	err = s.c.write(ctx, func(t *txn) error {
		if _, err := t.bucket("bucket", req.Bucket); err != nil {
			return err
		}
		rec := &uploadRecord{
			MultipartUpload: sdk.MultipartUpload{ID: newID("mpu-", t.Uploads), Bucket: req.Bucket, Key: req.Key, CreateTime: t.now},
			ContentType:     contentType,
			Metadata:        maps.Clone(req.Metadata),
			Parts:           map[int]*partRecord{},
		}
		t.Uploads[rec.ID] = rec
		up = rec.MultipartUpload
		return nil
	})
	return up, err
}

// upload returns the pending upload id of bucket's key.
func (t *txn) upload(bucket, key, id string) (*uploadRecord, error) {
	if _, err := t.bucket("bucket", bucket); err != nil {
		return nil, err
	}
	up, ok := t.Uploads[id]
	if !ok || up.Bucket != bucket || up.Key != key {
		e := missing("upload_id", "multipart upload", id)
		e.Message = fmt.Sprintf("multipart upload %q of object %q in bucket %q not found (completed, aborted or never made)", id, key, bucket)
		e.ProviderCode = "NoSuchUpload"
		return nil, e
	}
	return up, nil
}

// UploadPart spools the part to its own file; uploading a part number again
// replaces the part.
func (s *objects) UploadPart(ctx context.Context, req sdk.UploadPartRequest, body io.Reader) (sdk.UploadedPart, error) {
	if req.PartNumber < 1 || req.PartNumber > maxPartNumber {
		return sdk.UploadedPart{}, sdk.InvalidArgument("part_number", req.PartNumber, fmt.Sprintf("must be from 1 to %d", maxPartNumber))
	}
	if req.Size < -1 {
		return sdk.UploadedPart{}, sdk.InvalidArgument("size", req.Size, "must be the byte count, or -1 when unknown")
	}
	if body == nil {
		return sdk.UploadedPart{}, sdk.InvalidArgument("body", "<nil>", "must not be nil")
	}
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	dirs, err := s.c.dirs(cfg)
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	if err := s.c.locked(ctx, cfg, false, func(t *txn) error {
		_, err := t.upload(req.Bucket, req.Key, req.UploadID)
		return err
	}); err != nil {
		return sdk.UploadedPart{}, err
	}

	sp, err := spool(ctx, dirs, body, req.Size, "")
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	var part sdk.UploadedPart
	err = s.c.locked(ctx, cfg, true, func(t *txn) error {
		if err := ctx.Err(); err != nil {
			return ctxError(err)
		}
		up, err := t.upload(req.Bucket, req.Key, req.UploadID)
		if err != nil {
			return err // aborted or completed while the part was read
		}
		rec := &partRecord{
			UploadedPart: sdk.UploadedPart{PartNumber: req.PartNumber, ETag: hex.EncodeToString(sp.md5), Size: sp.size},
			File:         fmt.Sprintf("%s-%d-%s", up.ID, req.PartNumber, randomHex(4)),
		}
		if err := os.Rename(sp.path, dirs.part(rec.File)); err != nil {
			return &sdk.Error{Code: sdk.CodeUnavailable, Message: "store part file: " + err.Error(), Err: err}
		}
		if old, ok := up.Parts[req.PartNumber]; ok {
			dirs.remove(dirs.part(old.File))
		}
		up.Parts[req.PartNumber] = rec
		part = rec.UploadedPart
		return nil
	})
	if err != nil {
		dirs.remove(sp.path)
		return sdk.UploadedPart{}, err
	}
	return part, nil
}

// CompleteMultipartUpload checks the listed parts against the uploaded ones,
// streams their files in part-number order into the object's file, and then,
// if the upload is still as it was checked, puts the object in place and
// drops the upload. Parts uploaded but not listed are discarded. The etag is
// S3's: the MD5 of the parts' binary MD5s, a dash and the number of parts.
func (s *objects) CompleteMultipartUpload(ctx context.Context, req sdk.CompleteMultipartUploadRequest) (sdk.ObjectInfo, error) {
	parts, err := sortedParts(req.Parts)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	dirs, err := s.c.dirs(cfg)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	var stored []*partRecord
	if err := s.c.locked(ctx, cfg, false, func(t *txn) error {
		up, err := t.upload(req.Bucket, req.Key, req.UploadID)
		if err != nil {
			return err
		}
		stored, err = matchParts(up, parts)
		return err
	}); err != nil {
		return sdk.ObjectInfo{}, err
	}

	f, err := os.CreateTemp(dirs.tmp(), "complete-*")
	if err != nil {
		return sdk.ObjectInfo{}, &sdk.Error{Code: sdk.CodeUnavailable, Message: "create object file: " + err.Error(), Err: err}
	}
	tmp := f.Name()
	size, sum, err := assemble(ctx, dirs, f, stored)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = &sdk.Error{Code: sdk.CodeUnavailable, Message: "close object file: " + cerr.Error(), Err: cerr}
	}
	if err != nil {
		os.Remove(tmp)
		return sdk.ObjectInfo{}, err
	}

	etags := md5.New()
	for _, p := range stored {
		b, _ := hex.DecodeString(p.ETag) // our own hex
		etags.Write(b)
	}
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(etags.Sum(nil)), len(stored))

	var info sdk.ObjectInfo
	err = s.c.locked(ctx, cfg, true, func(t *txn) error {
		if err := ctx.Err(); err != nil {
			return ctxError(err)
		}
		up, err := t.upload(req.Bucket, req.Key, req.UploadID)
		if err != nil {
			return err // aborted, or completed by another call, meanwhile
		}
		for _, p := range stored {
			if cur := up.Parts[p.PartNumber]; cur == nil || cur.File != p.File {
				return failedPrecondition("part %d of upload %s was replaced while the upload was being completed; complete it again", p.PartNumber, up.ID)
			}
		}
		rec := &objectRecord{
			ObjectInfo: sdk.ObjectInfo{
				Bucket: req.Bucket, Key: req.Key, Size: size, ETag: etag, SHA256: hex.EncodeToString(sum),
				ContentType: up.ContentType, Metadata: maps.Clone(up.Metadata), LastModified: t.now,
			},
			File: objectFile(req.Bucket, req.Key),
		}
		if err := t.storeObject(dirs, rec, tmp); err != nil {
			return err
		}
		dirs.removeParts(up)
		delete(t.Uploads, up.ID)
		info = objectView(rec)
		return nil
	})
	if err != nil {
		dirs.remove(tmp)
		return sdk.ObjectInfo{}, err
	}
	return info, nil
}

// sortedParts checks a Complete's part list and returns it sorted by number.
func sortedParts(parts []sdk.UploadedPart) ([]sdk.UploadedPart, error) {
	if len(parts) == 0 {
		return nil, sdk.InvalidArgument("parts", "[]", "must list at least one part")
	}
	sorted := slices.Clone(parts)
	slices.SortFunc(sorted, func(a, b sdk.UploadedPart) int { return a.PartNumber - b.PartNumber })
	for i, p := range sorted {
		if p.PartNumber < 1 || p.PartNumber > maxPartNumber {
			return nil, sdk.InvalidArgument("parts", p.PartNumber, fmt.Sprintf("part numbers must be from 1 to %d", maxPartNumber))
		}
		if i > 0 && sorted[i-1].PartNumber == p.PartNumber {
			return nil, sdk.InvalidArgument("parts", p.PartNumber, "part number listed twice")
		}
	}
	return sorted, nil
}

// matchParts returns the stored parts the sorted list names, checking that each
// was uploaded with the etag (and size, when given) the list says, and that
// every part but the last has at least sdk.MinPartSize bytes.
func matchParts(up *uploadRecord, parts []sdk.UploadedPart) ([]*partRecord, error) {
	stored := make([]*partRecord, len(parts))
	for i, p := range parts {
		s, ok := up.Parts[p.PartNumber]
		if !ok {
			e := sdk.InvalidArgument("parts", p.PartNumber, fmt.Sprintf("part %d was not uploaded to upload %s", p.PartNumber, up.ID))
			e.ProviderCode = "InvalidPart"
			return nil, e
		}
		if etag := strings.Trim(p.ETag, `"`); etag != s.ETag {
			e := sdk.InvalidArgument("parts", p.ETag, fmt.Sprintf("part %d has etag %q, not %q", p.PartNumber, s.ETag, etag))
			e.ProviderCode = "InvalidPart"
			return nil, e
		}
		if p.Size != 0 && p.Size != s.Size {
			return nil, sdk.InvalidArgument("parts", p.Size, fmt.Sprintf("part %d has %d bytes, not %d", p.PartNumber, s.Size, p.Size))
		}
		if i < len(parts)-1 && s.Size < sdk.MinPartSize {
			e := sdk.InvalidArgument("parts", p.PartNumber, fmt.Sprintf("part %d has %d bytes; every part but the last needs at least %d", p.PartNumber, s.Size, sdk.MinPartSize))
			e.ProviderCode = "EntityTooSmall"
			return nil, e
		}
		stored[i] = s
	}
	return stored, nil
}

// assemble streams the part files, in order, into w, and returns the size and
// SHA-256 of the whole.
func assemble(ctx context.Context, dirs dataDirs, w io.Writer, parts []*partRecord) (int64, []byte, error) {
	h := sha256.New()
	dst := io.MultiWriter(w, h)
	var total int64
	for _, p := range parts {
		f, err := os.Open(dirs.part(p.File))
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil, failedPrecondition("part %d was replaced or aborted while the upload was being completed", p.PartNumber)
		}
		if err != nil {
			return 0, nil, &sdk.Error{Code: sdk.CodeUnavailable, Message: "open part file: " + err.Error(), Err: err}
		}
		n, err := copyCtx(ctx, dst, f)
		f.Close()
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, ctxError(ctx.Err())
			}
			return 0, nil, &sdk.Error{Code: sdk.CodeUnavailable, Message: "copy part file: " + err.Error(), Err: err}
		}
		if n != p.Size {
			return 0, nil, &sdk.Error{Code: sdk.CodeInternal, Message: fmt.Sprintf("part %d file has %d bytes, its record %d", p.PartNumber, n, p.Size)}
		}
		total += n
	}
	return total, h.Sum(nil), nil
}

// AbortMultipartUpload removes the upload and its part files. An upload that
// is gone (or never was) is not an error: an abort retried after a lost answer
// must succeed.
func (s *objects) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	cfg, err := s.c.begin(ctx)
	if err != nil {
		return err
	}
	dirs, err := s.c.dirs(cfg)
	if err != nil {
		return err
	}
	return s.c.locked(ctx, cfg, true, func(t *txn) error {
		up, ok := t.Uploads[uploadID]
		if !ok || up.Bucket != bucket || up.Key != key {
			return nil
		}
		dirs.removeParts(up)
		delete(t.Uploads, uploadID)
		return nil
	})
}

// ListMultipartUploads lists a bucket's pending uploads of keys starting with
// opts.Prefix, by key and then upload id.
func (s *objects) ListMultipartUploads(ctx context.Context, opts sdk.ListMultipartUploadsOptions) (sdk.Page[sdk.MultipartUpload], error) {
	var all []sdk.MultipartUpload
	err := s.c.read(ctx, func(t *txn) error {
		if _, err := t.bucket("bucket", opts.Bucket); err != nil {
			return err
		}
		for _, up := range t.Uploads {
			if up.Bucket == opts.Bucket && strings.HasPrefix(up.Key, opts.Prefix) {
				all = append(all, up.MultipartUpload)
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, err
	}
	// Keys cannot hold NUL, so it separates key from id in the sort order.
	return sdk.Paginate(all, opts.ListOptions, func(u sdk.MultipartUpload) string { return u.Key + "\x00" + u.ID })
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("mock: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return hex.EncodeToString(b)
}
