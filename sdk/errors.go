package sdk

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Code classifies an Error. The values are the contract's error model: they cross
// the plugin boundary unchanged and callers branch on them with errors.Is, never on
// message text.
type Code string

// The error codes of the contract (DESIGN.md §4).
const (
	CodeNotFound           Code = "NotFound"
	CodeAlreadyExists      Code = "AlreadyExists"
	CodeInvalidArgument    Code = "InvalidArgument"
	CodeFailedPrecondition Code = "FailedPrecondition"
	CodePermissionDenied   Code = "PermissionDenied"
	CodeUnauthenticated    Code = "Unauthenticated"
	CodeResourceExhausted  Code = "ResourceExhausted"
	CodeUnavailable        Code = "Unavailable"
	CodeDeadlineExceeded   Code = "DeadlineExceeded"
	CodeCanceled           Code = "Canceled"
	CodeUnsupported        Code = "Unsupported"
	CodeInternal           Code = "Internal"
)

// Codes lists every code, in a stable order.
var Codes = []Code{
	CodeNotFound, CodeAlreadyExists, CodeInvalidArgument, CodeFailedPrecondition,
	CodePermissionDenied, CodeUnauthenticated, CodeResourceExhausted, CodeUnavailable,
	CodeDeadlineExceeded, CodeCanceled, CodeUnsupported, CodeInternal,
}

// Valid reports whether c is one of the contract's codes.
func (c Code) Valid() bool {
	for _, k := range Codes {
		if c == k {
			return true
		}
	}
	return false
}

// Retryable reports whether a call failing with this code may succeed if repeated
// unchanged, all else being equal.
func (c Code) Retryable() bool {
	return c == CodeUnavailable || c == CodeResourceExhausted
}

// Sentinel errors, one per code, for errors.Is. An *Error matches the sentinel of
// its code: errors.Is(err, sdk.ErrNotFound).
var (
	ErrNotFound           = &Error{Code: CodeNotFound, Message: "not found"}
	ErrAlreadyExists      = &Error{Code: CodeAlreadyExists, Message: "already exists"}
	ErrInvalidArgument    = &Error{Code: CodeInvalidArgument, Message: "invalid argument"}
	ErrFailedPrecondition = &Error{Code: CodeFailedPrecondition, Message: "failed precondition"}
	ErrPermissionDenied   = &Error{Code: CodePermissionDenied, Message: "permission denied"}
	ErrUnauthenticated    = &Error{Code: CodeUnauthenticated, Message: "unauthenticated"}
	ErrResourceExhausted  = &Error{Code: CodeResourceExhausted, Message: "resource exhausted"}
	ErrUnavailable        = &Error{Code: CodeUnavailable, Message: "unavailable"}
	ErrDeadlineExceeded   = &Error{Code: CodeDeadlineExceeded, Message: "deadline exceeded"}
	ErrCanceled           = &Error{Code: CodeCanceled, Message: "canceled"}
	ErrUnsupported        = &Error{Code: CodeUnsupported, Message: "unsupported"}
	ErrInternal           = &Error{Code: CodeInternal, Message: "internal error"}
)

// Error is the one error type of the contract. Plugins return it (directly or
// wrapped) from every driver method; the host gives back the same values.
type Error struct {
	Code    Code
	Message string
	// Param names the argument that was wrong, for InvalidArgument and friends
	// (e.g. "label", "cidr_block").
	Param string
	// ProviderCode is the cloud's own error code (e.g. "InvalidInstanceID.NotFound").
	ProviderCode string
	// Retryable says the call may succeed if repeated; it defaults to the code's
	// nature but a plugin may say more (throttling is ResourceExhausted+Retryable).
	Retryable bool
	// RetryAfter is a hint from the cloud on how long to wait before a retry.
	RetryAfter time.Duration
	// Err is the underlying cause, kept for errors.Unwrap inside one process. It
	// does not cross the plugin boundary.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Code)
	}
	if e.Param != "" {
		msg = fmt.Sprintf("%s (param %s)", msg, e.Param)
	}
	if e.ProviderCode != "" {
		msg = fmt.Sprintf("%s [%s]", msg, e.ProviderCode)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match the sentinel of its code, so that
// errors.Is(err, sdk.ErrNotFound) works for any NotFound error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && sentinel(t)
}

func sentinel(e *Error) bool {
	for _, s := range sentinels {
		if s == e {
			return true
		}
	}
	return false
}

var sentinels = []*Error{
	ErrNotFound, ErrAlreadyExists, ErrInvalidArgument, ErrFailedPrecondition,
	ErrPermissionDenied, ErrUnauthenticated, ErrResourceExhausted, ErrUnavailable,
	ErrDeadlineExceeded, ErrCanceled, ErrUnsupported, ErrInternal,
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: code.Retryable()}
}

// InvalidArgument returns an InvalidArgument error naming the bad parameter and value.
func InvalidArgument(param string, value any, reason string) *Error {
	return &Error{
		Code:    CodeInvalidArgument,
		Param:   param,
		Message: fmt.Sprintf("invalid %s %q: %s", param, fmt.Sprint(value), reason),
	}
}

// NotFound returns a NotFound error for a resource kind and id.
func NotFound(kind, id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// Unsupported returns an Unsupported error naming the operation.
func Unsupported(what string) *Error {
	return &Error{Code: CodeUnsupported, Message: fmt.Sprintf("%s is not supported by this provider", what)}
}

// CodeOf returns the code of the first *Error in err's chain. A context error maps
// to Canceled or DeadlineExceeded; any other error is Internal; nil is "".
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded
	}
	return CodeInternal
}
