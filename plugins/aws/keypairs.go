package aws

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// keyPairs implements sdk.KeyPairs over EC2 key pairs. A key pair's id is its
// name, as in CloudBridge (EC2's key-… id is in Extra["key_pair_id"]).
type keyPairs struct{ c *Cloud }

func keyPairFromEC2(k ec2types.KeyPairInfo) sdk.KeyPair {
	kp := sdk.KeyPair{
		ID:          aws.ToString(k.KeyName),
		Name:        aws.ToString(k.KeyName),
		Fingerprint: aws.ToString(k.KeyFingerprint),
		PublicKey:   strings.TrimSpace(aws.ToString(k.PublicKey)),
		CreateTime:  aws.ToTime(k.CreateTime),
		Extra:       extraTags(map[string]string{}, k.Tags),
	}
	if v := aws.ToString(k.KeyPairId); v != "" {
		kp.Extra["key_pair_id"] = v
	}
	if k.KeyType != "" {
		kp.Extra["key_type"] = string(k.KeyType)
	}
	return kp
}

// describe lists every key pair, or those named: EC2 does not page key pairs.
func (s *keyPairs) describe(ctx context.Context, cl *clients, names ...string) ([]sdk.KeyPair, error) {
	out, err := cl.ec2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: names, IncludePublicKey: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	var kps []sdk.KeyPair
	for _, k := range out.KeyPairs {
		// Names are matched here too, exactly: a filter is a request, and the
		// answer is checked against it.
		if len(names) == 0 || slices.Contains(names, aws.ToString(k.KeyName)) {
			kps = append(kps, keyPairFromEC2(k))
		}
	}
	return kps, nil
}

func (s *keyPairs) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.KeyPair], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.KeyPair]{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, err
	}
	kps, err := s.describe(ctx, cl)
	if err != nil {
		return sdk.Page[sdk.KeyPair]{}, cl.mapError(err)
	}
	return sdk.Paginate(kps, opts, func(k sdk.KeyPair) string { return k.ID })
}

func (s *keyPairs) Get(ctx context.Context, id string) (sdk.KeyPair, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.KeyPair{}, err
	}
	return s.get(ctx, cl, id)
}

func (s *keyPairs) get(ctx context.Context, cl *clients, id string) (sdk.KeyPair, error) {
	if id == "" {
		return sdk.KeyPair{}, sdk.NotFound("key pair", id)
	}
	kps, err := s.describe(ctx, cl, id)
	if err != nil {
		return sdk.KeyPair{}, cl.lookupError(err, "key pair", id)
	}
	if len(kps) == 0 {
		return sdk.KeyPair{}, sdk.NotFound("key pair", id)
	}
	return kps[0], nil
}

// Create generates a key pair (EC2 makes the key and hands out the private
// key once) or imports a public key. A retry with the same idempotency token
// finds the key pair by the token tag; its private key cannot be had again.
func (s *keyPairs) Create(ctx context.Context, spec sdk.KeyPairSpec) (sdk.KeyPair, error) {
	if err := sdk.ValidateName("name", spec.Name); err != nil {
		return sdk.KeyPair{}, err
	}
	var pub string
	if spec.PublicKeyMaterial != "" {
		// Checked here, so that a bad key is refused saying what is wrong
		// with it, before EC2 sees it.
		if _, err := sdk.ParseAuthorizedKey(spec.PublicKeyMaterial); err != nil {
			return sdk.KeyPair{}, err
		}
		pub = spec.PublicKeyMaterial
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.KeyPair{}, err
	}
	tags := tagSpecs(ec2types.ResourceTypeKeyPair, "", "", spec.IdempotencyToken)
	if pub != "" {
		out, err := cl.ec2.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{
			KeyName: aws.String(spec.Name), PublicKeyMaterial: []byte(pub), TagSpecifications: tags,
		})
		if err != nil {
			return s.replayed(ctx, cl, spec, err)
		}
		kp, err := s.get(ctx, cl, aws.ToString(out.KeyName))
		if err != nil {
			// Eventual consistency: the answer of the import is enough.
			kp = sdk.KeyPair{ID: spec.Name, Name: spec.Name, Fingerprint: aws.ToString(out.KeyFingerprint),
				Extra: map[string]string{"key_pair_id": aws.ToString(out.KeyPairId)}}
		}
		if kp.PublicKey == "" {
			kp.PublicKey = strings.TrimSpace(pub)
		}
		return kp, nil
	}
	out, err := cl.ec2.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{
		KeyName: aws.String(spec.Name), KeyType: ec2types.KeyTypeRsa, KeyFormat: ec2types.KeyFormatPem,
		TagSpecifications: tags,
	})
	if err != nil {
		return s.replayed(ctx, cl, spec, err)
	}
	kp, err := s.get(ctx, cl, aws.ToString(out.KeyName))
	if err != nil {
		kp = sdk.KeyPair{ID: spec.Name, Name: spec.Name, Fingerprint: aws.ToString(out.KeyFingerprint),
			Extra: map[string]string{"key_pair_id": aws.ToString(out.KeyPairId)}}
	}
	kp.Material = aws.ToString(out.KeyMaterial)
	return kp, nil
}

// replayed handles a failed create: a duplicate name made by an earlier call
// with the same idempotency token is that call's key pair; any other
// duplicate is AlreadyExists.
func (s *keyPairs) replayed(ctx context.Context, cl *clients, spec sdk.KeyPairSpec, createErr error) (sdk.KeyPair, error) {
	if spec.IdempotencyToken != "" && isCode(createErr, "InvalidKeyPair.Duplicate") {
		out, err := cl.ec2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{spec.Name}, IncludePublicKey: aws.Bool(true)})
		if err == nil {
			for _, k := range out.KeyPairs {
				if aws.ToString(k.KeyName) == spec.Name && hasTag(k.Tags, tagToken, spec.IdempotencyToken) {
					return keyPairFromEC2(k), nil
				}
			}
		}
	}
	err := cl.mapError(createErr)
	return sdk.KeyPair{}, wrapf(err, "create key pair %q", spec.Name)
}

// Delete deletes a key pair. EC2's DeleteKeyPair succeeds for a name that does
// not exist, so the key pair is looked up first: a missing one is NotFound,
// as the contract wants.
func (s *keyPairs) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := s.get(ctx, cl, id); err != nil {
		return err
	}
	_, err = cl.ec2.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(id)})
	return cl.lookupError(err, "key pair", id)
}
