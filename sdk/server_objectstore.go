package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// objectStoreServer serves the ObjectStore service over a plugin's ObjectStore
// family. Object bytes are streamed through in wire.ChunkSize chunks, so memory
// per transfer stays bounded whatever the object size.
type objectStoreServer struct {
	pb.UnimplementedObjectStoreServer
	o *ObjectStore
}

// ---- buckets ----

func (s *objectStoreServer) ListBuckets(ctx context.Context, req *pb.ListBucketsRequest) (*pb.ListBucketsResponse, error) {
	if s.o.Buckets == nil {
		return nil, Unsupported(CapBuckets)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.o.Buckets.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListBucketsResponse{Buckets: convertAll(page.Items, bucketToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *objectStoreServer) GetBucket(ctx context.Context, req *pb.GetBucketRequest) (*pb.Bucket, error) {
	if s.o.Buckets == nil {
		return nil, Unsupported(CapBuckets)
	}
	b, err := s.o.Buckets.Get(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	return bucketToPB(b), nil
}

func (s *objectStoreServer) CreateBucket(ctx context.Context, req *pb.CreateBucketRequest) (*pb.Bucket, error) {
	if s.o.Buckets == nil {
		return nil, Unsupported(CapBuckets)
	}
	// Only new names are checked: buckets made under older, looser rules (S3's
	// legacy us-east-1 names) must stay reachable.
	if err := ValidateBucketName(req.GetName()); err != nil {
		return nil, err
	}
	b, err := s.o.Buckets.Create(ctx, BucketSpec{
		Name:             req.GetName(),
		Location:         req.GetLocation(),
		IdempotencyToken: req.GetIdempotencyToken(),
	})
	if err != nil {
		return nil, err
	}
	return bucketToPB(b), nil
}

func (s *objectStoreServer) DeleteBucket(ctx context.Context, req *pb.DeleteBucketRequest) (*pb.DeleteBucketResponse, error) {
	if s.o.Buckets == nil {
		return nil, Unsupported(CapBuckets)
	}
	if err := s.o.Buckets.Delete(ctx, req.GetName(), req.GetDeleteContents()); err != nil {
		return nil, err
	}
	return &pb.DeleteBucketResponse{}, nil
}

func bucketToPB(b Bucket) *pb.Bucket {
	return &pb.Bucket{
		Id:         b.ID,
		Name:       b.Name,
		Location:   b.Location,
		CreateTime: wire.Timestamp(b.CreateTime),
		Extra:      wire.CopyMap(b.Extra),
	}
}

// ---- objects ----

func (s *objectStoreServer) objects() (Objects, error) {
	if s.o.Objects == nil {
		return nil, Unsupported(CapObjects)
	}
	return s.o.Objects, nil
}

func (s *objectStoreServer) ListObjects(ctx context.Context, req *pb.ListObjectsRequest) (*pb.ListObjectsResponse, error) {
	objs, err := s.objects()
	if err != nil {
		return nil, err
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := objs.List(ctx, ListObjectsOptions{
		ListOptions: opts,
		Bucket:      req.GetBucket(),
		Prefix:      req.GetPrefix(),
		Delimiter:   req.GetDelimiter(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.ListObjectsResponse{
		Objects:        convertAll(page.Objects, objectInfoToPB),
		CommonPrefixes: page.CommonPrefixes,
		NextPageToken:  page.NextPageToken,
	}, nil
}

func (s *objectStoreServer) HeadObject(ctx context.Context, req *pb.HeadObjectRequest) (*pb.ObjectInfo, error) {
	objs, err := s.objects()
	if err != nil {
		return nil, err
	}
	info, err := objs.Head(ctx, req.GetBucket(), req.GetKey())
	if err != nil {
		return nil, err
	}
	return objectInfoToPB(info), nil
}

// GetObject sends the object's info, then its bytes in chunks. The driver's
// reader is always closed, also when the client goes away mid-stream.
func (s *objectStoreServer) GetObject(req *pb.GetObjectRequest, stream grpc.ServerStreamingServer[pb.GetObjectResponse]) error {
	objs, err := s.objects()
	if err != nil {
		return err
	}
	if req.GetOffset() < 0 {
		return InvalidArgument("offset", req.GetOffset(), "must not be negative")
	}
	length := int64(-1) // unset: to the end
	if req.Length != nil {
		if length = req.GetLength(); length < 0 {
			return InvalidArgument("length", length, "must not be negative; leave it unset to read to the end")
		}
	}
	info, body, err := objs.Get(stream.Context(), GetObjectRequest{
		Bucket: req.GetBucket(),
		Key:    req.GetKey(),
		Offset: req.GetOffset(),
		Length: length,
	})
	if body != nil {
		defer body.Close()
	}
	if err != nil {
		return err
	}
	if err := stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Info{Info: objectInfoToPB(info)}}); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	_, err = wire.SendChunks(body, func(chunk []byte) error {
		return stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Chunk{Chunk: chunk}})
	})
	return err
}

// PutObject reads the header, then hands the driver a reader over the chunks
// that follow. The reader fails if the client cancels (the stream's context
// ends with it), if the byte count differs from a declared size, or if a
// declared sha256 does not match, so the driver never sees a clean EOF on bad
// data and stores nothing.
func (s *objectStoreServer) PutObject(stream grpc.ClientStreamingServer[pb.PutObjectRequest, pb.ObjectInfo]) error {
	objs, err := s.objects()
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return InvalidArgument("header", "", "the stream must start with a PutObjectHeader")
	}
	if err := ValidateObjectKey(hdr.GetKey()); err != nil {
		return err
	}
	if hdr.GetSize() < -1 {
		return InvalidArgument("size", hdr.GetSize(), "must be the byte count, or -1 when unknown")
	}
	body, err := checkedBody(chunkReader(stream.Recv, (*pb.PutObjectRequest).GetHeader, (*pb.PutObjectRequest).GetChunk),
		hdr.GetSize(), hdr.GetSha256())
	if err != nil {
		return err
	}
	info, err := objs.Put(stream.Context(), PutObjectRequest{
		Bucket:      hdr.GetBucket(),
		Key:         hdr.GetKey(),
		ContentType: hdr.GetContentType(),
		Metadata:    wire.CopyMap(hdr.GetMetadata()),
		Size:        hdr.GetSize(),
		SHA256:      hdr.GetSha256(),
	}, body)
	if err != nil {
		return err
	}
	return stream.SendAndClose(objectInfoToPB(info))
}

func (s *objectStoreServer) DeleteObject(ctx context.Context, req *pb.DeleteObjectRequest) (*pb.DeleteObjectResponse, error) {
	objs, err := s.objects()
	if err != nil {
		return nil, err
	}
	if err := objs.Delete(ctx, req.GetBucket(), req.GetKey()); err != nil {
		return nil, err
	}
	return &pb.DeleteObjectResponse{}, nil
}

func objectInfoToPB(o ObjectInfo) *pb.ObjectInfo {
	return &pb.ObjectInfo{
		Bucket:       o.Bucket,
		Key:          o.Key,
		Size:         o.Size,
		Etag:         o.ETag,
		ContentType:  o.ContentType,
		LastModified: wire.Timestamp(o.LastModified),
		Metadata:     wire.CopyMap(o.Metadata),
		Sha256:       o.SHA256,
		Extra:        wire.CopyMap(o.Extra),
	}
}

// ---- multipart uploads ----

func (s *objectStoreServer) multipart() (MultipartUploader, error) {
	objs, err := s.objects()
	if err != nil {
		return nil, err
	}
	mu, ok := objs.(MultipartUploader)
	if !ok {
		return nil, Unsupported(CapMultipart)
	}
	return mu, nil
}

func (s *objectStoreServer) CreateMultipartUpload(ctx context.Context, req *pb.CreateMultipartUploadRequest) (*pb.MultipartUpload, error) {
	mu, err := s.multipart()
	if err != nil {
		return nil, err
	}
	if err := ValidateObjectKey(req.GetKey()); err != nil {
		return nil, err
	}
	up, err := mu.CreateMultipartUpload(ctx, CreateMultipartUploadRequest{
		Bucket:      req.GetBucket(),
		Key:         req.GetKey(),
		ContentType: req.GetContentType(),
		Metadata:    wire.CopyMap(req.GetMetadata()),
	})
	if err != nil {
		return nil, err
	}
	return multipartUploadToPB(up), nil
}

// maxPartNumber is the highest part number of a multipart upload (S3's limit).
const maxPartNumber = 10000

// UploadPart reads the header, then hands the driver a reader over the part's
// chunks, checked like PutObject's.
func (s *objectStoreServer) UploadPart(stream grpc.ClientStreamingServer[pb.UploadPartRequest, pb.UploadedPart]) error {
	mu, err := s.multipart()
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return InvalidArgument("header", "", "the stream must start with an UploadPartHeader")
	}
	if n := hdr.GetPartNumber(); n < 1 || n > maxPartNumber {
		return InvalidArgument("part_number", n, fmt.Sprintf("must be from 1 to %d", maxPartNumber))
	}
	if hdr.GetSize() < -1 {
		return InvalidArgument("size", hdr.GetSize(), "must be the byte count, or -1 when unknown")
	}
	body, err := checkedBody(chunkReader(stream.Recv, (*pb.UploadPartRequest).GetHeader, (*pb.UploadPartRequest).GetChunk),
		hdr.GetSize(), "")
	if err != nil {
		return err
	}
	part, err := mu.UploadPart(stream.Context(), UploadPartRequest{
		Bucket:     hdr.GetBucket(),
		Key:        hdr.GetKey(),
		UploadID:   hdr.GetUploadId(),
		PartNumber: int(hdr.GetPartNumber()),
		Size:       hdr.GetSize(),
	}, body)
	if err != nil {
		return err
	}
	return stream.SendAndClose(uploadedPartToPB(part))
}

func (s *objectStoreServer) CompleteMultipartUpload(ctx context.Context, req *pb.CompleteMultipartUploadRequest) (*pb.ObjectInfo, error) {
	mu, err := s.multipart()
	if err != nil {
		return nil, err
	}
	r := CompleteMultipartUploadRequest{Bucket: req.GetBucket(), Key: req.GetKey(), UploadID: req.GetUploadId()}
	for _, p := range req.GetParts() {
		if n := p.GetPartNumber(); n < 1 || n > maxPartNumber {
			return nil, InvalidArgument("parts.part_number", n, fmt.Sprintf("must be from 1 to %d", maxPartNumber))
		}
		r.Parts = append(r.Parts, UploadedPart{PartNumber: int(p.GetPartNumber()), ETag: p.GetEtag(), Size: p.GetSize()})
	}
	info, err := mu.CompleteMultipartUpload(ctx, r)
	if err != nil {
		return nil, err
	}
	return objectInfoToPB(info), nil
}

func (s *objectStoreServer) AbortMultipartUpload(ctx context.Context, req *pb.AbortMultipartUploadRequest) (*pb.AbortMultipartUploadResponse, error) {
	mu, err := s.multipart()
	if err != nil {
		return nil, err
	}
	if err := mu.AbortMultipartUpload(ctx, req.GetBucket(), req.GetKey(), req.GetUploadId()); err != nil {
		return nil, err
	}
	return &pb.AbortMultipartUploadResponse{}, nil
}

func (s *objectStoreServer) ListMultipartUploads(ctx context.Context, req *pb.ListMultipartUploadsRequest) (*pb.ListMultipartUploadsResponse, error) {
	mu, err := s.multipart()
	if err != nil {
		return nil, err
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := mu.ListMultipartUploads(ctx, ListMultipartUploadsOptions{
		ListOptions: opts,
		Bucket:      req.GetBucket(),
		Prefix:      req.GetPrefix(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.ListMultipartUploadsResponse{Uploads: convertAll(page.Items, multipartUploadToPB), NextPageToken: page.NextPageToken}, nil
}

func multipartUploadToPB(u MultipartUpload) *pb.MultipartUpload {
	return &pb.MultipartUpload{Id: u.ID, Bucket: u.Bucket, Key: u.Key, CreateTime: wire.Timestamp(u.CreateTime)}
}

func uploadedPartToPB(p UploadedPart) *pb.UploadedPart {
	return &pb.UploadedPart{PartNumber: int32(p.PartNumber), Etag: p.ETag, Size: p.Size}
}

// ---- presigned URLs ----

func (s *objectStoreServer) PresignURL(ctx context.Context, req *pb.PresignURLRequest) (*pb.PresignedURL, error) {
	objs, err := s.objects()
	if err != nil {
		return nil, err
	}
	signer, ok := objs.(URLSigner)
	if !ok {
		return nil, Unsupported(CapPresignedURLs)
	}
	method := strings.ToUpper(req.GetMethod())
	if method != "GET" && method != "PUT" {
		return nil, InvalidArgument("method", req.GetMethod(), `must be "GET" or "PUT"`)
	}
	if req.GetExpiresInSeconds() < 0 {
		return nil, InvalidArgument("expires_in_seconds", req.GetExpiresInSeconds(), "must not be negative")
	}
	if err := ValidateObjectKey(req.GetKey()); err != nil {
		return nil, err
	}
	u, err := signer.PresignURL(ctx, PresignRequest{
		Bucket:                     req.GetBucket(),
		Key:                        req.GetKey(),
		Method:                     method,
		ExpiresIn:                  time.Duration(req.GetExpiresInSeconds()) * time.Second,
		ResponseContentType:        req.GetResponseContentType(),
		ResponseContentDisposition: req.GetResponseContentDisposition(),
		ContentType:                req.GetContentType(),
	})
	if err != nil {
		return nil, err
	}
	return &pb.PresignedURL{
		Url:       u.URL,
		Method:    u.Method,
		Headers:   wire.CopyMap(u.Headers),
		ExpiresAt: wire.Timestamp(u.ExpiresAt),
	}, nil
}

// ---- upload bodies ----

// chunkReader reads the data chunks of an upload stream after its header. A
// second header is InvalidArgument. When the client cancels, recv fails with
// the stream's Canceled status, and so does the read.
func chunkReader[M any, H any](recv func() (*M, error), header func(*M) *H, chunk func(*M) []byte) io.Reader {
	return wire.NewChunkReader(func() ([]byte, error) {
		m, err := recv()
		if err != nil {
			return nil, err // io.EOF at the end of the stream
		}
		if header(m) != nil {
			return nil, InvalidArgument("header", "", "only the first message of the stream may be a header")
		}
		return chunk(m), nil
	})
}

// checkedBody wraps an upload body so that it fails, instead of ending cleanly,
// when the byte count differs from size (unless size is -1) or the content does
// not hash to sha256Hex (unless it is "").
func checkedBody(r io.Reader, size int64, sha256Hex string) (io.Reader, error) {
	b := &checkedReader{r: r, size: size}
	if sha256Hex != "" {
		want, err := hex.DecodeString(sha256Hex)
		if err != nil || len(want) != sha256.Size {
			return nil, InvalidArgument("sha256", sha256Hex, "must be a hex SHA-256 digest of 64 characters")
		}
		b.want, b.hash = want, sha256.New()
	}
	return b, nil
}

type checkedReader struct {
	r    io.Reader
	size int64 // -1: unknown
	n    int64
	hash hash.Hash
	want []byte
	err  error
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.hash != nil {
		c.hash.Write(p[:n])
	}
	if c.size >= 0 && c.n > c.size {
		c.err = InvalidArgument("size", c.size, fmt.Sprintf("the stream holds more bytes than the declared size (%d so far)", c.n))
		return 0, c.err
	}
	if errors.Is(err, io.EOF) {
		switch {
		case c.size >= 0 && c.n != c.size:
			err = InvalidArgument("size", c.size, fmt.Sprintf("the stream ended after %d bytes", c.n))
		case c.hash != nil && !bytes.Equal(c.hash.Sum(nil), c.want):
			err = InvalidArgument("sha256", hex.EncodeToString(c.want),
				"the content's digest is "+hex.EncodeToString(c.hash.Sum(nil)))
		}
	}
	if err != nil {
		c.err = err
	}
	return n, err
}
