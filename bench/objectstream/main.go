// Command objectstream streams one large object up to a real plugin binary
// and back down through the host library, and reports the throughput of each
// direction and the memory of both processes, to show that object bytes are
// streamed and never held whole: the resident set of neither process may grow
// by more than a few chunks, whatever the object's size.
//
//	go run ./bench/objectstream -plugin bin/cloudbridge-plugin-mock -size 1GiB
//
// See README.md for what is measured and how to read it.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func main() {
	plugin := flag.String("plugin", "bin/cloudbridge-plugin-mock", "plugin binary to stream through")
	sizeFlag := flag.String("size", "1GiB", "object size: bytes, or with a KiB, MiB or GiB suffix")
	verify := flag.Bool("verify", true, "hash the bytes on both ways and compare the SHA-256 digests (costs host CPU)")
	interval := flag.Duration("sample", 20*time.Millisecond, "how often to sample the processes' resident set")
	var sets setFlags
	flag.Var(&sets, "set", "plugin setting key=value (repeatable), e.g. -set data_dir=/var/tmp/x")
	flag.Parse()

	size, err := parseSize(*sizeFlag)
	if err != nil {
		fail(err)
	}
	if err := run(*plugin, size, *verify, *interval, host.Settings(sets)); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "objectstream:", err)
	os.Exit(1)
}

func run(pluginPath string, size int64, verify bool, interval time.Duration, settings host.Settings) error {
	ctx := context.Background()
	abs, err := filepath.Abs(pluginPath)
	if err != nil {
		return err
	}
	d, err := host.Describe(ctx, abs)
	if err != nil {
		return err
	}
	p, err := host.OpenWith(ctx, d.Name, settings, host.Options{Path: abs})
	if err != nil {
		return err
	}
	defer p.Close()
	pluginPID, err := childPID(abs)
	if err != nil {
		return err
	}

	bucketName := fmt.Sprintf("objectstream-%d", time.Now().UnixNano()%1_000_000_000)
	b, err := p.Storage.Buckets.Create(ctx, sdk.BucketSpec{Name: bucketName})
	if err != nil {
		return err
	}
	defer func() { _ = b.Delete(context.Background(), true) }()

	self := os.Getpid()
	baseHost, baseHostErr := rss(self)
	basePlugin, basePluginErr := rss(pluginPID)
	if baseHostErr != nil || basePluginErr != nil {
		return fmt.Errorf("read resident set: %v %v", baseHostErr, basePluginErr)
	}
	sampler := startSampler(interval, self, pluginPID)

	fmt.Printf("plugin %s %s (pid %d), object %s, verify %v\n", d.Name, d.Version, pluginPID, human(size), verify)

	// Up: the body is generated as it is read, so the host holds no copy.
	var body io.Reader = io.LimitReader(rand.NewChaCha8([32]byte{42}), size)
	upHash := sha256.New()
	if verify {
		body = io.TeeReader(body, upHash)
	}
	start := time.Now()
	info, err := b.Objects.Put(ctx, "stream.bin", body, host.PutOptions{Size: size})
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	up := time.Since(start)
	upSum := hex.EncodeToString(upHash.Sum(nil))
	upPeak := sampler.reset()

	// Down: read into a hash (or discard).
	_, rc, err := b.Objects.Get(ctx, "stream.bin")
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	downHash := sha256.New()
	var sink io.Writer = io.Discard
	if verify {
		sink = downHash
	}
	start = time.Now()
	n, err := io.Copy(sink, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	down := time.Since(start)
	downPeak := sampler.stop()

	hwmHost, _ := procStatus(self, "VmHWM")
	hwmPlugin, _ := procStatus(pluginPID, "VmHWM")

	fmt.Printf("\n%-6s %10s %12s %20s %20s\n", "", "time", "throughput", "host RSS peak (+Δ)", "plugin RSS peak (+Δ)")
	row := func(name string, d time.Duration, peak [2]int64) {
		fmt.Printf("%-6s %10s %8.0f MB/s %20s %20s\n", name, d.Round(time.Millisecond), float64(size)/d.Seconds()/1e6,
			fmt.Sprintf("%s (+%s)", human(peak[0]), human(peak[0]-baseHost)),
			fmt.Sprintf("%s (+%s)", human(peak[1]), human(peak[1]-basePlugin)))
	}
	row("up", up, upPeak)
	row("down", down, downPeak)
	fmt.Printf("\nbaseline RSS before streaming: host %s, plugin %s\n", human(baseHost), human(basePlugin))
	fmt.Printf("VmHWM (peak RSS over each process's life): host %s, plugin %s\n", human(hwmHost), human(hwmPlugin))

	if n != size || info.Size != size {
		return fmt.Errorf("sizes differ: put %d, stored %d, read %d", size, info.Size, n)
	}
	if verify {
		downSum := hex.EncodeToString(downHash.Sum(nil))
		fmt.Printf("sha256: sent %s, plugin %s, received %s\n", upSum, orDash(info.SHA256), downSum)
		if downSum != upSum || (info.SHA256 != "" && info.SHA256 != upSum) {
			return fmt.Errorf("digests differ")
		}
	}
	return nil
}

// sampler polls the resident set of the host and the plugin and keeps the
// highest reading of each since the last reset.
type sampler struct {
	mu   sync.Mutex
	peak [2]int64
	done chan struct{}
	wg   sync.WaitGroup
}

func startSampler(interval time.Duration, pids ...int) *sampler {
	s := &sampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			for i, pid := range pids[:2] {
				if v, err := rss(pid); err == nil {
					s.mu.Lock()
					s.peak[i] = max(s.peak[i], v)
					s.mu.Unlock()
				}
			}
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) reset() [2]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peak
	s.peak = [2]int64{}
	return p
}

func (s *sampler) stop() [2]int64 {
	close(s.done)
	s.wg.Wait()
	return s.reset()
}

// rss is a process's resident set in bytes.
func rss(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

// procStatus reads a "<field>: N kB" line of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		return kb << 10, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// childPID finds the plugin process: the child of this process running exe.
func childPID(exe string) (int, error) {
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The fields after the command (in parentheses): state, ppid, …
		i := strings.LastIndexByte(string(stat), ')')
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(self) {
			continue
		}
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && target == exe {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child process runs %s", exe)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = v, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func human(b int64) string {
	switch {
	case b >= 1<<30 || b <= -1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20 || b <= -1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", b>>10)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// setFlags collects -set key=value.
type setFlags map[string]string

func (s *setFlags) String() string { return fmt.Sprint(map[string]string(*s)) }

func (s *setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, not %q", v)
	}
	if *s == nil {
		*s = setFlags{}
	}
	(*s)[k] = val
	return nil
}
