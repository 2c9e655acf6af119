package openstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// convertError is the one place where OpenStack's errors become the contract's.
// what says what was being done ("delete server \"x\""). conflict is the code a
// 409 means for this call: AlreadyExists where a create collides with a name,
// FailedPrecondition where the resource is in a state or use that forbids it.
// nil stays nil; an *sdk.Error passes through unchanged.
//
// ProviderCode is the HTTP status followed by the service's own error type
// when its body has one ("404 itemNotFound", "409 SecurityGroupInUse").
func convertError(err error, what string, conflict sdk.Code) error {
	if err == nil {
		return nil
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &sdk.Error{Code: sdk.CodeCanceled, Message: what + ": " + context.Canceled.Error(), Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &sdk.Error{Code: sdk.CodeDeadlineExceeded, Message: what + ": " + context.DeadlineExceeded.Error(), Err: err}
	}
	var resp gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &resp) {
		return httpError(err, resp, what, conflict)
	}
	var reauth gophercloud.ErrUnableToReauthenticate
	if errors.As(err, &reauth) {
		return &sdk.Error{Code: sdk.CodeUnauthenticated, Message: what + ": the token expired and could not be renewed: " + reauth.Error(), Err: err}
	}
	var notFound gophercloud.ErrResourceNotFound
	if errors.As(err, &notFound) {
		return &sdk.Error{Code: sdk.CodeNotFound, Message: what + ": " + notFound.Error(), Err: err}
	}
	var missing gophercloud.ErrMissingInput
	var invalid gophercloud.ErrInvalidInput
	if errors.As(err, &invalid) || errors.As(err, &missing) {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Message: what + ": " + err.Error(), Err: err}
	}
	var endpoint gophercloud.ErrEndpointNotFound
	if errors.As(err, &endpoint) {
		return &sdk.Error{Code: sdk.CodeUnavailable, Message: what + ": " + err.Error(), Err: err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return &sdk.Error{Code: sdk.CodeUnavailable, Message: what + ": " + err.Error(), Retryable: true, Err: err}
	}
	return &sdk.Error{Code: sdk.CodeInternal, Message: what + ": " + err.Error(), Err: err}
}

// httpError maps an unexpected HTTP status.
func httpError(err error, resp gophercloud.ErrUnexpectedResponseCode, what string, conflict sdk.Code) *sdk.Error {
	kind, msg := serviceError(resp.Body)
	if msg == "" {
		msg = http.StatusText(resp.Actual)
	}
	e := &sdk.Error{Message: what + ": " + msg, ProviderCode: strconv.Itoa(resp.Actual), Err: err}
	if kind != "" {
		e.ProviderCode += " " + kind
	}
	switch s := resp.Actual; {
	case s == http.StatusNotFound:
		e.Code = sdk.CodeNotFound
	case s == http.StatusConflict:
		e.Code = conflict
		if e.Code == "" {
			e.Code = sdk.CodeFailedPrecondition
		}
	case s == http.StatusRequestEntityTooLarge || s == http.StatusTooManyRequests:
		// Nova and Cinder answer 413 for both an over-quota request and a
		// rate limit; Neutron answers 409 OverQuota (see below).
		e.Code, e.Retryable = sdk.CodeResourceExhausted, true
		e.RetryAfter = retryAfter(resp.ResponseHeader)
	case s == http.StatusUnauthorized:
		e.Code = sdk.CodeUnauthenticated
	case s == http.StatusForbidden:
		e.Code = sdk.CodePermissionDenied
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity || s == http.StatusRequestedRangeNotSatisfiable || s == http.StatusLengthRequired:
		e.Code = sdk.CodeInvalidArgument
	case s == http.StatusPreconditionFailed:
		e.Code = sdk.CodeFailedPrecondition
	case s == http.StatusNotImplemented:
		e.Code = sdk.CodeUnsupported
	case s >= 500:
		e.Code, e.Retryable = sdk.CodeUnavailable, true
	default:
		e.Code = sdk.CodeInternal
	}
	switch {
	case kind == "OverQuota" || strings.HasSuffix(kind, "QuotaExceeded"):
		e.Code, e.Retryable = sdk.CodeResourceExhausted, true
	case kind == "invalid_uuid":
		// Designate answers 400 for an id that is not a UUID where the other
		// services answer 404: either way, nothing has that id.
		e.Code = sdk.CodeNotFound
	}
	return e
}

func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// serviceError reads the error type and message from an error body, in the
// shapes the services use:
//
//	Nova, Cinder:  {"itemNotFound": {"code": 404, "message": "..."}}
//	Neutron:       {"NeutronError": {"type": "SecurityGroupNotFound", "message": "..."}}
//	Keystone:      {"error": {"code": 401, "title": "Unauthorized", "message": "..."}}
//	Designate:     {"code": 404, "type": "zone_not_found", "message": "..."}
//	Glance, Swift: an HTML or plain-text page
func serviceError(body []byte) (kind, msg string) {
	body = []byte(strings.TrimSpace(string(body)))
	if len(body) == 0 {
		return "", ""
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		var flat struct {
			Type, Title, Message, Description string
			Detail                            string
		}
		if raw, ok := top["NeutronError"]; ok {
			_ = json.Unmarshal(raw, &flat)
			return flat.Type, joinDetail(flat.Message, flat.Detail)
		}
		if raw, ok := top["error"]; ok && len(raw) > 0 && raw[0] == '{' {
			_ = json.Unmarshal(raw, &flat)
			return flat.Title, flat.Message
		}
		if _, ok := top["message"]; ok {
			_ = json.Unmarshal(body, &flat)
			return flat.Type, flat.Message
		}
		if raw, ok := top["errors"]; ok {
			// Designate's schema errors: {"type": "invalid_object", "errors": {"errors": [{"message": ...}]}}
			var errs struct {
				Errors []struct {
					Path    []any  `json:"path"`
					Message string `json:"message"`
				} `json:"errors"`
			}
			_ = json.Unmarshal(body, &flat)
			_ = json.Unmarshal(raw, &errs)
			var msgs []string
			for _, e := range errs.Errors {
				msgs = append(msgs, e.Message)
			}
			return flat.Type, strings.Join(msgs, "; ")
		}
		if len(top) == 1 {
			for k, raw := range top {
				if json.Unmarshal(raw, &flat) == nil && (flat.Message != "" || flat.Description != "") {
					return k, first(flat.Message, flat.Description)
				}
			}
		}
		return "", string(body)
	}
	text := htmlTag.ReplaceAllString(string(body), " ")
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 512 {
		text = text[:512] + "..."
	}
	return "", text
}

func joinDetail(msg, detail string) string {
	if detail == "" {
		return msg
	}
	return msg + " (" + detail + ")"
}

// ctxError maps a context's own error.
func ctxError(err error) error {
	code := sdk.CodeCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = sdk.CodeDeadlineExceeded
	}
	return &sdk.Error{Code: code, Message: err.Error(), Err: err}
}

// statusOf returns the HTTP status of an OpenStack error, 0 for others.
func statusOf(err error) int {
	var resp gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &resp) {
		return resp.Actual
	}
	return 0
}

// errorBody is the body of an OpenStack error answer, nil for other errors.
func errorBody(err error) []byte {
	var resp gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &resp) {
		return resp.Body
	}
	return nil
}

// notFound is NotFound for a resource named by a parameter of the call.
func notFound(param, kind, id string) *sdk.Error {
	e := sdk.NotFound(kind, id)
	e.Param = param
	return e
}

// withParam sets the Param of an *sdk.Error (for a NotFound about an argument).
func withParam(err error, param string) error {
	var e *sdk.Error
	if errors.As(err, &e) && e.Param == "" {
		e.Param = param
	}
	return err
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
