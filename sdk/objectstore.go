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
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Location   string            `json:"location"`
	CreateTime time.Time         `json:"create_time,omitzero"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// BucketSpec creates a bucket.
type BucketSpec struct {
	Name             string `json:"name"`
	Location         string `json:"location"`
	IdempotencyToken string `json:"idempotency_token"`
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
	Bucket       string            `json:"bucket"`
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"`
	ContentType  string            `json:"content_type"`
	LastModified time.Time         `json:"last_modified,omitzero"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	// SHA256 is the hex digest when known, "" otherwise.
	SHA256 string            `json:"sha256"`
	Extra  map[string]string `json:"extra,omitempty"`
}

// ListObjectsOptions asks for one page of a bucket's objects.
type ListObjectsOptions struct {
	ListOptions
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	Delimiter string `json:"delimiter"`
}

// ObjectPage is one page of a bucket listing.
type ObjectPage struct {
	Objects        []ObjectInfo `json:"objects,omitempty"`
	CommonPrefixes []string     `json:"common_prefixes,omitempty"`
	NextPageToken  string       `json:"next_page_token"`
}

// GetObjectRequest reads an object or a range of it.
type GetObjectRequest struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// Offset is the first byte to read.
	Offset int64 `json:"offset"`
	// Length is the number of bytes; a negative value means "to the end". A range
	// past the end is truncated; an Offset past the size is InvalidArgument.
	Length int64 `json:"length"`
}

// PutObjectRequest writes an object; the bytes come from the body reader.
type PutObjectRequest struct {
	Bucket      string            `json:"bucket"`
	Key         string            `json:"key"`
	ContentType string            `json:"content_type"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	// Size is the exact byte count, or -1 when unknown.
	Size int64 `json:"size"`
	// SHA256 is a hex digest to verify, when non-empty.
	SHA256 string `json:"sha256"`
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
	ID         string    `json:"id"`
	Bucket     string    `json:"bucket"`
	Key        string    `json:"key"`
	CreateTime time.Time `json:"create_time,omitzero"`
}

// UploadedPart is a part of a multipart upload.
type UploadedPart struct {
	PartNumber int    `json:"part_number"`
	ETag       string `json:"etag"`
	Size       int64  `json:"size"`
}

// CreateMultipartUploadRequest starts a multipart upload.
type CreateMultipartUploadRequest struct {
	Bucket      string            `json:"bucket"`
	Key         string            `json:"key"`
	ContentType string            `json:"content_type"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// UploadPartRequest uploads one part; the bytes come from the body reader.
type UploadPartRequest struct {
	Bucket     string `json:"bucket"`
	Key        string `json:"key"`
	UploadID   string `json:"upload_id"`
	PartNumber int    `json:"part_number"`
	// Size is the exact byte count, or -1 when unknown.
	Size int64 `json:"size"`
}

// CompleteMultipartUploadRequest assembles the parts, given in any order.
type CompleteMultipartUploadRequest struct {
	Bucket   string         `json:"bucket"`
	Key      string         `json:"key"`
	UploadID string         `json:"upload_id"`
	Parts    []UploadedPart `json:"parts,omitempty"`
}

// ListMultipartUploadsOptions asks for one page of pending uploads.
type ListMultipartUploadsOptions struct {
	ListOptions
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
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
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// Method is "GET" or "PUT".
	Method    string        `json:"method"`
	ExpiresIn time.Duration `json:"expires_in"`
	// ResponseContentType and ResponseContentDisposition override the headers of a
	// GET response; ignored for PUT.
	ResponseContentType        string `json:"response_content_type"`
	ResponseContentDisposition string `json:"response_content_disposition"`
	// ContentType a PUT must send, when set.
	ContentType string `json:"content_type"`
}

// PresignedURL is a URL with the headers the request must carry.
type PresignedURL struct {
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers,omitempty"`
	ExpiresAt time.Time         `json:"expires_at,omitzero"`
}

// URLSigner is implemented by Objects that issue presigned URLs (capability
// "objectstore.presigned_urls").
type URLSigner interface {
	PresignURL(ctx context.Context, req PresignRequest) (PresignedURL, error)
}
