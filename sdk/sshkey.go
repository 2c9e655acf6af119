package sdk

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// The few pieces of the SSH public key format (RFC 4253 §6.6, RFC 5656,
// RFC 8709) a key pair service needs, written out on the standard library so
// that a plugin can check an imported key, and say what is wrong with it,
// before its cloud sees it:
//
//	k, err := sdk.ParseAuthorizedKey(spec.PublicKeyMaterial)
//	if err != nil {
//		return sdk.KeyPair{}, err // InvalidArgument naming public_key_material
//	}
//	kp.PublicKey, kp.Fingerprint = k.AuthorizedKey(), k.FingerprintSHA256()

// MaxPublicKeyMaterial bounds an imported key: an RSA-16384 key in
// authorized_keys form is under 3 KiB.
const MaxPublicKeyMaterial = 16 << 10

// SSHPublicKey is a parsed, checked SSH public key. Its zero value is no key.
type SSHPublicKey struct {
	// blob is the key in SSH wire format.
	blob []byte
}

// ParseAuthorizedKey parses one public key in authorized_keys form
// ("ssh-ed25519 AAAA... comment"), without options. It accepts RSA (1024 to
// 16384 bits), Ed25519 and ECDSA keys on the NIST curves, and checks the key
// itself, not only its framing. A bad key is InvalidArgument naming
// public_key_material, with the reason.
func ParseAuthorizedKey(s string) (SSHPublicKey, error) {
	if len(s) > MaxPublicKeyMaterial {
		return SSHPublicKey{}, validationError("public_key_material", s,
			fmt.Sprintf("must be at most %d bytes, longer than any SSH public key", MaxPublicKeyMaterial))
	}
	k, err := parseAuthorizedKey(s)
	if err != nil {
		return SSHPublicKey{}, validationError("public_key_material", s, err.Error())
	}
	return k, nil
}

func parseAuthorizedKey(s string) (SSHPublicKey, error) {
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return SSHPublicKey{}, errors.New(`want "<type> <base64 key> [comment]", as in an authorized_keys file`)
	}
	typ := fields[0]
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return SSHPublicKey{}, errors.New("the key is not valid base64")
	}
	inner, rest, err := readSSHString(blob)
	if err != nil {
		return SSHPublicKey{}, err
	}
	if string(inner) != typ {
		return SSHPublicKey{}, fmt.Errorf("the key says it is %q, not %q", inner, typ)
	}
	switch typ {
	case "ssh-rsa":
		var e, n *big.Int
		if e, rest, err = readSSHMPInt(rest); err == nil {
			n, rest, err = readSSHMPInt(rest)
		}
		switch {
		case err != nil:
			return SSHPublicKey{}, err
		case e.Sign() <= 0 || e.Bit(0) == 0 || e.BitLen() > 31 || e.Int64() < 3:
			return SSHPublicKey{}, errors.New("the RSA public exponent is invalid")
		case n.BitLen() < 1024 || n.BitLen() > 16384:
			return SSHPublicKey{}, fmt.Errorf("an RSA key must have 1024 to 16384 bits, not %d", n.BitLen())
		}
	case "ssh-ed25519":
		var k []byte
		if k, rest, err = readSSHString(rest); err != nil {
			return SSHPublicKey{}, err
		}
		if len(k) != ed25519.PublicKeySize {
			return SSHPublicKey{}, fmt.Errorf("an Ed25519 key has 32 bytes, not %d", len(k))
		}
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		curves := map[string]ecdh.Curve{"nistp256": ecdh.P256(), "nistp384": ecdh.P384(), "nistp521": ecdh.P521()}
		var name, point []byte
		if name, rest, err = readSSHString(rest); err == nil {
			point, rest, err = readSSHString(rest)
		}
		if err != nil {
			return SSHPublicKey{}, err
		}
		if want := strings.TrimPrefix(typ, "ecdsa-sha2-"); string(name) != want {
			return SSHPublicKey{}, fmt.Errorf("the key's curve %q does not match its type %q", name, typ)
		}
		if _, err := curves[string(name)].NewPublicKey(point); err != nil {
			return SSHPublicKey{}, errors.New("the ECDSA point is not on the curve")
		}
	default:
		return SSHPublicKey{}, fmt.Errorf("unsupported key type %q; use ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp256/384/521", typ)
	}
	if len(rest) != 0 {
		return SSHPublicKey{}, errors.New("the key has trailing data")
	}
	return SSHPublicKey{blob: blob}, nil
}

// NewSSHPublicKey converts a Go public key (*rsa.PublicKey, ed25519.PublicKey
// or *ecdsa.PublicKey on P-256, P-384 or P-521) to its SSH form, as for a key
// a plugin generates itself.
func NewSSHPublicKey(pub crypto.PublicKey) (SSHPublicKey, error) {
	var b []byte
	switch k := pub.(type) {
	case *rsa.PublicKey:
		b = appendSSHString(b, []byte("ssh-rsa"))
		b = appendSSHMPInt(b, big.NewInt(int64(k.E)))
		b = appendSSHMPInt(b, k.N)
	case ed25519.PublicKey:
		b = appendSSHString(b, []byte("ssh-ed25519"))
		b = appendSSHString(b, k)
	case *ecdsa.PublicKey:
		names := map[elliptic.Curve]string{elliptic.P256(): "nistp256", elliptic.P384(): "nistp384", elliptic.P521(): "nistp521"}
		name, ok := names[k.Curve]
		if !ok {
			return SSHPublicKey{}, errors.New("ECDSA keys must be on P-256, P-384 or P-521")
		}
		point, err := k.Bytes()
		if err != nil {
			return SSHPublicKey{}, err
		}
		b = appendSSHString(b, []byte("ecdsa-sha2-"+name))
		b = appendSSHString(b, []byte(name))
		b = appendSSHString(b, point)
	default:
		return SSHPublicKey{}, fmt.Errorf("unsupported public key type %T", pub)
	}
	return SSHPublicKey{blob: b}, nil
}

// Type is the key's type, such as "ssh-ed25519"; "" for the zero value.
func (k SSHPublicKey) Type() string {
	typ, _, _ := readSSHString(k.blob)
	return string(typ)
}

// Marshal returns the key in SSH wire format (a copy).
func (k SSHPublicKey) Marshal() []byte { return append([]byte(nil), k.blob...) }

// AuthorizedKey is the key in authorized_keys form, without a comment.
func (k SSHPublicKey) AuthorizedKey() string {
	return k.Type() + " " + base64.StdEncoding.EncodeToString(k.blob)
}

// FingerprintSHA256 is OpenSSH's default fingerprint, what `ssh-keygen -l`
// prints: "SHA256:" and the unpadded base64 SHA-256 of the wire-format key.
// (EC2 shows other fingerprints: an MD5 of the key for imported RSA keys, a
// SHA-1 of the private key for ones it made.)
func (k SSHPublicKey) FingerprintSHA256() string {
	sum := sha256.Sum256(k.blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
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
