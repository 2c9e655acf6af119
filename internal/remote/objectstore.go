package remote

import (
	"context"
	"errors"
	"io"
	"time"

	"google.golang.org/grpc"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var (
	_ sdk.Buckets           = buckets{}
	_ sdk.Objects           = objects{}
	_ sdk.MultipartUploader = objects{}
	_ sdk.URLSigner         = objects{}
)

// ---- buckets ----

type buckets struct{ c pb.ObjectStoreClient }

func (b buckets) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Bucket], error) {
	resp, err := b.c.ListBuckets(ctx, &pb.ListBucketsRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.Bucket]{}, Error(err)
	}
	return page(resp.GetBuckets(), resp.GetNextPageToken(), bucketFromPB), nil
}

func (b buckets) Get(ctx context.Context, name string) (sdk.Bucket, error) {
	return one(bucketFromPB)(b.c.GetBucket(ctx, &pb.GetBucketRequest{Name: name}))
}

func (b buckets) Create(ctx context.Context, spec sdk.BucketSpec) (sdk.Bucket, error) {
	return one(bucketFromPB)(b.c.CreateBucket(ctx, &pb.CreateBucketRequest{
		Name:             spec.Name,
		Location:         spec.Location,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (b buckets) Delete(ctx context.Context, name string, deleteContents bool) error {
	_, err := b.c.DeleteBucket(ctx, &pb.DeleteBucketRequest{Name: name, DeleteContents: deleteContents})
	return Error(err)
}

func bucketFromPB(x *pb.Bucket) sdk.Bucket {
	return sdk.Bucket{
		ID:         x.GetId(),
		Name:       x.GetName(),
		Location:   x.GetLocation(),
		CreateTime: wire.Time(x.GetCreateTime()),
		Extra:      wire.CopyMap(x.GetExtra()),
	}
}

// ---- objects ----

// objects is the Objects driver; it also uploads in parts and presigns URLs (a
// plugin without those answers Unsupported).
type objects struct{ c pb.ObjectStoreClient }

func (o objects) List(ctx context.Context, opts sdk.ListObjectsOptions) (sdk.ObjectPage, error) {
	resp, err := o.c.ListObjects(ctx, &pb.ListObjectsRequest{
		Bucket:    opts.Bucket,
		Prefix:    opts.Prefix,
		Delimiter: opts.Delimiter,
		PageSize:  pageSize(opts.ListOptions),
		PageToken: opts.PageToken,
	})
	if err != nil {
		return sdk.ObjectPage{}, Error(err)
	}
	p := page(resp.GetObjects(), resp.GetNextPageToken(), objectInfoFromPB)
	return sdk.ObjectPage{Objects: p.Items, CommonPrefixes: resp.GetCommonPrefixes(), NextPageToken: p.NextPageToken}, nil
}

func (o objects) Head(ctx context.Context, bucket, key string) (sdk.ObjectInfo, error) {
	return one(objectInfoFromPB)(o.c.HeadObject(ctx, &pb.HeadObjectRequest{Bucket: bucket, Key: key}))
}

// Get opens the object's stream and reads its header; the returned reader pulls
// the data chunks as it is read. The stream has its own context so that closing
// the reader early tells the plugin to stop sending.
func (o objects) Get(ctx context.Context, req sdk.GetObjectRequest) (sdk.ObjectInfo, io.ReadCloser, error) {
	in := &pb.GetObjectRequest{Bucket: req.Bucket, Key: req.Key, Offset: req.Offset}
	if req.Length >= 0 {
		length := req.Length
		in.Length = &length
	}
	sctx, cancel := context.WithCancel(ctx)
	stream, err := o.c.GetObject(sctx, in)
	if err != nil {
		cancel()
		return sdk.ObjectInfo{}, nil, Error(err)
	}
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		cancel()
		return sdk.ObjectInfo{}, nil, protocolError("GetObject stream ended without the object info")
	}
	if err != nil {
		cancel()
		return sdk.ObjectInfo{}, nil, Error(err)
	}
	if first.GetInfo() == nil {
		cancel()
		return sdk.ObjectInfo{}, nil, protocolError("GetObject stream did not start with the object info")
	}
	body := &objectReader{
		cancel: cancel,
		chunks: wire.NewChunkReader(func() ([]byte, error) {
			m, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			if err != nil {
				return nil, Error(err)
			}
			if m.GetInfo() != nil {
				return nil, protocolError("GetObject stream sent the object info twice")
			}
			return m.GetChunk(), nil
		}),
	}
	return objectInfoFromPB(first.GetInfo()), body, nil
}

// objectReader reads an object's data chunks; Close cancels the stream, which
// frees the plugin from sending the rest. Close may be called from another
// goroutine to abort a blocked Read, which then fails with Canceled.
type objectReader struct {
	chunks *wire.ChunkReader
	cancel context.CancelFunc
}

func (r *objectReader) Read(p []byte) (int, error) { return r.chunks.Read(p) }

func (r *objectReader) Close() error {
	r.cancel()
	return nil
}

// Put streams the object: the header, then body's bytes in chunks.
func (o objects) Put(ctx context.Context, req sdk.PutObjectRequest, body io.Reader) (sdk.ObjectInfo, error) {
	header := &pb.PutObjectRequest{Part: &pb.PutObjectRequest_Header{Header: &pb.PutObjectHeader{
		Bucket:      req.Bucket,
		Key:         req.Key,
		ContentType: req.ContentType,
		Metadata:    req.Metadata,
		Size:        req.Size,
		Sha256:      req.SHA256,
	}}}
	chunk := func(b []byte) *pb.PutObjectRequest {
		return &pb.PutObjectRequest{Part: &pb.PutObjectRequest_Chunk{Chunk: b}}
	}
	info, err := upload(ctx, o.c.PutObject, header, chunk, body)
	if err != nil {
		return sdk.ObjectInfo{}, err
	}
	return objectInfoFromPB(info), nil
}

func (o objects) Delete(ctx context.Context, bucket, key string) error {
	_, err := o.c.DeleteObject(ctx, &pb.DeleteObjectRequest{Bucket: bucket, Key: key})
	return Error(err)
}

func (o objects) CreateMultipartUpload(ctx context.Context, req sdk.CreateMultipartUploadRequest) (sdk.MultipartUpload, error) {
	return one(multipartUploadFromPB)(o.c.CreateMultipartUpload(ctx, &pb.CreateMultipartUploadRequest{
		Bucket:      req.Bucket,
		Key:         req.Key,
		ContentType: req.ContentType,
		Metadata:    req.Metadata,
	}))
}

// UploadPart streams one part: the header, then body's bytes in chunks.
func (o objects) UploadPart(ctx context.Context, req sdk.UploadPartRequest, body io.Reader) (sdk.UploadedPart, error) {
	header := &pb.UploadPartRequest{Part: &pb.UploadPartRequest_Header{Header: &pb.UploadPartHeader{
		Bucket:     req.Bucket,
		Key:        req.Key,
		UploadId:   req.UploadID,
		PartNumber: int32Of(req.PartNumber),
		Size:       req.Size,
	}}}
	chunk := func(b []byte) *pb.UploadPartRequest {
		return &pb.UploadPartRequest{Part: &pb.UploadPartRequest_Chunk{Chunk: b}}
	}
	part, err := upload(ctx, o.c.UploadPart, header, chunk, body)
	if err != nil {
		return sdk.UploadedPart{}, err
	}
	return uploadedPartFromPB(part), nil
}

func (o objects) CompleteMultipartUpload(ctx context.Context, req sdk.CompleteMultipartUploadRequest) (sdk.ObjectInfo, error) {
	parts := make([]*pb.UploadedPart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = &pb.UploadedPart{PartNumber: int32Of(p.PartNumber), Etag: p.ETag, Size: p.Size}
	}
	return one(objectInfoFromPB)(o.c.CompleteMultipartUpload(ctx, &pb.CompleteMultipartUploadRequest{
		Bucket:   req.Bucket,
		Key:      req.Key,
		UploadId: req.UploadID,
		Parts:    parts,
	}))
}

func (o objects) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	_, err := o.c.AbortMultipartUpload(ctx, &pb.AbortMultipartUploadRequest{Bucket: bucket, Key: key, UploadId: uploadID})
	return Error(err)
}

func (o objects) ListMultipartUploads(ctx context.Context, opts sdk.ListMultipartUploadsOptions) (sdk.Page[sdk.MultipartUpload], error) {
	resp, err := o.c.ListMultipartUploads(ctx, &pb.ListMultipartUploadsRequest{
		Bucket:    opts.Bucket,
		Prefix:    opts.Prefix,
		PageSize:  pageSize(opts.ListOptions),
		PageToken: opts.PageToken,
	})
	if err != nil {
		return sdk.Page[sdk.MultipartUpload]{}, Error(err)
	}
	return page(resp.GetUploads(), resp.GetNextPageToken(), multipartUploadFromPB), nil
}

func (o objects) PresignURL(ctx context.Context, req sdk.PresignRequest) (sdk.PresignedURL, error) {
	return one(presignedURLFromPB)(o.c.PresignURL(ctx, &pb.PresignURLRequest{
		Bucket:                     req.Bucket,
		Key:                        req.Key,
		Method:                     req.Method,
		ExpiresInSeconds:           seconds(req.ExpiresIn),
		ResponseContentType:        req.ResponseContentType,
		ResponseContentDisposition: req.ResponseContentDisposition,
		ContentType:                req.ContentType,
	}))
}

// seconds rounds a positive duration up to whole seconds, so that a short expiry
// never becomes 0 ("the plugin's default").
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return int64(d / time.Second)
	}
	return int64((d + time.Second - 1) / time.Second)
}

// upload runs a client-streaming upload: header, then body in chunks of at most
// wire.ChunkSize, then the plugin's answer. The stream has its own context: if
// reading body fails the stream is canceled, never half-closed, so the plugin sees
// an aborted upload and stores nothing.
func upload[Req, Res any](
	ctx context.Context,
	open func(context.Context, ...grpc.CallOption) (grpc.ClientStreamingClient[Req, Res], error),
	header *Req, chunk func([]byte) *Req, body io.Reader,
) (*Res, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := open(sctx)
	if err != nil {
		return nil, Error(err)
	}
	if err := stream.Send(header); err != nil {
		return nil, streamBroken(stream, err)
	}
	src := &bodyReader{r: body}
	if _, err := wire.SendChunks(src, func(b []byte) error { return stream.Send(chunk(b)) }); err != nil {
		if src.err != nil {
			cancel() // first: the plugin must see an aborted stream, not a clean end
			return nil, bodyError(src.err)
		}
		return nil, streamBroken(stream, err)
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		return nil, Error(err)
	}
	return res, nil
}

// streamBroken returns why a Send failed. gRPC answers io.EOF when the plugin has
// already ended the call; its status then comes from receiving the answer.
func streamBroken[Req, Res any](stream grpc.ClientStreamingClient[Req, Res], sendErr error) error {
	if !errors.Is(sendErr, io.EOF) {
		return Error(sendErr)
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		return Error(err)
	}
	return protocolError("plugin answered an upload before reading all of it")
}

// bodyReader remembers the error of the caller's body, to tell it apart from a
// failure of the stream.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}

// bodyError reports a failure to read the caller's body: Canceled or
// DeadlineExceeded for a context error, the code of an *sdk.Error (e.g. the
// failing reader of another Get), Internal otherwise. It is never retryable: the
// body has been consumed.
func bodyError(err error) *sdk.Error {
	return &sdk.Error{Code: sdk.CodeOf(err), Message: "reading the upload body: " + err.Error(), Err: err}
}

func objectInfoFromPB(x *pb.ObjectInfo) sdk.ObjectInfo {
	return sdk.ObjectInfo{
		Bucket:       x.GetBucket(),
		Key:          x.GetKey(),
		Size:         x.GetSize(),
		ETag:         x.GetEtag(),
		ContentType:  x.GetContentType(),
		LastModified: wire.Time(x.GetLastModified()),
		Metadata:     wire.CopyMap(x.GetMetadata()),
		SHA256:       x.GetSha256(),
		Extra:        wire.CopyMap(x.GetExtra()),
	}
}

func multipartUploadFromPB(x *pb.MultipartUpload) sdk.MultipartUpload {
	return sdk.MultipartUpload{
		ID:         x.GetId(),
		Bucket:     x.GetBucket(),
		Key:        x.GetKey(),
		CreateTime: wire.Time(x.GetCreateTime()),
	}
}

func uploadedPartFromPB(x *pb.UploadedPart) sdk.UploadedPart {
	return sdk.UploadedPart{PartNumber: int(x.GetPartNumber()), ETag: x.GetEtag(), Size: x.GetSize()}
}

func presignedURLFromPB(x *pb.PresignedURL) sdk.PresignedURL {
	return sdk.PresignedURL{
		URL:       x.GetUrl(),
		Method:    x.GetMethod(),
		Headers:   wire.CopyMap(x.GetHeaders()),
		ExpiresAt: wire.Time(x.GetExpiresAt()),
	}
}
