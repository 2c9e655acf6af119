package conformance

import (
	"context"
	"errors"
	"iter"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// service adapts one portable service to the standard checks of CloudBridge's
// standard_interface_tests (check_list, check_iter, check_find, check_get,
// check_delete …), whatever its resource type.
type service[R any] struct {
	kind string
	id   func(R) string
	// findKey is the filter key that identifies one resource ("label" or
	// "name"), and findValue reads it.
	findKey   string
	findValue func(R) string
	get       func(context.Context, string) (R, error)
	list      func(context.Context, host.ListOptions) (host.Page[R], error)
	all       func(context.Context) iter.Seq2[R, error]
	find      func(context.Context, host.Filter) ([]R, error)
}

// checkStandard is check_standard_behaviour: the resource is listed exactly
// once, iterated exactly once, found by its label or name, and got by id, and
// every view agrees on id and find value.
func (s service[R]) checkStandard(t T, e *Env, obj R) {
	t.Helper()
	id := s.id(obj)
	listed := s.collectPages(t, e, e.Cfg.PageSize)
	if n := count(listed, id, s.id); n != 1 {
		t.Errorf("%s %s appears %d times across list pages, want exactly 1", s.kind, id, n)
	}
	var iterated []R
	for r, err := range s.all(e.Ctx) {
		must(t, err, "iterate %ss", s.kind)
		iterated = append(iterated, r)
	}
	if n := count(iterated, id, s.id); n != 1 {
		t.Errorf("%s %s appears %d times in All, want exactly 1", s.kind, id, n)
	}
	if dups := duplicates(iterated, s.id); len(dups) > 0 {
		t.Errorf("All yields duplicate %s ids: %v", s.kind, dups)
	}
	found, err := s.find(e.Ctx, host.Filter{s.findKey: s.findValue(obj)})
	must(t, err, "find %s by %s", s.kind, s.findKey)
	if n := count(found, id, s.id); n != 1 {
		t.Errorf("find %s by %s=%q returned %d matches of it, want 1", s.kind, s.findKey, s.findValue(obj), n)
	}
	got, err := s.get(e.Ctx, id)
	must(t, err, "get %s %s", s.kind, id)
	if s.id(got) != id || s.findValue(got) != s.findValue(obj) {
		t.Errorf("get %s %s = (id %q, %s %q), want (id %q, %s %q)", s.kind, id,
			s.id(got), s.findKey, s.findValue(got), id, s.findKey, s.findValue(obj))
	}
}

// collectPages lists with a small page size, following tokens.
func (s service[R]) collectPages(t T, e *Env, size int) []R {
	t.Helper()
	var out []R
	opts := host.ListOptions{PageSize: size}
	for range 10000 {
		page, err := s.list(e.Ctx, opts)
		must(t, err, "list %ss", s.kind)
		if len(page.Items) > size {
			t.Errorf("list %ss with page size %d returned %d items", s.kind, size, len(page.Items))
		}
		out = append(out, page.Items...)
		if page.NextPageToken == "" {
			return out
		}
		opts.PageToken = page.NextPageToken
	}
	t.Fatalf("list %ss did not end after 10000 pages", s.kind)
	return nil
}

// checkGone is check_delete: the resource is no longer got, listed or found.
func (s service[R]) checkGone(t T, e *Env, obj R) {
	t.Helper()
	id := s.id(obj)
	if _, err := s.get(e.Ctx, id); !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("get deleted %s %s: err = %v, want NotFound", s.kind, id, err)
	}
	for r, err := range s.all(e.Ctx) {
		must(t, err, "iterate %ss", s.kind)
		if s.id(r) == id {
			t.Errorf("deleted %s %s is still listed", s.kind, id)
		}
	}
	found, err := s.find(e.Ctx, host.Filter{s.findKey: s.findValue(obj)})
	must(t, err, "find %s", s.kind)
	if count(found, id, s.id) != 0 {
		t.Errorf("deleted %s %s is still found", s.kind, id)
	}
}

// checkMissing is check_get_non_existent and check_find_non_existent: a made-up
// id is NotFound, a made-up label finds nothing, an unknown filter key is
// InvalidArgument.
func (s service[R]) checkMissing(t T, e *Env, missingID string) {
	t.Helper()
	if _, err := s.get(e.Ctx, missingID); !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("get missing %s %q: err = %v, want NotFound", s.kind, missingID, err)
	}
	found, err := s.find(e.Ctx, host.Filter{s.findKey: e.Name("does-not-exist")})
	must(t, err, "find missing %s", s.kind)
	if len(found) != 0 {
		t.Errorf("find of a made-up %s returned %d results", s.kind, len(found))
	}
	if _, err := s.find(e.Ctx, host.Filter{"no_such_key": "x"}); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("find %s with an unknown key: err = %v, want InvalidArgument", s.kind, err)
	}
}

// checkPaging checks that with a page size small enough to force several pages
// every one of ids is seen exactly once, and a bad token is InvalidArgument.
func (s service[R]) checkPaging(t T, e *Env, ids []string) {
	t.Helper()
	listed := s.collectPages(t, e, 1)
	for _, id := range ids {
		if n := count(listed, id, s.id); n != 1 {
			t.Errorf("%s %s seen %d times paging one by one, want 1", s.kind, id, n)
		}
	}
	if dups := duplicates(listed, s.id); len(dups) > 0 {
		t.Errorf("paging yields duplicate %s ids: %v", s.kind, dups)
	}
	_, err := s.list(e.Ctx, host.ListOptions{PageToken: "not-a-token-we-issued"})
	if !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("list %ss with a bogus page token: err = %v, want InvalidArgument", s.kind, err)
	}
}

func count[R any](items []R, id string, idOf func(R) string) int {
	n := 0
	for _, r := range items {
		if idOf(r) == id {
			n++
		}
	}
	return n
}

func duplicates[R any](items []R, idOf func(R) string) []string {
	seen := map[string]int{}
	var out []string
	for _, r := range items {
		seen[idOf(r)]++
		if seen[idOf(r)] == 2 {
			out = append(out, idOf(r))
		}
	}
	return out
}

// wantCode fails the test unless err matches the sentinel of code.
func wantCode(t T, err error, target error, what string, args ...any) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", sprintf(what, args...), err, target)
	}
}

// badLabels are labels every plugin must refuse, CloudBridge's check_obj_label
// table: too short, empty, uppercase, a space, specials, a leading or trailing
// hyphen, too long.
var badLabels = []string{
	"ab", "", "Hello", "has space", "dot.ted", "co:lon", "under_score",
	"-leading", "trailing-", strings.Repeat("a", 64),
}

// badNames are names every plugin must refuse for a key pair, CloudBridge's
// check_create table; "192.168.5.4" is IP-like.
var badNames = []string{
	"", "cb", "has space", "UPPER", "special!", "under_score", "-leading",
	"trailing-", "192.168.5.4", strings.Repeat("a", 64),
}

// checkRefused calls try with every bad value and wants InvalidArgument each
// time. try returns the id of what a wrongly accepted call made (or ""), which
// del deletes when the test ends.
func checkRefused(t T, e *Env, what string, values []string, try func(context.Context, string) (string, error), del func(context.Context, string) error) {
	t.Helper()
	for _, v := range values {
		id, err := try(e.Ctx, v)
		if err == nil && id != "" && del != nil {
			e.Track(what, id, func(ctx context.Context) error { return del(ctx, id) })
		}
		wantCode(t, err, sdk.ErrInvalidArgument, "%s %q", what, v)
	}
}

// checkIdempotent is a create retried with the idempotency token of the first:
// it answers the resource the first made, and only that one carries its label
// or name.
func (s service[R]) checkIdempotent(t T, e *Env, first R, againID string) {
	t.Helper()
	if againID != s.id(first) {
		t.Errorf("create of %s retried with the same idempotency token answered %q, want the first one %q", s.kind, againID, s.id(first))
	}
	found, err := s.find(e.Ctx, host.Filter{s.findKey: s.findValue(first)})
	must(t, err, "find %s by %s", s.kind, s.findKey)
	if len(found) != 1 {
		t.Errorf("after a retried create, %d %ss have %s %q, want 1", len(found), s.kind, s.findKey, s.findValue(first))
	}
}

// checkDeleteTwice deletes id, which must work, and again, which must be
// NotFound.
func checkDeleteTwice(t T, e *Env, kind, id string, del func(context.Context, string) error) {
	t.Helper()
	must(t, del(e.Ctx, id), "delete %s %s", kind, id)
	wantCode(t, del(e.Ctx, id), sdk.ErrNotFound, "delete %s %s a second time", kind, id)
}

// labeled adapts one labeled resource to check_obj_label: label reads the held
// object, set and refresh change and reload it through the host, update changes
// it through the plugin's raw driver.
type labeled struct {
	kind    string
	label   func() string
	set     func(context.Context, string) error
	refresh func(context.Context) error
	update  func(context.Context, string) error
}

// checkRelabel: a valid label sticks and survives a refresh, the host refuses
// bad ones, and the label is still the last valid one afterwards. The original
// label is put back.
func (l labeled) checkRelabel(t T, e *Env) {
	t.Helper()
	orig := l.label()
	for _, good := range []string{"abc", "hello-world-123", orig} {
		must(t, l.set(e.Ctx, good), "set %s label %q", l.kind, good)
		must(t, l.refresh(e.Ctx), "refresh %s", l.kind)
		if got := l.label(); got != good {
			t.Errorf("%s label after set %q and refresh = %q", l.kind, good, got)
		}
	}
	checkRefused(t, e, "host set "+l.kind+" label", badLabels,
		func(ctx context.Context, v string) (string, error) { return "", l.set(ctx, v) }, nil)
	l.checkKept(t, e, orig)
}

// checkPluginRefuses: the plugin itself refuses bad labels on update, and the
// label stays as it was.
func (l labeled) checkPluginRefuses(t T, e *Env) {
	t.Helper()
	orig := l.label()
	checkRefused(t, e, "plugin update "+l.kind+" label", badLabels,
		func(ctx context.Context, v string) (string, error) { return "", l.update(ctx, v) }, nil)
	l.checkKept(t, e, orig)
}

func (l labeled) checkKept(t T, e *Env, want string) {
	t.Helper()
	must(t, l.refresh(e.Ctx), "refresh %s", l.kind)
	if got := l.label(); got != want {
		t.Errorf("%s label after refused changes = %q, want %q", l.kind, got, want)
	}
}

// collect drains seq, failing the test on an error.
func collect[R any](t T, what string, seq iter.Seq2[R, error]) []R {
	t.Helper()
	var out []R
	for r, err := range seq {
		must(t, err, "list %s", what)
		out = append(out, r)
	}
	return out
}

// ids returns the ids of items.
func ids[R any](items []R, idOf func(R) string) []string {
	out := make([]string, len(items))
	for i, r := range items {
		out[i] = idOf(r)
	}
	return out
}
