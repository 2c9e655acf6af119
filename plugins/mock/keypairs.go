package mock

import (
	"context"
	"fmt"
	"maps"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// keyPairs implements sdk.KeyPairs. A key pair's id is its name. Fingerprints
// are OpenSSH's SHA256 form ("SHA256:…", as `ssh-keygen -l` prints) for
// generated and imported keys alike.
type keyPairs struct{ c *Cloud }

func keyPairView(k *sdk.KeyPair) sdk.KeyPair {
	v := *k
	v.Extra = maps.Clone(v.Extra)
	return v
}

func (s *keyPairs) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.KeyPair], error) {
	var all []sdk.KeyPair
	err := s.c.read(ctx, func(t *txn) error {
		for _, k := range t.KeyPairs {
			all = append(all, keyPairView(k))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, err
	}
	return sdk.Paginate(all, opts, func(k sdk.KeyPair) string { return k.ID })
}

func (s *keyPairs) Get(ctx context.Context, id string) (sdk.KeyPair, error) {
	var kp sdk.KeyPair
	err := s.c.read(ctx, func(t *txn) error {
		k, ok := t.KeyPairs[id]
		if !ok {
			return sdk.NotFound("key pair", id)
		}
		kp = keyPairView(k)
		return nil
	})
	return kp, err
}

// Create imports spec.PublicKeyMaterial if it is set, and otherwise generates an
// RSA-2048 key whose private half (PEM) is in Material of this answer only. An
// existing name is AlreadyExists, unless the create is a retry with the same
// idempotency token, which gets the first answer again, private key included.
func (s *keyPairs) Create(ctx context.Context, spec sdk.KeyPairSpec) (sdk.KeyPair, error) {
	if err := sdk.ValidateName("name", spec.Name); err != nil {
		return sdk.KeyPair{}, err
	}
	var imported *sdk.SSHPublicKey
	if spec.PublicKeyMaterial != "" {
		k, err := sdk.ParseAuthorizedKey(spec.PublicKeyMaterial)
		if err != nil {
			return sdk.KeyPair{}, err
		}
		imported = &k
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	cfg, err := s.c.begin(ctx)
	if err != nil {
		return sdk.KeyPair{}, err
	}
	// Generating a key takes tens of milliseconds: do it outside the lock, and
	// not at all when the answer is known without it.
	var kp sdk.KeyPair
	check := func(t *txn) (done bool, err error) {
		if rec, err := t.replay("key_pair", token, digest); err != nil || rec != nil {
			if rec != nil {
				kp = keyPairView(t.KeyPairs[rec.ID])
				kp.Material = rec.Material
			}
			return true, err
		}
		if _, dup := t.KeyPairs[spec.Name]; dup {
			return true, &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name",
				Message: fmt.Sprintf("key pair %q already exists", spec.Name)}
		}
		return false, nil
	}
	var done bool
	err = s.c.locked(ctx, cfg, false, func(t *txn) (err error) {
		done, err = check(t)
		return err
	})
	if done || err != nil {
		return kp, err
	}

	pub, material := imported, ""
	if pub == nil {
		k, pem, err := generateRSAKey()
		if err != nil {
			return sdk.KeyPair{}, &sdk.Error{Code: sdk.CodeInternal, Message: "generate key: " + err.Error(), Err: err}
		}
		pub, material = &k, pem
	}

	err = s.c.locked(ctx, cfg, true, func(t *txn) error {
		// Someone may have made the name, or used the token, meanwhile.
		if done, err := check(t); done {
			return err
		}
		k := &sdk.KeyPair{
			ID: spec.Name, Name: spec.Name, Fingerprint: pub.FingerprintSHA256(),
			PublicKey: pub.AuthorizedKey(), CreateTime: t.now,
		}
		t.KeyPairs[k.ID] = k
		if rec := t.remember("key_pair", token, digest, k.ID); rec != nil {
			rec.Material = material
		}
		kp = keyPairView(k)
		kp.Material = material
		return nil
	})
	return kp, err
}

func (s *keyPairs) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.KeyPairs[id]; !ok {
			return sdk.NotFound("key pair", id)
		}
		delete(t.KeyPairs, id)
		t.forget("key_pair", id)
		return nil
	})
}
