package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func contextBackground() context.Context { return context.Background() }

func openMock(t *testing.T, settings Settings) *Provider {
	t.Helper()
	p, err := OpenWith(t.Context(), "mock", settings, Options{Path: mockBinary})
	if err != nil {
		t.Fatalf("open mock: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestOpenDescribesAndConfigures(t *testing.T) {
	p := openMock(t, Settings{"region": "mock-west-1"})
	if p.Name != "mock" || p.Region != "mock-west-1" || p.Zone == "" {
		t.Fatalf("provider = %s region %s zone %s", p.Name, p.Region, p.Zone)
	}
	if !p.Has(sdk.CapInstances) || p.Has("no.such.capability") {
		t.Errorf("capabilities = %v", p.Capabilities())
	}
}

func TestUnknownSettingIsRefused(t *testing.T) {
	_, err := OpenWith(t.Context(), "mock", Settings{"regoin": "x"}, Options{Path: mockBinary})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "regoin") {
		t.Fatalf("err = %v, want InvalidArgument naming the setting", err)
	}
}

func TestBadSettingValueIsTypedError(t *testing.T) {
	_, err := OpenWith(t.Context(), "mock", Settings{"latency": "soon"}, Options{Path: mockBinary})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "soon") {
		t.Fatalf("err = %v, want InvalidArgument naming the value", err)
	}
}

func TestPluginKilledMidCallIsCrashed(t *testing.T) {
	p := openMock(t, Settings{"latency": "3s"})
	pid := p.conn.client.ReattachConfig().Pid
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}()
	_, err := p.Compute.Regions.List(t.Context(), ListOptions{})
	if !errors.Is(err, ErrPluginCrashed) {
		t.Fatalf("err = %v, want ErrPluginCrashed", err)
	}
	var crashed *PluginCrashedError
	if !errors.As(err, &crashed) || crashed.Plugin != "mock" {
		t.Fatalf("err = %#v, want *PluginCrashedError for mock", err)
	}
}

func TestDeadlineCrossesThePlugin(t *testing.T) {
	p := openMock(t, Settings{"latency": "2s"})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Compute.Regions.List(ctx, ListOptions{})
	if !errors.Is(err, ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("call took %s: the deadline did not stop the plugin's work", took)
	}
}

// copyBinary copies the mock plugin into dir under the plugin file name.
func copyBinary(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(mockBinary)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, BinaryPrefix+"mock")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeSums(t *testing.T, dir string, sum []byte) {
	t.Helper()
	line := fmt.Sprintf("%x  %smock\n", sum, BinaryPrefix)
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPinnedChecksumAcceptsTheRightBinary(t *testing.T) {
	dir := t.TempDir()
	path := copyBinary(t, dir)
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	writeSums(t, dir, sum[:])
	p, err := OpenWith(t.Context(), "mock", nil, Options{Path: path})
	if err != nil {
		t.Fatalf("open pinned binary: %v", err)
	}
	p.Close()
}

func TestTamperedPinnedBinaryIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := copyBinary(t, dir)
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	writeSums(t, dir, sum[:])
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	_, err = OpenWith(t.Context(), "mock", nil, Options{Path: path})
	if !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("err = %v, want ErrChecksumMismatch", err)
	}
	// The same through an explicit pin.
	_, err = OpenWith(t.Context(), "mock", nil, Options{Path: mockBinary, SHA256: make([]byte, 32)})
	if !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("explicit pin: err = %v, want ErrChecksumMismatch", err)
	}
}

func TestDiscoveryOrder(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	copyBinary(t, second)
	want := copyBinary(t, first)
	t.Setenv(PluginPathEnv, first+string(os.PathListSeparator)+second)
	got, err := FindPlugin("mock")
	if err != nil || got != want {
		t.Fatalf("FindPlugin = %q, %v; want %q", got, err, want)
	}
	t.Setenv(PluginPathEnv, "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if _, err := FindPlugin("no-such-provider"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing plugin: err = %v, want NotFound", err)
	}
}

func TestWorkingDirectoryIsNeverSearched(t *testing.T) {
	dir := t.TempDir()
	copyBinary(t, dir)
	t.Chdir(dir)
	t.Setenv(PluginPathEnv, "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if p, err := FindPlugin("mock"); err == nil {
		t.Fatalf("found %s via the working directory", p)
	}
}

func TestListPluginsDescribesEach(t *testing.T) {
	dir := t.TempDir()
	copyBinary(t, dir)
	t.Setenv(PluginPathEnv, dir)
	found, errs := ListPlugins(t.Context())
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(found) == 0 || found[0].Name != "mock" || len(found[0].Capabilities) == 0 {
		t.Fatalf("found = %+v", found)
	}
}

// TestPluginExitsWhenHostIsKilled: a host killed with SIGKILL cannot stop its
// plugin, so the plugin's parent watchdog must.
func TestPluginExitsWhenHostIsKilled(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CLOUDBRIDGE_TEST_HOST_HELPER=1", "CLOUDBRIDGE_TEST_PLUGIN="+mockBinary)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 64)
	n, _ := out.Read(line)
	pid, err := strconv.Atoi(strings.TrimSpace(string(line[:n])))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("host helper said %q", line[:n])
	}
	if !alive(pid) {
		t.Fatalf("plugin %d is not running", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin %d outlived its killed host by 5s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
