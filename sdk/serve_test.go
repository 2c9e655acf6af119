package sdk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// ---- the command line ----

func TestRun(t *testing.T) {
	p := Plugin{
		Name:    "fake",
		Version: "1.2.3",
		Settings: []SettingSpec{
			{Name: "endpoint", Description: "API endpoint", Default: "https://api.example.com"},
			{Name: "token", Secret: true, Required: true, Env: []string{"FAKE_TOKEN"}},
		},
		Compute: &Compute{Instances: &fakeInstances{}},
	}
	tests := []struct {
		name       string
		args       []string
		cookie     bool
		wantCode   int
		wantServe  bool
		wantStdout string // substring; "" means stdout must stay empty
		wantStderr string // substring; "" means stderr must stay empty
	}{
		{name: "version", args: []string{"version"}, wantStdout: "1.2.3\n"},
		{name: "help", args: []string{"--help"}, wantCode: 2, wantStderr: "Usage: cloudbridge-plugin-fake"},
		{name: "short help", args: []string{"-h"}, wantCode: 2, wantStderr: "describe"},
		{name: "unknown argument", args: []string{"serve"}, wantCode: 2, wantStderr: "Usage:"},
		{name: "by hand", wantCode: 1, wantStderr: "This binary is a CloudBridge plugin; run it through cloudbridge-host"},
		{name: "started by a host", cookie: true, wantServe: true},
		{name: "started by a host with arguments", args: []string{"-x"}, cookie: true, wantServe: true},
		{name: "version wins over the cookie", args: []string{"version"}, cookie: true, wantStdout: "1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cookie := ""
			if tt.cookie {
				cookie = wire.Handshake.MagicCookieValue
			}
			t.Setenv(wire.Handshake.MagicCookieKey, cookie)
			var stdout, stderr bytes.Buffer
			code, serve := run(tt.args, &stdout, &stderr, p)
			if code != tt.wantCode || serve != tt.wantServe {
				t.Errorf("run(%q) = %d, %v; want %d, %v", tt.args, code, serve, tt.wantCode, tt.wantServe)
			}
			checkOutput(t, "stdout", stdout.String(), tt.wantStdout)
			checkOutput(t, "stderr", stderr.String(), tt.wantStderr)
		})
	}
}

func checkOutput(t *testing.T, name, got, want string) {
	t.Helper()
	if want == "" && got != "" {
		t.Errorf("%s = %q, want nothing", name, got)
	}
	if !strings.Contains(got, want) {
		t.Errorf("%s = %q, want it to contain %q", name, got, want)
	}
}

func TestRunDescribe(t *testing.T) {
	t.Setenv(wire.Handshake.MagicCookieKey, "")
	p := Plugin{
		Name:    "fake",
		Version: "1.2.3",
		Settings: []SettingSpec{
			{Name: "token", Description: "API token", Secret: true, Required: true, Env: []string{"FAKE_TOKEN"}},
			{Name: "region", Default: "eu-1"},
		},
		Compute:     &Compute{Instances: &fakeInstances{}},
		ObjectStore: &ObjectStore{Objects: newMemObjects()},
	}
	var stdout, stderr bytes.Buffer
	code, serve := run([]string{"describe"}, &stdout, &stderr, p)
	if code != 0 || serve || stderr.Len() != 0 {
		t.Fatalf("run(describe) = %d, %v, stderr %q", code, serve, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("describe printed invalid JSON: %v\n%s", err, stdout.String())
	}
	want := map[string]any{
		"name":              "fake",
		"version":           "1.2.3",
		"sdk_version":       Version,
		"protocol_versions": []any{1.0},
		"capabilities": []any{"compute", "compute.instances", "objectstore", "objectstore.multipart",
			"objectstore.objects", "objectstore.presigned_urls"},
		"settings": []any{
			map[string]any{"name": "token", "description": "API token", "secret": true, "required": true,
				"default": "", "env": []any{"FAKE_TOKEN"}},
			map[string]any{"name": "region", "description": "", "secret": false, "required": false,
				"default": "eu-1", "env": []any{}},
		},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("describe =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
}

func TestWatchParent(t *testing.T) {
	var ppid atomic.Int32
	ppid.Store(100)
	exited := make(chan struct{})
	go watchParent(hclog.NewNullLogger(), 100, time.Millisecond,
		func() int { return int(ppid.Load()) }, func() { close(exited) })
	select {
	case <-exited:
		t.Fatal("exited while the parent was alive")
	case <-time.After(20 * time.Millisecond):
	}
	ppid.Store(1) // re-parented to init: the host is gone
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("did not exit after the parent changed")
	}
}

// ---- serving ----

// TestServeInProcess connects the way a host does: a go-plugin client given
// the reattach config. go-plugin ignores VersionedPlugins when reattaching, so
// the client names its plugin set in Plugins.
func TestServeInProcess(t *testing.T) {
	srv, err := ServeInProcess(t.Context(), Plugin{Name: "fake", Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rc := srv.ReattachConfig()
	if rc == nil || rc.Addr == nil || !rc.Test || rc.ProtocolVersion != ProtocolVersion {
		t.Fatalf("ReattachConfig() = %+v", rc)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          plugin.PluginSet{wire.PluginName: testClientPlugin{}},
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
	})
	defer client.Kill()
	proto, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Dispense(wire.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	conn := raw.(*grpc.ClientConn)
	info, err := pb.NewIdentityClient(conn).GetPluginInfo(t.Context(), &pb.GetPluginInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "fake" || info.GetVersion() != "1.2.3" || info.GetSdkVersion() != Version ||
		info.GetProtocolVersion() != ProtocolVersion {
		t.Errorf("GetPluginInfo = %v", info)
	}

	// A second, raw connection sees the server end with Close.
	raw2, err := grpc.NewClient("unix:"+rc.Addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer raw2.Close()
	srv.Close()
	srv.Close() // idempotent
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := pb.NewIdentityClient(raw2).GetPluginInfo(ctx, &pb.GetPluginInfoRequest{}); err == nil {
		t.Error("GetPluginInfo after Close succeeded")
	}
}

// The context bounds the start only; Close ends the server.
func TestServeInProcessOutlivesContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := ServeInProcess(ctx, Plugin{Name: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cancel()
	conn, err := grpc.NewClient("unix:"+srv.ReattachConfig().Addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewIdentityClient(conn).GetPluginInfo(t.Context(), &pb.GetPluginInfoRequest{}); err != nil {
		t.Fatalf("server gone with its start context: %v", err)
	}

	if _, err := ServeInProcess(ctx, Plugin{Name: "fake"}); !errors.Is(err, context.Canceled) {
		t.Errorf("ServeInProcess(canceled ctx) = %v, want context.Canceled", err)
	}
}

func TestIdentity(t *testing.T) {
	t.Setenv("FAKE_REGION", "")
	var got Config
	p := Plugin{
		Name:    "fake",
		Version: "1.2.3",
		Settings: []SettingSpec{
			{Name: "region", Required: true, Env: []string{"FAKE_REGION"}},
			{Name: "token", Secret: true, Required: true},
		},
		Features: []string{"fake.feature"},
		Configure: func(_ context.Context, cfg Config) (Location, error) {
			got = cfg
			return Location{Region: "eu-1", Zone: "eu-1a"}, nil
		},
		Compute: &Compute{Instances: &fakeInstances{}},
	}
	c := serveTest(t, p, false)
	ctx := t.Context()

	info, err := c.identity.GetPluginInfo(ctx, &pb.GetPluginInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.GetSettings()) != 2 || info.GetSettings()[1].GetName() != "token" || !info.GetSettings()[1].GetSecret() {
		t.Errorf("GetPluginInfo settings = %v", info.GetSettings())
	}
	caps, err := c.identity.GetCapabilities(ctx, &pb.GetCapabilitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"compute", "compute.instances", "fake.feature"}; fmt.Sprint(caps.GetCapabilities()) != fmt.Sprint(want) {
		t.Errorf("GetCapabilities = %v, want %v", caps.GetCapabilities(), want)
	}

	// Before Configure every other call is refused, unary and streaming alike.
	_, err = c.identity.Probe(ctx, &pb.ProbeRequest{})
	wantStatus(t, err, codes.FailedPrecondition, "FailedPrecondition", "plugin not configured: call Configure first")
	_, err = c.compute.GetInstance(ctx, &pb.GetInstanceRequest{Id: "i-1"})
	wantStatus(t, err, codes.FailedPrecondition, "FailedPrecondition", "call Configure first")

	// A required setting missing everywhere is InvalidArgument naming it.
	_, err = c.identity.Configure(ctx, &pb.ConfigureRequest{Secrets: map[string]string{"token": "s3cret"}})
	wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", `required setting "region" is missing`)
	if info := errorInfo(err); info.GetMetadata()["param"] != "region" {
		t.Errorf("param = %q, want region", info.GetMetadata()["param"])
	}

	// Its environment variable counts as given; a secret misfiled among the
	// settings still reaches the plugin as a secret.
	t.Setenv("FAKE_REGION", "eu-1")
	resp, err := c.identity.Configure(ctx, &pb.ConfigureRequest{
		Settings: map[string]string{"token": "s3cret", "extra": "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRegion() != "eu-1" || resp.GetZone() != "eu-1a" {
		t.Errorf("Configure = %v", resp)
	}
	if got.Secrets["token"] != "s3cret" || got.Settings["extra"] != "x" || got.Settings["token"] != "" || got.Logger == nil {
		t.Errorf("plugin got Config %+v", got)
	}

	_, err = c.identity.Configure(ctx, &pb.ConfigureRequest{})
	wantStatus(t, err, codes.FailedPrecondition, "FailedPrecondition", "already configured")

	if resp, err := c.identity.Probe(ctx, &pb.ProbeRequest{}); err != nil || !resp.GetReady() {
		t.Errorf("Probe = %v, %v; want ready", resp, err)
	}
}

func TestConfigureFailureCanBeRetried(t *testing.T) {
	var calls int
	p := Plugin{Name: "fake", Configure: func(context.Context, Config) (Location, error) {
		calls++
		if calls == 1 {
			return Location{}, &Error{Code: CodeUnauthenticated, Message: "bad token"}
		}
		return Location{}, nil
	}}
	c := serveTest(t, p, false)
	_, err := c.identity.Configure(t.Context(), &pb.ConfigureRequest{})
	wantStatus(t, err, codes.Unauthenticated, "Unauthenticated", "bad token")
	if _, err := c.identity.Configure(t.Context(), &pb.ConfigureRequest{}); err != nil {
		t.Fatalf("second Configure after a failed one: %v", err)
	}
}

func TestProbeError(t *testing.T) {
	p := Plugin{Name: "fake", Probe: func(context.Context) error {
		return &Error{Code: CodeUnavailable, Message: "endpoint down"}
	}}
	c := serveTest(t, p, true)
	_, err := c.identity.Probe(t.Context(), &pb.ProbeRequest{})
	wantStatus(t, err, codes.Unavailable, "Unavailable", "endpoint down")
	if errorInfo(err).GetMetadata()["retryable"] != "true" {
		t.Errorf("Unavailable not marked retryable: %v", errorInfo(err))
	}
}

func TestPanicBecomesInternal(t *testing.T) {
	var panicked atomic.Bool
	inst := &fakeInstances{get: func(id string) (Instance, error) {
		if !panicked.Swap(true) {
			panic("boom")
		}
		return Instance{ID: id, State: InstanceRunning}, nil
	}}
	c := serveTest(t, Plugin{Name: "fake", Compute: &Compute{Instances: inst}}, true)
	_, err := c.compute.GetInstance(t.Context(), &pb.GetInstanceRequest{Id: "i-1"})
	wantStatus(t, err, codes.Internal, "Internal", "plugin panic in /cloudbridge.v1.Compute/GetInstance: boom")
	if !strings.Contains(c.logs.String(), "goroutine") {
		t.Errorf("the panic was not logged with its stack:\n%s", c.logs.String())
	}

	got, err := c.compute.GetInstance(t.Context(), &pb.GetInstanceRequest{Id: "i-1"})
	if err != nil {
		t.Fatalf("the server stopped answering after a panic: %v", err)
	}
	if got.GetState() != pb.InstanceState_INSTANCE_STATE_RUNNING {
		t.Errorf("state = %v", got.GetState())
	}
}

func TestPanicInStreamBecomesInternal(t *testing.T) {
	objs := newMemObjects()
	objs.panicOnGet = true
	c := serveTest(t, Plugin{Name: "fake", ObjectStore: &ObjectStore{Objects: objs}}, true)
	stream, err := c.objects.GetObject(t.Context(), &pb.GetObjectRequest{Bucket: "b", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	wantStatus(t, err, codes.Internal, "Internal", "plugin panic in /cloudbridge.v1.ObjectStore/GetObject")
}

func TestUnsupported(t *testing.T) {
	p := Plugin{
		Name: "fake",
		// Instances without start/stop; no images; no storage family at all.
		Compute:     &Compute{Instances: &fakeInstances{}},
		ObjectStore: &ObjectStore{Objects: plainObjects{newMemObjects()}},
	}
	c := serveTest(t, p, true)
	ctx := t.Context()

	// A family the plugin lacks is not registered: gRPC's own Unimplemented,
	// with no ErrorInfo, which the host reads as Unsupported.
	_, err := pb.NewStorageClient(c.conn).GetVolume(ctx, &pb.GetVolumeRequest{Id: "v-1"})
	wantStatus(t, err, codes.Unimplemented, "", "")

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"nil service", func() error {
			_, err := c.compute.GetImage(ctx, &pb.GetImageRequest{Id: "img-1"})
			return err
		}, "compute.images"},
		{"optional interface", func() error {
			_, err := c.compute.StartInstance(ctx, &pb.StartInstanceRequest{Id: "i-1"})
			return err
		}, "compute.instances.start_stop"},
		{"multipart", func() error {
			_, err := c.objects.CreateMultipartUpload(ctx, &pb.CreateMultipartUploadRequest{Bucket: "b", Key: "k"})
			return err
		}, "objectstore.multipart"},
		{"multipart stream", func() error {
			stream, err := c.objects.UploadPart(ctx)
			if err != nil {
				return err
			}
			_, err = stream.CloseAndRecv()
			return err
		}, "objectstore.multipart"},
		{"presigned URLs", func() error {
			_, err := c.objects.PresignURL(ctx, &pb.PresignURLRequest{Bucket: "b", Key: "k", Method: "GET"})
			return err
		}, "objectstore.presigned_urls"},
		{"nil buckets", func() error {
			_, err := c.objects.ListBuckets(ctx, &pb.ListBucketsRequest{})
			return err
		}, "objectstore.buckets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.call(), codes.Unimplemented, "Unsupported", tt.want)
		})
	}
}

func TestDriverErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   codes.Code
		wantReason string
		wantMsg    string
		wantMeta   map[string]string
		wantDelay  time.Duration
	}{
		{
			name: "not found", err: NotFound("instance", "i-1"),
			wantCode: codes.NotFound, wantReason: "NotFound", wantMsg: `instance "i-1" not found`,
			wantMeta: map[string]string{"retryable": "false"},
		},
		{
			name: "wrapped, with provider code",
			err: fmt.Errorf("describe instances: %w", &Error{
				Code: CodeResourceExhausted, Message: "slow down", ProviderCode: "RequestLimitExceeded",
				Retryable: true, RetryAfter: 3 * time.Second,
			}),
			wantCode: codes.ResourceExhausted, wantReason: "ResourceExhausted", wantMsg: "slow down",
			wantMeta:  map[string]string{"retryable": "true", "provider_code": "RequestLimitExceeded"},
			wantDelay: 3 * time.Second,
		},
		{
			name: "context deadline", err: fmt.Errorf("call cloud: %w", context.DeadlineExceeded),
			wantCode: codes.DeadlineExceeded, wantReason: "DeadlineExceeded", wantMsg: "call cloud",
		},
		{
			name: "context canceled", err: context.Canceled,
			wantCode: codes.Canceled, wantReason: "Canceled", wantMsg: "canceled",
		},
		{
			name: "status passes through", err: status.Error(codes.Aborted, "aborted on purpose"),
			wantCode: codes.Aborted, wantMsg: "aborted on purpose",
		},
		{
			name: "plain error", err: errors.New("nil pointer somewhere"),
			wantCode: codes.Internal, wantReason: "Internal", wantMsg: "nil pointer somewhere",
		},
		{
			name: "invalid code", err: &Error{Code: "Bogus", Message: "odd"},
			wantCode: codes.Internal, wantReason: "Internal", wantMsg: "odd",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := &fakeInstances{get: func(string) (Instance, error) { return Instance{}, tt.err }}
			c := serveTest(t, Plugin{Name: "fake", Compute: &Compute{Instances: inst}}, true)
			_, err := c.compute.GetInstance(t.Context(), &pb.GetInstanceRequest{Id: "i-1"})
			wantStatus(t, err, tt.wantCode, tt.wantReason, tt.wantMsg)
			for k, v := range tt.wantMeta {
				if got := errorInfo(err).GetMetadata()[k]; got != v {
					t.Errorf("metadata %s = %q, want %q", k, got, v)
				}
			}
			if got := wire.FromStatus(status.Convert(err)).RetryAfter; got != tt.wantDelay {
				t.Errorf("retry after = %v, want %v", got, tt.wantDelay)
			}
		})
	}
}

func TestValidationBeforeDriver(t *testing.T) {
	inst := &fakeInstances{}
	c := serveTest(t, Plugin{Name: "fake", Compute: &Compute{Instances: inst}}, true)
	ctx := t.Context()
	bad := "Not_A_Label"
	tests := []struct {
		name      string
		call      func() error
		wantParam string
	}{
		{"create with bad label", func() error {
			_, err := c.compute.CreateInstance(ctx, &pb.CreateInstanceRequest{Label: bad, ImageId: "img-1"})
			return err
		}, "label"},
		{"create with no label", func() error {
			_, err := c.compute.CreateInstance(ctx, &pb.CreateInstanceRequest{ImageId: "img-1"})
			return err
		}, "label"},
		{"update with bad label", func() error {
			_, err := c.compute.UpdateInstance(ctx, &pb.UpdateInstanceRequest{Id: "i-1", Label: &bad})
			return err
		}, "label"},
		{"negative page size", func() error {
			_, err := c.compute.ListInstances(ctx, &pb.ListInstancesRequest{PageSize: -1})
			return err
		}, "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "")
			if got := errorInfo(err).GetMetadata()["param"]; got != tt.wantParam {
				t.Errorf("param = %q, want %q", got, tt.wantParam)
			}
		})
	}
	if n := inst.calls.Load(); n != 0 {
		t.Errorf("the driver was called %d times with invalid arguments", n)
	}

	// A page size above the maximum reaches the driver cut to it.
	if _, err := c.compute.ListInstances(ctx, &pb.ListInstancesRequest{PageSize: 5000}); err != nil {
		t.Fatal(err)
	}
	if got := inst.lastPageSize.Load(); got != MaxPageSize {
		t.Errorf("driver saw page size %d, want %d", got, MaxPageSize)
	}
	// A label being left alone by an update is not validated.
	if _, err := c.compute.UpdateInstance(ctx, &pb.UpdateInstanceRequest{Id: "i-1"}); err != nil {
		t.Errorf("update without a label: %v", err)
	}
}

func TestCallsAreLoggedRedacted(t *testing.T) {
	t.Setenv(LogLevelEnv, "trace")
	c := serveTest(t, Plugin{Name: "fake", Security: &Security{KeyPairs: &fakeKeyPairs{}}}, false)
	_, err := c.identity.Configure(t.Context(), &pb.ConfigureRequest{
		Settings: map[string]string{"region": "eu-1", "oops": "misfiled-secret-value"},
		Secrets:  map[string]string{"token": "top-secret-value"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.security.CreateKeyPair(t.Context(), &pb.CreateKeyPairRequest{Name: "my-key"}); err != nil {
		t.Fatal(err)
	}
	logs := c.logs.String()
	for _, secret := range []string{"top-secret-value", "misfiled-secret-value"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{"/cloudbridge.v1.Identity/Configure", "/cloudbridge.v1.Security/CreateKeyPair", "my-key", `"code":"OK"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// ---- through a real process ----

// helperEnv makes the test binary, run as a child, serve a plugin instead of
// running tests (see TestHelperProcess).
const helperEnv = "CLOUDBRIDGE_SDK_TEST_HELPER"

// TestHelperProcess is not a test: it is the plugin the process tests start.
// With helperEnv=spawn it is instead a short-lived host: it starts the plugin,
// waits for its handshake line, prints its pid and exits without a word to it.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "1":
		Serve(Plugin{Name: "helper", Version: "9.9.9", Compute: &Compute{Instances: &fakeInstances{}}})
	case "spawn":
		cmd := helperCommand()
		cmd.Env = append(cmd.Env, wire.Handshake.MagicCookieKey+"="+wire.Handshake.MagicCookieValue)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			os.Exit(3)
		}
		if err := cmd.Start(); err != nil {
			os.Exit(4)
		}
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			os.Exit(5)
		}
		fmt.Println(cmd.Process.Pid)
		os.Exit(0)
	default:
		t.Skip("the plugin process of TestServeProcess and TestPluginExitsWithItsHost")
	}
}

func helperCommand() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	return cmd
}

// testClientPlugin dispenses the raw connection.
type testClientPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (testClientPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (testClientPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return conn, nil
}

// TestServeProcess starts a plugin the way a host does: go-plugin's handshake
// on stdout, gRPC with AutoMTLS, then a call.
func TestServeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	var stderr syncBuffer
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{ProtocolVersion: {wire.PluginName: testClientPlugin{}}},
		Cmd:              helperCommand(),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.NewNullLogger(),
		Stderr:           &stderr,
	})
	defer client.Kill()
	proto, err := client.Client()
	if err != nil {
		t.Fatalf("start: %v\n%s", err, stderr.String())
	}
	raw, err := proto.Dispense(wire.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	conn := raw.(*grpc.ClientConn)
	info, err := pb.NewIdentityClient(conn).GetPluginInfo(t.Context(), &pb.GetPluginInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "helper" || info.GetVersion() != "9.9.9" {
		t.Errorf("GetPluginInfo = %v", info)
	}
	_, err = pb.NewComputeClient(conn).GetInstance(t.Context(), &pb.GetInstanceRequest{Id: "i-1"})
	wantStatus(t, err, codes.FailedPrecondition, "FailedPrecondition", "call Configure first")
	client.Kill()
	if !client.Exited() {
		t.Error("the plugin did not exit when the host killed it")
	}
}

// TestPluginExitsWithItsHost starts a plugin from a host process that exits
// once the plugin is serving, as a host killed with SIGKILL would: the plugin
// must notice and exit.
func TestPluginExitsWithItsHost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to tell an exited process from a live one")
	}
	host := helperCommand()
	host.Env = append(host.Env, helperEnv+"=spawn") // the later value wins
	out, err := host.Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("shell printed %q", out)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if !processAlive(pid) {
		t.Fatalf("plugin %d is not running", pid)
	}
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d still running 10s after its parent exited", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processAlive reports whether pid runs; a zombie (exited, not yet reaped by
// its new parent) counts as gone.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// ---- test server and helpers ----

type testConn struct {
	conn     *grpc.ClientConn
	identity pb.IdentityClient
	compute  pb.ComputeClient
	objects  pb.ObjectStoreClient
	security pb.SecurityClient
	logs     *syncBuffer
}

// serveTest serves p on an in-memory connection the way Serve would (same
// gRPC options and interceptors), logging into a buffer, and returns clients;
// configure calls Configure first.
func serveTest(t *testing.T, p Plugin, configure bool) *testConn {
	t.Helper()
	logs := &syncBuffer{}
	s := newServer(p, newLogger(p.Name, logs, nil))
	gs := s.newGRPCServer(nil)
	s.register(gs)
	lis := bufconn.Listen(1 << 20)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///plugin",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(wire.MaxMessageSize), grpc.MaxCallSendMsgSize(wire.MaxMessageSize)),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &testConn{
		conn:     conn,
		identity: pb.NewIdentityClient(conn),
		compute:  pb.NewComputeClient(conn),
		objects:  pb.NewObjectStoreClient(conn),
		security: pb.NewSecurityClient(conn),
		logs:     logs,
	}
	if configure {
		if _, err := c.identity.Configure(t.Context(), &pb.ConfigureRequest{}); err != nil {
			t.Fatalf("Configure: %v", err)
		}
	}
	return c
}

// wantStatus checks an error's gRPC code, its ErrorInfo reason ("" means there
// must be no CloudBridge ErrorInfo) and that its message contains msg.
func wantStatus(t *testing.T, err error, code codes.Code, reason, msg string) {
	t.Helper()
	st, ok := status.FromError(err)
	if err == nil || !ok {
		t.Fatalf("err = %v, want a status with code %v", err, code)
	}
	if st.Code() != code {
		t.Errorf("code = %v, want %v (%v)", st.Code(), code, err)
	}
	info := errorInfo(err)
	switch {
	case reason == "" && info != nil:
		t.Errorf("ErrorInfo = %v, want none", info)
	case reason != "" && info.GetReason() != reason:
		t.Errorf("ErrorInfo reason = %q, want %q (%v)", info.GetReason(), reason, err)
	}
	if !strings.Contains(st.Message(), msg) {
		t.Errorf("message = %q, want it to contain %q", st.Message(), msg)
	}
}

func errorInfo(err error) *errdetails.ErrorInfo {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == wire.ErrorDomain {
			return info
		}
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// fakeInstances is an Instances driver whose Get is a function; it counts the
// calls that reach it.
type fakeInstances struct {
	get          func(id string) (Instance, error)
	calls        atomic.Int32
	lastPageSize atomic.Int32
}

func (f *fakeInstances) List(_ context.Context, opts ListOptions) (Page[Instance], error) {
	f.calls.Add(1)
	f.lastPageSize.Store(int32(opts.PageSize))
	return Page[Instance]{}, nil
}

func (f *fakeInstances) Get(_ context.Context, id string) (Instance, error) {
	f.calls.Add(1)
	if f.get != nil {
		return f.get(id)
	}
	return Instance{ID: id}, nil
}

func (f *fakeInstances) Create(_ context.Context, spec InstanceSpec) (Instance, error) {
	f.calls.Add(1)
	return Instance{ID: "i-new", Label: spec.Label, State: InstancePending}, nil
}

func (f *fakeInstances) Update(_ context.Context, id string, u InstanceUpdate) (Instance, error) {
	f.calls.Add(1)
	return Instance{ID: id}, nil
}

func (f *fakeInstances) Delete(context.Context, string) error { f.calls.Add(1); return nil }

func (f *fakeInstances) Reboot(_ context.Context, id string) (Instance, error) {
	f.calls.Add(1)
	return Instance{ID: id}, nil
}

func (f *fakeInstances) AddVMFirewall(_ context.Context, id, _ string) (Instance, error) {
	f.calls.Add(1)
	return Instance{ID: id}, nil
}

func (f *fakeInstances) RemoveVMFirewall(_ context.Context, id, _ string) (Instance, error) {
	f.calls.Add(1)
	return Instance{ID: id}, nil
}

type fakeKeyPairs struct{}

func (fakeKeyPairs) List(context.Context, ListOptions) (Page[KeyPair], error) {
	return Page[KeyPair]{}, nil
}
func (fakeKeyPairs) Get(_ context.Context, id string) (KeyPair, error) { return KeyPair{ID: id}, nil }
func (fakeKeyPairs) Create(_ context.Context, spec KeyPairSpec) (KeyPair, error) {
	return KeyPair{ID: spec.Name, Name: spec.Name, Material: "-----BEGIN PRIVATE KEY-----"}, nil
}
func (fakeKeyPairs) Delete(context.Context, string) error { return nil }
