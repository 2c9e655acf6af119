package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cloudbridge-go/cloudbridge/host"
)

// loadSettings reads a settings file (a flat YAML or JSON mapping) and applies
// key=value overrides on top.
func loadSettings(file string, overrides []string) (host.Settings, error) {
	settings := host.Settings{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read settings: %w", err)
		}
		raw := map[string]any{}
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("settings file %s: %w", file, err)
		}
		for k, v := range raw {
			settings[k] = fmt.Sprint(v)
		}
	}
	for _, kv := range overrides {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want key=value", kv)
		}
		settings[k] = v
	}
	return settings, nil
}

// open starts the provider the global flags name. --settings and --set are
// the explicit settings; a profile (--profile, or the config file's
// default_profile when neither -p nor --profile is given) comes under them and
// names the provider unless -p does.
func (g *globals) open(ctx context.Context) (*host.Provider, error) {
	settings, err := loadSettings(g.settingsFile, g.set)
	if err != nil {
		return nil, err
	}
	name, err := g.providerName()
	if err != nil {
		return nil, err
	}
	return host.OpenWith(ctx, name, settings, host.Options{Path: g.pluginPath, Profile: g.profile})
}

// providerName is -p when given; "" when a profile is to name the provider.
func (g *globals) providerName() (string, error) {
	if g.providerSet != nil && g.providerSet() {
		return g.provider, nil
	}
	if g.profile != "" {
		return "", nil
	}
	cfg, err := host.LoadConfig("")
	if err != nil {
		return "", err
	}
	if cfg.DefaultProfile != "" {
		return "", nil
	}
	return g.provider, nil
}
