package openstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func httpErr(status int, body string, h http.Header) error {
	return fmt.Errorf("wrapped: %w", gophercloud.ErrUnexpectedResponseCode{Actual: status, Body: []byte(body), ResponseHeader: h,
		Method: "GET", URL: "http://127.0.0.1/x"})
}

func TestConvertError(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		conflict  sdk.Code
		code      sdk.Code
		provider  string
		retryable bool
		msg       string
	}{
		{"nova 404", httpErr(404, `{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}`, nil), "",
			sdk.CodeNotFound, "404 itemNotFound", false, "get server: Instance x could not be found."},
		{"neutron 409 in use", httpErr(409, `{"NeutronError": {"type": "SecurityGroupInUse", "message": "Security Group x in use.", "detail": ""}}`, nil),
			sdk.CodeFailedPrecondition, sdk.CodeFailedPrecondition, "409 SecurityGroupInUse", false, "Security Group x in use."},
		{"409 on a create is AlreadyExists", httpErr(409, `{"conflictingRequest": {"code": 409, "message": "Key pair 'k' already exists."}}`, nil),
			sdk.CodeAlreadyExists, sdk.CodeAlreadyExists, "409 conflictingRequest", false, "already exists"},
		{"409 without a hint", httpErr(409, ``, nil), "", sdk.CodeFailedPrecondition, "409", false, "Conflict"},
		{"neutron over quota", httpErr(409, `{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['port']."}}`, nil),
			sdk.CodeAlreadyExists, sdk.CodeResourceExhausted, "409 OverQuota", true, "Quota exceeded"},
		{"nova 413 over limit", httpErr(413, `{"overLimit": {"code": 413, "message": "Quota exceeded for instances"}}`, http.Header{"Retry-After": {"7"}}),
			"", sdk.CodeResourceExhausted, "413 overLimit", true, "Quota exceeded"},
		{"429", httpErr(429, `Too many requests`, nil), "", sdk.CodeResourceExhausted, "429", true, "Too many requests"},
		{"keystone 401", httpErr(401, `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`, nil),
			"", sdk.CodeUnauthenticated, "401 Unauthorized", false, "requires authentication"},
		{"403", httpErr(403, `{"forbidden": {"code": 403, "message": "Policy doesn't allow it."}}`, nil), "", sdk.CodePermissionDenied, "403 forbidden", false, "Policy"},
		{"cinder 400", httpErr(400, `{"badRequest": {"code": 400, "message": "Invalid input received"}}`, nil), "", sdk.CodeInvalidArgument, "400 badRequest", false, "Invalid input"},
		{"designate 404", httpErr(404, `{"code": 404, "type": "zone_not_found", "message": "Could not find Zone", "request_id": "r"}`, nil),
			"", sdk.CodeNotFound, "404 zone_not_found", false, "Could not find Zone"},
		{"glance html 404", httpErr(404, "<html>\n <head><title>404 Not Found</title></head>\n <body><h1>404 Not Found</h1>No image found with ID x<br /><br /></body></html>", nil),
			"", sdk.CodeNotFound, "404", false, "No image found with ID x"},
		{"swift 416", httpErr(416, `<html><h1>Requested Range Not Satisfiable</h1></html>`, nil), "", sdk.CodeInvalidArgument, "416", false, "Range"},
		{"503", httpErr(503, `Service Unavailable`, nil), "", sdk.CodeUnavailable, "503", true, "Service Unavailable"},
		{"canceled", fmt.Errorf("Get x: %w", context.Canceled), "", sdk.CodeCanceled, "", false, "context canceled"},
		{"deadline", fmt.Errorf("Get x: %w", context.DeadlineExceeded), "", sdk.CodeDeadlineExceeded, "", false, "deadline"},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "", sdk.CodeUnavailable, "", true, "connection refused"},
		{"missing input", gophercloud.ErrMissingInput{Argument: "Name"}, "", sdk.CodeInvalidArgument, "", false, "Name"},
		{"other", errors.New("boom"), "", sdk.CodeInternal, "", false, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			what := "get server"
			got := convertError(tt.err, what, tt.conflict)
			var e *sdk.Error
			if !errors.As(got, &e) {
				t.Fatalf("convertError = %T %v, want *sdk.Error", got, got)
			}
			if e.Code != tt.code || e.ProviderCode != tt.provider || e.Retryable != tt.retryable {
				t.Errorf("code %s provider %q retryable %v; want %s %q %v", e.Code, e.ProviderCode, e.Retryable, tt.code, tt.provider, tt.retryable)
			}
			if !strings.Contains(e.Message, tt.msg) || !strings.Contains(e.Message, what) {
				t.Errorf("message %q lacks %q or %q", e.Message, tt.msg, what)
			}
			if !errors.Is(got, tt.err) && e.Code != sdk.CodeCanceled && e.Code != sdk.CodeDeadlineExceeded {
				t.Errorf("the cause is not kept: %v", e.Err)
			}
		})
	}
	t.Run("retry-after", func(t *testing.T) {
		var e *sdk.Error
		errors.As(convertError(httpErr(429, "", http.Header{"Retry-After": {"7"}}), "x", ""), &e)
		if e.RetryAfter != 7*time.Second {
			t.Errorf("RetryAfter = %v, want 7s", e.RetryAfter)
		}
	})
	t.Run("nil and sdk errors pass", func(t *testing.T) {
		if convertError(nil, "x", "") != nil {
			t.Error("nil became an error")
		}
		in := sdk.NotFound("thing", "1")
		if got := convertError(in, "x", ""); got != error(in) {
			t.Errorf("an *sdk.Error was rewritten: %v", got)
		}
	})
	t.Run("context errors match the sentinels", func(t *testing.T) {
		got := convertError(context.Canceled, "x", "")
		if !errors.Is(got, sdk.ErrCanceled) || !errors.Is(got, context.Canceled) {
			t.Errorf("got %v, want Canceled matching context.Canceled", got)
		}
	})
}

func TestListErrorMarker(t *testing.T) {
	err := listError(httpErr(400, `{"badRequest": {"code": 400, "message": "marker [x] not found"}}`, nil), "list servers", "x")
	if !errors.Is(err, sdk.ErrInvalidArgument) || err.(*sdk.Error).Param != "page_token" {
		t.Errorf("a refused marker: %v, want InvalidArgument about page_token", err)
	}
	err = listError(httpErr(500, ``, nil), "list servers", "x")
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("a 500 with a marker: %v, want Unavailable", err)
	}
	err = listError(httpErr(400, ``, nil), "list servers", "")
	if !errors.Is(err, sdk.ErrInvalidArgument) || err.(*sdk.Error).Param == "page_token" {
		t.Errorf("a 400 without a marker: %v, want InvalidArgument not about page_token", err)
	}
}
