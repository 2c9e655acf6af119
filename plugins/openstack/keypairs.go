package openstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// keyPairs are Nova key pairs; a key pair's id is its name. Nova stopped
// generating keys (microversion 2.92), so a key pair without public key
// material is generated here, RSA-2048 as CloudBridge does, and its public
// half imported; the private half is returned once and never stored.
type keyPairs struct{ c *Cloud }

// keyPairListOpts adds Nova's paging parameters (microversion 2.35), which
// gophercloud's ListOpts lacks.
type keyPairListOpts struct {
	Limit  int    `q:"limit"`
	Marker string `q:"marker"`
}

func (o keyPairListOpts) ToKeyPairListQuery() (string, error) {
	q, err := gophercloud.BuildQueryString(o)
	if err != nil {
		return "", err
	}
	return q.String(), nil
}

func (s *keyPairs) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.KeyPair], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, err
	}
	_, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, err
	}
	page, err := firstPage(ctx, keypairs.List(sc, keyPairListOpts{Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, listError(err, "list key pairs", marker)
	}
	kps, err := extract(page, keypairs.ExtractKeyPairs)
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, convertError(err, "read key pairs", "")
	}
	items := make([]sdk.KeyPair, len(kps))
	for i, kp := range kps {
		items[i] = keyPairOf(kp)
	}
	return cutPage(items, size, func(k sdk.KeyPair) string { return k.Name }), nil
}

func (s *keyPairs) Get(ctx context.Context, id string) (sdk.KeyPair, error) {
	_, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.KeyPair{}, err
	}
	if id == "" {
		return sdk.KeyPair{}, notFound("id", "key pair", id)
	}
	kp, err := keypairs.Get(ctx, sc, id, nil).Extract()
	if err != nil {
		return sdk.KeyPair{}, convertError(err, "get key pair "+quote(id), "")
	}
	return keyPairOf(*kp), nil
}

func (s *keyPairs) Create(ctx context.Context, spec sdk.KeyPairSpec) (sdk.KeyPair, error) {
	if err := sdk.ValidateName("name", spec.Name); err != nil {
		return sdk.KeyPair{}, err
	}
	_, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.KeyPair{}, err
	}
	var private, public string
	mark := tokenMark(spec.IdempotencyToken)
	if spec.PublicKeyMaterial != "" {
		if public, err = checkAuthorizedKey(spec.PublicKeyMaterial); err != nil {
			return sdk.KeyPair{}, err
		}
	} else {
		// A retried create is recognised by the token's mark, kept as the
		// public key's comment.
		if private, public, err = generateKey(first(mark, spec.Name)); err != nil {
			return sdk.KeyPair{}, &sdk.Error{Code: sdk.CodeInternal, Message: "generate key: " + err.Error()}
		}
	}
	kp, err := keypairs.Create(ctx, sc, keypairs.CreateOpts{Name: spec.Name, PublicKey: public, Type: "ssh"}).Extract()
	if statusOf(err) == 409 {
		if existing, gerr := keypairs.Get(ctx, sc, spec.Name, nil).Extract(); gerr == nil && sameRequest(existing.PublicKey, public, mark) {
			return keyPairOf(*existing), nil
		}
	}
	if err != nil {
		return sdk.KeyPair{}, withParam(convertError(err, "create key pair "+quote(spec.Name), sdk.CodeAlreadyExists), "name")
	}
	out := keyPairOf(*kp)
	out.Material = private
	return out, nil
}

// sameRequest says whether an existing key pair is what a retried create
// made: a generated key carrying the token's mark, or an imported key that is
// the same key.
func sameRequest(existing, public, mark string) bool {
	ef, pf := strings.Fields(existing), strings.Fields(public)
	if len(ef) < 2 || len(pf) < 2 {
		return false
	}
	if mark != "" && len(ef) >= 3 && ef[2] == mark {
		return true
	}
	return mark != "" && ef[0] == pf[0] && ef[1] == pf[1]
}

func (s *keyPairs) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return err
	}
	if id == "" {
		return notFound("id", "key pair", id)
	}
	return convertError(keypairs.Delete(ctx, sc, id, nil).ExtractErr(), "delete key pair "+quote(id), "")
}

func keyPairOf(kp keypairs.KeyPair) sdk.KeyPair {
	out := sdk.KeyPair{ID: kp.Name, Name: kp.Name, Fingerprint: kp.Fingerprint, PublicKey: kp.PublicKey}
	if kp.Type != "" {
		out.Extra = map[string]string{"type": kp.Type}
	}
	return out
}

// generateKey makes an RSA-2048 key: the private key as PKCS#1 PEM and the
// public key in authorized_keys form with the given comment.
func generateKey(comment string) (private, public string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	private = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	blob := sshString(nil, []byte("ssh-rsa"))
	blob = sshMPInt(blob, big.NewInt(int64(key.E)))
	blob = sshMPInt(blob, key.N)
	return private, "ssh-rsa " + base64.StdEncoding.EncodeToString(blob) + " " + comment, nil
}

func sshString(b, s []byte) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
}

func sshMPInt(b []byte, n *big.Int) []byte {
	m := n.Bytes()
	if len(m) > 0 && m[0]&0x80 != 0 {
		m = append([]byte{0}, m...)
	}
	return sshString(b, m)
}

// checkAuthorizedKey checks the shape of a public key in authorized_keys form
// (type, base64 blob whose first field names the same type, comment) and
// returns it trimmed; Nova checks the key itself.
func checkAuthorizedKey(pub string) (string, error) {
	pub = strings.TrimSpace(pub)
	bad := func(reason string) error { return sdk.InvalidArgument("public_key_material", pub, reason) }
	f := strings.Fields(pub)
	if len(f) < 2 {
		return "", bad(`not a public key in authorized_keys form ("ssh-rsa AAAA... comment")`)
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return "", bad("the key is not base64")
	}
	if len(blob) < 4 {
		return "", bad("the key is too short")
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) {
		return "", bad("the key blob is truncated")
	}
	if kind := blob[4 : 4+n]; !bytes.Equal(kind, []byte(f[0])) {
		return "", bad(fmt.Sprintf("the key says it is %q, not %q", kind, f[0]))
	}
	return pub, nil
}
