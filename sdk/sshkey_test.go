package sdk

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Keys made with ssh-keygen, with the fingerprints `ssh-keygen -l` prints for them.
const (
	ed25519Key   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPEXUcxJkANPHM7bH6k4ZvZUpAVA+ZiaarTurKGVsAf alice@example"
	ed25519Print = "SHA256:3sb4NYxMByhePi48CUvbmhFHIc79ZyccVmpi6WGDJpQ"
	ecdsaKey     = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDttC82MJugPnR1x0wekHp24Tn9cU3lb7B2pkVqPqM0bAOT/P73ByTBXh+k/H/7lfCyCjy0zNMnGl/TE2gCTK3Q="
	ecdsaPrint   = "SHA256:rysxkTCRJLxAPex2Pt2J6egjVzPGcEdTWLQImwxjO6o"
	rsaKey       = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC6cMChsX+vU3QuVKPo6PW8Wx3B4v9pDvHpE5e+YqKgYYP7yeJiZfMaE3ze+uTHUCb5gmKHaTfROHcM9ZL+miKqsoG6eBtl3l5/IrLdHMraHor2vNA83JfBqHwnFFCrkHs5PeyswQ/KhoCoqphwefyYcxrhDx8EmuNpaLe8MNg+6w=="
	rsaPrint     = "SHA256:mJZ+X+2Rf4dkGhrIxxSVielmB30LEOcSNeJ2j75/C04"
)

func TestParseAuthorizedKey(t *testing.T) {
	for _, tt := range []struct{ name, key, typ, print string }{
		{"ed25519", ed25519Key, "ssh-ed25519", ed25519Print},
		{"ecdsa", ecdsaKey, "ecdsa-sha2-nistp256", ecdsaPrint},
		{"rsa", rsaKey, "ssh-rsa", rsaPrint},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseAuthorizedKey(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			fields := strings.Fields(tt.key)
			if k.Type() != tt.typ || k.FingerprintSHA256() != tt.print || k.AuthorizedKey() != fields[0]+" "+fields[1] {
				t.Errorf("key = %s %s %s; want type %s, fingerprint %s, the key without its comment",
					k.Type(), k.FingerprintSHA256(), k.AuthorizedKey(), tt.typ, tt.print)
			}
			if want, _ := base64.StdEncoding.DecodeString(fields[1]); string(k.Marshal()) != string(want) {
				t.Errorf("Marshal is not the wire-format key")
			}
		})
	}
}

func TestParseAuthorizedKeyErrors(t *testing.T) {
	blob := func(parts ...[]byte) string {
		var b []byte
		for _, part := range parts {
			b = appendSSHString(b, part)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	small := new(big.Int).Lsh(big.NewInt(1), 511)
	rsa512 := "ssh-rsa " + base64.StdEncoding.EncodeToString(
		appendSSHMPInt(appendSSHMPInt(appendSSHString(nil, []byte("ssh-rsa")), big.NewInt(65537)), small))
	ed := strings.Fields(ed25519Key)[1]
	for _, tt := range []struct{ name, material, reason string }{
		{"empty", "", "want"},
		{"garbage", "not a key", "base64"},
		{"not base64", "ssh-ed25519 %%%", "base64"},
		{"type mismatch", "ssh-rsa " + ed, "says it is"},
		{"short blob", "ssh-ed25519 " + base64.StdEncoding.EncodeToString(appendSSHString(nil, []byte("ssh-ed25519"))[:6]), "truncated"},
		{"short ed25519", "ssh-ed25519 " + blob([]byte("ssh-ed25519"), make([]byte, 31)), "32 bytes"},
		{"trailing data", "ssh-ed25519 " + blob([]byte("ssh-ed25519"), make([]byte, 32), []byte("x")), "trailing"},
		{"unsupported type", "ssh-dss " + blob([]byte("ssh-dss")), "unsupported"},
		{"rsa-512", rsa512, "1024 to 16384 bits"},
		{"even rsa exponent", "ssh-rsa " + base64.StdEncoding.EncodeToString(
			appendSSHMPInt(appendSSHMPInt(appendSSHString(nil, []byte("ssh-rsa")), big.NewInt(65536)), small)), "exponent"},
		{"off-curve ecdsa", "ecdsa-sha2-nistp256 " + blob([]byte("ecdsa-sha2-nistp256"), []byte("nistp256"), append([]byte{4}, make([]byte, 64)...)), "curve"},
		{"curve mismatch", "ecdsa-sha2-nistp256 " + blob([]byte("ecdsa-sha2-nistp256"), []byte("nistp384"), []byte{4}), "does not match"},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----", "base64"},
		{"too long", "ssh-ed25519 " + strings.Repeat("A", MaxPublicKeyMaterial), "at most"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAuthorizedKey(tt.material)
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidArgument || e.Param != "public_key_material" {
				t.Fatalf("err = %v; want InvalidArgument naming public_key_material", err)
			}
			if !strings.Contains(e.Message, tt.reason) {
				t.Errorf("message %q does not say %q", e.Message, tt.reason)
			}
		})
	}
}

// A key made from a Go public key parses back to itself, and OpenSSH computes
// the same fingerprint for it.
func TestNewSSHPublicKey(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, pub := range map[string]any{"rsa": &rsaKey.PublicKey, "ed25519": edPub, "ecdsa": &ecKey.PublicKey} {
		t.Run(name, func(t *testing.T) {
			k, err := NewSSHPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseAuthorizedKey(k.AuthorizedKey() + " comment")
			if err != nil {
				t.Fatalf("the key made does not parse: %v", err)
			}
			if back.FingerprintSHA256() != k.FingerprintSHA256() {
				t.Errorf("fingerprints differ after a round trip")
			}
			path, err := exec.LookPath("ssh-keygen")
			if err != nil {
				return
			}
			file := filepath.Join(t.TempDir(), "key.pub")
			if err := os.WriteFile(file, []byte(k.AuthorizedKey()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(path, "-l", "-E", "sha256", "-f", file).Output()
			if err != nil {
				t.Fatalf("ssh-keygen -l: %v", err)
			}
			if fields := strings.Fields(string(out)); len(fields) < 2 || fields[1] != k.FingerprintSHA256() {
				t.Errorf("ssh-keygen says %q; FingerprintSHA256 = %q", out, k.FingerprintSHA256())
			}
		})
	}
	if _, err := NewSSHPublicKey("not a key"); err == nil {
		t.Errorf("NewSSHPublicKey accepted a string")
	}
}
