package host

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// recordingPlugin is a plugin with one plain and one secret setting, each
// with environment variables, that records what Configure received.
type recordingPlugin struct {
	mu  sync.Mutex
	got sdk.Config
	// reject makes Configure fail, quoting the token it got.
	reject bool
}

func (r *recordingPlugin) plugin() sdk.Plugin {
	return sdk.Plugin{
		Name: "cfgtest", Version: "1.0.0",
		Settings: []sdk.SettingSpec{
			{Name: "region", Default: "plugin-default", Env: []string{"CFGTEST_REGION", "CFGTEST_REGION_ALT"}},
			{Name: "token", Secret: true, Env: []string{"CFGTEST_TOKEN"}},
			{Name: "retries"},
		},
		Configure: func(_ context.Context, cc sdk.Config) (sdk.Location, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.got = cc
			if r.reject {
				token, _ := cc.Get("token")
				return sdk.Location{}, sdk.InvalidArgument("token", token, "the cloud refused this token")
			}
			region, ok := cc.Get("region")
			if !ok {
				region = "plugin-default"
			}
			return sdk.Location{Region: region, Zone: region + "a"}, nil
		},
	}
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The precedence table of OpenWith, over all four levels: explicit settings,
// the profile, the plugin's environment variables, the plugin's own default.
func TestSettingPrecedence(t *testing.T) {
	for name, tc := range map[string]struct {
		explicit, profile, env, envAlt string
		want                           string // "" = the plugin was given no region
	}{
		"explicit wins over all":      {explicit: "explicit", profile: "profile", env: "env", want: "explicit"},
		"explicit wins over env":      {explicit: "explicit", env: "env", want: "explicit"},
		"profile wins over env":       {profile: "profile", env: "env", want: "profile"},
		"profile alone":               {profile: "profile", want: "profile"},
		"env alone":                   {env: "env", want: "env"},
		"env: first variable set":     {env: "env", envAlt: "alt", want: "env"},
		"env: second variable":        {envAlt: "alt", want: "alt"},
		"nothing: the plugin decides": {want: ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("CFGTEST_REGION", tc.env)
			t.Setenv("CFGTEST_REGION_ALT", tc.envAlt)
			settings := map[string]string{}
			if tc.profile != "" {
				settings["region"] = tc.profile
			}
			data, _ := json.Marshal(map[string]any{"profiles": map[string]any{"test": map[string]any{"provider": "cfgtest", "settings": settings}}})
			path := writeConfig(t, string(data)) // JSON is YAML
			explicit := Settings{}
			if tc.explicit != "" {
				explicit["region"] = tc.explicit
			}
			rec := &recordingPlugin{}
			p, err := OpenInProcessWith(t.Context(), rec.plugin(), explicit, Options{Profile: "test", ConfigFile: path})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			got, given := rec.got.Settings["region"]
			if got != tc.want || given != (tc.want != "") {
				t.Fatalf("plugin got region %q (given %v), want %q", got, given, tc.want)
			}
			if wantRegion := max(tc.want, "plugin-default"); tc.want == "" && p.Region != wantRegion {
				t.Fatalf("provider region %q, want the plugin's default", p.Region)
			}
		})
	}
}

func TestSecretSettingsTravelAsSecretsFromEveryLevel(t *testing.T) {
	path := writeConfig(t, "profiles:\n  test:\n    provider: cfgtest\n    settings: {token: from-profile}\n")
	for name, tc := range map[string]struct {
		explicit Settings
		opts     Options
		env      string
		want     string
	}{
		"explicit": {explicit: Settings{"token": "from-explicit"}, want: "from-explicit"},
		"profile":  {opts: Options{Profile: "test", ConfigFile: path}, want: "from-profile"},
		"env":      {env: "from-env", want: "from-env"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("CFGTEST_TOKEN", tc.env)
			rec := &recordingPlugin{}
			p, err := OpenInProcessWith(t.Context(), rec.plugin(), tc.explicit, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if rec.got.Secrets["token"] != tc.want || rec.got.Settings["token"] != "" {
				t.Fatalf("plugin got secrets %v, settings %v; want the token %q as a secret only", rec.got.Secrets, rec.got.Settings, tc.want)
			}
		})
	}
}

// A secret never shows in the error of a failed Configure, in the host's
// logs, or in what Describe (the CLI's describe and --output json) shows.
func TestSecretsNeverShow(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	t.Setenv("CFGTEST_TOKEN", secret)
	logs := &syncBuffer{}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs})

	rec := &recordingPlugin{reject: true}
	_, err := OpenInProcessWith(t.Context(), rec.plugin(), nil, Options{Logger: log})
	if !errors.Is(err, ErrInvalidArgument) || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("err = %v; want InvalidArgument with the token redacted", err)
	}
	if rec.got.Secrets["token"] != secret {
		t.Fatalf("the plugin did not get the token: %v", rec.got.Secrets)
	}

	rec = &recordingPlugin{}
	p, err := OpenInProcessWith(t.Context(), rec.plugin(), nil, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Compute.Regions.List(t.Context(), ListOptions{}) // a call, logged at debug level
	described, _ := json.Marshal(p.Describe())
	for where, text := range map[string]string{"logs": logs.String(), "describe": string(described)} {
		if strings.Contains(text, secret) {
			t.Errorf("the secret shows in %s:\n%s", where, text)
		}
	}
	if !strings.Contains(logs.String(), `name=token secret=true from="$CFGTEST_TOKEN"`) {
		t.Errorf("the logs do not say where the token came from:\n%s", logs)
	}
}

func TestProfileErrors(t *testing.T) {
	path := writeConfig(t, `
default_profile: main
profiles:
  main: {provider: cfgtest, settings: {region: r1, retries: 3}}
  other: {provider: aws}
  typo: {provider: cfgtest, settings: {regoin: r1}}
`)
	for name, tc := range map[string]struct {
		opts  Options
		param string
		code  sdk.Code
	}{
		"unknown profile":           {Options{Profile: "nope", ConfigFile: path}, "profile", sdk.CodeNotFound},
		"profile of another cloud":  {Options{Profile: "other", ConfigFile: path}, "profile", sdk.CodeInvalidArgument},
		"unknown setting in a file": {Options{Profile: "typo", ConfigFile: path}, "regoin", sdk.CodeInvalidArgument},
		"malformed file":            {Options{Profile: "main", ConfigFile: writeConfig(t, "profiles: [")}, "config_file", sdk.CodeInvalidArgument},
		"unknown key in the file":   {Options{Profile: "main", ConfigFile: writeConfig(t, "profils: {}")}, "config_file", sdk.CodeInvalidArgument},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := OpenInProcessWith(t.Context(), (&recordingPlugin{}).plugin(), nil, tc.opts)
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Param != tc.param {
				t.Fatalf("err = %v, want %s naming %q", err, tc.code, tc.param)
			}
		})
	}
	// YAML numbers are settings like any other.
	rec := &recordingPlugin{}
	p, err := OpenInProcessWith(t.Context(), rec.plugin(), nil, Options{Profile: "main", ConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if rec.got.Settings["retries"] != "3" || rec.got.Settings["region"] != "r1" {
		t.Fatalf("plugin got %v", rec.got.Settings)
	}
}

// OpenProfile through a real plugin binary, the config file found through
// $XDG_CONFIG_HOME: the default profile, a named one, and overrides.
func TestOpenProfile(t *testing.T) {
	plugins := t.TempDir()
	copyBinary(t, plugins)
	t.Setenv(PluginPathEnv, plugins)
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	if err := os.MkdirAll(filepath.Join(config, "cloudbridge"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got := ConfigPath(); got != filepath.Join(config, "cloudbridge", "config.yaml") {
		t.Fatalf("ConfigPath = %s", got)
	}
	os.WriteFile(ConfigPath(), []byte(`
default_profile: west
profiles:
  west: {provider: mock, settings: {region: mock-west-1}}
  east: {provider: mock, settings: {region: mock-east-1, zone: mock-east-1b}}
`), 0o600)
	for name, tc := range map[string]struct {
		profile      string
		overrides    Settings
		region, zone string
	}{
		"default profile":       {"", nil, "mock-west-1", "mock-west-1a"},
		"named profile":         {"east", nil, "mock-east-1", "mock-east-1b"},
		"override of a profile": {"east", Settings{"zone": "mock-east-1c"}, "mock-east-1", "mock-east-1c"},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := OpenProfile(t.Context(), tc.profile, tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if p.Name != "mock" || p.Region != tc.region || p.Zone != tc.zone {
				t.Fatalf("opened %s in %s/%s, want mock in %s/%s", p.Name, p.Region, p.Zone, tc.region, tc.zone)
			}
		})
	}
}
