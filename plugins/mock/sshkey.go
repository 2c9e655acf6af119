package mock

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// The few pieces of the SSH public key format (RFC 4253 §6.6, RFC 5656,
// RFC 8709) a key pair service needs, written out so that the mock depends on
// the standard library only.

// maxPublicKeyMaterial bounds an imported key: an RSA-16384 key in
// authorized_keys form is under 3 KiB.
const maxPublicKeyMaterial = 16 << 10

// sshPublicKey is a parsed public key.
type sshPublicKey struct {
	// blob is the key in SSH wire format.
	blob []byte
}

// authorizedKey is the key in authorized_keys form, without a comment.
func (k sshPublicKey) authorizedKey() string {
	typ, _, _ := readSSHString(k.blob)
	return string(typ) + " " + base64.StdEncoding.EncodeToString(k.blob)
}

// fingerprint is OpenSSH's default fingerprint, what `ssh-keygen -l` prints:
// "SHA256:" and the unpadded base64 SHA-256 of the wire-format key.
func (k sshPublicKey) fingerprint() string {
	sum := sha256.Sum256(k.blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// generateRSAKey makes an RSA-2048 key pair, CloudBridge's kind, and returns it
// with the private key as PEM (PKCS #1, "RSA PRIVATE KEY", as EC2 hands it out).
func generateRSAKey() (sshPublicKey, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return sshPublicKey{}, "", err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return rsaPublicKey(&key.PublicKey), string(pemKey), nil
}

func rsaPublicKey(pub *rsa.PublicKey) sshPublicKey {
	var b []byte
	b = appendSSHString(b, []byte("ssh-rsa"))
	b = appendSSHMPInt(b, big.NewInt(int64(pub.E)))
	b = appendSSHMPInt(b, pub.N)
	return sshPublicKey{blob: b}
}

// parseAuthorizedKey parses one public key in authorized_keys form
// ("ssh-ed25519 AAAA... comment"), without options. It accepts RSA (1024 to
// 16384 bits), Ed25519 and ECDSA keys on the NIST curves, and checks the key
// itself, not only its framing.
func parseAuthorizedKey(s string) (sshPublicKey, error) {
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return sshPublicKey{}, errors.New(`want "<type> <base64 key> [comment]", as in an authorized_keys file`)
	}
	typ := fields[0]
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return sshPublicKey{}, errors.New("the key is not valid base64")
	}
	inner, rest, err := readSSHString(blob)
	if err != nil {
		return sshPublicKey{}, err
	}
	if string(inner) != typ {
		return sshPublicKey{}, fmt.Errorf("the key says it is %q, not %q", inner, typ)
	}
	switch typ {
	case "ssh-rsa":
		var e, n *big.Int
		if e, rest, err = readSSHMPInt(rest); err == nil {
			n, rest, err = readSSHMPInt(rest)
		}
		switch {
		case err != nil:
			return sshPublicKey{}, err
		case e.Sign() <= 0 || e.Bit(0) == 0 || e.BitLen() > 31 || e.Int64() < 3:
			return sshPublicKey{}, errors.New("the RSA public exponent is invalid")
		case n.BitLen() < 1024 || n.BitLen() > 16384:
			return sshPublicKey{}, fmt.Errorf("an RSA key must have 1024 to 16384 bits, not %d", n.BitLen())
		}
	case "ssh-ed25519":
		var k []byte
		if k, rest, err = readSSHString(rest); err != nil {
			return sshPublicKey{}, err
		}
		if len(k) != 32 {
			return sshPublicKey{}, fmt.Errorf("an Ed25519 key has 32 bytes, not %d", len(k))
		}
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		curves := map[string]ecdh.Curve{"nistp256": ecdh.P256(), "nistp384": ecdh.P384(), "nistp521": ecdh.P521()}
		var name, point []byte
		if name, rest, err = readSSHString(rest); err == nil {
			point, rest, err = readSSHString(rest)
		}
		if err != nil {
			return sshPublicKey{}, err
		}
		if want := strings.TrimPrefix(typ, "ecdsa-sha2-"); string(name) != want {
			return sshPublicKey{}, fmt.Errorf("the key's curve %q does not match its type %q", name, typ)
		}
		if _, err := curves[string(name)].NewPublicKey(point); err != nil {
			return sshPublicKey{}, errors.New("the ECDSA point is not on the curve")
		}
	default:
		return sshPublicKey{}, fmt.Errorf("unsupported key type %q; use ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp256/384/521", typ)
	}
	if len(rest) != 0 {
		return sshPublicKey{}, errors.New("the key has trailing data")
	}
	return sshPublicKey{blob: blob}, nil
}

var errShortKey = errors.New("the key is truncated")

func readSSHString(b []byte) (s, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, errShortKey
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, errShortKey
	}
	return b[4 : 4+n], b[4+n:], nil
}

// readSSHMPInt reads a non-negative mpint.
func readSSHMPInt(b []byte) (*big.Int, []byte, error) {
	s, rest, err := readSSHString(b)
	if err != nil {
		return nil, nil, err
	}
	if len(s) > 0 && s[0]&0x80 != 0 {
		return nil, nil, errors.New("the key holds a negative number")
	}
	return new(big.Int).SetBytes(s), rest, nil
}

func appendSSHString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendSSHMPInt appends a non-negative mpint: big-endian, minimal, with a zero
// byte in front when the top bit is set (else it would read as negative).
func appendSSHMPInt(b []byte, n *big.Int) []byte {
	m := n.Bytes()
	if len(m) > 0 && m[0]&0x80 != 0 {
		m = append([]byte{0}, m...)
	}
	return appendSSHString(b, m)
}
