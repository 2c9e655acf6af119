package main

import (
	"os"
	"path/filepath"
	"testing"
)

// With --profile, or with neither -p nor --profile when the config file has
// a default_profile, the provider comes from the profile; -p always wins.
func TestProviderComesFromTheProfileUnlessNamed(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	for name, tc := range map[string]struct {
		args       []string
		configFile string
		want       string
	}{
		"no config file":           {nil, "", "mock"},
		"config without a default": {nil, "profiles: {dev: {provider: aws}}", "mock"},
		"default profile":          {nil, "default_profile: dev\nprofiles: {dev: {provider: aws}}", ""},
		"--profile":                {[]string{"--profile", "dev"}, "profiles: {dev: {provider: aws}}", ""},
		"-p wins over --profile":   {[]string{"--profile", "dev", "-p", "openstack"}, "profiles: {dev: {provider: aws}}", "openstack"},
		"-p wins over the default": {[]string{"-p", "mock"}, "default_profile: dev\nprofiles: {dev: {provider: aws}}", "mock"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(config, "cloudbridge", "config.yaml")
			os.RemoveAll(filepath.Dir(path))
			if tc.configFile != "" {
				os.MkdirAll(filepath.Dir(path), 0o700)
				if err := os.WriteFile(path, []byte(tc.configFile), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			g := &globals{}
			root := rootCommand(g)
			if err := root.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := g.providerName()
			if err != nil || got != tc.want {
				t.Fatalf("provider = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
