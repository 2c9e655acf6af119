package mock

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func presign(t *testing.T, p sdk.Plugin, req sdk.PresignRequest) sdk.PresignedURL {
	t.Helper()
	req.Bucket = "bkt"
	u, err := p.ObjectStore.Objects.(sdk.URLSigner).PresignURL(t.Context(), req)
	if err != nil {
		t.Fatalf("presign %+v: %v", req, err)
	}
	return u
}

func do(t *testing.T, method, rawURL string, body io.Reader, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPresignedGet(t *testing.T) {
	p, _ := newStore(t, nil)
	key := "../dir/ünï code?&#%.txt"
	if _, err := p.ObjectStore.Objects.Put(t.Context(), sdk.PutObjectRequest{
		Bucket: "bkt", Key: key, ContentType: "text/plain", Metadata: map[string]string{"color": "red"}, Size: -1,
	}, strings.NewReader("hello, presigned world")); err != nil {
		t.Fatal(err)
	}
	u := presign(t, p, sdk.PresignRequest{Key: key, Method: "get", ExpiresIn: time.Minute})
	if u.Method != "GET" || !strings.HasPrefix(u.URL, "http://127.0.0.1:") || time.Until(u.ExpiresAt) > time.Minute || time.Until(u.ExpiresAt) < 58*time.Second {
		t.Fatalf("presigned = %+v", u)
	}
	resp, body := do(t, "GET", u.URL, nil, nil)
	if resp.StatusCode != 200 || body != "hello, presigned world" || resp.Header.Get("Content-Type") != "text/plain" ||
		resp.Header.Get("X-Cb-Meta-Color") != "red" || resp.Header.Get("ETag") == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("GET = %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = do(t, "GET", u.URL, nil, map[string]string{"Range": "bytes=7-15"})
	if resp.StatusCode != http.StatusPartialContent || body != "presigned" {
		t.Fatalf("ranged GET = %d %q", resp.StatusCode, body)
	}

	withHeaders := presign(t, p, sdk.PresignRequest{Key: key, Method: "GET",
		ResponseContentType: "application/x-custom", ResponseContentDisposition: `attachment; filename="x.txt"`})
	resp, _ = do(t, "GET", withHeaders.URL, nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-custom" || resp.Header.Get("Content-Disposition") != `attachment; filename="x.txt"` {
		t.Fatalf("GET with overrides = %d %v", resp.StatusCode, resp.Header)
	}
	// The default expiry is an hour.
	if d := time.Until(withHeaders.ExpiresAt); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("default expiry in %v", d)
	}

	parsed, _ := url.Parse(u.URL)
	tamper := func(f func(q url.Values)) string {
		c := *parsed
		q := c.Query()
		f(q)
		c.RawQuery = q.Encode()
		return c.String()
	}
	otherKey := *parsed
	otherKey.RawPath = strings.Replace(parsed.EscapedPath(), "%2E", "%2F", 1)
	otherKey.Path, _ = url.PathUnescape(otherKey.RawPath)
	for name, tc := range map[string]struct {
		method, url string
		status      int
	}{
		"wrong method":       {"PUT", u.URL, 403},
		"HEAD is not GET":    {"HEAD", u.URL, 403},
		"another key":        {"GET", otherKey.String(), 403},
		"another method":     {"GET", tamper(func(q url.Values) { q.Set(qMethod, "PUT") }), 403},
		"later expiry":       {"GET", tamper(func(q url.Values) { q.Set(qExpires, strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)) }), 403},
		"added override":     {"GET", tamper(func(q url.Values) { q.Set(qRespType, "text/html") }), 403},
		"no signature":       {"GET", tamper(func(q url.Values) { q.Del(qSignature) }), 403},
		"garbage signature":  {"GET", tamper(func(q url.Values) { q.Set(qSignature, "zz") }), 403},
		"not an object path": {"GET", "http://" + parsed.Host + "/bkt?" + parsed.RawQuery, 404},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := do(t, tc.method, tc.url, nil, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s = %d %q, want %d", tc.method, tc.url, resp.StatusCode, body, tc.status)
			}
		})
	}

	missing := presign(t, p, sdk.PresignRequest{Key: "no-such-key", Method: "GET"})
	if resp, body := do(t, "GET", missing.URL, nil, nil); resp.StatusCode != 404 || !strings.Contains(body, "NoSuchKey") {
		t.Fatalf("GET of a missing object = %d %q", resp.StatusCode, body)
	}
}

func TestPresignedExpiry(t *testing.T) {
	p, c := newStore(t, nil)
	put(t, p, "k", "v")
	u := presign(t, p, sdk.PresignRequest{Key: "k", Method: "GET", ExpiresIn: time.Minute})
	// Sign the same URL with an expiry in the past, as the server would have.
	parsed, _ := url.Parse(u.URL)
	q := parsed.Query()
	past := time.Now().Add(-time.Second).Unix()
	q.Set(qExpires, strconv.FormatInt(past, 10))
	q.Set(qSignature, signature(c.urls.key, "GET", "bkt", "k", past, "", "", ""))
	parsed.RawQuery = q.Encode()
	if resp, body := do(t, "GET", parsed.String(), nil, nil); resp.StatusCode != 403 || !strings.Contains(body, "expired") {
		t.Fatalf("expired URL = %d %q", resp.StatusCode, body)
	}

	for _, tc := range []struct {
		req   sdk.PresignRequest
		param string
	}{
		{sdk.PresignRequest{Key: "k", Method: "DELETE"}, "method"},
		{sdk.PresignRequest{Key: "k", Method: "GET", ExpiresIn: -time.Second}, "expires_in"},
		{sdk.PresignRequest{Key: "k", Method: "GET", ExpiresIn: 8 * 24 * time.Hour}, "expires_in"},
		{sdk.PresignRequest{Key: "", Method: "GET"}, "key"},
	} {
		tc.req.Bucket = "bkt"
		_, err := p.ObjectStore.Objects.(sdk.URLSigner).PresignURL(t.Context(), tc.req)
		wantErr(t, err, sdk.CodeInvalidArgument, tc.param)
	}
	_, err := p.ObjectStore.Objects.(sdk.URLSigner).PresignURL(t.Context(), sdk.PresignRequest{Bucket: "nope", Key: "k", Method: "GET"})
	wantErr(t, err, sdk.CodeNotFound, "bucket")

	// After Close the URL no longer works.
	c.Close()
	if _, err := http.Get(u.URL); err == nil {
		t.Fatal("the URL server still answers after Close")
	}
}

func TestPresignedPut(t *testing.T) {
	p, _ := newStore(t, nil)
	u := presign(t, p, sdk.PresignRequest{Key: "up/loaded file", Method: "PUT", ContentType: "text/csv",
		ResponseContentType: "ignored/for-put", ResponseContentDisposition: "ignored"})
	if u.Headers["Content-Type"] != "text/csv" || strings.Contains(u.URL, "ignored") {
		t.Fatalf("presigned PUT = %+v", u)
	}
	if resp, body := do(t, "PUT", u.URL, strings.NewReader("a,b\n1,2\n"), map[string]string{"Content-Type": "text/plain"}); resp.StatusCode != 403 {
		t.Fatalf("PUT with another content type = %d %q", resp.StatusCode, body)
	}
	resp, body := do(t, "PUT", u.URL, strings.NewReader("a,b\n1,2\n"), u.Headers)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
		t.Fatalf("PUT = %d %q", resp.StatusCode, body)
	}
	info, got, err := get(t, p, "up/loaded file", 0, -1)
	if err != nil || got != "a,b\n1,2\n" || info.ContentType != "text/csv" {
		t.Fatalf("stored %q %+v, %v", got, info, err)
	}

	// Chunked bodies are fine; the content type comes from the request.
	free := presign(t, p, sdk.PresignRequest{Key: "chunked", Method: "PUT"})
	pr, pw := io.Pipe()
	go func() {
		for i := range 100 {
			fmt.Fprintf(pw, "line %d\n", i)
		}
		pw.Close()
	}()
	if resp, body := do(t, "PUT", free.URL, pr, map[string]string{"Content-Type": "text/x-log"}); resp.StatusCode != 200 {
		t.Fatalf("chunked PUT = %d %q", resp.StatusCode, body)
	}
	if info, got, _ := get(t, p, "chunked", 0, -1); !strings.HasSuffix(got, "line 99\n") || info.ContentType != "text/x-log" {
		t.Fatalf("chunked object = %q %+v", got, info)
	}

	// A PUT with neither Content-Length nor chunked encoding is 411, and one
	// cut short stores nothing.
	parsed, _ := url.Parse(free.URL)
	status := rawPut(t, parsed.Host, parsed.RequestURI(), "")
	if status != 411 {
		t.Fatalf("PUT without a length = %d", status)
	}
	shortURL := presign(t, p, sdk.PresignRequest{Key: "short", Method: "PUT"})
	parsed, _ = url.Parse(shortURL.URL)
	rawPut(t, parsed.Host, parsed.RequestURI(), "Content-Length: 100\r\n\r\nonly a few bytes")
	if _, err := p.ObjectStore.Objects.Head(t.Context(), "bkt", "short"); sdk.CodeOf(err) != sdk.CodeNotFound {
		t.Fatalf("a PUT cut short stored an object: %v", err)
	}
}

// rawPut sends a PUT by hand (headers after the Host line, then the
// connection is half-closed) and returns the status, or 0 without an answer.
func rawPut(t *testing.T, host, uri, rest string) int {
	t.Helper()
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", uri, host)
	if rest == "" {
		fmt.Fprint(conn, "\r\n")
	} else {
		fmt.Fprint(conn, rest)
	}
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
