package wire

import (
	"context"
	"errors"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ErrorDomain is the ErrorInfo domain of CloudBridge errors.
const ErrorDomain = "cloudbridge.dev"

// Error is the wire form of an sdk.Error: the code travels by name so that this
// package needs no sdk types.
type Error struct {
	Code         string
	Message      string
	Param        string
	ProviderCode string
	Retryable    bool
	RetryAfter   time.Duration
}

// grpcCodes maps CloudBridge code names to gRPC codes. Unsupported is
// Unimplemented, as gRPC answers for an unregistered service.
var grpcCodes = map[string]codes.Code{
	"NotFound":           codes.NotFound,
	"AlreadyExists":      codes.AlreadyExists,
	"InvalidArgument":    codes.InvalidArgument,
	"FailedPrecondition": codes.FailedPrecondition,
	"PermissionDenied":   codes.PermissionDenied,
	"Unauthenticated":    codes.Unauthenticated,
	"ResourceExhausted":  codes.ResourceExhausted,
	"Unavailable":        codes.Unavailable,
	"DeadlineExceeded":   codes.DeadlineExceeded,
	"Canceled":           codes.Canceled,
	"Unsupported":        codes.Unimplemented,
	"Internal":           codes.Internal,
}

// GRPCCode returns the gRPC code for a CloudBridge code name (Internal if unknown).
func GRPCCode(name string) codes.Code {
	if c, ok := grpcCodes[name]; ok {
		return c
	}
	return codes.Internal
}

// CodeName returns the CloudBridge code name for a gRPC code, for statuses that
// carry no ErrorInfo (e.g. produced by gRPC itself).
func CodeName(c codes.Code) string {
	for name, gc := range grpcCodes {
		if gc == c {
			return name
		}
	}
	return "Internal"
}

// Status turns a wire error into a gRPC status with ErrorInfo (and RetryInfo when
// there is a retry-after hint).
func Status(e Error) *status.Status {
	st := status.New(GRPCCode(e.Code), e.Message)
	info := &errdetails.ErrorInfo{
		Reason:   e.Code,
		Domain:   ErrorDomain,
		Metadata: map[string]string{"retryable": strconv.FormatBool(e.Retryable)},
	}
	if e.Param != "" {
		info.Metadata["param"] = e.Param
	}
	if e.ProviderCode != "" {
		info.Metadata["provider_code"] = e.ProviderCode
	}
	details := []protoadapt.MessageV1{info}
	if e.RetryAfter > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryAfter)})
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st
	}
	return withDetails
}

// FromStatus reads a wire error back out of a gRPC status. Statuses without
// ErrorInfo (gRPC's own) are classified by their gRPC code.
func FromStatus(st *status.Status) Error {
	e := Error{Code: CodeName(st.Code()), Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() != ErrorDomain {
				continue
			}
			e.Code = d.GetReason()
			e.Param = d.GetMetadata()["param"]
			e.ProviderCode = d.GetMetadata()["provider_code"]
			e.Retryable, _ = strconv.ParseBool(d.GetMetadata()["retryable"])
		case *errdetails.RetryInfo:
			e.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}
	if _, known := grpcCodes[e.Code]; !known {
		e.Code = "Internal"
	}
	return e
}

// ContextCode returns "Canceled" or "DeadlineExceeded" for a context error, "" otherwise.
func ContextCode(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	}
	return ""
}
