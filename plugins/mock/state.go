package mock

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// stateVersion is the format of the state file; a file of another version is
// refused rather than misread.
const stateVersion = 1

// state is everything the cloud holds: one map per resource kind, keyed by id.
// It is what the state file contains. Each family adds its maps here; a map that
// is absent from an older file is created empty by init.
type state struct {
	Version int `json:"version"`

	Instances map[string]*instanceRecord     `json:"instances"`
	Images    map[string]*imageRecord        `json:"images"`
	KeyPairs  map[string]*sdk.KeyPair        `json:"key_pairs"`
	Firewalls map[string]*sdk.VMFirewall     `json:"vm_firewalls"`
	Rules     map[string]*sdk.VMFirewallRule `json:"vm_firewall_rules"`
	Volumes   map[string]*volumeRecord       `json:"volumes"`
	Snapshots map[string]*snapshotRecord     `json:"snapshots"`

	// Networking and DNS (networks.go … dns.go).
	Networks    map[string]*networkRecord  `json:"networks"`
	Subnets     map[string]*sdk.Subnet     `json:"subnets"`
	Routers     map[string]*sdk.Router     `json:"routers"`
	Gateways    map[string]*sdk.Gateway    `json:"internet_gateways"`
	FloatingIPs map[string]*sdk.FloatingIP `json:"floating_ips"`
	DNSZones    map[string]*sdk.DNSZone    `json:"dns_zones"`
	DNSRecords  map[string]*sdk.DNSRecord  `json:"dns_records"`

	// Object storage (buckets.go, objects.go, multipart.go): buckets by name,
	// objects by objectID, uploads by id. Object bytes are files in the data
	// directory (datadir.go), never in the state.
	Buckets map[string]*sdk.Bucket   `json:"buckets"`
	Objects map[string]*objectRecord `json:"objects"`
	Uploads map[string]*uploadRecord `json:"multipart_uploads"`

	// Tokens remembers idempotency tokens: tokenKey(kind, token) → what the first
	// create with that token made.
	Tokens map[string]*tokenRecord `json:"idempotency_tokens"`
}

func newState() *state {
	s := &state{Version: stateVersion}
	s.init()
	return s
}

// init makes every nil map empty.
func (s *state) init() {
	initMap(&s.Instances)
	initMap(&s.Images)
	initMap(&s.KeyPairs)
	initMap(&s.Firewalls)
	initMap(&s.Rules)
	initMap(&s.Volumes)
	initMap(&s.Snapshots)
	initMap(&s.Networks)
	initMap(&s.Subnets)
	initMap(&s.Routers)
	initMap(&s.Gateways)
	initMap(&s.FloatingIPs)
	initMap(&s.DNSZones)
	initMap(&s.DNSRecords)
	initMap(&s.Buckets)
	initMap(&s.Objects)
	initMap(&s.Uploads)
	initMap(&s.Tokens)
}

func initMap[K comparable, V any](m *map[K]V) {
	if *m == nil {
		*m = map[K]V{}
	}
}

// transition is a state change that happens by itself: from At on, the resource
// is in state To. Computing the state from the clock when it is read, instead of
// with timers, keeps the mock free of goroutines and makes the state file a
// complete description of the cloud.
type transition[S ~string] struct {
	To S         `json:"to,omitempty"`
	At time.Time `json:"at,omitzero"`
}

// apply returns the state at time now of a resource whose recorded state is cur.
func (tr transition[S]) apply(cur S, now time.Time) S {
	if tr.To != "" && !now.Before(tr.At) {
		return tr.To
	}
	return cur
}

// settle makes a transition that has happened permanent, before a change.
func settle[S ~string](cur *S, tr *transition[S], now time.Time) {
	*cur = tr.apply(*cur, now)
	if tr.To != "" && !now.Before(tr.At) {
		*tr = transition[S]{}
	}
}

// tokenRecord is what an idempotency token stands for.
type tokenRecord struct {
	ID string `json:"id"`
	// Spec is a digest of the create's arguments: the same token with different
	// arguments is a caller's bug, refused as clouds do (EC2's
	// IdempotentParameterMismatch).
	Spec string `json:"spec"`
	// Material is a generated private key, kept so that a retried key pair
	// create can still return it: the first answer never reached the caller.
	Material string `json:"material,omitempty"`
}

func tokenKey(kind, token string) string { return kind + "/" + token }

// specDigest digests a create's spec, without its token.
func specDigest(spec any) string {
	b, err := json.Marshal(spec)
	if err != nil {
		panic(fmt.Sprintf("mock: digest %T: %v", spec, err)) // specs are plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// replay looks an idempotency token up. It returns what the first create with
// it made, or nil if the token is new (or empty). A known token with other arguments is
// InvalidArgument.
func (s *state) replay(kind, token, digest string) (*tokenRecord, error) {
	if token == "" {
		return nil, nil
	}
	rec, ok := s.Tokens[tokenKey(kind, token)]
	if !ok {
		return nil, nil
	}
	if rec.Spec != digest {
		return nil, &sdk.Error{
			Code:         sdk.CodeInvalidArgument,
			Param:        "idempotency_token",
			Message:      fmt.Sprintf("idempotency token %q was used by an earlier %s create with other arguments", token, kind),
			ProviderCode: "IdempotentParameterMismatch",
		}
	}
	return rec, nil
}

// remember records that the create with token made id.
func (s *state) remember(kind, token, digest, id string) *tokenRecord {
	if token == "" {
		return nil
	}
	rec := &tokenRecord{ID: id, Spec: digest}
	s.Tokens[tokenKey(kind, token)] = rec
	return rec
}

// forget drops the tokens of a deleted resource: a token protects against making
// two resources, and once the one it made is gone there is nothing to return.
func (s *state) forget(kind, id string) {
	for k, rec := range s.Tokens {
		if rec.ID == id && strings.HasPrefix(k, kind+"/") {
			delete(s.Tokens, k)
		}
	}
}

// newID returns prefix + 12 random hex digits not yet in taken.
func newID[V any](prefix string, taken map[string]V) string {
	for {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("mock: crypto/rand failed: " + err.Error()) // never happens on Linux
		}
		id := prefix + hex.EncodeToString(b[:])
		if _, dup := taken[id]; !dup {
			return id
		}
	}
}

// readStateFile loads the state file; a missing file is an empty cloud.
func readStateFile(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, &sdk.Error{Code: sdk.CodeUnavailable, Param: "state_file", Message: "read state file: " + err.Error(), Err: err}
	}
	s := &state{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "state_file",
			Message: fmt.Sprintf("state file %s is damaged: %v", path, err), Err: err}
	}
	if s.Version != stateVersion {
		return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "state_file",
			Message: fmt.Sprintf("state file %s has format version %d; this mock reads version %d", path, s.Version, stateVersion)}
	}
	s.init()
	return s, nil
}

// writeStateFile replaces the state file atomically: a reader sees the old
// version or the new one, never half of one, and a crash leaves the old one.
func writeStateFile(path string, s *state) error {
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return &sdk.Error{Code: sdk.CodeInternal, Message: "encode state: " + err.Error(), Err: err}
	}
	fail := func(err error) error {
		return &sdk.Error{Code: sdk.CodeUnavailable, Param: "state_file", Message: "write state file: " + err.Error(), Err: err}
	}
	// CreateTemp makes the file 0600, which suits a file that may hold private keys.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fail(err)
	}
	return nil
}

// lockFile takes an exclusive flock on path, creating it if needed, and returns
// its release. flock, unlike fcntl locks, belongs to the open file, so two Clouds
// in one process exclude each other as two processes do. It polls rather than
// blocks so that the caller's context can end the wait.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &sdk.Error{Code: sdk.CodeUnavailable, Param: "state_file", Message: "open lock file: " + err.Error(), Err: err}
	}
	wait := 100 * time.Microsecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, &sdk.Error{Code: sdk.CodeUnavailable, Param: "state_file", Message: "lock state file: " + err.Error(), Err: err}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctxError(ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Millisecond)
	}
}
