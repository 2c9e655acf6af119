package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Objects up and down through the CLI and the mock plugin binary: a small
// file in one request, a large one in parts and back in ranges, to a file and
// to stdout, listed, presigned and deleted.
func TestObjectsSession(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	c.ok("buckets", "create", "cli-objects")

	small := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(small, []byte("hello, objects\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	errOut := c.decode(&info, "objects", "upload", "cli-objects", "docs/notes.txt", small)
	wantField(t, "upload small", info, "key", "docs/notes.txt")
	wantField(t, "upload small", info, "size", 15)
	wantField(t, "upload small", info, "content_type", "text/plain; charset=utf-8")
	wantContains(t, "upload small stderr", errOut, "uploaded 15 B in ")

	big := make([]byte, 12<<20+3)
	rand.Read(big)
	bigFile := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(bigFile, big, 0o600); err != nil {
		t.Fatal(err)
	}
	errOut = c.decode(&info, "objects", "upload", "cli-objects", "data/big.bin", bigFile,
		"--threshold", "6MiB", "--part-size", "5MiB", "--concurrency", "2", "--metadata", "origin=test")
	wantField(t, "upload big", info, "size", float64(len(big)))
	if etag, _ := info["etag"].(string); !strings.HasSuffix(etag, "-3") {
		t.Errorf("upload big: etag %q, want a multipart etag of 3 parts", etag)
	}
	wantField(t, "upload big", info, "metadata", map[string]any{"origin": "test"})
	wantContains(t, "upload big stderr", errOut, "uploaded 12.0 MiB in ")
	if strings.ContainsAny(errOut, "\r\x1b") {
		t.Errorf("progress to a non-terminal has control characters: %q", errOut)
	}

	var listing objectListing
	c.decode(&listing, "objects", "list", "cli-objects")
	if len(listing.Objects) != 2 || listing.Objects[0].Key != "data/big.bin" || listing.Objects[1].Key != "docs/notes.txt" || len(listing.CommonPrefixes) != 0 {
		t.Errorf("objects list = %+v", listing)
	}
	c.decode(&listing, "objects", "list", "cli-objects", "--delimiter", "/")
	if len(listing.Objects) != 0 || strings.Join(listing.CommonPrefixes, ",") != "data/,docs/" {
		t.Errorf("objects list --delimiter / = %+v, want the prefixes data/ and docs/", listing)
	}
	c.decode(&listing, "objects", "list", "cli-objects", "--prefix", "docs/")
	if len(listing.Objects) != 1 || listing.Objects[0].Key != "docs/notes.txt" {
		t.Errorf("objects list --prefix docs/ = %+v", listing)
	}
	table := c.ok("objects", "list", "cli-objects", "--delimiter", "/")
	wantContains(t, "objects list table", table, "KEY", "data/", "PRE")

	out := filepath.Join(dir, "big.out")
	_, errOut = c.succeed("objects", "download", "cli-objects", "data/big.bin", out, "--threshold", "1MiB", "--part-size", "1MiB", "--concurrency", "3")
	if got, _ := os.ReadFile(out); !bytes.Equal(got, big) {
		t.Errorf("downloaded file differs from the upload (%d bytes, want %d)", len(got), len(big))
	}
	wantContains(t, "download stderr", errOut, "downloaded 12.0 MiB in ")
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*.cbpart")); len(leftovers) != 0 {
		t.Errorf("scratch files left: %v", leftovers)
	}

	stdout, errOut := c.succeed("objects", "download", "cli-objects", "data/big.bin", "-", "--part-size", "4MiB", "--threshold", "1")
	if stdout != string(big) {
		t.Errorf("download to stdout: %d bytes, want exactly the object's %d", len(stdout), len(big))
	}
	wantContains(t, "download - stderr", errOut, "downloaded 12.0 MiB in ")

	stdout, errOut = c.succeed("objects", "presign", "cli-objects", "docs/notes.txt", "--expires", "5m")
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "http") {
		t.Errorf("presign stdout %q, want the URL alone", stdout)
	}
	wantContains(t, "presign stderr", errOut, "GET URL, valid until ")
	// Decoded here, not with c.object: the keys of "headers" are HTTP header
	// names, not snake_case.
	var put map[string]any
	stdout, _ = c.succeed("objects", "presign", "cli-objects", "up.txt", "--put", "--content-type", "text/plain", "-o", "json")
	if err := json.Unmarshal([]byte(stdout), &put); err != nil {
		t.Fatalf("presign --put -o json: %v\n%s", err, stdout)
	}
	wantField(t, "presign --put", put, "method", "PUT")
	wantField(t, "presign --put", put, "headers", map[string]any{"Content-Type": "text/plain"})
	if exp, err := time.Parse(time.RFC3339, put["expires_at"].(string)); err != nil || time.Until(exp) > 16*time.Minute || time.Until(exp) < 14*time.Minute {
		t.Errorf("presign --put expires_at %v (%v), want the default 15m from now", put["expires_at"], err)
	}

	c.ok("objects", "delete", "cli-objects", "data/big.bin")
	c.decode(&listing, "objects", "list", "cli-objects")
	if len(listing.Objects) != 1 {
		t.Errorf("objects list after delete = %+v", listing)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "download of a deleted object", c.fails("objects", "download", "cli-objects", "data/big.bin", out), "NotFound", "data/big.bin")
	if got, _ := os.ReadFile(out); !bytes.Equal(got, big) {
		t.Error("a failed download changed the existing file")
	}
}

func TestObjectsBadArguments(t *testing.T) {
	c := newCLI(t)
	c.ok("buckets", "create", "cli-objects-bad")
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"objects", "upload", "cli-objects-bad", "k", file, "--part-size", "1MiB"}, []string{"InvalidArgument", "part_size", "1048576"}},
		{[]string{"objects", "upload", "cli-objects-bad", "k", file, "--part-size", "ten"}, []string{`invalid argument "ten"`, "--part-size"}},
		{[]string{"objects", "upload", "cli-objects-bad", "k", file, "--concurrency", "-1"}, []string{"InvalidArgument", "concurrency"}},
		{[]string{"objects", "upload", "cli-objects-bad", "k", filepath.Join(t.TempDir(), "missing")}, []string{"NotFound", "missing"}},
		{[]string{"objects", "upload", "no-such-bucket", "k", file}, []string{"NotFound", "no-such-bucket"}},
		{[]string{"objects", "upload", "cli-objects-bad", "k", file, "--metadata", "novalue"}, []string{`--metadata "novalue"`}},
		{[]string{"objects", "download", "cli-objects-bad", "missing", "-"}, []string{"NotFound", "missing"}},
		{[]string{"objects", "download", "cli-objects-bad", "k"}, []string{"accepts 3 arg(s), received 2"}},
		{[]string{"objects", "presign", "cli-objects-bad", "k", "--content-type", "text/plain"}, []string{"--content-type is for --put"}},
		{[]string{"objects", "presign", "cli-objects-bad", "k", "--expires", "0s"}, []string{"InvalidArgument", "expires_in"}},
		{[]string{"objects", "list", "cli-objects-bad", "-o", "yaml"}, []string{`unknown --output "yaml"`}},
	} {
		wantContains(t, strings.Join(tc.args, " "), c.fails(tc.args...), tc.want...)
	}
	var listing objectListing
	if c.decode(&listing, "objects", "list", "cli-objects-bad"); len(listing.Objects) != 0 {
		t.Errorf("failed uploads stored %+v", listing.Objects)
	}
}

// `objects upload … -` reads standard input, of unknown size.
func TestObjectsUploadFromStdin(t *testing.T) {
	c := newCLI(t)
	c.ok("buckets", "create", "cli-objects-stdin")
	body := make([]byte, 7<<20)
	rand.Read(body)
	root := newRootCommand()
	var stdout, stderr bytes.Buffer
	root.SetArgs([]string{"-p", "mock", "--plugin-path", mockPlugin, "--set", "state_file=" + c.state, "-o", "json",
		"objects", "upload", "cli-objects-stdin", "piped.bin", "-", "--part-size", "5MiB", "--threshold", "5MiB"})
	root.SetIn(io.MultiReader(bytes.NewReader(body))) // no Len: a pipe's unknown size
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("upload from stdin: %v\n%s", err, stderr.String())
	}
	wantContains(t, "upload - stdout", stdout.String(), `"size": 7340032`, `-2"`) // two parts
	if got, _ := c.succeed("objects", "download", "cli-objects-stdin", "piped.bin", "-"); got != string(body) {
		t.Errorf("downloaded %d bytes, want the %d piped in", len(got), len(body))
	}
}
