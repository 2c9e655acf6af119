package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// mapError turns any error of an AWS call into an *sdk.Error: the one place
// where AWS's error codes meet the contract's (EC2, S3 and Route 53 codes
// alike). ProviderCode keeps AWS's code; the message says which operation
// failed. nil stays nil and an *sdk.Error passes through.
func mapError(err error) error { return mapErrorFrom(err, "") }

// mapError is mapError that names the credential source in authentication
// errors, so that a user learns which credentials were refused.
func (cl *clients) mapError(err error) error { return mapErrorFrom(err, cl.credSource) }

func mapErrorFrom(err error, credSource string) error {
	if err == nil {
		return nil
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &sdk.Error{Code: sdk.CodeCanceled, Message: err.Error(), Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &sdk.Error{Code: sdk.CodeDeadlineExceeded, Message: err.Error(), Err: err}
	}

	op := ""
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = oe.Service() + " " + oe.Operation() + ": "
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		status = re.HTTPStatusCode()
	}

	var ae smithy.APIError
	if !errors.As(err, &ae) {
		var ne net.Error
		if errors.As(err, &ne) || status >= 500 {
			return &sdk.Error{Code: sdk.CodeUnavailable, Message: op + err.Error(), Retryable: true, Err: err}
		}
		if status != 0 {
			return &sdk.Error{Code: codeOfStatus(status), Message: op + err.Error(), Retryable: codeOfStatus(status).Retryable(), Err: err}
		}
		return &sdk.Error{Code: sdk.CodeInternal, Message: op + err.Error(), Err: err}
	}

	code := ae.ErrorCode()
	msg := ae.ErrorMessage()
	if msg == "" {
		msg = code
	}
	out := &sdk.Error{Code: codeOf(code, status), Message: op + msg, ProviderCode: code, Err: err}
	out.Retryable = out.Code.Retryable()
	if out.Code == sdk.CodeUnauthenticated && credSource != "" {
		out.Message += " (credentials from " + credSource + ")"
	}
	return out
}

// codeOf classifies an AWS error code; status, the HTTP status, decides for
// codes it does not know.
func codeOf(code string, status int) sdk.Code {
	switch code {
	case "NoSuchKey", "NoSuchBucket", "NoSuchHostedZone", "NoSuchUpload", "NoSuchEntity",
		"NoSuchChange", "NotFound", "InvalidAMIID.Unavailable":
		return sdk.CodeNotFound
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists", "HostedZoneAlreadyExists",
		"ConflictingDomainExists":
		return sdk.CodeAlreadyExists
	case "DependencyViolation", "InvalidState", "IncorrectState", "IncorrectInstanceState",
		"BucketNotEmpty", "HostedZoneNotEmpty", "VolumeInUse", "Resource.AlreadyAssociated",
		"Gateway.NotAttached", "InvalidIPAddress.InUse", "OperationAborted", "InvalidInstanceID",
		"PendingVerification", "ConflictingTypes", "InvalidObjectState":
		return sdk.CodeFailedPrecondition
	case "RequestLimitExceeded", "Throttling", "ThrottlingException", "ThrottledException",
		"SlowDown", "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
		"PriorRequestNotComplete", "ProvisionedThroughputExceededException", "EC2ThrottledException":
		return sdk.CodeResourceExhausted
	case "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId",
		"UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
		"MissingAuthenticationToken", "IncompleteSignature", "InvalidToken", "AuthorizationHeaderMalformed":
		return sdk.CodeUnauthenticated
	case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "Blocked",
		"OptInRequired", "AllAccessDisabled", "InvalidObjectState.AccessDenied":
		return sdk.CodePermissionDenied
	case "InvalidAction", "UnsupportedOperation", "Unsupported", "NotImplemented",
		"UnknownOperationException", "MethodNotAllowed":
		return sdk.CodeUnsupported
	case "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable",
		"ServiceUnavailableException", "InsufficientInstanceCapacity", "InsufficientCapacity":
		return sdk.CodeUnavailable
	case "InvalidParameterValue", "InvalidParameter", "InvalidParameterCombination",
		"MissingParameter", "ValidationError", "ValidationException", "InvalidInput",
		"InvalidArgument", "InvalidBucketName", "InvalidDomainName", "InvalidChangeBatch",
		"InvalidRange", "EntityTooSmall", "EntityTooLarge", "InvalidPart", "InvalidPartOrder",
		"InvalidKey.Format", "InvalidRequest", "KeyTooLongError", "InvalidDigest", "BadDigest",
		"InvalidBlockDeviceMapping", "InvalidUserID.Malformed", "InvalidPaginationToken",
		"InvalidNextToken", "InvalidLocationConstraint", "IllegalLocationConstraintException",
		"IncompleteBody", "MissingContentLength", "InvalidVpcID", "InvalidSubnet",
		"InvalidSubnet.Range", "InvalidSubnet.Conflict", "InvalidVpc.Range", "InvalidZone.NotFound",
		"InvalidAvailabilityZone", "InvalidVolume.ZoneMismatch", "InvalidPermission.Malformed",
		"InvalidTTL", "InvalidVPCId", "DelegationSetNotAvailable",
		"XAmzContentSHA256Mismatch", "IdempotentParameterMismatch", "InvalidVolumeType":
		return sdk.CodeInvalidArgument
	}
	switch {
	case strings.HasSuffix(code, ".NotFound"), strings.HasSuffix(code, "NotFound"),
		strings.HasPrefix(code, "NoSuch"):
		return sdk.CodeNotFound
	case strings.HasSuffix(code, ".Duplicate"), strings.Contains(code, "AlreadyExists"),
		strings.HasPrefix(code, "Duplicate"):
		return sdk.CodeAlreadyExists
	case strings.HasSuffix(code, ".Malformed"), strings.HasSuffix(code, "Malformed"):
		return sdk.CodeInvalidArgument
	case strings.HasSuffix(code, "LimitExceeded"), strings.HasPrefix(code, "TooMany"),
		strings.HasSuffix(code, "QuotaExceeded"):
		// A quota: more of the resource will not come by retrying.
		return sdk.CodeResourceExhausted
	case strings.HasSuffix(code, ".InUse"), strings.HasSuffix(code, "InUse"),
		strings.HasPrefix(code, "IncorrectState"), strings.Contains(code, "NotEmpty"):
		return sdk.CodeFailedPrecondition
	}
	if status != 0 {
		return codeOfStatus(status)
	}
	return sdk.CodeInternal
}

func codeOfStatus(status int) sdk.Code {
	switch {
	case status == 401:
		return sdk.CodeUnauthenticated
	case status == 403:
		return sdk.CodePermissionDenied
	case status == 404:
		return sdk.CodeNotFound
	case status == 409, status == 412:
		return sdk.CodeFailedPrecondition
	case status == 429, status == 503:
		return sdk.CodeResourceExhausted
	case status == 501:
		return sdk.CodeUnsupported
	case status >= 500:
		return sdk.CodeUnavailable
	case status >= 400:
		return sdk.CodeInvalidArgument
	}
	return sdk.CodeInternal
}

// providerCode is the AWS error code of err, "" when it has none.
func providerCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.ProviderCode
	}
	return ""
}

// isCode reports whether err is an AWS error with one of codes.
func isCode(err error, codes ...string) bool {
	pc := providerCode(err)
	for _, c := range codes {
		if pc == c {
			return true
		}
	}
	return false
}

// lookupError maps the error of a call that reads or changes one resource
// named by the caller: an id that AWS finds malformed ("InvalidVpcID.Malformed")
// cannot name anything, so it is NotFound like a well-formed id that names
// nothing. kind and id make the message.
func (cl *clients) lookupError(err error, kind, id string) error {
	err = cl.mapError(err)
	var e *sdk.Error
	if errors.As(err, &e) && (e.Code == sdk.CodeNotFound || strings.HasSuffix(e.ProviderCode, "Malformed")) {
		out := sdk.NotFound(kind, id)
		out.ProviderCode, out.Err = e.ProviderCode, e.Err
		return out
	}
	return err
}

// refError maps the error of a call that names another resource in param
// (the image of a launch, the VPC of a subnet): NotFound names the parameter.
func (cl *clients) refError(err error, param string) error {
	err = cl.mapError(err)
	var e *sdk.Error
	if errors.As(err, &e) && e.Param == "" && (e.Code == sdk.CodeNotFound || strings.HasSuffix(e.ProviderCode, "Malformed")) {
		e.Param = param
	}
	return err
}

// wrapf adds what was being done to an error's message, keeping its code.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *sdk.Error
	if errors.As(err, &e) {
		c := *e
		c.Message = fmt.Sprintf(format, args...) + ": " + e.Message
		return &c
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// idempotencyError names idempotency_token when EC2 refused a ClientToken
// used before with other arguments (IdempotentParameterMismatch).
func idempotencyError(err error) error {
	var e *sdk.Error
	if errors.As(err, &e) && e.ProviderCode == "IdempotentParameterMismatch" {
		e.Param = "idempotency_token"
	}
	return err
}
