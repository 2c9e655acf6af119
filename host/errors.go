package host

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The error values of the contract, the same values as the sdk's, so that
// errors.Is(err, host.ErrNotFound) and errors.Is(err, sdk.ErrNotFound) agree.
var (
	ErrNotFound           = sdk.ErrNotFound
	ErrAlreadyExists      = sdk.ErrAlreadyExists
	ErrInvalidArgument    = sdk.ErrInvalidArgument
	ErrFailedPrecondition = sdk.ErrFailedPrecondition
	ErrPermissionDenied   = sdk.ErrPermissionDenied
	ErrUnauthenticated    = sdk.ErrUnauthenticated
	ErrResourceExhausted  = sdk.ErrResourceExhausted
	ErrUnavailable        = sdk.ErrUnavailable
	ErrDeadlineExceeded   = sdk.ErrDeadlineExceeded
	ErrCanceled           = sdk.ErrCanceled
	ErrUnsupported        = sdk.ErrUnsupported
	ErrInternal           = sdk.ErrInternal
)

// Error is the contract's error type; use errors.As to read its fields.
type Error = sdk.Error

// ErrPluginCrashed is matched (errors.Is) by the error of a call during which
// the plugin process died. errors.As gives a *PluginCrashedError with the
// plugin's last stderr lines.
var ErrPluginCrashed = errors.New("plugin crashed")

// ErrChecksumMismatch is matched by the error of opening a plugin binary whose
// sha256 differs from the pinned one.
var ErrChecksumMismatch = errors.New("plugin checksum mismatch")

// PluginCrashedError says which plugin died and what it last wrote on stderr.
type PluginCrashedError struct {
	Plugin string
	// Stderr holds the plugin's last stderr lines, oldest first.
	Stderr []string
	// Err is the error the call failed with.
	Err error
}

func (e *PluginCrashedError) Error() string {
	msg := fmt.Sprintf("plugin %q crashed", e.Plugin)
	if len(e.Stderr) > 0 {
		msg += "; its last stderr lines:\n  " + strings.Join(e.Stderr, "\n  ")
	}
	return msg
}

// Is makes errors.Is(err, ErrPluginCrashed) true.
func (e *PluginCrashedError) Is(target error) bool { return target == ErrPluginCrashed }

// Unwrap returns the error the call failed with.
func (e *PluginCrashedError) Unwrap() error { return e.Err }
