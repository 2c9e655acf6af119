package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/cloudbridge-go/cloudbridge/internal/remote"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// DefaultStartTimeout bounds how long a plugin may take to start and hand shake.
const DefaultStartTimeout = 30 * time.Second

// stderrLines is how many of a plugin's last stderr lines a crash report keeps.
const stderrLines = 20

// connection is one running plugin: the go-plugin client that owns the process
// (or the reattached in-process server) and the gRPC-backed drivers.
type connection struct {
	name     string
	client   *plugin.Client
	remote   *remote.Client
	stderr   *lineRing
	inproc   *sdk.InProcessServer
	closeOne sync.Once
	// closed is set by close, so that a later call fails as "closed" rather
	// than as a crash.
	closed atomic.Bool
}

// launch starts a plugin binary with go-plugin: gRPC only, AutoMTLS, a start
// timeout, optional sha256 pinning, and the plugin's log lines re-logged under
// its name.
func launch(ctx context.Context, name, path string, checksum []byte, opts Options) (*connection, error) {
	ring := newLineRing(stderrLines)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: remote.PluginSets(),
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     opts.startTimeout(),
		Logger:           opts.logger().Named(name),
		Stderr:           ring,
		GRPCDialOptions:  dialOptions(),
	}
	if checksum != nil {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: checksum, Hash: sha256.New()}
	}
	client := plugin.NewClient(cfg)
	conn := &connection{name: name, client: client, stderr: ring}
	rc, err := dispense(ctx, client)
	if err != nil {
		client.Kill()
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, fmt.Errorf("%w: %s does not match its pinned sha256 %x; refusing to run it",
				ErrChecksumMismatch, path, checksum)
		}
		return nil, fmt.Errorf("start plugin %s: %w%s", path, err, ring.suffix())
	}
	conn.remote = rc
	return conn, nil
}

// attach connects to a plugin served in this process by sdk.ServeInProcess.
func attach(ctx context.Context, name string, srv *sdk.InProcessServer, opts Options) (*connection, error) {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: wire.Handshake,
		// go-plugin ignores VersionedPlugins when it reattaches.
		Plugins:          remote.PluginSets()[wire.ProtocolVersion],
		Reattach:         srv.ReattachConfig(),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           opts.logger().Named(name),
		GRPCDialOptions:  dialOptions(),
	})
	rc, err := dispense(ctx, client)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("attach in-process plugin %s: %w", name, err)
	}
	return &connection{name: name, client: client, remote: rc, stderr: newLineRing(stderrLines), inproc: srv}, nil
}

func dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(wire.MaxMessageSize),
		grpc.MaxCallSendMsgSize(wire.MaxMessageSize),
	)}
}

// dispense starts (or reattaches) the plugin and returns its client, giving up
// when ctx ends.
func dispense(ctx context.Context, client *plugin.Client) (*remote.Client, error) {
	type result struct {
		rc  *remote.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		proto, err := client.Client()
		if err != nil {
			done <- result{err: err}
			return
		}
		raw, err := proto.Dispense(wire.PluginName)
		if err != nil {
			done <- result{err: err}
			return
		}
		rc, ok := raw.(*remote.Client)
		if !ok {
			done <- result{err: fmt.Errorf("plugin dispensed %T, want *remote.Client", raw)}
			return
		}
		done <- result{rc: rc}
	}()
	select {
	case r := <-done:
		return r.rc, r.err
	case <-ctx.Done():
		client.Kill()
		return nil, ctx.Err()
	}
}

// exited reports whether the plugin process has died. A gRPC error can arrive a
// moment before the process is reaped, so it waits up to grace for the exit.
func (c *connection) exited(grace time.Duration) bool {
	if c.inproc != nil {
		return false
	}
	deadline := time.Now().Add(grace)
	for {
		if c.client.Exited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dead reports, without waiting, whether the plugin process has exited.
func (c *connection) dead() bool { return c.inproc == nil && c.client.Exited() }

// close stops the plugin process (or the in-process server).
func (c *connection) close() {
	c.closed.Store(true)
	c.closeOne.Do(func() {
		c.client.Kill()
		if c.inproc != nil {
			c.inproc.Close()
		}
	})
}

// lineRing keeps the last n lines written to it.
type lineRing struct {
	mu      sync.Mutex
	lines   []string
	partial strings.Builder
	n       int
}

func newLineRing(n int) *lineRing { return &lineRing{n: n} }

func (r *lineRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range p {
		if b != '\n' {
			r.partial.WriteByte(b)
			continue
		}
		r.lines = append(r.lines, logMessage(r.partial.String()))
		r.partial.Reset()
		if len(r.lines) > r.n {
			r.lines = r.lines[len(r.lines)-r.n:]
		}
	}
	return len(p), nil
}

// Lines returns the kept lines, oldest first.
func (r *lineRing) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.lines...)
	if r.partial.Len() > 0 {
		out = append(out, r.partial.String())
	}
	return out
}

func (r *lineRing) suffix() string {
	lines := r.Lines()
	if len(lines) == 0 {
		return ""
	}
	return "; plugin stderr:\n  " + strings.Join(lines, "\n  ")
}

// logMessage shortens an hclog JSON line to "level: message" for crash reports.
func logMessage(line string) string {
	if !strings.HasPrefix(line, "{") {
		return line
	}
	level := jsonField(line, "@level")
	msg := jsonField(line, "@message")
	if msg == "" {
		return line
	}
	return level + ": " + msg
}

// jsonField extracts a top-level string field without a full decode; the lines
// are the plugin's own hclog output.
func jsonField(line, key string) string {
	i := strings.Index(line, `"`+key+`":"`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(key)+4:]
	var b strings.Builder
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			if j+1 < len(rest) {
				j++
				if rest[j] == 'n' {
					b.WriteByte(' ')
				} else {
					b.WriteByte(rest[j])
				}
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(rest[j])
		}
	}
	return b.String()
}

// Options tune how a plugin is found and run. The zero value is ready to use.
type Options struct {
	// Path is the plugin binary; "" searches SearchDirs for cloudbridge-plugin-<name>.
	Path string
	// SHA256 pins the binary's checksum; nil uses a SHA256SUMS file beside the
	// binary when there is one, and runs unpinned otherwise.
	SHA256 []byte
	// StartTimeout bounds start-up and handshake (DefaultStartTimeout when 0).
	StartTimeout time.Duration
	// Logger receives the host's and the plugin's logs; nil discards them
	// unless CLOUDBRIDGE_LOG_LEVEL is set. At debug level the host also logs
	// every call (see DebugLogging).
	Logger hclog.Logger
	// Profile names a profile of the config file whose settings apply under
	// the explicit ones (see OpenWith).
	Profile string
	// ConfigFile is the config file; "" is ConfigPath().
	ConfigFile string
}

func (o Options) startTimeout() time.Duration {
	if o.StartTimeout > 0 {
		return o.StartTimeout
	}
	return DefaultStartTimeout
}

func (o Options) logger() hclog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return defaultLogger()
}
