package mock

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func uploader(p sdk.Plugin) sdk.MultipartUploader {
	return p.ObjectStore.Objects.(sdk.MultipartUploader)
}

func createUpload(t *testing.T, p sdk.Plugin, key string) sdk.MultipartUpload {
	t.Helper()
	up, err := uploader(p).CreateMultipartUpload(t.Context(), sdk.CreateMultipartUploadRequest{
		Bucket: "bkt", Key: key, ContentType: "application/x-test", Metadata: map[string]string{"origin": "parts"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return up
}

func uploadPart(t *testing.T, p sdk.Plugin, up sdk.MultipartUpload, n int, body []byte) sdk.UploadedPart {
	t.Helper()
	part, err := uploader(p).UploadPart(t.Context(), sdk.UploadPartRequest{
		Bucket: up.Bucket, Key: up.Key, UploadID: up.ID, PartNumber: n, Size: int64(len(body)),
	}, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("upload part %d: %v", n, err)
	}
	return part
}

func TestMultipartOutOfOrder(t *testing.T) {
	p, c := newStore(t, nil)
	mu := uploader(p)
	up := createUpload(t, p, "big")
	bodies := [][]byte{
		bytes.Repeat([]byte("a"), sdk.MinPartSize),
		bytes.Repeat([]byte("b"), sdk.MinPartSize+1),
		[]byte("tail"),
	}
	// Uploaded last to first, listed in a shuffled order.
	parts := make([]sdk.UploadedPart, 3)
	for i := 2; i >= 0; i-- {
		parts[i] = uploadPart(t, p, up, i+1, bodies[i])
		if sum := md5.Sum(bodies[i]); parts[i].ETag != hex.EncodeToString(sum[:]) || parts[i].Size != int64(len(bodies[i])) {
			t.Fatalf("part %d = %+v", i+1, parts[i])
		}
	}
	if files := dataFiles(t, c, "parts"); len(files) != 3 {
		t.Fatalf("part files = %v", files)
	}
	info, err := mu.CompleteMultipartUpload(t.Context(), sdk.CompleteMultipartUploadRequest{
		Bucket: "bkt", Key: "big", UploadID: up.ID, Parts: []sdk.UploadedPart{parts[1], parts[2], parts[0]},
	})
	if err != nil {
		t.Fatal(err)
	}
	whole := slices.Concat(bodies...)
	md5s := md5.New()
	for _, b := range bodies {
		s := md5.Sum(b)
		md5s.Write(s[:])
	}
	sum := sha256.Sum256(whole)
	if info.Size != int64(len(whole)) || info.ETag != hex.EncodeToString(md5s.Sum(nil))+"-3" || info.SHA256 != hex.EncodeToString(sum[:]) ||
		info.ContentType != "application/x-test" || info.Metadata["origin"] != "parts" {
		t.Fatalf("completed object = %+v", info)
	}
	_, got, err := get(t, p, "big", 0, -1)
	if err != nil || got != string(whole) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if files := dataFiles(t, c, "parts"); len(files) != 0 {
		t.Errorf("part files left after complete: %v", files)
	}
	// The upload is gone: completing or uploading to it again is NotFound, aborting it is fine.
	_, err = mu.CompleteMultipartUpload(t.Context(), sdk.CompleteMultipartUploadRequest{Bucket: "bkt", Key: "big", UploadID: up.ID, Parts: parts})
	wantErr(t, err, sdk.CodeNotFound, "upload_id")
	_, err = mu.UploadPart(t.Context(), sdk.UploadPartRequest{Bucket: "bkt", Key: "big", UploadID: up.ID, PartNumber: 1, Size: 1}, strings.NewReader("x"))
	wantErr(t, err, sdk.CodeNotFound, "upload_id")
	if err := mu.AbortMultipartUpload(t.Context(), "bkt", "big", up.ID); err != nil {
		t.Fatal(err)
	}
}

func TestMultipartCompleteErrors(t *testing.T) {
	p, _ := newStore(t, nil)
	mu := uploader(p)
	up := createUpload(t, p, "k")
	small := uploadPart(t, p, up, 1, []byte("small"))
	big := uploadPart(t, p, up, 2, bytes.Repeat([]byte("b"), sdk.MinPartSize))
	last := uploadPart(t, p, up, 3, []byte("last"))
	complete := func(parts ...sdk.UploadedPart) error {
		_, err := mu.CompleteMultipartUpload(t.Context(), sdk.CompleteMultipartUploadRequest{Bucket: "bkt", Key: "k", UploadID: up.ID, Parts: parts})
		return err
	}
	for _, tc := range []struct {
		name  string
		parts []sdk.UploadedPart
	}{
		{"no parts", nil},
		{"a part below the minimum before the last", []sdk.UploadedPart{small, big}},
		{"a part never uploaded", []sdk.UploadedPart{big, {PartNumber: 7, ETag: last.ETag}}},
		{"a wrong etag", []sdk.UploadedPart{big, {PartNumber: 3, ETag: small.ETag}}},
		{"a wrong size", []sdk.UploadedPart{big, {PartNumber: 3, ETag: last.ETag, Size: 99}}},
		{"a part listed twice", []sdk.UploadedPart{big, big}},
		{"part number 0", []sdk.UploadedPart{{PartNumber: 0, ETag: small.ETag}}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, complete(tc.parts...), sdk.CodeInvalidArgument, "parts") })
	}
	_, err := mu.UploadPart(t.Context(), sdk.UploadPartRequest{Bucket: "bkt", Key: "k", UploadID: up.ID, PartNumber: 10001, Size: -1}, strings.NewReader("x"))
	wantErr(t, err, sdk.CodeInvalidArgument, "part_number")
	_, err = mu.UploadPart(t.Context(), sdk.UploadPartRequest{Bucket: "bkt", Key: "other", UploadID: up.ID, PartNumber: 1, Size: -1}, strings.NewReader("x"))
	wantErr(t, err, sdk.CodeNotFound, "upload_id")

	// A failed complete leaves the upload as it was: a quoted etag and a
	// subset of the parts (the small one dropped) complete it.
	if err := complete(sdk.UploadedPart{PartNumber: 2, ETag: `"` + big.ETag + `"`}, last); err != nil {
		t.Fatal(err)
	}
	_, got, err := get(t, p, "k", sdk.MinPartSize, -1)
	if err != nil || got != "last" {
		t.Fatalf("tail of the object = %q, %v", got, err)
	}
}

func TestMultipartReplaceAbortAndList(t *testing.T) {
	p, c := newStore(t, nil)
	mu := uploader(p)
	up := createUpload(t, p, "logs/one")
	uploadPart(t, p, up, 1, []byte("first"))
	replaced := uploadPart(t, p, up, 1, []byte("second"))
	if files := dataFiles(t, c, "parts"); len(files) != 1 {
		t.Fatalf("replacing a part left files %v", files)
	}
	if _, err := mu.CompleteMultipartUpload(t.Context(), sdk.CompleteMultipartUploadRequest{Bucket: "bkt", Key: "logs/one", UploadID: up.ID, Parts: []sdk.UploadedPart{replaced}}); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := get(t, p, "logs/one", 0, -1); got != "second" {
		t.Fatalf("object = %q, want the replacing part", got)
	}

	var ids []string
	for i := range 5 {
		ids = append(ids, createUpload(t, p, fmt.Sprintf("logs/%d", i)).ID)
	}
	other := createUpload(t, p, "other")
	var listed []string
	for opts := (sdk.ListMultipartUploadsOptions{Bucket: "bkt", Prefix: "logs/", ListOptions: sdk.ListOptions{PageSize: 2}}); ; {
		page, err := mu.ListMultipartUploads(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Items {
			listed = append(listed, u.ID)
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if !slices.Equal(listed, ids) {
		t.Fatalf("listed uploads %v, want %v", listed, ids)
	}

	uploadPart(t, p, other, 1, []byte("x"))
	for range 2 { // abort is idempotent
		if err := mu.AbortMultipartUpload(t.Context(), "bkt", "other", other.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.ObjectStore.Objects.Head(t.Context(), "bkt", "other"); sdk.CodeOf(err) != sdk.CodeNotFound {
		t.Fatalf("aborted upload made an object: %v", err)
	}
	page, err := mu.ListMultipartUploads(t.Context(), sdk.ListMultipartUploadsOptions{Bucket: "bkt", Prefix: "other"})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("aborted upload still listed: %v, %v", page.Items, err)
	}
	if files := dataFiles(t, c, "parts"); len(files) != 0 {
		t.Fatalf("abort left part files %v", files)
	}
}

// TestAbortDuringUploadPart: a part whose upload is aborted while its body is
// being read is refused and leaves no file.
func TestAbortDuringUploadPart(t *testing.T) {
	p, c := newStore(t, nil)
	up := createUpload(t, p, "k")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := uploader(p).UploadPart(t.Context(), sdk.UploadPartRequest{Bucket: "bkt", Key: "k", UploadID: up.ID, PartNumber: 1, Size: -1}, pr)
		done <- err
	}()
	if _, err := pw.Write([]byte("some bytes")); err != nil {
		t.Fatal(err)
	}
	if err := uploader(p).AbortMultipartUpload(t.Context(), "bkt", "k", up.ID); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	wantErr(t, <-done, sdk.CodeNotFound, "upload_id")
	if files := append(dataFiles(t, c, "parts"), dataFiles(t, c, "tmp")...); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
}
