package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Error turns an error of a gRPC call into the *sdk.Error the host hands out:
//
//   - nil stays nil, and an error that already holds an *sdk.Error is returned as is;
//   - a gRPC status becomes the *sdk.Error it was made from (code, message, param,
//     provider code, retryable, retry-after). Statuses gRPC makes itself carry no
//     ErrorInfo and are classified by their gRPC code: Unimplemented (a service the
//     plugin did not register) is Unsupported. Canceled and DeadlineExceeded also
//     wrap context.Canceled and context.DeadlineExceeded, so errors.Is works with
//     either the sdk sentinel or the context error;
//   - any other error (a context error, a broken connection) gets the matching code,
//     Unavailable for transport failures and Internal otherwise, with Err set to it.
func Error(err error) error {
	if err == nil {
		return nil
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return err
	}
	if st, ok := status.FromError(err); ok {
		we := wire.FromStatus(st)
		e := &sdk.Error{
			Code:         sdk.Code(we.Code),
			Message:      we.Message,
			Param:        we.Param,
			ProviderCode: we.ProviderCode,
			Retryable:    we.Retryable,
			RetryAfter:   we.RetryAfter,
		}
		if !hasErrorInfo(st) {
			// gRPC's own statuses (transport down, unknown service) say nothing
			// about retrying; the code's nature does.
			e.Retryable = e.Code.Retryable()
		}
		switch e.Code {
		case sdk.CodeCanceled:
			e.Err = context.Canceled
		case sdk.CodeDeadlineExceeded:
			e.Err = context.DeadlineExceeded
		}
		if !hasErrorInfo(st) {
			e.Err = noAnswer{cause: e.Err}
		}
		return e
	}
	code := sdk.CodeInternal
	switch {
	case errors.Is(err, context.Canceled):
		code = sdk.CodeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		code = sdk.CodeDeadlineExceeded
	case transportError(err):
		return &sdk.Error{Code: sdk.CodeUnavailable, Message: err.Error(), Retryable: true, Err: noAnswer{cause: err}}
	}
	return &sdk.Error{Code: code, Message: err.Error(), Retryable: code.Retryable(), Err: err}
}

// ErrNoAnswer is matched (errors.Is) by errors that did not come from the
// plugin itself: gRPC's own statuses (the connection broke, a service is not
// registered) and transport failures. Only such an error can mean that the
// plugin process died; an error the plugin answered proves it alive.
var ErrNoAnswer = errors.New("no answer from the plugin")

type noAnswer struct{ cause error }

func (n noAnswer) Error() string {
	if n.cause == nil {
		return ErrNoAnswer.Error()
	}
	return ErrNoAnswer.Error() + ": " + n.cause.Error()
}

func (n noAnswer) Is(target error) bool { return target == ErrNoAnswer }

func (n noAnswer) Unwrap() error { return n.cause }

func hasErrorInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == wire.ErrorDomain {
			return true
		}
	}
	return false
}

// transportError reports whether err says the connection to the plugin broke.
func transportError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne)
}

// protocolError is the error for a plugin that broke the contract's message order.
func protocolError(what string) *sdk.Error {
	return &sdk.Error{Code: sdk.CodeInternal, Message: "protocol error: " + what}
}
