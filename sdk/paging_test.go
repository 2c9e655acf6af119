package sdk_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

type pagedItem struct{ ID, Label string }

func pagedItemID(it pagedItem) string { return it.ID }

// pagedItems returns n items with ids "item-0000", "item-0001", … in order.
func pagedItems(n int) []pagedItem {
	items := make([]pagedItem, n)
	for i := range items {
		items[i] = pagedItem{ID: fmt.Sprintf("item-%04d", i), Label: fmt.Sprintf("label-%d", i)}
	}
	return items
}

// collectPages follows page tokens from the start and returns every page.
func collectPages(t *testing.T, items []pagedItem, size int) []sdk.Page[pagedItem] {
	t.Helper()
	var pages []sdk.Page[pagedItem]
	opts := sdk.ListOptions{PageSize: size}
	for {
		page, err := sdk.Paginate(items, opts, pagedItemID)
		if err != nil {
			t.Fatalf("page %d: %v", len(pages)+1, err)
		}
		pages = append(pages, page)
		if page.NextPageToken == "" {
			return pages
		}
		if len(pages) > len(items)+1 {
			t.Fatalf("%d pages for %d items: the token does not advance", len(pages), len(items))
		}
		opts.PageToken = page.NextPageToken
	}
}

func TestPaginateEachItemOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		items     int
		size      int
		wantPages []int // the length of each page
	}{
		{"several pages", 23, 5, []int{5, 5, 5, 5, 3}},
		{"last page full", 10, 5, []int{5, 5}},
		{"page size 1", 3, 1, []int{1, 1, 1}},
		{"one page", 4, 10, []int{4}},
		{"page size 0 is the default", sdk.DefaultPageSize + 1, 0, []int{sdk.DefaultPageSize, 1}},
		{"huge page size is capped", sdk.MaxPageSize + 1, 1 << 30, []int{sdk.MaxPageSize, 1}},
		{"empty list", 0, 5, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := pagedItems(tc.items)
			pages := collectPages(t, items, tc.size)
			var got []pagedItem
			var lens []int
			for _, p := range pages {
				got = append(got, p.Items...)
				lens = append(lens, len(p.Items))
			}
			if !slices.Equal(lens, tc.wantPages) {
				t.Errorf("page lengths = %v, want %v", lens, tc.wantPages)
			}
			if !slices.Equal(got, items) {
				t.Errorf("pages hold %d items, want each of the %d items once, in order", len(got), len(items))
			}
		})
	}
}

func TestPaginateNilItems(t *testing.T) {
	page, err := sdk.Paginate(nil, sdk.ListOptions{}, pagedItemID)
	if err != nil || len(page.Items) != 0 || page.NextPageToken != "" {
		t.Errorf("got %+v, %v; want an empty last page", page, err)
	}
}

func TestPaginateUnsorted(t *testing.T) {
	sorted := pagedItems(12)
	shuffled := slices.Clone(sorted)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	before := slices.Clone(shuffled)

	var got []pagedItem
	for _, p := range collectPages(t, shuffled, 5) {
		got = append(got, p.Items...)
	}
	if !slices.Equal(got, sorted) {
		t.Errorf("got %v, want the items in id order", got)
	}
	if !slices.Equal(shuffled, before) {
		t.Error("Paginate reordered the caller's slice")
	}
}

func TestPaginateItemsAreACopy(t *testing.T) {
	items := pagedItems(3)
	page, err := sdk.Paginate(items, sdk.ListOptions{PageSize: 2}, pagedItemID)
	if err != nil {
		t.Fatal(err)
	}
	page.Items[0].Label = "changed"
	_ = append(page.Items, pagedItem{ID: "appended"})
	if items[0].Label != "label-0" || items[2].ID != "item-0002" {
		t.Errorf("changing the page changed the caller's items: %v", items)
	}
}

// A listing must stay correct while the cloud changes under it: CloudBridge's
// conformance tests delete and create resources while others are being listed.
func TestPaginateChangesBetweenPages(t *testing.T) {
	items := pagedItems(10)
	first, err := sdk.Paginate(items, sdk.ListOptions{PageSize: 3}, pagedItemID)
	if err != nil {
		t.Fatal(err)
	}
	next := sdk.ListOptions{PageSize: 3, PageToken: first.NextPageToken}
	without := func(ids ...string) []pagedItem {
		return slices.DeleteFunc(slices.Clone(items), func(it pagedItem) bool { return slices.Contains(ids, it.ID) })
	}

	for _, tc := range []struct {
		name      string
		items     []pagedItem
		wantIDs   []string
		wantToken bool
	}{
		{"unchanged", items, []string{"item-0003", "item-0004", "item-0005"}, true},
		{"last returned item deleted", without("item-0002"), []string{"item-0003", "item-0004", "item-0005"}, true},
		{"earlier and later items deleted", without("item-0000", "item-0004"), []string{"item-0003", "item-0005", "item-0006"}, true},
		{"all remaining items deleted", items[:3], nil, false},
		{"everything deleted", nil, nil, false},
		{
			"items created before and after the token",
			append(slices.Clone(items), pagedItem{ID: "item-0001a"}, pagedItem{ID: "item-0002a"}),
			[]string{"item-0002a", "item-0003", "item-0004"}, true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := sdk.Paginate(tc.items, next, pagedItemID)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Errorf("second page = %v, want %v", ids, tc.wantIDs)
			}
			if got := page.NextPageToken != ""; got != tc.wantToken {
				t.Errorf("NextPageToken = %q, want a token: %v", page.NextPageToken, tc.wantToken)
			}
		})
	}
}

func TestPaginateBadArguments(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name         string
		opts         sdk.ListOptions
		param, shown string
	}{
		{"negative page size", sdk.ListOptions{PageSize: -1}, "page_size", "-1"},
		{"not base64", sdk.ListOptions{PageToken: "not a token!"}, "page_token", "not a token!"},
		{"standard base64 alphabet", sdk.ListOptions{PageToken: "v+/a"}, "page_token", "v+/a"},
		{"padded base64", sdk.ListOptions{PageToken: "djE6YQ=="}, "page_token", "djE6YQ=="},
		{"no prefix", sdk.ListOptions{PageToken: b64([]byte("item-0003"))}, "page_token", b64([]byte("item-0003"))},
		{"other version", sdk.ListOptions{PageToken: b64([]byte("v2:item-0003"))}, "page_token", b64([]byte("v2:item-0003"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := sdk.Paginate(pagedItems(5), tc.opts, pagedItemID)
			requireInvalidArgument(t, err, tc.param, tc.shown)
			if page.Items != nil || page.NextPageToken != "" {
				t.Errorf("got page %+v with the error, want the zero Page", page)
			}
		})
	}
}

func ExamplePaginate() {
	// A cloud that returns every key pair in one call.
	names := []string{"kp-c", "kp-a", "kp-e", "kp-b", "kp-d"}
	id := func(name string) string { return name }

	opts := sdk.ListOptions{PageSize: 2}
	for {
		page, err := sdk.Paginate(names, opts, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(page.Items)
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	// Output:
	// [kp-a kp-b]
	// [kp-c kp-d]
	// [kp-e]
}
