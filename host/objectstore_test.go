package host

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

type recordingObjects struct {
	sdk.Objects
	put  sdk.PutObjectRequest
	body string
}

func (o *recordingObjects) Put(_ context.Context, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	b, err := io.ReadAll(body)
	o.put, o.body = req, string(b)
	return sdk.ObjectInfo{Bucket: req.Bucket, Key: req.Key, Size: int64(len(b))}, err
}

func objectsOver(drv sdk.Objects) *ObjectService {
	p := driverProvider(sdk.Plugin{ObjectStore: &sdk.ObjectStore{Objects: drv}})
	return p.Storage.Buckets.wrap(sdk.Bucket{Name: "bucket-1"}).Objects
}

func TestPutSize(t *testing.T) {
	for name, tc := range map[string]struct {
		body     io.Reader
		size     int64
		wantSize int64
		param    string
	}{
		"known size":                {body: strings.NewReader("hello"), size: 5, wantSize: 5},
		"unknown size":              {body: strings.NewReader("hello"), size: -1, wantSize: -1},
		"zero options mean unknown": {body: strings.NewReader("hello"), size: 0, wantSize: -1},
		"nil body is empty":         {body: nil, size: -1, wantSize: 0},
		"size below -1":             {body: strings.NewReader("hello"), size: -2, param: "size"},
	} {
		t.Run(name, func(t *testing.T) {
			drv := &recordingObjects{}
			_, err := objectsOver(drv).Put(t.Context(), "a/b.txt", tc.body, PutOptions{Size: tc.size})
			if tc.param != "" {
				wantParam(t, err, tc.param)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if drv.put.Size != tc.wantSize || drv.put.Bucket != "bucket-1" {
				t.Fatalf("driver got bucket %q size %d, want bucket-1 size %d", drv.put.Bucket, drv.put.Size, tc.wantSize)
			}
		})
	}
}

func TestObjectKeysAndRangesAreCheckedFirst(t *testing.T) {
	objs := objectsOver(&recordingObjects{})
	_, err := objs.Head(t.Context(), "")
	wantParam(t, err, "key")
	_, _, err = objs.GetRange(t.Context(), "k", -1, 10)
	wantParam(t, err, "offset")
	_, err = objs.PresignGet(t.Context(), "k", 0, PresignOptions{})
	wantParam(t, err, "expires_in")
}

func TestMultipartNeedsCapabilityAndInterface(t *testing.T) {
	objs := objectsOver(&recordingObjects{})
	if _, err := objs.CreateMultipartUpload(t.Context(), "k", UploadOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unadvertised: err = %v, want ErrUnsupported", err)
	}
	// A plugin that advertises multipart without implementing it must not
	// make the host panic.
	objs.p.caps[sdk.CapMultipart] = true
	if _, err := objs.CreateMultipartUpload(t.Context(), "k", UploadOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("advertised, not implemented: err = %v, want ErrUnsupported", err)
	}
	for _, err := range objs.ListMultipartUploads(t.Context(), "") {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("list uploads: err = %v, want ErrUnsupported", err)
		}
	}
}
