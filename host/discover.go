package host

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// BinaryPrefix starts the file name of every plugin binary.
const BinaryPrefix = "cloudbridge-plugin-"

// PluginPathEnv lists extra plugin directories, colon-separated.
const PluginPathEnv = "CLOUDBRIDGE_PLUGIN_PATH"

// SearchDirs returns the directories searched for plugins, in order (DESIGN §5):
// $CLOUDBRIDGE_PLUGIN_PATH, the directory of the running executable, then
// $XDG_DATA_HOME/cloudbridge/plugins. The working directory is never searched.
func SearchDirs() []string {
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv(PluginPathEnv)) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if exe, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		dirs = append(dirs, filepath.Dir(exe))
	}
	if data := xdgDataHome(); data != "" {
		dirs = append(dirs, filepath.Join(data, "cloudbridge", "plugins"))
	}
	return dirs
}

func xdgDataHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share")
	}
	return ""
}

// FindPlugin returns the path of the plugin binary for a provider name, searching
// SearchDirs in order. A name containing a path separator is taken as a path.
func FindPlugin(name string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) {
		return checkExecutable(name)
	}
	if err := validPluginName(name); err != nil {
		return "", err
	}
	dirs := SearchDirs()
	for _, dir := range dirs {
		path := filepath.Join(dir, BinaryPrefix+name)
		if p, err := checkExecutable(path); err == nil {
			return p, nil
		}
	}
	return "", &Error{Code: "NotFound", Param: "plugin", Message: fmt.Sprintf(
		"plugin %q not found: no executable %s%s in %s (set %s or pass a path)",
		name, BinaryPrefix, name, strings.Join(dirs, ", "), PluginPathEnv)}
}

func validPluginName(name string) error {
	if name == "" || strings.ContainsAny(name, " \t/\\") {
		return &Error{Code: "InvalidArgument", Param: "plugin", Message: fmt.Sprintf("invalid plugin name %q", name)}
	}
	return nil
}

func checkExecutable(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", &Error{Code: "NotFound", Param: "plugin", Message: fmt.Sprintf("plugin binary %s: %v", path, err), Err: err}
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", &Error{Code: "InvalidArgument", Param: "plugin", Message: fmt.Sprintf("plugin binary %s is not an executable file", path)}
	}
	return filepath.Abs(path)
}

// Description is what a plugin binary says of itself through `describe`.
type Description struct {
	Path             string        `json:"path"`
	Name             string        `json:"name"`
	Version          string        `json:"version"`
	SDKVersion       string        `json:"sdk_version"`
	ProtocolVersions []int         `json:"protocol_versions"`
	Capabilities     []string      `json:"capabilities"`
	Settings         []SettingInfo `json:"settings"`
}

// SettingInfo documents one provider setting.
type SettingInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Secret      bool     `json:"secret,omitempty"`
	Required    bool     `json:"required,omitempty"`
	Default     string   `json:"default,omitempty"`
	Env         []string `json:"env,omitempty"`
}

// Describe runs `<binary> describe` (no handshake, no configuration) and parses
// its JSON.
func Describe(ctx context.Context, path string) (Description, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Description{}, fmt.Errorf("describe %s: %w (stderr: %s)", path, err, strings.TrimSpace(stderr.String()))
	}
	var d Description
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		return Description{}, fmt.Errorf("describe %s: invalid JSON: %w", path, err)
	}
	d.Path = path
	return d, nil
}

// ListPlugins describes every plugin binary found in SearchDirs. A name found in
// several directories is listed once, from the first; binaries that fail to
// describe themselves are returned in the error list, not silently dropped.
func ListPlugins(ctx context.Context) ([]Description, []error) {
	seen := map[string]bool{}
	var found []Description
	var errs []error
	for _, dir := range SearchDirs() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), BinaryPrefix)
			if !ok || seen[name] || e.IsDir() {
				continue
			}
			path, err := checkExecutable(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			seen[name] = true
			d, err := Describe(ctx, path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			found = append(found, d)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	return found, errs
}

// pinnedChecksum returns the sha256 pinned for a binary in a SHA256SUMS file
// beside it (the `sha256sum` output format), or nil when there is none.
func pinnedChecksum(path string) ([]byte, error) {
	f, err := os.Open(filepath.Join(filepath.Dir(path), "SHA256SUMS"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base := filepath.Base(path)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || strings.TrimPrefix(fields[1], "*") != base {
			continue
		}
		sum, err := hex.DecodeString(fields[0])
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("SHA256SUMS beside %s: bad checksum for %s", path, base)
		}
		return sum, nil
	}
	return nil, sc.Err()
}
