package host

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/cloudbridge-go/cloudbridge/plugins/mock"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// syncBuffer is a log destination safe for the plugin's and the host's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openMockInProcess opens the mock in this process with a logger.
func openMockInProcess(t *testing.T, settings Settings, log hclog.Logger) *Provider {
	t.Helper()
	p, err := OpenInProcessWith(t.Context(), mock.New().Plugin("test"), settings, Options{Logger: log})
	if err != nil {
		t.Fatalf("open mock in process: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// CloudBridge's test_messages_logged: the debug logger logs a call's
// arguments and then its result, here with its duration and outcome.
func TestDebugLoggingLogsEachCall(t *testing.T) {
	out := &syncBuffer{}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: out})
	p := openMockInProcess(t, nil, log) // a logger at debug level installs DebugLogging
	fw, err := p.Security.VMFirewalls.Create(t.Context(), VMFirewallSpec{Label: "logged-fw"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Security.VMFirewalls.Get(t.Context(), "no-such-firewall")
	logs := out.String()
	for _, want := range []string{
		"call: event=provider.security.vm_firewalls.create", `\"label\":\"logged-fw\"`,
		"call done: event=provider.security.vm_firewalls.create", `\"id\":\"` + fw.ID, "duration=", "attempts=1",
		"call failed: event=provider.security.vm_firewalls.get", "code=NotFound",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if err == nil {
		t.Error("get of a missing firewall succeeded")
	}
}

// Unlike the original's, the debug logger never logs key material.
func TestDebugLoggingRedactsSecrets(t *testing.T) {
	out := &syncBuffer{}
	p := openMockInProcess(t, nil, hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: out}))
	kp, err := p.Security.KeyPairs.Create(t.Context(), sdk.KeyPairSpec{Name: "secret-key"})
	if err != nil || kp.Material == "" {
		t.Fatalf("create key pair = %+v, %v; want material", kp, err)
	}
	logs := out.String()
	line := kp.Material[strings.Index(kp.Material, "\n")+1:][:40] // a piece of the key itself
	if strings.Contains(logs, line) || strings.Contains(logs, "PRIVATE KEY") {
		t.Fatalf("the private key reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, `\"material\":\"[redacted]\"`) {
		t.Errorf("logs do not show the redacted material:\n%s", logs)
	}
}

func TestLoggableRedacts(t *testing.T) {
	for name, tc := range map[string]struct {
		v        any
		want     []string
		mustNot  []string
		maxBytes int
	}{
		"presigned URL": {
			v:       &sdk.PresignedURL{URL: "https://b.s3.example/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIAXYZ", Method: "GET", Headers: map[string]string{"X-Amz-Security-Token": "tok"}},
			want:    []string{"https://b.s3.example/k?[redacted]", `"X-Amz-Security-Token":"[redacted]"`},
			mustNot: []string{"abc123", "AKIAXYZ", "tok\""},
		},
		"user data": {
			v:       &sdk.InstanceSpec{Label: "web", UserData: []byte("#!/bin/sh\nexport PASSWORD=hunter2\n")},
			want:    []string{`"label":"web"`, `"user_data":"[redacted]"`},
			mustNot: []string{"hunter2", "IyEvYmlu"},
		},
		"id": {v: new("i-123"), want: []string{`"i-123"`}},
		"a big page is cut": {
			v:        Page[sdk.Region]{Items: make([]sdk.Region, 500)},
			maxBytes: maxLogValue + 32,
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := loggable(tc.v)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s lacks %s", got, w)
				}
			}
			for _, w := range tc.mustNot {
				if strings.Contains(got, w) {
					t.Errorf("%s shows %s", got, w)
				}
			}
			if tc.maxBytes > 0 && len(got) > tc.maxBytes {
				t.Errorf("%d bytes logged, want at most %d", len(got), tc.maxBytes)
			}
		})
	}
}

func TestDebugLoggingCanBeInstalledAndRemoved(t *testing.T) {
	out := &syncBuffer{}
	p := openMockInProcess(t, nil, nil)
	h, err := p.Events.Use(DebugLogging(hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: out})))
	if err != nil {
		t.Fatal(err)
	}
	p.Compute.Regions.List(t.Context(), ListOptions{})
	h.Remove()
	p.Compute.VMTypes.List(t.Context(), ListOptions{})
	logs := out.String()
	if !strings.Contains(logs, "provider.compute.regions.list") || strings.Contains(logs, "vm_types") {
		t.Fatalf("logs:\n%s\nwant the regions call and nothing after Remove", logs)
	}
	if strings.Contains(logs, "call: ") {
		t.Errorf("trace lines logged at debug level:\n%s", logs)
	}
}
