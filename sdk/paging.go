package sdk

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Paginate returns one page of items for a plugin whose cloud lists everything
// in one call and has no paging of its own (CloudBridge's ClientPagedResultList).
//
// items should be sorted by id ascending, in byte order, and ids must be unique;
// id returns an item's id. If items are not sorted, Paginate sorts a copy, so a
// plugin that already has them in order pays nothing extra and items is never
// modified.
//
// opts.PageSize 0 means DefaultPageSize, a size above MaxPageSize is cut to
// MaxPageSize, and a negative size is InvalidArgument.
//
// The page token is opaque to callers; it carries the id of the last item
// returned, and the next page starts at the first item whose id is greater.
// Items deleted between calls therefore shift nothing: every item that exists
// throughout the listing is returned exactly once. An item created meanwhile is
// returned if its id sorts after the token. A token Paginate did not issue is
// InvalidArgument. NextPageToken is "" on the last page.
func Paginate[T any](items []T, opts ListOptions, id func(T) string) (Page[T], error) {
	size, err := clientPageSize(opts.PageSize)
	if err != nil {
		return Page[T]{}, err
	}
	byID := func(a, b T) int { return strings.Compare(id(a), id(b)) }
	if !slices.IsSortedFunc(items, byID) {
		items = slices.SortedStableFunc(slices.Values(items), byID)
	}

	start := 0
	if opts.PageToken != "" {
		after, err := decodeClientPageToken(opts.PageToken)
		if err != nil {
			return Page[T]{}, err
		}
		start = sort.Search(len(items), func(i int) bool { return id(items[i]) > after })
	}
	end := min(start+size, len(items))

	page := Page[T]{Items: slices.Clone(items[start:end])}
	if end < len(items) {
		page.NextPageToken = encodeClientPageToken(id(items[end-1]))
	}
	return page, nil
}

// clientPageSize applies the contract's defaults and limits to a requested size.
func clientPageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, InvalidArgument("page_size", n, fmt.Sprintf("must be from 0 (the default, %d) to %d", DefaultPageSize, MaxPageSize))
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return n, nil
}

// clientPageTokenPrefix versions the token format, so that a later format can
// tell old tokens apart, and makes a random string unlikely to pass as a token.
const clientPageTokenPrefix = "v1:"

// encodeClientPageToken makes the token that resumes a listing after lastID.
// base64url keeps it opaque and safe in URLs and command lines.
func encodeClientPageToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(clientPageTokenPrefix + lastID))
}

// decodeClientPageToken returns the id that token resumes after.
func decodeClientPageToken(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", validationError("page_token", token, "not a page token issued by this list")
	}
	lastID, ok := strings.CutPrefix(string(raw), clientPageTokenPrefix)
	if !ok {
		return "", validationError("page_token", token, "not a page token issued by this list")
	}
	return lastID, nil
}
