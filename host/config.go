package host

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"
	"go.yaml.in/yaml/v3"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ConfigPath returns the path of the config file:
// $XDG_CONFIG_HOME/cloudbridge/config.yaml, by default
// ~/.config/cloudbridge/config.yaml.
func ConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "cloudbridge", "config.yaml")
}

// ConfigFile is the config file: named profiles, each a provider and its
// settings, and the profile used when none is named.
//
//	default_profile: dev
//	profiles:
//	  dev:
//	    provider: mock
//	    settings:
//	      region: mock-west-1
//	  prod:
//	    provider: aws
//	    settings: {region: eu-west-1, profile: prod}
//
// It may hold secret settings (it is read by the host, which passes them to
// the plugin only in Configure), so keep it private: mode 0600.
type ConfigFile struct {
	DefaultProfile string             `yaml:"default_profile"`
	Profiles       map[string]Profile `yaml:"profiles"`
}

// Profile is one named account: which provider, and its settings.
type Profile struct {
	Provider string   `yaml:"provider"`
	Settings Settings `yaml:"settings"`
}

// LoadConfig reads a config file ("" for ConfigPath). A missing file is an
// empty configuration; a malformed one, or one with unknown keys, is
// ErrInvalidArgument naming the file.
func LoadConfig(path string) (*ConfigFile, error) {
	if path == "" {
		path = ConfigPath()
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || path == "" {
		return &ConfigFile{}, nil
	}
	if err != nil {
		return nil, &Error{Code: sdk.CodeFailedPrecondition, Param: "config_file", Message: "read config file: " + err.Error(), Err: err}
	}
	cfg := &ConfigFile{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Code: sdk.CodeInvalidArgument, Param: "config_file", Message: fmt.Sprintf("config file %s: %v", path, err)}
	}
	return cfg, nil
}

// Profile returns a profile by name; "" is the default profile. An unknown
// name is ErrNotFound listing the known ones.
func (c *ConfigFile) Profile(name string) (Profile, error) {
	if name == "" {
		name = c.DefaultProfile
	}
	if name == "" {
		return Profile{}, &Error{Code: sdk.CodeInvalidArgument, Param: "profile",
			Message: "no profile named, and the config file has no default_profile"}
	}
	p, ok := c.Profiles[name]
	if !ok {
		names := make([]string, 0, len(c.Profiles))
		for n := range c.Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return Profile{}, &Error{Code: sdk.CodeNotFound, Param: "profile", Message: fmt.Sprintf(
			"no profile %q in the config file (profiles: %s)", name, strings.Join(names, ", "))}
	}
	return p, nil
}

// settingLayers are the settings given when opening, by precedence (see
// OpenWith); the environment and the plugin's defaults come after them.
type settingLayers struct {
	explicit Settings
	profile  Settings
	// source names the profile in messages: `profile "dev" of /path`.
	source string
}

// settingLayers loads the profile the options name (or, when neither a
// provider nor a profile is named, the default one) and settles which
// provider to open.
func (o Options) settingLayers(name string, explicit Settings) (string, settingLayers, error) {
	layers := settingLayers{explicit: explicit}
	if o.Profile == "" && name != "" {
		return name, layers, nil
	}
	path := o.ConfigFile
	if path == "" {
		path = ConfigPath()
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return "", layers, err
	}
	prof, err := cfg.Profile(o.Profile)
	if err != nil {
		return "", layers, fmt.Errorf("config file %s: %w", path, err)
	}
	profile := o.Profile
	if profile == "" {
		profile = cfg.DefaultProfile
	}
	switch {
	case name == "":
		name = prof.Provider
	case prof.Provider != "" && prof.Provider != name:
		return "", layers, &Error{Code: sdk.CodeInvalidArgument, Param: "profile", Message: fmt.Sprintf(
			"profile %q is for provider %q, not %q", profile, prof.Provider, name)}
	}
	if name == "" {
		return "", layers, &Error{Code: sdk.CodeInvalidArgument, Param: "provider", Message: fmt.Sprintf(
			"profile %q of %s names no provider", profile, path)}
	}
	layers.profile, layers.source = prof.Settings, fmt.Sprintf("profile %q of %s", profile, path)
	return name, layers, nil
}

// resolve takes each setting the plugin declares from the first layer that
// has it, then from its environment variables. It logs where each came from,
// never the value. Explicit keys the plugin does not know are kept, for
// splitSettings to refuse; unknown keys of a profile are refused here, with
// the profile named.
func (l settingLayers) resolve(plugin string, specs []sdk.SettingSpec, log hclog.Logger) (Settings, error) {
	known := map[string]bool{}
	for _, s := range specs {
		known[s.Name] = true
	}
	for k := range l.profile {
		if !known[k] {
			return nil, &Error{Code: sdk.CodeInvalidArgument, Param: k, Message: fmt.Sprintf(
				"unknown setting %q for plugin %s in %s", k, plugin, l.source)}
		}
	}
	out := Settings{}
	for k, v := range l.explicit {
		out[k] = v
	}
	for _, s := range specs {
		if from, v, ok := l.lookup(s); ok {
			out[s.Name] = v
			log.Debug("setting source", "name", s.Name, "secret", s.Secret, "from", from)
		}
	}
	return out, nil
}

func (l settingLayers) lookup(s sdk.SettingSpec) (from, value string, ok bool) {
	if v, ok := l.explicit[s.Name]; ok {
		return "explicit", v, true
	}
	if v, ok := l.profile[s.Name]; ok {
		return l.source, v, true
	}
	for _, env := range s.Env {
		if v := os.Getenv(env); v != "" {
			return "$" + env, v, true
		}
	}
	return "", "", false
}

// scrubSecrets replaces secret values in an error a plugin returned from
// Configure: a plugin that quotes a bad value must not leak a credential into
// logs or a terminal.
func scrubSecrets(err error, secrets map[string]string) error {
	leaked := false
	for _, v := range secrets {
		leaked = leaked || v != "" && strings.Contains(err.Error(), v)
	}
	if !leaked {
		return err
	}
	out := &Error{Code: sdk.CodeInternal, Message: err.Error()}
	var e *Error
	if errors.As(err, &e) {
		out = &Error{Code: e.Code, Param: e.Param, ProviderCode: e.ProviderCode, Message: e.Message}
	}
	for _, v := range secrets {
		if v != "" {
			out.Message = strings.ReplaceAll(out.Message, v, "[redacted]")
		}
	}
	return out
}
