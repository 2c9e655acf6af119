package aws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// pageToken is what our page tokens carry: AWS's own token for the AWS page
// to fetch (NextToken, ContinuationToken, Marker...), and how many items of
// that page the caller has already had. AWS pages have limits of their own
// (EC2's MaxResults is at least 5 for most calls), so a caller asking for
// pages of 1 gets them cut out of an AWS page, and the token says where.
type pageToken struct {
	// AWS is the token of the AWS page ("" for the first).
	AWS string `json:"a,omitempty"`
	// After is the id of the last item of that page already returned; the
	// page is read again and resumed after it (items sorted by id).
	After string `json:"s,omitempty"`
	// Max is the page size the AWS page was asked with, so that the same page
	// comes back.
	Max int32 `json:"m,omitempty"`
	// Extra holds the rest of a token that is more than one string (Route
	// 53's record name, type and identifier).
	Extra []string `json:"x,omitempty"`
}

// tokenPrefix versions the token format and makes a random string unlikely to
// pass as a token.
const tokenPrefix = "cbaws1:"

func (t pageToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(append([]byte(tokenPrefix), b...))
}

func decodeToken(s string) (pageToken, error) {
	var t pageToken
	if s == "" {
		return t, nil
	}
	bad := sdk.InvalidArgument("page_token", s, "not a page token issued by this list")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < len(tokenPrefix) || string(raw[:len(tokenPrefix)]) != tokenPrefix {
		return t, bad
	}
	if err := json.Unmarshal(raw[len(tokenPrefix):], &t); err != nil || t.Max < 0 {
		return pageToken{}, bad
	}
	return t, nil
}

// pageSize applies the contract's defaults and limits to a requested size.
func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, sdk.InvalidArgument("page_size", n, fmt.Sprintf("must be from 0 (the default, %d) to %d", sdk.DefaultPageSize, sdk.MaxPageSize))
	case n == 0:
		return sdk.DefaultPageSize, nil
	case n > sdk.MaxPageSize:
		return sdk.MaxPageSize, nil
	}
	return n, nil
}

// fetchFunc fetches one AWS page: token is AWS's token ("" for the first
// page), max the page size to ask for. It returns the page's items (already
// converted and filtered) and AWS's next token ("" on the last page).
type fetchFunc[T any] func(ctx context.Context, token string, max int32) (items []T, next string, err error)

// serverPage returns one page of a list that AWS pages itself, following
// opts.PageToken straight through to AWS's token. list names the list and
// its filters (the AWS call and its arguments but the page), for the page
// cache; minMax and maxMax are the limits AWS puts on the page size of the
// call (0 when it has none); id gives an item's id.
//
// When the caller asks for fewer items than an AWS page holds (EC2 pages
// hold at least 5), the page is cut: the next token names the same AWS page
// and the id of the last item returned, and the next call resumes that AWS
// page, sorted by id, from the first item after it. The AWS page is kept in
// the page cache for that (see pageCache), and read again from AWS when it is
// not there any more: items deleted or added meanwhile shift nothing, as with
// sdk.Paginate. A server that answers more than it was asked for is cut the
// same way.
//
// A token that decodes but that AWS refuses (expired, or of another list) is
// InvalidArgument, as a token we did not issue is.
func serverPage[T any](ctx context.Context, cl *clients, opts sdk.ListOptions, list string, minMax, maxMax int32, id func(T) string, fetch fetchFunc[T]) (sdk.Page[T], error) {
	size, err := pageSize(opts.PageSize)
	if err != nil {
		return sdk.Page[T]{}, err
	}
	tok, err := decodeToken(opts.PageToken)
	if err != nil {
		return sdk.Page[T]{}, err
	}
	max := tok.Max
	if max == 0 {
		max = int32(size)
		if minMax > 0 && max < minMax {
			max = minMax
		}
		if maxMax > 0 && max > maxMax {
			max = maxMax
		}
	}
	for {
		key := pageKey{list: list, token: tok.AWS, max: max}
		var items []T
		var next string
		fetched := false
		cached, hit := cl.pages.get(key)
		if cachedItems, ok := cached.items.([]T); ok && hit && tok.After != "" {
			items, next = cachedItems, cached.next
		} else if items, next, err = fetch(ctx, tok.AWS, max); err == nil {
			items = slices.SortedStableFunc(slices.Values(items), func(a, b T) int { return strings.Compare(id(a), id(b)) })
			fetched = true
		}
		if err != nil {
			err = cl.mapError(err)
			var e *sdk.Error
			if tok.AWS != "" && errors.As(err, &e) && e.Code == sdk.CodeInvalidArgument {
				return sdk.Page[T]{}, sdk.InvalidArgument("page_token", opts.PageToken, "refused by AWS: "+e.Message)
			}
			return sdk.Page[T]{}, err
		}
		rest := items
		if tok.After != "" {
			rest = items[sort.Search(len(items), func(i int) bool { return id(items[i]) > tok.After }):]
		}
		if len(rest) > size {
			if fetched {
				// The rest of this AWS page is for the next calls.
				cl.pages.put(key, cachedPage{items: items, next: next})
			}
			return sdk.Page[T]{Items: rest[:size], NextPageToken: pageToken{AWS: tok.AWS, After: id(rest[size-1]), Max: max}.encode()}, nil
		}
		if len(rest) == 0 && next != "" {
			// An empty page (all filtered out) is not worth a round trip of
			// the caller's.
			tok = pageToken{AWS: next}
			continue
		}
		page := sdk.Page[T]{Items: rest}
		if next != "" {
			page.NextPageToken = pageToken{AWS: next}.encode()
		}
		return page, nil
	}
}

// pageCache keeps the AWS pages that serverPage cut, so that paging through
// one in several smaller pages reads it from AWS once: with EC2's minimum of
// 5 items a page, a caller paging one by one would otherwise make 5 calls
// where one does (and a server that ignores MaxResults would be read whole
// for every page). Pages are kept for pageCacheTTL, at most pageCacheSize of
// them; a walk that starts from the first page always reads AWS, so a list
// is never older than the walk it belongs to.
type pageCache struct {
	mu    sync.Mutex
	pages map[pageKey]cachedPage
}

const (
	pageCacheTTL  = 30 * time.Second
	pageCacheSize = 16
)

// pageKey names one AWS page of one list.
type pageKey struct {
	list, token string
	max         int32
}

type cachedPage struct {
	items any // []T of the list, sorted by id
	next  string
	at    time.Time
}

func (c *pageCache) get(k pageKey) (cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[k]
	if ok && time.Since(p.at) > pageCacheTTL {
		delete(c.pages, k)
		return cachedPage{}, false
	}
	return p, ok
}

func (c *pageCache) put(k pageKey, p cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil {
		c.pages = map[pageKey]cachedPage{}
	}
	p.at = time.Now()
	c.pages[k] = p
	for len(c.pages) > pageCacheSize {
		var oldest pageKey
		first := true
		for k, v := range c.pages {
			if first || v.at.Before(c.pages[oldest].at) {
				oldest, first = k, false
			}
		}
		delete(c.pages, oldest)
	}
}
