package sdk

import (
	"context"
	"fmt"
	"os"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

// identityServer serves the Identity service, which every plugin has.
type identityServer struct {
	pb.UnimplementedIdentityServer
	srv *server
}

func (i *identityServer) GetPluginInfo(context.Context, *pb.GetPluginInfoRequest) (*pb.GetPluginInfoResponse, error) {
	p := i.srv.p
	resp := &pb.GetPluginInfoResponse{
		Name:            p.Name,
		Version:         p.Version,
		SdkVersion:      Version,
		ProtocolVersion: ProtocolVersion,
	}
	for _, s := range p.Settings {
		resp.Settings = append(resp.Settings, &pb.SettingSpec{
			Name:         s.Name,
			Description:  s.Description,
			Secret:       s.Secret,
			Required:     s.Required,
			DefaultValue: s.Default,
			Env:          s.Env,
		})
	}
	return resp, nil
}

func (i *identityServer) GetCapabilities(context.Context, *pb.GetCapabilitiesRequest) (*pb.GetCapabilitiesResponse, error) {
	return &pb.GetCapabilitiesResponse{Capabilities: i.srv.p.Capabilities()}, nil
}

// Configure checks that every required setting is given (in the request or the
// environment variables it may be read from), then hands the settings to the
// plugin. It succeeds once per process; a failed Configure may be retried.
func (i *identityServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	s := i.srv
	s.configMu.Lock()
	defer s.configMu.Unlock()
	if s.configured.Load() {
		return nil, &Error{Code: CodeFailedPrecondition, Message: "plugin already configured: Configure is called once per process"}
	}
	cfg := Config{
		Settings: copyMap(req.GetSettings()),
		Secrets:  copyMap(req.GetSecrets()),
		Logger:   s.logger,
	}
	for _, spec := range s.p.Settings {
		// A secret the host misfiled among the plain settings still reaches
		// the plugin where secrets belong.
		if v, ok := cfg.Settings[spec.Name]; ok && spec.Secret {
			delete(cfg.Settings, spec.Name)
			cfg.Secrets[spec.Name] = v
		}
		if spec.Required && !given(cfg, spec) {
			return nil, &Error{
				Code:    CodeInvalidArgument,
				Param:   spec.Name,
				Message: fmt.Sprintf("required setting %q is missing%s", spec.Name, envHint(spec.Env)),
			}
		}
	}
	var loc Location
	if s.p.Configure != nil {
		var err error
		if loc, err = s.p.Configure(ctx, cfg); err != nil {
			return nil, err
		}
	}
	s.configured.Store(true)
	return &pb.ConfigureResponse{Region: loc.Region, Zone: loc.Zone}, nil
}

// Probe answers ready when the plugin's probe passes. A failing probe is
// returned as its error (Unauthenticated, Unavailable, ...), so the host gets
// the code; ready=false is never sent by this sdk.
func (i *identityServer) Probe(ctx context.Context, _ *pb.ProbeRequest) (*pb.ProbeResponse, error) {
	if probe := i.srv.p.Probe; probe != nil {
		if err := probe(ctx); err != nil {
			return nil, err
		}
	}
	return &pb.ProbeResponse{Ready: true}, nil
}

func given(cfg Config, spec SettingSpec) bool {
	if _, ok := cfg.Get(spec.Name); ok {
		return true
	}
	for _, env := range spec.Env {
		if os.Getenv(env) != "" {
			return true
		}
	}
	return false
}

func envHint(env []string) string {
	switch len(env) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (nor is %s set)", env[0])
	}
	return fmt.Sprintf(" (nor is any of %v set)", env)
}

// copyMap returns a map the plugin owns, never nil, so that Config.Settings
// and Config.Secrets can be read without a nil check.
func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
