package mock

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The DNS family keeps zones and record sets as Route 53 and Designate do:
// names are fully qualified with their trailing dot, a record set is one name
// and type with one or more values, and each value is checked against its
// type's syntax.

// DefaultTTL is the TTL of a record set created with TTL 0.
const DefaultTTL = 300

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
	data, err := sdk.NormalizeRecordData(typ, spec.Data)
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
