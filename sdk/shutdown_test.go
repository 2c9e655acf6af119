package sdk

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// TestShutdownInProcess: Close calls the plugin's Shutdown once, after the
// server stopped, however often it is called.
func TestShutdownInProcess(t *testing.T) {
	var calls atomic.Int32
	srv, err := ServeInProcess(t.Context(), Plugin{Name: "fake", Shutdown: func() { calls.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Fatal("Shutdown called while serving")
	}
	srv.Close()
	srv.Close()
	if n := calls.Load(); n != 1 {
		t.Fatalf("Shutdown called %d times, want 1", n)
	}
}

// shutdownHelperEnv makes the test binary serve a plugin whose Shutdown
// creates the file the variable names.
const shutdownHelperEnv = "CLOUDBRIDGE_SDK_SHUTDOWN_HELPER"

// TestShutdownHelperProcess is not a test: it is the plugin
// TestShutdownServe starts.
func TestShutdownHelperProcess(t *testing.T) {
	marker := os.Getenv(shutdownHelperEnv)
	if marker == "" {
		t.Skip("the plugin process of TestShutdownServe")
	}
	Serve(Plugin{Name: "helper", Shutdown: func() { _ = os.WriteFile(marker, []byte("done"), 0o600) }})
}

// TestShutdownServe: a plugin binary the host shuts down runs its Shutdown
// before it exits.
func TestShutdownServe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	marker := filepath.Join(t.TempDir(), "shutdown")
	cmd := helperCommand()
	cmd.Args = []string{os.Args[0], "-test.run=^TestShutdownHelperProcess$"}
	cmd.Env = append(os.Environ(), shutdownHelperEnv+"="+marker)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{ProtocolVersion: {wire.PluginName: testClientPlugin{}}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.NewNullLogger(),
	})
	defer client.Kill()
	if _, err := client.Client(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("Shutdown ran before the plugin was shut down")
	}
	client.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the plugin exited without running Shutdown")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
