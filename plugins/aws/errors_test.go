package aws

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func TestMapError(t *testing.T) {
	for _, tc := range []struct {
		code      string
		want      sdk.Code
		retryable bool
	}{
		{"InvalidInstanceID.NotFound", sdk.CodeNotFound, false},
		{"NoSuchKey", sdk.CodeNotFound, false},
		{"NoSuchBucket", sdk.CodeNotFound, false},
		{"NoSuchHostedZone", sdk.CodeNotFound, false},
		{"InvalidKeyPair.Duplicate", sdk.CodeAlreadyExists, false},
		{"BucketAlreadyOwnedByYou", sdk.CodeAlreadyExists, false},
		{"HostedZoneAlreadyExists", sdk.CodeAlreadyExists, false},
		{"DependencyViolation", sdk.CodeFailedPrecondition, false},
		{"IncorrectInstanceState", sdk.CodeFailedPrecondition, false},
		{"RequestLimitExceeded", sdk.CodeResourceExhausted, true},
		{"Throttling", sdk.CodeResourceExhausted, true},
		{"SlowDown", sdk.CodeResourceExhausted, true},
		{"AuthFailure", sdk.CodeUnauthenticated, false},
		{"InvalidClientTokenId", sdk.CodeUnauthenticated, false},
		{"SignatureDoesNotMatch", sdk.CodeUnauthenticated, false},
		{"UnauthorizedOperation", sdk.CodePermissionDenied, false},
		{"AccessDenied", sdk.CodePermissionDenied, false},
		{"InvalidAMIID.Malformed", sdk.CodeInvalidArgument, false},
		{"InvalidParameterValue", sdk.CodeInvalidArgument, false},
		{"InternalError", sdk.CodeUnavailable, true},
	} {
		t.Run(tc.code, func(t *testing.T) {
			err := mapError(&smithy.OperationError{ServiceID: "EC2", OperationName: "Op",
				Err: &smithy.GenericAPIError{Code: tc.code, Message: "msg"}})
			var e *sdk.Error
			if !errors.As(err, &e) || e.Code != tc.want || e.ProviderCode != tc.code || e.Retryable != tc.retryable {
				t.Fatalf("mapError(%s) = %#v, want code %s retryable %v", tc.code, err, tc.want, tc.retryable)
			}
			if e.Message != "EC2 Op: msg" {
				t.Errorf("message %q does not say the operation", e.Message)
			}
		})
	}
	if err := mapError(fmt.Errorf("op: %w", context.Canceled)); sdk.CodeOf(err) != sdk.CodeCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	if err := mapError(context.DeadlineExceeded); sdk.CodeOf(err) != sdk.CodeDeadlineExceeded {
		t.Errorf("deadline: %v", err)
	}
	auth := (&clients{credSource: "static credentials"}).mapError(&smithy.GenericAPIError{Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"})
	if e := auth.(*sdk.Error); e.Message != "AWS was not able to validate the provided access credentials (credentials from static credentials)" {
		t.Errorf("auth message %q does not name the source", e.Message)
	}
}

func TestServerPageCutsAWSPages(t *testing.T) {
	// An AWS page of 5 (EC2's minimum), asked for in pages of 2, with an item
	// deleted between calls: every item that stays is seen once.
	pages := map[string][]string{"": {"e", "a", "c", "b", "d"}, "t2": {"f", "g"}}
	next := map[string]string{"": "t2"}
	fetch := func(_ context.Context, tok string, max int32) ([]string, string, error) {
		if max != 5 {
			t.Errorf("asked AWS for %d items, want the minimum 5", max)
		}
		return pages[tok], next[tok], nil
	}
	cl := &clients{}
	var seen []string
	opts := sdk.ListOptions{PageSize: 2}
	for i := 0; i < 10; i++ {
		page, err := serverPage(context.Background(), cl, opts, "test", 5, 1000, func(s string) string { return s }, fetch)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, page.Items...)
		if i == 0 {
			pages[""] = []string{"e", "c", "b", "d"} // "a", already seen, is deleted
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if fmt.Sprint(seen) != "[a b c d e f g]" {
		t.Errorf("paged %v, want [a b c d e f g]", seen)
	}
	if _, err := serverPage(context.Background(), cl, sdk.ListOptions{PageToken: "not-a-token-we-issued"}, "test", 5, 1000, func(s string) string { return s }, fetch); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("bogus token: %v, want InvalidArgument", err)
	}
}
