package openstack

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gophercloud/gophercloud/v2/pagination"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Lists follow the APIs' own paging: a page token is the marker the service
// takes (the id, or name, of the last item of the previous page), wrapped so
// that a string we did not issue is told apart. The plugin asks for one item
// more than the page holds, to know whether another page follows without a
// round trip that returns nothing.

const markerPrefix = "os1:"

func markerToken(marker string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(markerPrefix + marker))
}

// pageRequest checks the paging options and returns the page size and the
// marker to resume after ("" for the first page).
func pageRequest(opts sdk.ListOptions) (size int, marker string, err error) {
	switch {
	case opts.PageSize < 0:
		return 0, "", sdk.InvalidArgument("page_size", opts.PageSize,
			fmt.Sprintf("must be from 0 (the default, %d) to %d", sdk.DefaultPageSize, sdk.MaxPageSize))
	case opts.PageSize == 0:
		size = sdk.DefaultPageSize
	default:
		size = min(opts.PageSize, sdk.MaxPageSize)
	}
	if opts.PageToken == "" {
		return size, "", nil
	}
	raw, decErr := base64.RawURLEncoding.DecodeString(opts.PageToken)
	m, ok := strings.CutPrefix(string(raw), markerPrefix)
	if decErr != nil || !ok || m == "" {
		return 0, "", badToken(opts.PageToken)
	}
	return size, m, nil
}

func badToken(token string) *sdk.Error {
	if len(token) > 64 {
		token = token[:64] + "..."
	}
	return sdk.InvalidArgument("page_token", token, "not a page token issued by this list")
}

// listError maps the error of a list call; a marker the service refuses
// (400, or 404 for a marker that names nothing) is a bad page token.
func listError(err error, what, marker string) error {
	if err == nil {
		return nil
	}
	if marker != "" {
		if s := statusOf(err); s == 400 || s == 404 {
			return badToken(markerToken(marker))
		}
	}
	return convertError(err, what, sdk.CodeFailedPrecondition)
}

// firstPage fetches only the first page of a pager (whose options carry our
// limit and marker). An empty first page is nil: gophercloud does not hand
// empty pages out; extract turns it into no items.
func firstPage(ctx context.Context, p pagination.Pager) (pagination.Page, error) {
	var got pagination.Page
	err := p.EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		got = page
		return false, nil
	})
	return got, err
}

// extract reads the items of a page that may be nil (empty).
func extract[T any](page pagination.Page, f func(pagination.Page) ([]T, error)) ([]T, error) {
	if page == nil {
		return nil, nil
	}
	return f(page)
}

// cutPage turns up to size+1 items into a page: the extra item only says that
// another page follows, after the last item kept.
func cutPage[T any](items []T, size int, marker func(T) string) sdk.Page[T] {
	if len(items) <= size {
		return sdk.Page[T]{Items: items}
	}
	items = items[:size]
	return sdk.Page[T]{Items: items, NextPageToken: markerToken(marker(items[size-1]))}
}

// Idempotency. OpenStack has no idempotency tokens, so a create with one marks
// what it makes with a tag (Neutron, Nova), a metadata key (Cinder, Swift) or an
// image property (Glance) holding a digest of the token, and a retried create
// looks for that mark first. The digest keeps the mark short and free of
// characters tags refuse.

const tokenMetaKey = "cloudbridge_token"

func tokenMark(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return "cb-token-" + hex.EncodeToString(sum[:12])
}
