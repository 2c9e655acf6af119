package openstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// fakeCloud is a Keystone v3 and a sliver of Nova on an httptest server:
// enough to test authentication, token renewal and marker paging without an
// OpenStack.
type fakeCloud struct {
	*httptest.Server
	mu sync.Mutex
	// tokens counts the tokens issued; the current one is "tok<n>".
	tokens int
	// revoke makes the next compute call with the current token a 401, as
	// when a token expires or is revoked mid-run.
	revoke   bool
	password string
	authBody []map[string]any
	keypairs []string
}

func newFakeCloud(t *testing.T) *fakeCloud {
	f := &fakeCloud{password: "s3cret-pw", keypairs: []string{"a", "b", "c"}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", f.token)
	mux.HandleFunc("GET /compute/v2.1/os-availability-zone", f.authed(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": null},
			{"zoneName": "down", "zoneState": {"available": false}, "hosts": null}]}`)
	}))
	mux.HandleFunc("GET /compute/v2.1/os-keypairs", f.authed(f.listKeyPairs))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCloud) token(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authBody = append(f.authBody, body)
	auth, _ := body["auth"].(map[string]any)
	identity, _ := auth["identity"].(map[string]any)
	if pw, ok := identity["password"].(map[string]any); ok {
		user, _ := pw["user"].(map[string]any)
		if user["password"] != f.password {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`)
			return
		}
	}
	f.tokens++
	w.Header().Set("X-Subject-Token", fmt.Sprintf("tok%d", f.tokens))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"token": {"expires_at": %q, "methods": ["password"],
		"project": {"id": "p1", "name": "admin", "domain": {"id": "default", "name": "Default"}},
		"catalog": [{"id": "c1", "type": "compute", "name": "nova", "endpoints": [
			{"id": "e1", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "%s/compute/v2.1"},
			{"id": "e2", "interface": "public", "region": "RegionTwo", "region_id": "RegionTwo", "url": "%s/compute/v2.1"}]}]}}`,
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339), f.URL, f.URL)
}

func (f *fakeCloud) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		current := fmt.Sprintf("tok%d", f.tokens)
		ok := r.Header.Get("X-Auth-Token") == current && !f.revoke
		f.revoke = false
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error": {"code": 401, "title": "Unauthorized", "message": "The token is not valid."}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		h(w, r)
	}
}

// listKeyPairs pages by name, as Nova does (microversion 2.35).
func (f *fakeCloud) listKeyPairs(w http.ResponseWriter, r *http.Request) {
	marker, limit := r.URL.Query().Get("marker"), 1000
	fmt.Sscan(r.URL.Query().Get("limit"), &limit)
	start := 0
	if marker != "" {
		start = -1
		for i, k := range f.keypairs {
			if k == marker {
				start = i + 1
			}
		}
		if start < 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"badRequest": {"code": 400, "message": "marker [%s] not found"}}`, marker)
			return
		}
	}
	var out []string
	for i := start; i < len(f.keypairs) && len(out) < limit; i++ {
		out = append(out, fmt.Sprintf(`{"keypair": {"name": %q, "fingerprint": "fp", "public_key": "ssh-rsa AAAA", "type": "ssh"}}`, f.keypairs[i]))
	}
	fmt.Fprintf(w, `{"keypairs": [%s]}`, strings.Join(out, ","))
}

func noEnv(string) (string, bool) { return "", false }

func configure(t *testing.T, f *fakeCloud, settings, secrets map[string]string) (*Cloud, sdk.Location, error) {
	t.Helper()
	for _, s := range Settings() {
		for _, env := range s.Env {
			t.Setenv(env, "")
			os.Unsetenv(env)
		}
	}
	c := New()
	c.Plugin("test")
	loc, err := c.Configure(context.Background(), sdk.Config{Settings: settings, Secrets: secrets})
	return c, loc, err
}

func TestConfigurePassword(t *testing.T) {
	f := newFakeCloud(t)
	c, loc, err := configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin", "project_name": "admin",
		"user_domain_name": "Default", "project_domain_id": "default"}, map[string]string{"password": f.password})
	if err != nil {
		t.Fatal(err)
	}
	if loc.Region != "RegionOne" || loc.Zone != "nova" {
		t.Errorf("location %+v, want RegionOne (the catalog's first) and nova (the first available zone)", loc)
	}
	body, _ := json.Marshal(f.authBody[0])
	for _, want := range []string{`"password":"s3cret-pw"`, `"name":"admin"`, `"domain":{"name":"Default"}`, `"project":{"domain":{"id":"default"},"name":"admin"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("auth request %s lacks %s", body, want)
		}
	}
	if err := c.Probe(context.Background()); err != nil {
		t.Errorf("probe: %v", err)
	}

	t.Run("region and zone settings are checked", func(t *testing.T) {
		_, _, err := configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin", "region": "Atlantis"},
			map[string]string{"password": f.password})
		if !errors.Is(err, sdk.ErrInvalidArgument) || !strings.Contains(err.Error(), "RegionOne, RegionTwo") {
			t.Errorf("unknown region: %v, want InvalidArgument listing the regions", err)
		}
		_, _, err = configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin", "zone": "moon"},
			map[string]string{"password": f.password})
		if !errors.Is(err, sdk.ErrInvalidArgument) || !strings.Contains(err.Error(), "nova") {
			t.Errorf("unknown zone: %v, want InvalidArgument listing the zones", err)
		}
	})
}

func TestConfigureBadCredentials(t *testing.T) {
	f := newFakeCloud(t)
	_, _, err := configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin"}, map[string]string{"password": "wrong-pw-123"})
	if !errors.Is(err, sdk.ErrUnauthenticated) {
		t.Fatalf("wrong password: %v, want Unauthenticated", err)
	}
	if strings.Contains(err.Error(), "wrong-pw-123") || !strings.Contains(err.Error(), "setting password") {
		t.Errorf("wrong password: %q must name the source (setting password) and not the secret", err)
	}
	_, _, err = configure(t, f, nil, nil)
	if !errors.Is(err, sdk.ErrUnauthenticated) || !strings.Contains(err.Error(), "OS_AUTH_URL") {
		t.Errorf("no credentials: %v, want Unauthenticated naming OS_AUTH_URL", err)
	}
	_, _, err = configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin"}, nil)
	if !errors.Is(err, sdk.ErrUnauthenticated) || !strings.Contains(err.Error(), "OS_PASSWORD") {
		t.Errorf("no password: %v, want Unauthenticated naming OS_PASSWORD", err)
	}
	_, _, err = configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "application_credential_id": "ac"}, nil)
	if !errors.Is(err, sdk.ErrUnauthenticated) || !strings.Contains(err.Error(), "application_credential_secret") {
		t.Errorf("application credential without secret: %v", err)
	}
}

func TestResolveAuthSources(t *testing.T) {
	env := map[string]string{
		"OS_AUTH_URL": "http://keystone/v3", "OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_TENANT_NAME": "proj",
		"OS_USER_DOMAIN_NAME": "Users", "OS_PROJECT_DOMAIN_ID": "pd", "OS_REGION_NAME": "R1", "OS_INTERFACE": "internal",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	o, err := resolveAuth(sdk.Config{Settings: map[string]string{"region": "R2"}}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	a := o.auth
	if a.IdentityEndpoint != "http://keystone/v3" || a.Username != "u" || a.Password != "p" || a.DomainName != "Users" ||
		a.Scope.ProjectName != "proj" || a.Scope.DomainID != "pd" || !a.AllowReauth {
		t.Errorf("from the environment: %+v scope %+v", a, a.Scope)
	}
	if o.region != "R2" || o.iface != "internal" {
		t.Errorf("a setting wins over the environment: region %q interface %q", o.region, o.iface)
	}
	if !strings.Contains(o.source, "OS_PASSWORD") || strings.Contains(o.source, "p,") {
		t.Errorf("source %q should name the variables", o.source)
	}

	t.Run("token", func(t *testing.T) {
		o, err := resolveAuth(sdk.Config{Settings: map[string]string{"auth_url": "http://k/v3", "project_id": "p1"},
			Secrets: map[string]string{"token": "gAAAA"}}, noEnv)
		if err != nil || o.auth.TokenID != "gAAAA" || o.auth.Scope.ProjectID != "p1" || o.auth.AllowReauth {
			t.Errorf("token auth: %+v, %v", o.auth, err)
		}
	})
	t.Run("application credential", func(t *testing.T) {
		o, err := resolveAuth(sdk.Config{Settings: map[string]string{"auth_url": "http://k/v3", "application_credential_id": "ac", "project_name": "x"},
			Secrets: map[string]string{"application_credential_secret": "acs"}}, noEnv)
		if err != nil || o.auth.ApplicationCredentialID != "ac" || o.auth.ApplicationCredentialSecret != "acs" || o.auth.Scope != nil || !o.auth.AllowReauth {
			t.Errorf("application credential: %+v, %v", o.auth, err)
		}
	})
	t.Run("bad interface", func(t *testing.T) {
		_, err := resolveAuth(sdk.Config{Settings: map[string]string{"interface": "sideways"}}, noEnv)
		if !errors.Is(err, sdk.ErrInvalidArgument) {
			t.Errorf("bad interface: %v", err)
		}
	})
	t.Run("clouds.yaml", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "clouds.yaml")
		os.WriteFile(file, []byte(`clouds:
  mine:
    auth:
      auth_url: http://yaml/v3
      username: yu
      password: yp
      project_name: yproj
      user_domain_name: YD
      project_domain_id: ypd
    region_name: YR
    interface: admin
`), 0o600)
		o, err := resolveAuth(sdk.Config{Settings: map[string]string{"cloud": "mine", "clouds_file": file}}, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		a := o.auth
		if a.IdentityEndpoint != "http://yaml/v3" || a.Username != "yu" || a.Password != "yp" || a.DomainName != "YD" ||
			a.Scope.ProjectName != "yproj" || a.Scope.DomainID != "ypd" || o.region != "YR" || o.iface != "admin" || !a.AllowReauth {
			t.Errorf("from clouds.yaml: %+v scope %+v region %q iface %q", a, a.Scope, o.region, o.iface)
		}
		o, err = resolveAuth(sdk.Config{Settings: map[string]string{"cloud": "mine", "clouds_file": file, "username": "override"}}, noEnv)
		if err != nil || o.auth.Username != "override" {
			t.Errorf("an explicit setting overrides clouds.yaml: %+v %v", o.auth, err)
		}
		_, err = resolveAuth(sdk.Config{Settings: map[string]string{"cloud": "theirs", "clouds_file": file}}, noEnv)
		if !errors.Is(err, sdk.ErrUnauthenticated) || !strings.Contains(err.Error(), "theirs") {
			t.Errorf("unknown cloud: %v", err)
		}
	})
}

// TestTokenRenewal: a token that stops working mid-run (expired or revoked)
// is renewed and the call retried, never surfaced as a failure.
func TestTokenRenewal(t *testing.T) {
	f := newFakeCloud(t)
	c, _, err := configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin", "project_name": "admin"},
		map[string]string{"password": f.password})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.revoke = true
	f.mu.Unlock()
	page, err := (&keyPairs{c}).List(context.Background(), sdk.ListOptions{})
	if err != nil {
		t.Fatalf("list after the token was revoked: %v", err)
	}
	if len(page.Items) != 3 || f.tokens != 2 {
		t.Errorf("got %d key pairs with %d tokens issued; want 3 with a second token", len(page.Items), f.tokens)
	}
}

// TestKeyPairPaging: page tokens are Nova's markers; a token we did not issue
// and a marker Nova refuses are InvalidArgument.
func TestKeyPairPaging(t *testing.T) {
	f := newFakeCloud(t)
	c, _, err := configure(t, f, map[string]string{"auth_url": f.URL + "/v3", "username": "admin", "project_name": "admin"},
		map[string]string{"password": f.password})
	if err != nil {
		t.Fatal(err)
	}
	kp := &keyPairs{c}
	var names []string
	opts := sdk.ListOptions{PageSize: 2}
	for pages := 0; ; pages++ {
		page, err := kp.List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Items {
			names = append(names, k.ID)
		}
		if page.NextPageToken == "" {
			if pages != 1 {
				t.Errorf("3 key pairs in pages of 2 took %d pages, want 2", pages+1)
			}
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("paged names %v, want a,b,c", names)
	}
	for _, tok := range []string{"not-a-token", markerToken("gone")} {
		if _, err := kp.List(context.Background(), sdk.ListOptions{PageToken: tok}); !errors.Is(err, sdk.ErrInvalidArgument) {
			t.Errorf("token %q: %v, want InvalidArgument", tok, err)
		}
	}
	if _, err := kp.List(context.Background(), sdk.ListOptions{PageSize: -1}); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("negative page size: %v", err)
	}
}

func TestNotConfigured(t *testing.T) {
	c := New()
	c.Plugin("test")
	_, err := (&keyPairs{c}).List(context.Background(), sdk.ListOptions{})
	if !errors.Is(err, sdk.ErrFailedPrecondition) {
		t.Errorf("a call before Configure: %v, want FailedPrecondition", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&keyPairs{c}).List(ctx, sdk.ListOptions{}); !errors.Is(err, sdk.ErrCanceled) {
		t.Errorf("a canceled call: %v, want Canceled", err)
	}
}
