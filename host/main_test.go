package host

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mockBinary is the mock plugin, built once for the tests that need a real
// plugin process.
var mockBinary string

func TestMain(m *testing.M) {
	if os.Getenv("CLOUDBRIDGE_TEST_HOST_HELPER") == "1" {
		hostHelper()
		return
	}
	dir, err := os.MkdirTemp("", "cloudbridge-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mockBinary = filepath.Join(dir, "cloudbridge-plugin-mock")
	build := exec.Command("go", "build", "-o", mockBinary, "../plugins/mock/cmd/cloudbridge-plugin-mock")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mock plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	if children := waitNoChildren(5 * time.Second); len(children) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: plugin processes outlived the tests: %v\n", children)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitNoChildren waits until this process has no child processes left (other
// than the go tool's), and returns the pids of those that stay.
func waitNoChildren(grace time.Duration) []int {
	deadline := time.Now().Add(grace)
	for {
		kids := children(os.Getpid())
		if len(kids) == 0 || time.Now().After(deadline) {
			return kids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// children lists the live child processes of pid from /proc (zombies excluded).
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state := procStat(child)
		if ppid == pid && state != "Z" {
			out = append(out, child)
		}
	}
	return out
}

// procStat returns a process's parent pid and state letter.
func procStat(pid int) (int, string) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1, ""
	}
	// The command name is in parentheses and may contain spaces.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	fields := strings.Fields(rest)
	if len(fields) < 2 {
		return -1, ""
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid, fields[0]
}

func alive(pid int) bool {
	_, state := procStat(pid)
	return state != "" && state != "Z"
}

// hostHelper is a host process for the orphan test: it opens the mock plugin,
// prints the plugin's pid and waits to be killed.
func hostHelper() {
	p, err := OpenWith(contextBackground(), "mock", nil, Options{Path: os.Getenv("CLOUDBRIDGE_TEST_PLUGIN")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(p.conn.client.ReattachConfig().Pid)
	bufio.NewReader(os.Stdin).ReadString('\n')
	os.Exit(0)
}
