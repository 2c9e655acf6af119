package host

import (
	"context"
	"fmt"
	"iter"
	"path"
	"sort"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ListOptions asks for one page of a list.
type ListOptions = sdk.ListOptions

// Page is one page of a list; pass NextPageToken back for the next one.
type Page[T any] = sdk.Page[T]

// Filter selects resources by CloudBridge's find keys (e.g. "label", "name").
// Values are glob patterns as in path.Match: "web-*" matches "web-1". A key the
// service does not know is ErrInvalidArgument.
type Filter map[string]string

// pages follows page tokens and yields every item once; it stops at the first
// error, which it yields.
func pages[T any](ctx context.Context, list func(context.Context, ListOptions) (Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		opts := ListOptions{}
		for {
			page, err := list(ctx, opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if page.NextPageToken == "" {
				return
			}
			if page.NextPageToken == opts.PageToken {
				var zero T
				yield(zero, &Error{Code: sdk.CodeInternal, Message: "plugin returned the same page token twice"})
				return
			}
			opts.PageToken = page.NextPageToken
		}
	}
}

// mapPage converts the items of a page.
func mapPage[S, R any](p Page[S], f func(S) R) Page[R] {
	out := Page[R]{Items: make([]R, len(p.Items)), NextPageToken: p.NextPageToken}
	for i, s := range p.Items {
		out.Items[i] = f(s)
	}
	return out
}

// mapSeq converts the items of a sequence.
func mapSeq[S, R any](seq iter.Seq2[S, error], f func(S) R) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		for s, err := range seq {
			var r R
			if err == nil {
				r = f(s)
			}
			if !yield(r, err) {
				return
			}
		}
	}
}

// findKeys maps each find key of a service to the field it matches.
type findKeys[T any] map[string]func(T) string

// find lists everything and keeps the items every filter key matches, as
// CloudBridge's generic_find does.
func find[T any](seq iter.Seq2[T, error], f Filter, keys findKeys[T]) ([]T, error) {
	if err := keys.check(f); err != nil {
		return nil, err
	}
	var out []T
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		if keys.match(item, f) {
			out = append(out, item)
		}
	}
	return out, nil
}

func (k findKeys[T]) check(f Filter) error {
	for key, pattern := range f {
		if _, ok := k[key]; !ok {
			names := make([]string, 0, len(k))
			for n := range k {
				names = append(names, n)
			}
			sort.Strings(names)
			return &Error{Code: sdk.CodeInvalidArgument, Param: "filter", Message: fmt.Sprintf(
				"unknown filter key %q (valid: %s)", key, strings.Join(names, ", "))}
		}
		if _, err := path.Match(pattern, ""); err != nil {
			return sdk.InvalidArgument("filter", pattern, "bad glob pattern: "+err.Error())
		}
	}
	return nil
}

func (k findKeys[T]) match(item T, f Filter) bool {
	for key, pattern := range f {
		ok, _ := path.Match(pattern, k[key](item))
		if !ok {
			return false
		}
	}
	return true
}
