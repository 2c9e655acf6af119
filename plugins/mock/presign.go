package mock

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
	"github.com/hashicorp/go-hclog"
)

// Presigned URLs are served by the mock itself: the first PresignURL starts an
// HTTP server on 127.0.0.1 (one per Cloud, so one per plugin process), and
// every URL points at it:
//
//	http://127.0.0.1:PORT/<bucket>/<key, every byte but [A-Za-z0-9_~-] escaped>
//	    ?X-CB-Method=GET&X-CB-Expires=<unix seconds>[&response-content-type=…]
//	    [&response-content-disposition=…][&X-CB-Content-Type=…]&X-CB-Signature=<hex>
//
// The signature is an HMAC-SHA256, under a key drawn at random when the server
// starts, of the method, bucket, key, expiry, response overrides and required
// content type, so changing any of them (or using another method) makes the
// URL fail with 403 Forbidden, as does a URL past its expiry. A URL therefore
// works only while the plugin process that issued it runs; the server stops
// with the plugin (Close).
//
// A GET answers the object with its content type (or the signed override),
// ETag, Last-Modified and X-CB-Meta-* headers, honouring Range; a missing
// object is 404. A PUT stores its body, streamed, as the object, with the
// request's Content-Type; it needs a Content-Length or chunked encoding (411
// otherwise).

// Query parameters of a presigned URL.
const (
	qMethod      = "X-CB-Method"
	qExpires     = "X-CB-Expires"
	qSignature   = "X-CB-Signature"
	qContentType = "X-CB-Content-Type"
	qRespType    = "response-content-type"
	qRespDisp    = "response-content-disposition"
)

// Expiry limits of presigned URLs: S3's default of CloudBridge's generate_url
// (one hour) and S3's maximum (seven days).
const (
	defaultURLExpiry = time.Hour
	maxURLExpiry     = 7 * 24 * time.Hour
)

// urlServer is the HTTP server presigned URLs point at.
type urlServer struct {
	c *Cloud

	mu   sync.Mutex
	key  []byte
	base string // "http://127.0.0.1:PORT"
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// start starts the server if it is not running, and returns its base URL and
// signing key.
func (u *urlServer) start() (base string, key []byte, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.srv != nil {
		return u.base, u.key, nil
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", nil, &sdk.Error{Code: sdk.CodeInternal, Message: "draw URL signing key: " + err.Error(), Err: err}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, &sdk.Error{Code: sdk.CodeUnavailable, Message: "listen for presigned URLs: " + err.Error(), Err: err}
	}
	log := u.c.logger()
	srv := &http.Server{
		Handler:           u,
		ReadHeaderTimeout: 30 * time.Second,
		// net/http's own complaints (a client hanging up…) go to the plugin's log.
		ErrorLog: log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed after stop
	}()
	u.key, u.srv, u.done = key, srv, done
	u.base = "http://" + ln.Addr().String()
	log.Debug("serving presigned URLs", "address", u.base)
	return u.base, u.key, nil
}

// stop closes the server and its connections, if it runs. Transfers in flight
// end with an error; URLs issued so far stop working.
func (u *urlServer) stop() {
	u.mu.Lock()
	srv, done := u.srv, u.done
	u.srv, u.key, u.base, u.done = nil, nil, "", nil
	u.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
		<-done
	}
}

// signature signs what a presigned URL allows. Fields are joined with NUL,
// which none of them can hold.
func signature(key []byte, method, bucket, objKey string, expires int64, respType, respDisp, contentType string) string {
	m := hmac.New(sha256.New, key)
	for _, f := range []string{method, bucket, objKey, strconv.FormatInt(expires, 10), respType, respDisp, contentType} {
		m.Write([]byte(f))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// PresignURL issues a URL for a GET or PUT of an object; ExpiresIn 0 means one
// hour. The bucket must exist; the object need not (a GET of a missing object
// answers 404 when it is used).
func (s *objects) PresignURL(ctx context.Context, req sdk.PresignRequest) (sdk.PresignedURL, error) {
	method := strings.ToUpper(req.Method)
	if method != http.MethodGet && method != http.MethodPut {
		return sdk.PresignedURL{}, sdk.InvalidArgument("method", req.Method, `must be "GET" or "PUT"`)
	}
	if err := sdk.ValidateObjectKey(req.Key); err != nil {
		return sdk.PresignedURL{}, err
	}
	expiresIn := req.ExpiresIn
	switch {
	case expiresIn < 0:
		return sdk.PresignedURL{}, sdk.InvalidArgument("expires_in", expiresIn.String(), "must not be negative")
	case expiresIn == 0:
		expiresIn = defaultURLExpiry
	case expiresIn > maxURLExpiry:
		return sdk.PresignedURL{}, sdk.InvalidArgument("expires_in", expiresIn.String(), "must be at most 7 days (168h)")
	}
	respType, respDisp, contentType := req.ResponseContentType, req.ResponseContentDisposition, ""
	if method == http.MethodPut {
		// Response overrides mean nothing to a PUT; they are ignored, as the
		// contract says, rather than signed into a URL they cannot affect.
		respType, respDisp = "", ""
		if req.ContentType != "" {
			ct, err := checkContentType(req.ContentType)
			if err != nil {
				return sdk.PresignedURL{}, err
			}
			contentType = ct
		}
	}
	for _, h := range []struct{ param, v string }{{"response_content_type", respType}, {"response_content_disposition", respDisp}} {
		if strings.ContainsFunc(h.v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return sdk.PresignedURL{}, sdk.InvalidArgument(h.param, h.v, "must not contain control characters")
		}
	}

	var now time.Time
	if err := s.c.read(ctx, func(t *txn) error {
		now = t.now
		_, err := t.bucket("bucket", req.Bucket)
		return err
	}); err != nil {
		return sdk.PresignedURL{}, err
	}
	base, key, err := s.c.urls.start()
	if err != nil {
		return sdk.PresignedURL{}, err
	}
	expiresAt := now.Add(expiresIn).Truncate(time.Second)
	if !expiresAt.After(now) {
		expiresAt = expiresAt.Add(time.Second)
	}
	exp := expiresAt.Unix()

	q := url.Values{}
	q.Set(qMethod, method)
	q.Set(qExpires, strconv.FormatInt(exp, 10))
	if respType != "" {
		q.Set(qRespType, respType)
	}
	if respDisp != "" {
		q.Set(qRespDisp, respDisp)
	}
	if contentType != "" {
		q.Set(qContentType, contentType)
	}
	q.Set(qSignature, signature(key, method, req.Bucket, req.Key, exp, respType, respDisp, contentType))
	u := sdk.PresignedURL{
		URL:       base + "/" + escapeSegment(req.Bucket) + "/" + escapeSegment(req.Key) + "?" + q.Encode(),
		Method:    method,
		ExpiresAt: expiresAt,
	}
	if contentType != "" {
		u.Headers = map[string]string{"Content-Type": contentType}
	}
	return u, nil
}

// escapeSegment percent-encodes every byte of s but letters, digits, '_', '~'
// and '-'. Escaping '/' and '.' keeps a key such as "../x" one opaque path
// segment that no client or proxy will clean.
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '~' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// ServeHTTP serves a presigned URL.
func (u *urlServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	key := u.key
	u.mu.Unlock()

	bucket, objKey, ok := splitObjectPath(r.URL.EscapedPath())
	if !ok {
		httpError(w, http.StatusNotFound, "NoSuchKey", "the path is not /<bucket>/<key>")
		return
	}
	q := r.URL.Query()
	method := q.Get(qMethod)
	exp, err := strconv.ParseInt(q.Get(qExpires), 10, 64)
	want := signature(key, method, bucket, objKey, exp, q.Get(qRespType), q.Get(qRespDisp), q.Get(qContentType))
	got, _ := hex.DecodeString(q.Get(qSignature))
	wantB, _ := hex.DecodeString(want)
	switch {
	case key == nil || err != nil || !hmac.Equal(got, wantB):
		httpError(w, http.StatusForbidden, "SignatureDoesNotMatch", "the URL's signature does not match it")
		return
	case r.Method != method:
		httpError(w, http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("the URL is signed for %s, not %s", method, r.Method))
		return
	case time.Now().Unix() >= exp:
		httpError(w, http.StatusForbidden, "AccessDenied", "the URL has expired")
		return
	}
	switch method {
	case http.MethodGet:
		u.get(w, r, bucket, objKey, q.Get(qRespType), q.Get(qRespDisp))
	case http.MethodPut:
		u.put(w, r, bucket, objKey, q.Get(qContentType))
	}
}

// splitObjectPath splits an escaped "/<bucket>/<key>" path.
func splitObjectPath(escaped string) (bucket, key string, ok bool) {
	b, k, found := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
	if !found {
		return "", "", false
	}
	var err1, err2 error
	bucket, err1 = url.PathUnescape(b)
	key, err2 = url.PathUnescape(k)
	return bucket, key, err1 == nil && err2 == nil && bucket != "" && key != ""
}

func (u *urlServer) get(w http.ResponseWriter, r *http.Request, bucket, key, respType, respDisp string) {
	ctx := r.Context()
	cfg, err := u.c.begin(ctx)
	if err != nil {
		httpSDKError(w, err)
		return
	}
	info, f, err := u.c.openObject(ctx, cfg, bucket, key)
	if err != nil {
		httpSDKError(w, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	if respType != "" {
		h.Set("Content-Type", respType)
	}
	if respDisp != "" {
		h.Set("Content-Disposition", respDisp)
	}
	h.Set("ETag", `"`+info.ETag+`"`)
	for k, v := range info.Metadata {
		h.Set("X-CB-Meta-"+k, v)
	}
	// ServeContent answers Range and conditional requests, streaming from f.
	http.ServeContent(w, r, "", info.LastModified, f)
}

func (u *urlServer) put(w http.ResponseWriter, r *http.Request, bucket, key, signedType string) {
	ctx := r.Context()
	if r.Header.Get("Content-Length") == "" && len(r.TransferEncoding) == 0 {
		httpError(w, http.StatusLengthRequired, "MissingContentLength", "send a Content-Length or a chunked body")
		return
	}
	ct := r.Header.Get("Content-Type")
	if signedType != "" && ct != signedType {
		httpError(w, http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("the URL requires Content-Type %q, not %q", signedType, ct))
		return
	}
	cfg, err := u.c.begin(ctx)
	if err != nil {
		httpSDKError(w, err)
		return
	}
	size := r.ContentLength // -1 when chunked
	info, err := u.c.putObject(ctx, cfg, sdk.PutObjectRequest{Bucket: bucket, Key: key, ContentType: ct, Size: size}, r.Body)
	if err != nil {
		httpSDKError(w, err)
		return
	}
	w.Header().Set("ETag", `"`+info.ETag+`"`)
	w.WriteHeader(http.StatusOK)
}

// httpSDKError answers an error of the cloud with the HTTP status S3 would.
func httpSDKError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch sdk.CodeOf(err) {
	case sdk.CodeNotFound:
		status = http.StatusNotFound
	case sdk.CodeInvalidArgument:
		status = http.StatusBadRequest
	case sdk.CodePermissionDenied, sdk.CodeUnauthenticated:
		status = http.StatusForbidden
	case sdk.CodeFailedPrecondition:
		status = http.StatusConflict
	case sdk.CodeUnavailable, sdk.CodeResourceExhausted:
		status = http.StatusServiceUnavailable
	case sdk.CodeCanceled, sdk.CodeDeadlineExceeded:
		status = http.StatusRequestTimeout
	}
	code := string(sdk.CodeOf(err))
	var e *sdk.Error
	if errors.As(err, &e) && e.ProviderCode != "" {
		code = e.ProviderCode
	}
	httpError(w, status, code, err.Error())
}

// httpError answers an S3-style XML error.
func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>\n",
		xmlEscape(code), xmlEscape(msg))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

func (c *Cloud) logger() hclog.Logger {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log
}
