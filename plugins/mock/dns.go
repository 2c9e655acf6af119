package mock

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The DNS family keeps zones and record sets as Route 53 and Designate do:
// names are fully qualified with their trailing dot, a record set is one name
// and type with one or more values, and each value is checked against its
// type's syntax.

// DefaultTTL is the TTL of a record set created with TTL 0.
const DefaultTTL = 300

// maxTXTLength is the longest TXT or SPF value accepted, Route 53's limit.
const maxTXTLength = 4000

// dnsZones implements sdk.DNSZones.
type dnsZones struct{ c *Cloud }

func zoneView(z *sdk.DNSZone) sdk.DNSZone {
	v := *z
	v.Extra = maps.Clone(v.Extra)
	return v
}

func (s *dnsZones) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.DNSZone], error) {
	var all []sdk.DNSZone
	err := s.c.read(ctx, func(t *txn) error {
		for _, z := range t.DNSZones {
			all = append(all, zoneView(z))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, err
	}
	return sdk.Paginate(all, opts, func(z sdk.DNSZone) string { return z.ID })
}

func (s *dnsZones) Get(ctx context.Context, id string) (sdk.DNSZone, error) {
	var out sdk.DNSZone
	err := s.c.read(ctx, func(t *txn) error {
		z, ok := t.DNSZones[id]
		if !ok {
			return sdk.NotFound("dns zone", id)
		}
		out = zoneView(z)
		return nil
	})
	return out, err
}

// Create makes a zone. The name is kept in canonical form, lowercase with its
// trailing dot; a second zone of the same name is AlreadyExists. The admin
// email is optional (Route 53 has none) but checked when given.
func (s *dnsZones) Create(ctx context.Context, spec sdk.DNSZoneSpec) (sdk.DNSZone, error) {
	name, err := sdk.NormalizeZoneName(spec.Name)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	spec.Name = name
	if spec.AdminEmail != "" {
		if err := sdk.ValidateEmail("admin_email", spec.AdminEmail); err != nil {
			return sdk.DNSZone{}, err
		}
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.DNSZone{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var out sdk.DNSZone
	err = s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("dns_zone", token, digest); err != nil || rec != nil {
			if rec != nil {
				out = zoneView(t.DNSZones[rec.ID])
			}
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(t.DNSZones)) {
			if t.DNSZones[id].Name == name {
				return &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name",
					Message: fmt.Sprintf("dns zone %s already exists (%s)", name, id)}
			}
		}
		id := newID("zone-", t.DNSZones)
		z := &sdk.DNSZone{ID: id, Name: name, AdminEmail: spec.AdminEmail, Description: spec.Description, CreateTime: t.now}
		t.DNSZones[id] = z
		t.remember("dns_zone", token, digest, id)
		out = zoneView(z)
		return nil
	})
	return out, err
}

// Delete deletes a zone and every record of it.
func (s *dnsZones) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.DNSZones[id]; !ok {
			return sdk.NotFound("dns zone", id)
		}
		for rid, r := range t.DNSRecords {
			if r.ZoneID == id {
				delete(t.DNSRecords, rid)
				t.forget("dns_record", rid)
			}
		}
		delete(t.DNSZones, id)
		t.forget("dns_zone", id)
		return nil
	})
}

// dnsRecords implements sdk.DNSRecords.
type dnsRecords struct{ c *Cloud }

func recordView(r *sdk.DNSRecord) sdk.DNSRecord {
	v := *r
	v.Data = slices.Clone(v.Data)
	v.Extra = maps.Clone(v.Extra)
	return v
}

// zone returns zone id, named by the zone_id argument.
func (t *txn) zone(id string) (*sdk.DNSZone, error) {
	z, ok := t.DNSZones[id]
	if !ok {
		return nil, missing("zone_id", "dns zone", id)
	}
	return z, nil
}

// List lists the records of a zone, which must exist.
func (s *dnsRecords) List(ctx context.Context, zoneID string, opts sdk.ListOptions) (sdk.Page[sdk.DNSRecord], error) {
	var all []sdk.DNSRecord
	err := s.c.read(ctx, func(t *txn) error {
		if _, err := t.zone(zoneID); err != nil {
			return err
		}
		for _, r := range t.DNSRecords {
			if r.ZoneID == zoneID {
				all = append(all, recordView(r))
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	return sdk.Paginate(all, opts, func(r sdk.DNSRecord) string { return r.ID })
}

func (s *dnsRecords) Get(ctx context.Context, zoneID, id string) (sdk.DNSRecord, error) {
	var out sdk.DNSRecord
	err := s.c.read(ctx, func(t *txn) error {
		if _, err := t.zone(zoneID); err != nil {
			return err
		}
		r, ok := t.DNSRecords[id]
		if !ok || r.ZoneID != zoneID {
			return sdk.NotFound("dns record", id)
		}
		out = recordView(r)
		return nil
	})
	return out, err
}

// Create makes a record set. The name is made canonical and must be the
// zone's own name or one below it, possibly a wildcard ("*.example.com.").
// The values are checked against the type's syntax and the host names in
// them get their trailing dot. TTL 0 means DefaultTTL. A second record set of
// the same name and type is AlreadyExists; a CNAME beside other records of its
// name (or the other way round) is FailedPrecondition, as RFC 1034 forbids it.
func (s *dnsRecords) Create(ctx context.Context, spec sdk.DNSRecordSpec) (sdk.DNSRecord, error) {
	name, err := sdk.NormalizeRecordName(spec.Name)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	typ := strings.ToUpper(spec.Type)
	if !slices.Contains(sdk.DNSRecordTypes, typ) {
		return sdk.DNSRecord{}, sdk.InvalidArgument("type", spec.Type, "must be one of "+strings.Join(sdk.DNSRecordTypes, ", "))
	}
	switch {
	case spec.TTL < 0 || spec.TTL > math.MaxInt32:
		return sdk.DNSRecord{}, sdk.InvalidArgument("ttl", spec.TTL, fmt.Sprintf("must be from 0 (the default, %d) to %d seconds", DefaultTTL, math.MaxInt32))
	case spec.TTL == 0:
		spec.TTL = DefaultTTL
	}
	data, err := recordData(typ, spec.Data)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	spec.Name, spec.Type, spec.Data = name, typ, data
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var out sdk.DNSRecord
	err = s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("dns_record", token, digest); err != nil || rec != nil {
			if rec != nil {
				out = recordView(t.DNSRecords[rec.ID])
			}
			return err
		}
		z, err := t.zone(spec.ZoneID)
		if err != nil {
			return err
		}
		if name != z.Name && !strings.HasSuffix(name, "."+z.Name) {
			return sdk.InvalidArgument("name", name, "not in zone "+z.Name)
		}
		if typ == sdk.RecordCNAME && name == z.Name {
			return sdk.InvalidArgument("type", typ, "a zone's own name "+z.Name+" cannot be a CNAME")
		}
		for _, id := range slices.Sorted(maps.Keys(t.DNSRecords)) {
			r := t.DNSRecords[id]
			if r.ZoneID != z.ID || r.Name != name {
				continue
			}
			if r.Type == typ {
				return &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name",
					Message: fmt.Sprintf("zone %s already has a %s record set for %s (%s)", z.Name, typ, name, id)}
			}
			if r.Type == sdk.RecordCNAME || typ == sdk.RecordCNAME {
				return failedPrecondition("%s already has a %s record set (%s); a CNAME cannot share its name with other records", name, r.Type, id)
			}
		}
		id := newID("rrset-", t.DNSRecords)
		r := &sdk.DNSRecord{ID: id, ZoneID: z.ID, Name: name, Type: typ, Data: data, TTL: spec.TTL}
		t.DNSRecords[id] = r
		t.remember("dns_record", token, digest, id)
		out = recordView(r)
		return nil
	})
	return out, err
}

func (s *dnsRecords) Delete(ctx context.Context, zoneID, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, err := t.zone(zoneID); err != nil {
			return err
		}
		if r, ok := t.DNSRecords[id]; !ok || r.ZoneID != zoneID {
			return sdk.NotFound("dns record", id)
		}
		delete(t.DNSRecords, id)
		t.forget("dns_record", id)
		return nil
	})
}

// recordData checks a record set's values against the syntax of typ and
// returns them in canonical form: addresses as netip prints them, host names
// with their trailing dot. Values must not repeat.
func recordData(typ string, data []string) ([]string, error) {
	if len(data) == 0 {
		return nil, sdk.InvalidArgument("data", "", "a record needs at least one value")
	}
	if typ == sdk.RecordCNAME && len(data) > 1 {
		return nil, sdk.InvalidArgument("data", strings.Join(data, ", "), "a CNAME has exactly one value")
	}
	out := make([]string, 0, len(data))
	for _, v := range data {
		c, reason := recordValue(typ, v)
		if reason != "" {
			return nil, sdk.InvalidArgument("data", v, fmt.Sprintf("not a valid %s value: %s", typ, reason))
		}
		if slices.Contains(out, c) {
			return nil, sdk.InvalidArgument("data", v, "the value is given twice")
		}
		out = append(out, c)
	}
	return out, nil
}

// recordValue returns the canonical form of one value of a record of type
// typ, or why it is not valid. Spaces around a value are dropped, except in
// text, where they may mean something.
func recordValue(typ, v string) (string, string) {
	if typ != sdk.RecordTXT && typ != sdk.RecordSPF {
		v = strings.TrimSpace(v)
	}
	if v == "" {
		return "", "must not be empty"
	}
	switch typ {
	case sdk.RecordA, sdk.RecordAAAA:
		a, err := netip.ParseAddr(v)
		switch {
		case err != nil || a.Zone() != "":
			return "", "not an IP address"
		case typ == sdk.RecordA && !a.Is4():
			return "", "not an IPv4 address"
		case typ == sdk.RecordAAAA && !a.Is6():
			return "", "not an IPv6 address"
		}
		return a.String(), ""
	case sdk.RecordCNAME, sdk.RecordNS, sdk.RecordPTR:
		return hostName(v)
	case sdk.RecordMX:
		f := strings.Fields(v)
		if len(f) != 2 {
			return "", `must be "preference host", like "10 mail.example.com."`
		}
		if reason := uint16Field("preference", f[0]); reason != "" {
			return "", reason
		}
		host, reason := hostName(f[1])
		return f[0] + " " + host, reason
	case sdk.RecordSRV:
		f := strings.Fields(v)
		if len(f) != 4 {
			return "", `must be "priority weight port target", like "10 5 5060 sip.example.com."`
		}
		for i, what := range []string{"priority", "weight", "port"} {
			if reason := uint16Field(what, f[i]); reason != "" {
				return "", reason
			}
		}
		target := "." // "no such service here" (RFC 2782)
		if f[3] != "." {
			var reason string
			if target, reason = hostName(f[3]); reason != "" {
				return "", reason
			}
		}
		return strings.Join(append(f[:3:3], target), " "), ""
	case sdk.RecordTXT, sdk.RecordSPF:
		switch {
		case !utf8.ValidString(v):
			return "", "must be valid UTF-8"
		case len(v) > maxTXTLength:
			return "", fmt.Sprintf("must be at most %d bytes, not %d", maxTXTLength, len(v))
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			return "", "must not contain control characters"
		}
		return v, ""
	case sdk.RecordSSHFP:
		f := strings.Fields(v)
		if len(f) != 3 {
			return "", `must be "algorithm type fingerprint", like "4 2 <64 hex digits>"`
		}
		for i, what := range []string{"algorithm", "fingerprint type"} {
			if n, err := strconv.ParseUint(f[i], 10, 8); err != nil || n == 0 {
				return "", what + " must be a number from 1 to 255"
			}
		}
		if b, err := hex.DecodeString(f[2]); err != nil || len(b) == 0 {
			return "", "the fingerprint must be hex digits"
		}
		return strings.Join(f, " "), ""
	case sdk.RecordCAA:
		f := strings.Fields(v)
		if len(f) < 3 {
			return "", `must be "flags tag value", like "0 issue \"letsencrypt.org\""`
		}
		if _, err := strconv.ParseUint(f[0], 10, 8); err != nil {
			return "", "flags must be a number from 0 to 255"
		}
		if strings.IndexFunc(f[1], func(r rune) bool { return !isLowerASCIIAlnumRune(r) }) >= 0 {
			return "", fmt.Sprintf("tag %q must be lowercase letters and digits, like issue", f[1])
		}
		return strings.Join(f, " "), ""
	}
	return "", "unknown record type"
}

// hostName checks a host name in a record's value and returns it fully
// qualified. Its case is kept: DNS names compare without case.
func hostName(v string) (string, string) {
	if strings.Contains(v, "*") {
		return "", fmt.Sprintf("%q is not a host name", v)
	}
	if _, err := sdk.NormalizeRecordName(v); err != nil {
		return "", fmt.Sprintf("%q is not a fully qualified host name", v)
	}
	if !strings.HasSuffix(v, ".") {
		v += "."
	}
	return v, ""
}

func uint16Field(what, v string) string {
	if _, err := strconv.ParseUint(v, 10, 16); err != nil {
		return fmt.Sprintf("%s %q must be a number from 0 to 65535", what, v)
	}
	return ""
}

func isLowerASCIIAlnumRune(r rune) bool { return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' }
