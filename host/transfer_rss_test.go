package host

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTransfer200MiBThroughThePluginBinary is issue 6's "done when": a 200 MiB
// object goes up and comes down through the transfer manager and the real
// mock plugin process, the sha256 matches both ways, and neither process's
// memory grows with the object. It runs with the default configuration
// (threshold 100 MiB, parts of 50 MiB, 5 at a time: 4 parts of the object in
// parallel) and with parts of 8 MiB, 4 at a time, where the part buffers are
// a fraction of the object. Each phase may grow the host's RSS by its part
// buffers (none for a file download, which writes ranges in place) twice
// over, the GC letting garbage reach the live heap before it collects, plus
// 64 MiB for streams and runtime (twice that with the race detector's shadow
// memory); the plugin's peak must stay within 96 MiB. It logs throughput, CPU
// time and the peak RSS and heap of both processes. Under the race detector
// (make test) only the 8 MiB configuration runs.
func TestTransfer200MiBThroughThePluginBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 1.2 GiB through a plugin process; run without -short")
	}
	const size = 200 << 20
	for _, k := range []string{EnvMultipartThreshold, EnvMultipartPartSize, EnvMultipartConcurrency} {
		t.Setenv(k, "") // the defaults, whatever the caller's environment
	}
	ctx := t.Context()
	p, err := OpenWith(ctx, "mock", Settings{"data_dir": t.TempDir()}, Options{Path: mockBinary})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pluginPid := p.conn.client.ReattachConfig().Pid
	bucket, err := p.Storage.Buckets.Create(ctx, BucketSpec{Name: "transfer-rss"})
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Delete(context.WithoutCancel(ctx), true)
	objs := bucket.Objects

	for _, tc := range []struct {
		name string
		cfg  TransferConfig
	}{
		{"defaults", TransferConfig{}},
		{"8 MiB parts", TransferConfig{PartSize: 8 << 20, Concurrency: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if raceEnabled && tc.name == "defaults" {
				t.Skip("half a minute under the race detector, whose shadow memory blurs the RSS figures; go test without -race runs it")
			}
			cfg, err := objs.transferConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			inFlight := min(int64(cfg.Concurrency), (size+cfg.PartSize-1)/cfg.PartSize)
			buffers := inFlight * cfg.PartSize
			limit := func(buffers int64) int64 {
				if raceEnabled {
					return 4*buffers + 128<<20
				}
				return 2*buffers + 64<<20
			}
			t.Logf("%d parts of %d MiB, %d at a time", (size+cfg.PartSize-1)/cfg.PartSize, cfg.PartSize>>20, inFlight)

			want := ""
			measure(t, "upload from a stream", pluginPid, size, limit(buffers), func() {
				src := newStream(size)
				info, err := objs.Upload(ctx, "big.bin", src, UploadOptions{Size: size, Transfer: tc.cfg})
				if err != nil {
					t.Fatal(err)
				}
				want = src.sum()
				if info.Size != size || info.SHA256 != "" && info.SHA256 != want {
					t.Fatalf("stored %d bytes with sha256 %s, sent %d with %s", info.Size, info.SHA256, size, want)
				}
			})
			for up, err := range objs.ListMultipartUploads(ctx, "") {
				t.Fatalf("a multipart upload was left behind: %+v, %v", up, err)
			}

			path := filepath.Join(t.TempDir(), "big.bin")
			measure(t, "download to a file", pluginPid, size, limit(0), func() {
				if _, err := objs.DownloadFile(ctx, "big.bin", path, DownloadOptions{Transfer: tc.cfg}); err != nil {
					t.Fatal(err)
				}
			})
			if got := fileSum(t, path); got != want {
				t.Fatalf("downloaded file sha256 %s, uploaded %s", got, want)
			}
			os.Remove(path)

			measure(t, "download to a writer", pluginPid, size, limit(buffers), func() {
				h := sha256.New()
				if _, err := objs.Download(ctx, "big.bin", h, DownloadOptions{Transfer: tc.cfg}); err != nil {
					t.Fatal(err)
				}
				if got := hex.EncodeToString(h.Sum(nil)); got != want {
					t.Fatalf("downloaded sha256 %s, uploaded %s", got, want)
				}
			})
		})
	}
}

// pluginRSSLimit bounds the plugin's peak RSS while it streams (DESIGN §7
// aims at 64 MiB).
const pluginRSSLimit = 96 << 20

// measure runs a transfer of size bytes from a collected heap, logs its
// throughput and the peak memory of the host and of the plugin during it, and
// fails if the host's RSS grew by more than hostLimit or the plugin's peaked
// above pluginRSSLimit. Peaks are VmHWM, reset before the phase through
// /proc/<pid>/clear_refs.
func measure(t *testing.T, phase string, pluginPid int, size, hostLimit int64, run func()) {
	t.Helper()
	debug.FreeOSMemory()
	self := os.Getpid()
	resetPeak(t, self)
	resetPeak(t, pluginPid)
	hostBase, pluginBase := procKiB(t, self, "VmRSS"), procKiB(t, pluginPid, "VmRSS")
	heap := sampleHeap()
	hostCPU, pluginCPU := cpuTime(t, self), cpuTime(t, pluginPid)
	start := time.Now()
	run()
	elapsed := time.Since(start)
	hostCPU, pluginCPU = cpuTime(t, self)-hostCPU, cpuTime(t, pluginPid)-pluginCPU
	heapPeak := heap()
	hostPeak, pluginPeak := procKiB(t, self, "VmHWM"), procKiB(t, pluginPid, "VmHWM")
	t.Logf("%-20s %4.0f MiB/s in %v (CPU: host %v, plugin %v); host RSS %3d MiB, peak +%3d MiB (limit +%d), heap peak %3d MiB; plugin RSS %2d MiB, peak %2d MiB",
		phase+":", float64(size)/(1<<20)/elapsed.Seconds(), elapsed.Round(time.Millisecond), hostCPU, pluginCPU,
		hostBase>>20, (hostPeak-hostBase)>>20, hostLimit>>20, heapPeak>>20, pluginBase>>20, pluginPeak>>20)
	if grew := hostPeak - hostBase; grew > hostLimit {
		t.Errorf("%s: host RSS grew by %d MiB, limit %d MiB", phase, grew>>20, hostLimit>>20)
	}
	if pluginPeak > pluginRSSLimit {
		t.Errorf("%s: plugin RSS peaked at %d MiB, limit %d MiB", phase, pluginPeak>>20, pluginRSSLimit>>20)
	}
}

// resetPeak resets a process's VmHWM to its current RSS.
func resetPeak(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Skipf("cannot reset peak RSS on this system: %v", err)
	}
}

// cpuTime returns the user and system CPU time a process has used, from
// /proc/<pid>/stat (in clock ticks of 10ms).
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procKiB reads a memory field of /proc/<pid>/status, in bytes.
func procKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// sampleHeap samples the live heap every few milliseconds until the returned
// function is called, which returns the peak.
func sampleHeap() func() int64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			peak = max(peak, int64(samples[0].Value.Uint64()))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	return func() int64 {
		close(stop)
		wg.Wait()
		return peak
	}
}

// stream is size pseudo-random bytes, hashed as they are read, never held
// whole; it hides its size (no Len or Seek), as a network stream would.
type stream struct {
	rng  *rand.ChaCha8
	left int64
	h    hash.Hash
}

func newStream(size int64) *stream {
	return &stream{rng: rand.NewChaCha8([32]byte{42}), left: size, h: sha256.New()}
}

func (s *stream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.left)]
	s.rng.Read(p)
	s.h.Write(p)
	s.left -= int64(len(p))
	return len(p), nil
}

func (s *stream) sum() string { return hex.EncodeToString(s.h.Sum(nil)) }

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
