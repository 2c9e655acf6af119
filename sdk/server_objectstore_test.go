package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

func TestObjectRoundTrip(t *testing.T) {
	objs := newMemObjects()
	c := serveTest(t, Plugin{Name: "fake", ObjectStore: &ObjectStore{Objects: objs}}, true)
	ctx := t.Context()
	data := randomBytes(3*wire.ChunkSize + 12345)
	sum := sha256.Sum256(data)

	info, err := putObject(ctx, c.objects, &pb.PutObjectHeader{
		Bucket: "b", Key: "dir/obj.bin", ContentType: "application/octet-stream",
		Metadata: map[string]string{"owner": "me"}, Size: int64(len(data)), Sha256: hex.EncodeToString(sum[:]),
	}, data, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if info.GetSize() != int64(len(data)) || info.GetKey() != "dir/obj.bin" || info.GetMetadata()["owner"] != "me" {
		t.Errorf("PutObject = %v", info)
	}

	tests := []struct {
		name       string
		offset     int64
		length     *int64
		wantLength int64 // what the driver must see
		want       []byte
	}{
		{"whole object", 0, nil, -1, data},
		{"range", 1000, ptr(int64(2 * wire.ChunkSize)), 2 * wire.ChunkSize, data[1000 : 1000+2*wire.ChunkSize]},
		{"tail", int64(len(data) - 10), nil, -1, data[len(data)-10:]},
		{"empty range", 5, ptr(int64(0)), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closesBefore := objs.closes.Load()
			info, got, err := getObject(ctx, c.objects, &pb.GetObjectRequest{Bucket: "b", Key: "dir/obj.bin", Offset: tt.offset, Length: tt.length})
			if err != nil {
				t.Fatal(err)
			}
			if info.GetSize() != int64(len(data)) || info.GetContentType() != "application/octet-stream" {
				t.Errorf("info = %v", info)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want %d (equal prefix: %v)", len(got), len(tt.want), bytes.HasPrefix(tt.want, got))
			}
			if l := objs.lastLength.Load(); l != tt.wantLength {
				t.Errorf("driver saw Length %d, want %d", l, tt.wantLength)
			}
			if objs.closes.Load() != closesBefore+1 {
				t.Error("the driver's reader was not closed")
			}
		})
	}

	_, _, err = getObject(ctx, c.objects, &pb.GetObjectRequest{Bucket: "b", Key: "missing"})
	wantStatus(t, err, codes.NotFound, "NotFound", "missing")
	_, _, err = getObject(ctx, c.objects, &pb.GetObjectRequest{Bucket: "b", Key: "dir/obj.bin", Length: ptr(int64(-5))})
	wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "length")
}

func TestGetObjectClosesReaderWhenClientLeaves(t *testing.T) {
	objs := newMemObjects()
	objs.put("b", "big", randomBytes(8*wire.ChunkSize))
	c := serveTest(t, Plugin{Name: "fake", ObjectStore: &ObjectStore{Objects: objs}}, true)
	ctx, cancel := context.WithCancel(t.Context())
	stream, err := c.objects.GetObject(ctx, &pb.GetObjectRequest{Bucket: "b", Key: "big"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the info
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for objs.closes.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the driver's reader was not closed after the client canceled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPutObjectRefusals(t *testing.T) {
	data := randomBytes(2*wire.ChunkSize + 7)
	wrongSum := sha256.Sum256([]byte("something else"))
	tests := []struct {
		name      string
		send      func(stream grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error
		wantParam string
	}{
		{"no header", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return s.Send(&pb.PutObjectRequest{Part: &pb.PutObjectRequest_Chunk{Chunk: data[:10]}})
		}, "header"},
		{"empty stream", func(grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return nil
		}, "header"},
		{"bad key", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return sendPut(s, &pb.PutObjectHeader{Bucket: "b", Key: "", Size: -1}, data)
		}, "key"},
		{"fewer bytes than declared", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return sendPut(s, &pb.PutObjectHeader{Bucket: "b", Key: "k", Size: int64(len(data)) + 1}, data)
		}, "size"},
		{"more bytes than declared", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return sendPut(s, &pb.PutObjectHeader{Bucket: "b", Key: "k", Size: 100}, data)
		}, "size"},
		{"wrong sha256", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return sendPut(s, &pb.PutObjectHeader{Bucket: "b", Key: "k", Size: -1, Sha256: hex.EncodeToString(wrongSum[:])}, data)
		}, "sha256"},
		{"malformed sha256", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			return sendPut(s, &pb.PutObjectHeader{Bucket: "b", Key: "k", Size: -1, Sha256: "xyz"}, data)
		}, "sha256"},
		{"second header", func(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo]) error {
			hdr := &pb.PutObjectHeader{Bucket: "b", Key: "k", Size: -1}
			if err := sendPut(s, hdr, data[:10]); err != nil {
				return err
			}
			return s.Send(&pb.PutObjectRequest{Part: &pb.PutObjectRequest_Header{Header: hdr}})
		}, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := newMemObjects()
			c := serveTest(t, Plugin{Name: "fake", ObjectStore: &ObjectStore{Objects: objs}}, true)
			stream, err := c.objects.PutObject(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.send(stream); err != nil && !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			_, err = stream.CloseAndRecv()
			wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "")
			if got := errorInfo(err).GetMetadata()["param"]; got != tt.wantParam {
				t.Errorf("param = %q, want %q (%v)", got, tt.wantParam, err)
			}
			if n := objs.count(); n != 0 {
				t.Errorf("%d objects stored", n)
			}
		})
	}
}

// A client that cancels an upload midway makes the body read fail, and the
// driver stores nothing.
func TestPutObjectCanceled(t *testing.T) {
	objs := newMemObjects()
	objs.putDone = make(chan error, 1)
	c := serveTest(t, Plugin{Name: "fake", ObjectStore: &ObjectStore{Objects: objs}}, true)
	ctx, cancel := context.WithCancel(t.Context())
	stream, err := c.objects.PutObject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendPut(stream, &pb.PutObjectHeader{Bucket: "b", Key: "k", Size: -1}, randomBytes(2*wire.ChunkSize)); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-objs.putDone:
		if err == nil {
			t.Fatal("the driver's Put succeeded after the client canceled")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the driver's Put did not return after the client canceled")
	}
	if n := objs.count(); n != 0 {
		t.Errorf("%d objects stored by a canceled upload", n)
	}
}

func TestMultipartAndPresign(t *testing.T) {
	objs := newMemObjects()
	c := serveTest(t, Plugin{Name: "fake", ObjectStore: &ObjectStore{Objects: objs}}, true)
	ctx := t.Context()
	up, err := c.objects.CreateMultipartUpload(ctx, &pb.CreateMultipartUploadRequest{Bucket: "b", Key: "big"})
	if err != nil {
		t.Fatal(err)
	}
	part1, part2 := randomBytes(wire.ChunkSize+1), randomBytes(1000)
	var parts []*pb.UploadedPart
	for i, data := range [][]byte{part1, part2} {
		stream, err := c.objects.UploadPart(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hdr := &pb.UploadPartHeader{Bucket: "b", Key: "big", UploadId: up.GetId(), PartNumber: int32(i + 1), Size: int64(len(data))}
		if err := stream.Send(&pb.UploadPartRequest{Part: &pb.UploadPartRequest_Header{Header: hdr}}); err != nil {
			t.Fatal(err)
		}
		if _, err := wire.SendChunks(bytes.NewReader(data), func(b []byte) error {
			return stream.Send(&pb.UploadPartRequest{Part: &pb.UploadPartRequest_Chunk{Chunk: b}})
		}); err != nil {
			t.Fatal(err)
		}
		p, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	// Parts in any order.
	info, err := c.objects.CompleteMultipartUpload(ctx, &pb.CompleteMultipartUploadRequest{
		Bucket: "b", Key: "big", UploadId: up.GetId(), Parts: []*pb.UploadedPart{parts[1], parts[0]},
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetSize() != int64(len(part1)+len(part2)) {
		t.Errorf("size = %d", info.GetSize())
	}
	_, got, err := getObject(ctx, c.objects, &pb.GetObjectRequest{Bucket: "b", Key: "big"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(append([]byte{}, part1...), part2...)) {
		t.Error("assembled object differs from its parts")
	}

	stream, err := c.objects.UploadPart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&pb.UploadPartRequest{Part: &pb.UploadPartRequest_Header{Header: &pb.UploadPartHeader{
		Bucket: "b", Key: "big", UploadId: up.GetId(), PartNumber: 10001, Size: -1}}})
	_, err = stream.CloseAndRecv()
	wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "part_number")

	u, err := c.objects.PresignURL(ctx, &pb.PresignURLRequest{Bucket: "b", Key: "big", Method: "get", ExpiresInSeconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	if u.GetMethod() != "GET" || u.GetUrl() != "https://objects.example/b/big?expires=60" {
		t.Errorf("PresignURL = %v", u)
	}
	_, err = c.objects.PresignURL(ctx, &pb.PresignURLRequest{Bucket: "b", Key: "big", Method: "DELETE"})
	wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "method")
}

// ---- helpers ----

func putObject(ctx context.Context, c pb.ObjectStoreClient, hdr *pb.PutObjectHeader, data []byte, chunk int) (*pb.ObjectInfo, error) {
	stream, err := c.PutObject(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&pb.PutObjectRequest{Part: &pb.PutObjectRequest_Header{Header: hdr}}); err != nil {
		return nil, err
	}
	// Uneven chunks, to show the server does not depend on chunk boundaries.
	for len(data) > 0 {
		n := min(chunk, len(data))
		if err := stream.Send(&pb.PutObjectRequest{Part: &pb.PutObjectRequest_Chunk{Chunk: data[:n]}}); err != nil {
			break // the server answered early; CloseAndRecv has its status
		}
		data = data[n:]
	}
	return stream.CloseAndRecv()
}

func sendPut(s grpc.ClientStreamingClient[pb.PutObjectRequest, pb.ObjectInfo], hdr *pb.PutObjectHeader, data []byte) error {
	if err := s.Send(&pb.PutObjectRequest{Part: &pb.PutObjectRequest_Header{Header: hdr}}); err != nil {
		return err
	}
	_, err := wire.SendChunks(bytes.NewReader(data), func(b []byte) error {
		return s.Send(&pb.PutObjectRequest{Part: &pb.PutObjectRequest_Chunk{Chunk: b}})
	})
	return err
}

func getObject(ctx context.Context, c pb.ObjectStoreClient, req *pb.GetObjectRequest) (*pb.ObjectInfo, []byte, error) {
	stream, err := c.GetObject(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	first, err := stream.Recv()
	if err != nil {
		return nil, nil, err
	}
	if first.GetInfo() == nil {
		return nil, nil, fmt.Errorf("first message is not the info: %v", first)
	}
	data, err := io.ReadAll(wire.NewChunkReader(func() ([]byte, error) {
		m, err := stream.Recv()
		return m.GetChunk(), err
	}))
	return first.GetInfo(), data, err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// memObjects is an in-memory Objects driver with multipart uploads and
// presigned URLs.
type memObjects struct {
	mu      sync.Mutex
	objects map[string]memObject
	uploads map[string]map[int][]byte

	panicOnGet bool
	putDone    chan error // receives each Put's result, when set
	lastLength atomic.Int64
	closes     atomic.Int32
}

type memObject struct {
	data        []byte
	contentType string
	metadata    map[string]string
}

func newMemObjects() *memObjects {
	return &memObjects{objects: map[string]memObject{}, uploads: map[string]map[int][]byte{}}
}

func (m *memObjects) put(bucket, key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[bucket+"/"+key] = memObject{data: data}
}

func (m *memObjects) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.objects)
}

func (m *memObjects) info(bucket, key string, o memObject) ObjectInfo {
	return ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(o.data)), ContentType: o.contentType, Metadata: o.metadata}
}

func (m *memObjects) List(context.Context, ListObjectsOptions) (ObjectPage, error) {
	return ObjectPage{}, nil
}

func (m *memObjects) Head(_ context.Context, bucket, key string) (ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[bucket+"/"+key]
	if !ok {
		return ObjectInfo{}, NotFound("object", key)
	}
	return m.info(bucket, key, o), nil
}

func (m *memObjects) Get(ctx context.Context, req GetObjectRequest) (ObjectInfo, io.ReadCloser, error) {
	if m.panicOnGet {
		panic("get exploded")
	}
	m.lastLength.Store(req.Length)
	info, err := m.Head(ctx, req.Bucket, req.Key)
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	m.mu.Lock()
	data := m.objects[req.Bucket+"/"+req.Key].data
	m.mu.Unlock()
	if req.Offset > int64(len(data)) {
		return ObjectInfo{}, nil, InvalidArgument("offset", req.Offset, "past the end")
	}
	end := int64(len(data))
	if req.Length >= 0 {
		end = min(end, req.Offset+req.Length)
	}
	return info, &countingCloser{Reader: bytes.NewReader(data[req.Offset:end]), closes: &m.closes}, nil
}

func (m *memObjects) Put(ctx context.Context, req PutObjectRequest, body io.Reader) (ObjectInfo, error) {
	data, err := io.ReadAll(body)
	if err == nil {
		err = ctx.Err()
	}
	if m.putDone != nil {
		m.putDone <- err
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	o := memObject{data: data, contentType: req.ContentType, metadata: req.Metadata}
	m.mu.Lock()
	m.objects[req.Bucket+"/"+req.Key] = o
	m.mu.Unlock()
	return m.info(req.Bucket, req.Key, o), nil
}

func (m *memObjects) Delete(_ context.Context, bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, bucket+"/"+key)
	return nil
}

func (m *memObjects) CreateMultipartUpload(_ context.Context, req CreateMultipartUploadRequest) (MultipartUpload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := fmt.Sprintf("up-%d", len(m.uploads)+1)
	m.uploads[id] = map[int][]byte{}
	return MultipartUpload{ID: id, Bucket: req.Bucket, Key: req.Key}, nil
}

func (m *memObjects) UploadPart(_ context.Context, req UploadPartRequest, body io.Reader) (UploadedPart, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return UploadedPart{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	up, ok := m.uploads[req.UploadID]
	if !ok {
		return UploadedPart{}, NotFound("upload", req.UploadID)
	}
	up[req.PartNumber] = data
	return UploadedPart{PartNumber: req.PartNumber, ETag: fmt.Sprintf("etag-%d", req.PartNumber), Size: int64(len(data))}, nil
}

func (m *memObjects) CompleteMultipartUpload(_ context.Context, req CompleteMultipartUploadRequest) (ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	up, ok := m.uploads[req.UploadID]
	if !ok {
		return ObjectInfo{}, NotFound("upload", req.UploadID)
	}
	sort.Slice(req.Parts, func(i, j int) bool { return req.Parts[i].PartNumber < req.Parts[j].PartNumber })
	var data []byte
	for _, p := range req.Parts {
		data = append(data, up[p.PartNumber]...)
	}
	delete(m.uploads, req.UploadID)
	o := memObject{data: data}
	m.objects[req.Bucket+"/"+req.Key] = o
	return m.info(req.Bucket, req.Key, o), nil
}

func (m *memObjects) AbortMultipartUpload(_ context.Context, _, _, uploadID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.uploads, uploadID)
	return nil
}

func (m *memObjects) ListMultipartUploads(context.Context, ListMultipartUploadsOptions) (Page[MultipartUpload], error) {
	return Page[MultipartUpload]{}, nil
}

func (m *memObjects) PresignURL(_ context.Context, req PresignRequest) (PresignedURL, error) {
	return PresignedURL{
		URL:    fmt.Sprintf("https://objects.example/%s/%s?expires=%d", req.Bucket, req.Key, int(req.ExpiresIn.Seconds())),
		Method: req.Method,
	}, nil
}

// plainObjects hides memObjects' optional interfaces.
type plainObjects struct{ Objects }

type countingCloser struct {
	io.Reader
	closes *atomic.Int32
}

func (c *countingCloser) Close() error { c.closes.Add(1); return nil }
