package sdk

// Paging defaults of the contract.
const (
	// DefaultPageSize is used when ListOptions.PageSize is zero.
	DefaultPageSize = 50
	// MaxPageSize caps ListOptions.PageSize; larger requests get this many.
	MaxPageSize = 1000
)

// ListOptions asks for one page of a list.
type ListOptions struct {
	// PageSize is the most items to return; 0 means DefaultPageSize.
	PageSize int `json:"page_size"`
	// PageToken is the NextPageToken of the previous page; "" starts at the beginning.
	// A token the plugin did not issue is InvalidArgument.
	PageToken string `json:"page_token"`
}

// Page is one page of a list. NextPageToken is "" on the last page.
type Page[T any] struct {
	Items         []T    `json:"items,omitempty"`
	NextPageToken string `json:"next_page_token"`
}
