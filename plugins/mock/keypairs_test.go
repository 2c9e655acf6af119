package mock

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
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

func TestKeyPairGenerate(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	kp, err := p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: "gen-key"})
	if err != nil {
		t.Fatal(err)
	}
	if kp.ID != "gen-key" || kp.Name != "gen-key" || kp.CreateTime.IsZero() {
		t.Errorf("key pair = %+v", kp)
	}
	block, _ := pem.Decode([]byte(kp.Material))
	if block == nil {
		t.Fatalf("Material is not PEM: %q", kp.Material)
	}
	priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil || priv.N.BitLen() != 2048 {
		t.Fatalf("Material is not an RSA-2048 private key: %v", err)
	}
	if want, _ := sdk.NewSSHPublicKey(&priv.PublicKey); kp.PublicKey != want.AuthorizedKey() {
		t.Errorf("PublicKey = %q; want the private key's, %q", kp.PublicKey, want.AuthorizedKey())
	}
	if !strings.HasPrefix(kp.Fingerprint, "SHA256:") {
		t.Errorf("Fingerprint = %q", kp.Fingerprint)
	}
	// The fingerprint is the one OpenSSH computes.
	if path, err := exec.LookPath("ssh-keygen"); err == nil {
		file := filepath.Join(t.TempDir(), "key.pub")
		if err := os.WriteFile(file, []byte(kp.PublicKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(path, "-l", "-E", "sha256", "-f", file).Output()
		if err != nil {
			t.Fatalf("ssh-keygen -l: %v", err)
		}
		if fields := strings.Fields(string(out)); len(fields) < 2 || fields[1] != kp.Fingerprint {
			t.Errorf("ssh-keygen says %q; Fingerprint = %q", out, kp.Fingerprint)
		}
	}

	// The private key is in the create's answer only.
	got, err := p.Security.KeyPairs.Get(ctx, kp.ID)
	if err != nil || got.Material != "" || got.PublicKey != kp.PublicKey || got.Fingerprint != kp.Fingerprint {
		t.Fatalf("Get = %+v, %v; want the key pair without Material", got, err)
	}
	page, err := p.Security.KeyPairs.List(ctx, sdk.ListOptions{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Material != "" {
		t.Fatalf("List = %+v, %v", page, err)
	}

	_, err = p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: "gen-key"})
	wantErr(t, err, sdk.CodeAlreadyExists, "name")

	if err := p.Security.KeyPairs.Delete(ctx, kp.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.Security.KeyPairs.Get(ctx, kp.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
}

// A retried generating create gets the private key again: the first answer was lost.
func TestKeyPairRetryKeepsMaterial(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	spec := sdk.KeyPairSpec{Name: "retried", IdempotencyToken: "tok"}
	first, err := p.Security.KeyPairs.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Security.KeyPairs.Create(ctx, spec)
	if err != nil || again.Material == "" || again.Material != first.Material || again.Fingerprint != first.Fingerprint {
		t.Fatalf("retry = %+v, %v; want the first answer", again, err)
	}
}

func TestKeyPairImport(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	for _, tt := range []struct{ name, key, print string }{
		{"ed25519", ed25519Key, ed25519Print},
		{"ecdsa", ecdsaKey, ecdsaPrint},
		{"rsa", rsaKey, rsaPrint},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: "imported-" + tt.name, PublicKeyMaterial: tt.key})
			if err != nil {
				t.Fatal(err)
			}
			fields := strings.Fields(tt.key)
			if kp.Material != "" || kp.Fingerprint != tt.print || kp.PublicKey != fields[0]+" "+fields[1] {
				t.Errorf("imported = %+v; want no Material, fingerprint %s, the key without its comment", kp, tt.print)
			}
		})
	}
}

func TestKeyPairCreateErrors(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	// Every way a key can be bad is sdk's to check (sdk/sshkey_test.go);
	// these show that the mock refuses a bad key as it refuses a bad name.
	ed := strings.Fields(ed25519Key)[1]
	for _, tt := range []struct {
		name, keyName, material, param string
	}{
		{"bad name", "Bad_Name", "", "name"},
		{"ip-like name", "192.168.5.4", "", "name"},
		{"garbage", "key-1", "not a key", "public_key_material"},
		{"not base64", "key-2", "ssh-ed25519 %%%", "public_key_material"},
		{"type mismatch", "key-3", "ssh-rsa " + ed, "public_key_material"},
		{"private key", "key-9", "-----BEGIN OPENSSH PRIVATE KEY-----", "public_key_material"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: tt.keyName, PublicKeyMaterial: tt.material})
			wantErr(t, err, sdk.CodeInvalidArgument, tt.param)
		})
	}
	if page, _ := p.Security.KeyPairs.List(ctx, sdk.ListOptions{}); len(page.Items) != 0 {
		t.Errorf("failed creates made %d key pairs", len(page.Items))
	}
}

// Paging returns every key pair exactly once, in id order, whatever the page size.
func TestKeyPairPaging(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	const n = 57
	for i := range n {
		if _, err := p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: fmt.Sprintf("key-%03d", i), PublicKeyMaterial: ed25519Key}); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []int{1, 5, 56, 57, 0} {
		t.Run(fmt.Sprint("size ", size), func(t *testing.T) {
			seen := map[string]int{}
			var order []string
			token, pages := "", 0
			for {
				page, err := p.Security.KeyPairs.List(ctx, sdk.ListOptions{PageSize: size, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if pages++; pages > n+1 {
					t.Fatal("paging does not end")
				}
				if size > 0 && len(page.Items) > size {
					t.Fatalf("page of %d items; asked for %d", len(page.Items), size)
				}
				for _, k := range page.Items {
					seen[k.ID]++
					order = append(order, k.ID)
				}
				if token = page.NextPageToken; token == "" {
					break
				}
			}
			if len(seen) != n || len(order) != n {
				t.Fatalf("%d distinct of %d returned; want %d once each", len(seen), len(order), n)
			}
			for i, id := range order {
				if want := fmt.Sprintf("key-%03d", i); id != want {
					t.Fatalf("item %d is %s; want %s", i, id, want)
				}
			}
		})
	}
	_, err := p.Security.KeyPairs.List(ctx, sdk.ListOptions{PageToken: "bogus!"})
	wantErr(t, err, sdk.CodeInvalidArgument, "page_token")
}
