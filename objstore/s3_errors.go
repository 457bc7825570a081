package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// accessDeniedError marks a request the store refused for the credentials used (wrong or unknown
// keys, a bad signature, or no permission).
type accessDeniedError struct {
	msg string
}

func (e *accessDeniedError) Error() string { return e.msg }

// IsAccessDenied reports whether err (or any error it wraps) says that the store refused access to an
// object or a bucket.
func IsAccessDenied(err error) bool {
	var ad *accessDeniedError
	return errors.As(err, &ad)
}

// s3Codes classifies the error codes of S3 and S3-compatible stores.
var (
	s3NotFoundCodes = map[string]bool{"NoSuchBucket": true, "NoSuchKey": true, "NotFound": true}
	s3DeniedCodes   = map[string]bool{
		"AccessDenied": true, "Forbidden": true, "InvalidAccessKeyId": true, "SignatureDoesNotMatch": true,
		"AllAccessDisabled": true, "InvalidToken": true, "ExpiredToken": true, "AccountProblem": true,
		"InvalidSecurity": true, "MissingSecurityHeader": true,
	}
)

// s3Error turns an error of the SDK for operation op on the object (or prefix) at loc, in bucket, into an error
// that names loc and carries no SDK type: a missing bucket or object gives an error for which
// IsNotFound is true (missing says what a bare 404 means for op), a refusal one for which
// IsAccessDenied is true, and a canceled or expired ctx one that wraps ctx.Err().
func s3Error(ctx context.Context, op, bucket, loc, missing string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s %s: %w", op, loc, ctxErr)
	}
	code, status := "", 0
	var api smithy.APIError
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case code == "NoSuchBucket":
		return &notFoundError{msg: fmt.Sprintf("%s %s: bucket %s does not exist", op, loc, bucket), err: fs.ErrNotExist}
	case code == "NoSuchKey":
		return &notFoundError{msg: fmt.Sprintf("%s %s: object does not exist", op, loc), err: fs.ErrNotExist}
	case s3NotFoundCodes[code] || status == 404:
		return &notFoundError{msg: fmt.Sprintf("%s %s: %s", op, loc, missing), err: fs.ErrNotExist}
	case s3DeniedCodes[code] || status == 401 || status == 403:
		return &accessDeniedError{msg: fmt.Sprintf("%s: access denied to %s: %s", op, loc, describeS3Error(err))}
	case code == "PreconditionFailed" || status == 412:
		return fmt.Errorf("%s %s: object changed while being read", op, loc)
	}
	var maxErr *retry.MaxAttemptsError
	if errors.As(err, &maxErr) {
		return fmt.Errorf("%s %s: gave up after %d attempts: %s", op, loc, maxErr.Attempt, describeS3Error(err))
	}
	return fmt.Errorf("%s %s: %s", op, loc, describeS3Error(err))
}

// describeS3Error returns the essence of an SDK error, without the SDK's layers of prefixes: the
// store's error code and message, or the network failure.
func describeS3Error(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := api.ErrorCode()
		if m := api.ErrorMessage(); m != "" && m != msg {
			msg += ": " + m
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
			msg += fmt.Sprintf(" (HTTP %d)", re.HTTPStatusCode())
		}
		return msg
	}
	var rt *awshttp.ResponseTimeoutError
	if errors.As(err, &rt) {
		return fmt.Sprintf("no data from the server within %s", rt.TimeoutDur)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d: %v", re.HTTPStatusCode(), re.Err)
	}
	return err.Error()
}
