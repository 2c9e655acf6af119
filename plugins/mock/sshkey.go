package mock

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// generateRSAKey makes an RSA-2048 key pair, CloudBridge's kind, and returns it
// with the private key as PEM (PKCS #1, "RSA PRIVATE KEY", as EC2 hands it out).
// Parsing and fingerprints of SSH keys are sdk's (sdk.ParseAuthorizedKey).
func generateRSAKey() (sdk.SSHPublicKey, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return sdk.SSHPublicKey{}, "", err
	}
	pub, err := sdk.NewSSHPublicKey(&key.PublicKey)
	if err != nil {
		return sdk.SSHPublicKey{}, "", err
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return pub, string(pemKey), nil
}
