package mock

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// BenchmarkPutSmall is the cost of a small put: spool, fsync, rename, record.
func BenchmarkPutSmall(b *testing.B) {
	c := New()
	defer c.Close()
	p := c.Plugin("x")
	if _, err := p.ObjectStore.Buckets.Create(b.Context(), sdk.BucketSpec{Name: "bkt"}); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		k := fmt.Sprintf("obj-%06d", i)
		if _, err := p.ObjectStore.Objects.Put(b.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: k, Size: int64(len(k))}, strings.NewReader(k)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList2500By7 is one page of 7 from a bucket of 2500 objects.
func BenchmarkList2500By7(b *testing.B) {
	c := New()
	defer c.Close()
	p := c.Plugin("x")
	if _, err := p.ObjectStore.Buckets.Create(b.Context(), sdk.BucketSpec{Name: "bkt"}); err != nil {
		b.Fatal(err)
	}
	for i := range 2500 {
		k := fmt.Sprintf("obj-%06d", i)
		if _, err := p.ObjectStore.Objects.Put(b.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: k, Size: int64(len(k))}, strings.NewReader(k)); err != nil {
			b.Fatal(err)
		}
	}
	opts := sdk.ListObjectsOptions{Bucket: "bkt", ListOptions: sdk.ListOptions{PageSize: 7}}
	for b.Loop() {
		page, err := p.ObjectStore.Objects.List(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		opts.PageToken = page.NextPageToken
	}
}

// BenchmarkPutLarge is the mock's own cost of storing 256 MiB: hashing,
// writing and syncing, without any transport.
func BenchmarkPutLarge(b *testing.B) {
	c := New()
	defer c.Close()
	p := c.Plugin("x")
	if _, err := p.ObjectStore.Buckets.Create(b.Context(), sdk.BucketSpec{Name: "bkt"}); err != nil {
		b.Fatal(err)
	}
	const size = 256 << 20
	b.SetBytes(size)
	for b.Loop() {
		body := io.LimitReader(patternReader{}, size)
		if _, err := p.ObjectStore.Objects.Put(b.Context(), sdk.PutObjectRequest{Bucket: "bkt", Key: "big", Size: size}, body); err != nil {
			b.Fatal(err)
		}
	}
}

// patternReader yields the same bytes forever, at no cost.
type patternReader struct{}

func (patternReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}
