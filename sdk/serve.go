package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// LogLevelEnv names the environment variable that sets a plugin's log level
// (trace, debug, info, warn, error); the default is info.
const LogLevelEnv = "CLOUDBRIDGE_LOG_LEVEL"

// parentPollInterval is how often a served plugin checks that its host is alive.
const parentPollInterval = 500 * time.Millisecond

// Serve runs p as a plugin binary and does not return. Call it from main:
//
//	func main() { sdk.Serve(mycloud.Plugin()) }
//
// Started by a host (the go-plugin magic cookie is in the environment), it
// prints go-plugin's handshake line on stdout and serves the contract over
// gRPC, logs JSON to stderr for the host to re-log, ignores SIGINT (the host
// owns Ctrl-C) and exits when its parent process goes away, so a host killed
// with SIGKILL leaves no orphans.
//
// Run by hand it answers two subcommands without any handshake:
//
//	cloudbridge-plugin-<name> describe   # JSON: name, versions, capabilities, settings
//	cloudbridge-plugin-<name> version    # the plugin's version
func Serve(p Plugin) {
	code, serve := run(os.Args[1:], os.Stdout, os.Stderr, p)
	if !serve {
		os.Exit(code)
	}
	logger := newLogger(p.Name, os.Stderr, nil)
	s := newServer(p, logger)
	go watchParent(logger, os.Getppid(), parentPollInterval, os.Getppid, func() {
		// Stopping the server closes its listener, which removes the socket
		// file, and cancels the contexts of calls in flight.
		s.stop()
		s.shutdown()
		os.Exit(0)
	})
	plugin.Serve(s.serveConfig(nil))
	// plugin.Serve returns when the host shut the plugin down.
	s.shutdown()
	os.Exit(0)
}

// run decides what the binary was asked to do. args are the command-line
// arguments after the program name. It returns serve=true when the process
// should serve the plugin; otherwise it has written its answer and the process
// should exit with exitCode. Nothing is ever written to stdout before a
// handshake, except the answers to describe and version.
func run(args []string, stdout, stderr io.Writer, p Plugin) (exitCode int, serve bool) {
	cookie := os.Getenv(wire.Handshake.MagicCookieKey) == wire.Handshake.MagicCookieValue
	if len(args) == 0 {
		if cookie {
			return 0, true
		}
		fmt.Fprintf(stderr, "This binary is a CloudBridge plugin; run it through cloudbridge-host or an\n"+
			"application built with the CloudBridge host library, which starts it and talks\n"+
			"to it. Try %q to see what it offers.\n", binaryName(p)+" describe")
		return 1, false
	}
	switch args[0] {
	case "describe":
		out, err := json.MarshalIndent(describe(p), "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "describe: %v\n", err)
			return 1, false
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0, false
	case "version":
		fmt.Fprintln(stdout, p.Version)
		return 0, false
	}
	if cookie {
		// A host may start the binary with arguments of its own; the cookie says
		// it is a host, so serve.
		return 0, true
	}
	fmt.Fprintf(stderr, "Usage: %s [describe | version]\n\n"+
		"%s is a CloudBridge plugin (version %s). A host starts it; run by hand it\n"+
		"only answers:\n"+
		"  describe   print its name, versions, capabilities and settings as JSON\n"+
		"  version    print its version\n", binaryName(p), binaryName(p), p.Version)
	return 2, false
}

func binaryName(p Plugin) string { return "cloudbridge-plugin-" + p.Name }

// description is the JSON that `describe` prints. host.Description parses it.
type description struct {
	Name             string               `json:"name"`
	Version          string               `json:"version"`
	SDKVersion       string               `json:"sdk_version"`
	ProtocolVersions []int                `json:"protocol_versions"`
	Capabilities     []string             `json:"capabilities"`
	Settings         []settingDescription `json:"settings"`
}

type settingDescription struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Secret      bool     `json:"secret"`
	Required    bool     `json:"required"`
	Default     string   `json:"default"`
	Env         []string `json:"env"`
}

func describe(p Plugin) description {
	d := description{
		Name:             p.Name,
		Version:          p.Version,
		SDKVersion:       Version,
		ProtocolVersions: []int{ProtocolVersion},
		Capabilities:     p.Capabilities(),
		Settings:         []settingDescription{},
	}
	for _, s := range p.Settings {
		env := s.Env
		if env == nil {
			env = []string{}
		}
		d.Settings = append(d.Settings, settingDescription{
			Name: s.Name, Description: s.Description, Secret: s.Secret,
			Required: s.Required, Default: s.Default, Env: env,
		})
	}
	return d
}

// newLogger returns the plugin's logger: hclog JSON, which go-plugin hosts parse
// and re-log under the plugin's name, at the level LogLevelEnv sets.
// exclude, when not nil, drops the messages it matches.
func newLogger(name string, w io.Writer, exclude func(hclog.Level, string, ...any) bool) hclog.Logger {
	level := hclog.LevelFromString(os.Getenv(LogLevelEnv))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      level,
		Output:     w,
		JSONFormat: true,
		Exclude:    exclude,
	})
}

// watchParent calls exit when the parent process changes (the host died and
// the plugin was re-parented), polling every interval. It is a poll rather than
// Linux's Pdeathsig, which fires when the thread that started the plugin exits,
// not the host process (golang/go#27505), and exists on Linux only. The parent
// is the one seen at start-up, so a host that dies in the milliseconds before
// that look is missed.
func watchParent(logger hclog.Logger, parent int, interval time.Duration, getppid func() int, exit func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for now := getppid(); ; now = getppid() {
		if now != parent {
			logger.Info("host process is gone; exiting", "parent_pid", parent, "new_parent_pid", now)
			exit()
			return
		}
		<-t.C
	}
}

// InProcessServer is a plugin served inside the current process, for hosts and
// tests: the conformance suite drives a plugin this way, over a real gRPC
// connection, with the race detector and coverage.
type InProcessServer struct {
	reattach *plugin.ReattachConfig
	cancel   context.CancelFunc
	done     <-chan struct{}
	srv      *server
}

// ServeInProcess serves p in this process in go-plugin's test mode and returns
// once it is accepting connections. A host connects with a plugin.ClientConfig
// whose Reattach is s.ReattachConfig() and whose Plugins (not VersionedPlugins,
// which go-plugin ignores when reattaching) holds its plugin under
// wire.PluginName. No process is started, no handshake cookie is checked, and
// the connection is a unix socket without TLS.
//
// ctx bounds the start only, as starting a plugin binary does: the server runs
// until Close, which the host must call (plugin.Client.Kill leaves a test-mode
// server running). It logs to stderr at the level LogLevelEnv sets. No parent
// watchdog runs in this mode.
func ServeInProcess(ctx context.Context, p Plugin) (*InProcessServer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The server's context keeps ctx's values but not its end.
	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	reattach := make(chan *plugin.ReattachConfig, 1)
	done := make(chan struct{})
	srv := newServer(p, newLogger(p.Name, os.Stderr, closedAcceptError))
	cfg := srv.serveConfig(&plugin.ServeTestConfig{
		Context:          serveCtx,
		ReattachConfigCh: reattach,
		CloseCh:          done,
	})
	go plugin.Serve(cfg)
	select {
	case rc := <-reattach:
		return &InProcessServer{reattach: rc, cancel: cancel, done: done, srv: srv}, nil
	case <-done:
		cancel()
		srv.shutdown()
		return nil, fmt.Errorf("serve plugin %s in process: the server stopped before accepting connections (see its log)", p.Name)
	case <-ctx.Done():
		cancel()
		<-done
		srv.shutdown()
		return nil, ctx.Err()
	}
}

// ReattachConfig is what a go-plugin client needs to connect to the server.
func (s *InProcessServer) ReattachConfig() *plugin.ReattachConfig { return s.reattach }

// Close stops the server, ending every call in flight, waits until it has
// stopped, and then calls the plugin's Shutdown. It may be called more than
// once.
func (s *InProcessServer) Close() {
	s.cancel()
	<-s.done
	s.srv.shutdown()
}

// closedAcceptError matches the error go-plugin logs on every stop in test
// mode, where it closes the listener before it stops the gRPC server. It is
// filtered out so that each in-process Close does not log a false error.
func closedAcceptError(level hclog.Level, msg string, args ...any) bool {
	if level != hclog.Error || msg != "grpc server" {
		return false
	}
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, net.ErrClosed) {
			return true
		}
	}
	return false
}

// server is one served plugin: its state (configured or not) and the gRPC glue.
type server struct {
	p      Plugin
	logger hclog.Logger

	// configMu serialises Configure calls; configured is set once one succeeded.
	configMu   sync.Mutex
	configured atomic.Bool

	gs atomic.Pointer[grpc.Server] // set once go-plugin built it

	shutdownOnce sync.Once
}

func newServer(p Plugin, logger hclog.Logger) *server {
	return &server{p: p, logger: logger}
}

func (s *server) serveConfig(test *plugin.ServeTestConfig) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			ProtocolVersion: {wire.PluginName: &grpcPlugin{srv: s}},
		},
		GRPCServer: s.newGRPCServer,
		Logger:     s.logger,
		Test:       test,
	}
}

// newGRPCServer builds the gRPC server go-plugin serves on; opts carry the TLS
// credentials go-plugin negotiated.
func (s *server) newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts,
		grpc.MaxRecvMsgSize(wire.MaxMessageSize),
		grpc.MaxSendMsgSize(wire.MaxMessageSize),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	)
	gs := grpc.NewServer(opts...)
	s.gs.Store(gs)
	return gs
}

// shutdown calls the plugin's Shutdown hook, once, whichever way serving ended.
func (s *server) shutdown() {
	s.shutdownOnce.Do(func() {
		if s.p.Shutdown != nil {
			s.p.Shutdown()
		}
	})
}

// stop stops the gRPC server, if it was built, ending every call in flight.
func (s *server) stop() {
	if gs := s.gs.Load(); gs != nil {
		gs.Stop()
	}
}

// register puts the Identity service and every non-nil family on gs. A family
// left nil is not registered, so gRPC answers its calls Unimplemented, which
// the host reads as Unsupported.
func (s *server) register(gs grpc.ServiceRegistrar) {
	pb.RegisterIdentityServer(gs, &identityServer{srv: s})
	if s.p.Compute != nil {
		pb.RegisterComputeServer(gs, &computeServer{c: s.p.Compute})
	}
	if s.p.Storage != nil {
		pb.RegisterStorageServer(gs, &storageServer{s: s.p.Storage})
	}
	if s.p.ObjectStore != nil {
		pb.RegisterObjectStoreServer(gs, &objectStoreServer{o: s.p.ObjectStore})
	}
	if s.p.Network != nil {
		pb.RegisterNetworkServer(gs, &networkServer{n: s.p.Network})
	}
	if s.p.Security != nil {
		pb.RegisterSecurityServer(gs, &securityServer{s: s.p.Security})
	}
	if s.p.DNS != nil {
		pb.RegisterDNSServer(gs, &dnsServer{d: s.p.DNS})
	}
}

// grpcPlugin is the go-plugin plugin every binary serves under wire.PluginName.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	srv *server
}

var _ plugin.GRPCPlugin = (*grpcPlugin)(nil)

func (g *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, gs *grpc.Server) error {
	g.srv.register(gs)
	return nil
}

func (g *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: a plugin serves; hosts use their own client")
}

// contractPrefix is the method prefix of the CloudBridge services. The
// interceptors leave go-plugin's own services (health, broker, controller,
// stdio, reflection) alone.
const contractPrefix = "/cloudbridge.v1."

// Methods a host may call before Configure.
var beforeConfigure = map[string]bool{
	pb.Identity_GetPluginInfo_FullMethodName:   true,
	pb.Identity_GetCapabilities_FullMethodName: true,
	pb.Identity_Configure_FullMethodName:       true,
}

// errNotConfigured answers every call but the Identity basics before Configure.
var errNotConfigured = &Error{Code: CodeFailedPrecondition, Message: "plugin not configured: call Configure first"}

func (s *server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	if !strings.HasPrefix(info.FullMethod, contractPrefix) {
		return handler(ctx, req)
	}
	start := time.Now()
	defer func() { s.logCall(info.FullMethod, req, start, err) }()
	if !beforeConfigure[info.FullMethod] && !s.configured.Load() {
		return nil, s.statusError(info.FullMethod, errNotConfigured)
	}
	defer s.recoverPanic(info.FullMethod, &err)
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, s.statusError(info.FullMethod, err)
	}
	return resp, nil
}

func (s *server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	if !strings.HasPrefix(info.FullMethod, contractPrefix) {
		return handler(srv, ss)
	}
	start := time.Now()
	defer func() { s.logCall(info.FullMethod, nil, start, err) }()
	if !s.configured.Load() {
		return s.statusError(info.FullMethod, errNotConfigured)
	}
	defer s.recoverPanic(info.FullMethod, &err)
	if err = handler(srv, ss); err != nil {
		return s.statusError(info.FullMethod, err)
	}
	return nil
}

// recoverPanic turns a panic in a handler into an Internal error, logged with
// its stack, so that one bad call does not take the plugin (and every other
// call in flight) down. A panic in a goroutine the driver started cannot be
// caught here.
func (s *server) recoverPanic(method string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	s.logger.Error("plugin panic", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	*err = wire.Status(wire.Error{
		Code:    string(CodeInternal),
		Message: fmt.Sprintf("plugin panic in %s: %v", method, r),
	}).Err()
}

// logCall logs a finished call at Trace: method, duration, code and, for
// unary calls, the request with its secret fields cleared.
func (s *server) logCall(method string, req any, start time.Time, err error) {
	if !s.logger.IsTrace() {
		return
	}
	args := []any{"method", method, "duration", time.Since(start), "code", status.Code(err).String()}
	if err != nil {
		args = append(args, "error", status.Convert(err).Message())
	}
	// Configure's settings are logged by name only: a host that misfiles a
	// secret among the plain settings must not get it written to a log.
	if m, ok := req.(*pb.ConfigureRequest); ok {
		args = append(args, "settings", mapKeys(m.GetSettings()), "secrets", mapKeys(m.GetSecrets()))
	} else if m, ok := req.(proto.Message); ok {
		if b, merr := protojson.Marshal(wire.Redact(m)); merr == nil {
			args = append(args, "request", string(b))
		}
	}
	s.logger.Trace("call", args...)
}

func mapKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// statusError turns any error a handler returns into a gRPC status error. It is
// the one place where this happens: handlers and drivers return plain errors.
func (s *server) statusError(method string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return wire.Status(wireError(e)).Err()
	}
	if _, ok := status.FromError(err); ok {
		// Already a status: gRPC's own (a failed Recv on a canceled stream) or
		// one a handler built on purpose.
		return err
	}
	if code := wire.ContextCode(err); code != "" {
		return wire.Status(wire.Error{Code: code, Message: err.Error()}).Err()
	}
	s.logger.Warn("driver returned an error that is not an *sdk.Error; it reaches the host as Internal",
		"method", method, "error", err)
	return wire.Status(wire.Error{Code: string(CodeInternal), Message: err.Error()}).Err()
}

// wireError is the wire form of e. Only what the contract carries crosses: the
// cause (e.Err) stays in the plugin, though its text stands in for an empty
// message.
func wireError(e *Error) wire.Error {
	code := e.Code
	if !code.Valid() {
		code = CodeInternal
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg == "" {
		msg = string(code)
	}
	return wire.Error{
		Code:         string(code),
		Message:      msg,
		Param:        e.Param,
		ProviderCode: e.ProviderCode,
		Retryable:    e.Retryable || code.Retryable(),
		RetryAfter:   e.RetryAfter,
	}
}

// ---- request helpers shared by the family servers ----

// listOptions checks and converts a request's paging fields: a negative size is
// InvalidArgument and a size above MaxPageSize is cut to it.
func listOptions(size int32, token string) (ListOptions, error) {
	if size < 0 {
		return ListOptions{}, InvalidArgument("page_size", size,
			fmt.Sprintf("must be from 0 (the default, %d) to %d", DefaultPageSize, MaxPageSize))
	}
	return ListOptions{PageSize: min(int(size), MaxPageSize), PageToken: token}, nil
}

// validateLabelUpdate checks a label being set by an update, if it is.
func validateLabelUpdate(label *string) error {
	if label == nil {
		return nil
	}
	return ValidateLabel(*label)
}

// convertAll converts every item of a page.
func convertAll[T any, P any](items []T, conv func(T) *P) []*P {
	if len(items) == 0 {
		return nil
	}
	out := make([]*P, len(items))
	for i, item := range items {
		out[i] = conv(item)
	}
	return out
}
