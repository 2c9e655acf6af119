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

// open starts the provider the global flags name.
func (g *globals) open(ctx context.Context) (*host.Provider, error) {
	settings, err := loadSettings(g.settingsFile, g.set)
	if err != nil {
		return nil, err
	}
	return host.OpenWith(ctx, g.provider, settings, host.Options{Path: g.pluginPath})
}
