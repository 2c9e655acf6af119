package sdk

import (
	"context"
	"io"
	"time"
)

// ObjectStore is the object storage family: buckets and their objects.
type ObjectStore struct {
	Buckets Buckets
	// Objects may also implement MultipartUploader and URLSigner.
	Objects Objects
}

// Bucket is an object storage bucket (S3 bucket, Swift container).
type Bucket struct {
	ID         string
	Name       string
	Location   string
	CreateTime time.Time
	Extra      map[string]string
}

// BucketSpec creates a bucket.
type BucketSpec struct {
	Name             string
	Location         string
	IdempotencyToken string
}

// Buckets manages buckets. Buckets are addressed by name.
type Buckets interface {
	List(ctx context.Context, opts ListOptions) (Page[Bucket], error)
	Get(ctx context.Context, name string) (Bucket, error)
	// Create of an existing name is AlreadyExists.
	Create(ctx context.Context, spec BucketSpec) (Bucket, error)
	// Delete of a non-empty bucket is FailedPrecondition unless deleteContents.
	Delete(ctx context.Context, name string, deleteContents bool) error
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string
	ContentType  string
	LastModified time.Time
	Metadata     map[string]string
	// SHA256 is the hex digest when known, "" otherwise.
	SHA256 string
	Extra  map[string]string
}

// ListObjectsOptions asks for one page of a bucket's objects.
type ListObjectsOptions struct {
	ListOptions
	Bucket    string
	Prefix    string
	Delimiter string
}

// ObjectPage is one page of a bucket listing.
type ObjectPage struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	NextPageToken  string
}

// GetObjectRequest reads an object or a range of it.
type GetObjectRequest struct {
	Bucket string
	Key    string
	// Offset is the first byte to read.
	Offset int64
	// Length is the number of bytes; a negative value means "to the end". A range
	// past the end is truncated; an Offset past the size is InvalidArgument.
	Length int64
}

// PutObjectRequest writes an object; the bytes come from the body reader.
type PutObjectRequest struct {
	Bucket      string
	Key         string
	ContentType string
	Metadata    map[string]string
	// Size is the exact byte count, or -1 when unknown.
	Size int64
	// SHA256 is a hex digest to verify, when non-empty.
	SHA256 string
}

// Objects reads and writes objects. Bodies are streamed: implementations must not
// buffer whole objects.
type Objects interface {
	List(ctx context.Context, opts ListObjectsOptions) (ObjectPage, error)
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Get returns the object's info and a reader of the requested range; the caller
	// closes the reader.
	Get(ctx context.Context, req GetObjectRequest) (ObjectInfo, io.ReadCloser, error)
	// Put stores the object when body is read to EOF; if ctx is canceled or body
	// fails, nothing is stored.
	Put(ctx context.Context, req PutObjectRequest, body io.Reader) (ObjectInfo, error)
	Delete(ctx context.Context, bucket, key string) error
}

// MultipartUpload is a pending multipart upload.
type MultipartUpload struct {
	ID         string
	Bucket     string
	Key        string
	CreateTime time.Time
}

// UploadedPart is a part of a multipart upload.
type UploadedPart struct {
	PartNumber int
	ETag       string
	Size       int64
}

// CreateMultipartUploadRequest starts a multipart upload.
type CreateMultipartUploadRequest struct {
	Bucket      string
	Key         string
	ContentType string
	Metadata    map[string]string
}

// UploadPartRequest uploads one part; the bytes come from the body reader.
type UploadPartRequest struct {
	Bucket     string
	Key        string
	UploadID   string
	PartNumber int
	// Size is the exact byte count, or -1 when unknown.
	Size int64
}

// CompleteMultipartUploadRequest assembles the parts, given in any order.
type CompleteMultipartUploadRequest struct {
	Bucket   string
	Key      string
	UploadID string
	Parts    []UploadedPart
}

// ListMultipartUploadsOptions asks for one page of pending uploads.
type ListMultipartUploadsOptions struct {
	ListOptions
	Bucket string
	Prefix string
}

// MinPartSize is the smallest part a multipart upload accepts, except the last.
const MinPartSize = 5 << 20

// MultipartUploader is implemented by Objects that support multipart uploads
// (capability "objectstore.multipart").
type MultipartUploader interface {
	CreateMultipartUpload(ctx context.Context, req CreateMultipartUploadRequest) (MultipartUpload, error)
	UploadPart(ctx context.Context, req UploadPartRequest, body io.Reader) (UploadedPart, error)
	CompleteMultipartUpload(ctx context.Context, req CompleteMultipartUploadRequest) (ObjectInfo, error)
	// AbortMultipartUpload removes the upload and its parts; aborting an upload
	// that is already gone is not an error.
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, opts ListMultipartUploadsOptions) (Page[MultipartUpload], error)
}

// PresignRequest asks for a URL that a plain HTTP client can use.
type PresignRequest struct {
	Bucket string
	Key    string
	// Method is "GET" or "PUT".
	Method    string
	ExpiresIn time.Duration
	// ResponseContentType and ResponseContentDisposition override the headers of a
	// GET response; ignored for PUT.
	ResponseContentType        string
	ResponseContentDisposition string
	// ContentType a PUT must send, when set.
	ContentType string
}

// PresignedURL is a URL with the headers the request must carry.
type PresignedURL struct {
	URL       string
	Method    string
	Headers   map[string]string
	ExpiresAt time.Time
}

// URLSigner is implemented by Objects that issue presigned URLs (capability
// "objectstore.presigned_urls").
type URLSigner interface {
	PresignURL(ctx context.Context, req PresignRequest) (PresignedURL, error)
}
