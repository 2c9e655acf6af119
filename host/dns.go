package host

import (
	"context"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// DNSService is p.DNS: hosted zones; each zone's Records manages its records.
type DNSService struct {
	Zones *DNSZoneService
}

func newDNSService(p *Provider) *DNSService {
	d := p.drivers.DNS
	if d == nil {
		d = &sdk.DNS{}
	}
	return &DNSService{Zones: &DNSZoneService{p: p, drv: d.Zones, records: d.Records}}
}

// ---- zones ----

// DNSZoneSpec describes a zone to create.
type DNSZoneSpec = sdk.DNSZoneSpec

// DNSZone is a hosted zone. Records manages its records.
type DNSZone struct {
	sdk.DNSZone
	Records *DNSRecordService
	svc     *DNSZoneService
}

// DNSZoneService is p.DNS.Zones.
type DNSZoneService struct {
	p       *Provider
	drv     sdk.DNSZones
	records sdk.DNSRecords
}

var zoneKeys = findKeys[*DNSZone]{
	"name": func(z *DNSZone) string { return z.Name },
	"id":   func(z *DNSZone) string { return z.ID },
}

func (s *DNSZoneService) wrap(z sdk.DNSZone) *DNSZone {
	return &DNSZone{DNSZone: z, svc: s, Records: &DNSRecordService{p: s.p, drv: s.records, zoneID: z.ID}}
}

// Get returns a zone by id.
func (s *DNSZoneService) Get(ctx context.Context, id string) (*DNSZone, error) {
	return call(ctx, s.p, "provider.dns.host_zones.get", sdk.CapDNSZones, &id, func(ctx context.Context) (*DNSZone, error) {
		z, err := s.drv.Get(ctx, id)
		return s.wrap(z), err
	})
}

// List returns one page of zones.
func (s *DNSZoneService) List(ctx context.Context, opts ListOptions) (Page[*DNSZone], error) {
	return call(ctx, s.p, "provider.dns.host_zones.list", sdk.CapDNSZones, &opts, func(ctx context.Context) (Page[*DNSZone], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every zone.
func (s *DNSZoneService) All(ctx context.Context) iter.Seq2[*DNSZone, error] {
	return pages(ctx, s.List)
}

// Find returns the zones matching the filter (key: name). Zone names end with
// a dot; one is added to a name pattern that ends with neither a dot nor "*",
// so that "example.com" finds "example.com.".
func (s *DNSZoneService) Find(ctx context.Context, f Filter) ([]*DNSZone, error) {
	return find(s.All(ctx), qualifyName(f), zoneKeys)
}

// Create makes a zone. The name is made fully qualified and lowercase
// ("Example.com" becomes "example.com."); AdminEmail is required.
func (s *DNSZoneService) Create(ctx context.Context, spec DNSZoneSpec) (*DNSZone, error) {
	name, err := sdk.NormalizeZoneName(spec.Name)
	if err != nil {
		return nil, err
	}
	if err := sdk.ValidateEmail("admin_email", spec.AdminEmail); err != nil {
		return nil, err
	}
	spec.Name = name
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return call(ctx, s.p, "provider.dns.host_zones.create", sdk.CapDNSZones, &spec, func(ctx context.Context) (*DNSZone, error) {
		z, err := s.drv.Create(ctx, spec)
		return s.wrap(z), err
	})
}

// Delete deletes a zone.
func (s *DNSZoneService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.dns.host_zones.delete", sdk.CapDNSZones, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// Delete deletes the zone.
func (z *DNSZone) Delete(ctx context.Context) error { return z.svc.Delete(ctx, z.ID) }

// ---- records ----

// DNSRecordSpec describes a record set to create; ZoneID is filled in by the
// zone.
type DNSRecordSpec = sdk.DNSRecordSpec

// DNSRecord is a record set: one name and type with one or more values.
type DNSRecord struct {
	sdk.DNSRecord
	svc *DNSRecordService
}

// DNSRecordService is zone.Records: the records of one zone.
type DNSRecordService struct {
	p      *Provider
	drv    sdk.DNSRecords
	zoneID string
}

var recordKeys = findKeys[*DNSRecord]{
	"name": func(r *DNSRecord) string { return r.Name },
	"type": func(r *DNSRecord) string { return r.Type },
	"id":   func(r *DNSRecord) string { return r.ID },
}

func (s *DNSRecordService) wrap(r sdk.DNSRecord) *DNSRecord { return &DNSRecord{DNSRecord: r, svc: s} }

// Get returns a record by id.
func (s *DNSRecordService) Get(ctx context.Context, id string) (*DNSRecord, error) {
	return call(ctx, s.p, "provider.dns.records.get", sdk.CapDNSRecords, &id, func(ctx context.Context) (*DNSRecord, error) {
		r, err := s.drv.Get(ctx, s.zoneID, id)
		return s.wrap(r), err
	})
}

// List returns one page of the zone's records.
func (s *DNSRecordService) List(ctx context.Context, opts ListOptions) (Page[*DNSRecord], error) {
	return call(ctx, s.p, "provider.dns.records.list", sdk.CapDNSRecords, &opts, func(ctx context.Context) (Page[*DNSRecord], error) {
		page, err := s.drv.List(ctx, s.zoneID, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every record of the zone.
func (s *DNSRecordService) All(ctx context.Context) iter.Seq2[*DNSRecord, error] {
	return pages(ctx, s.List)
}

// Find returns the records matching the filter (keys: name, type). As for
// zones, a name pattern gets its trailing dot when it lacks one.
func (s *DNSRecordService) Find(ctx context.Context, f Filter) ([]*DNSRecord, error) {
	return find(s.All(ctx), qualifyName(f), recordKeys)
}

// Create makes a record set. The name is made fully qualified; Type is one of
// sdk.DNSRecordTypes (any case); Data holds at least one value; TTL 0 means
// the provider's default. CNAME, MX and NS values get a trailing dot on their
// host name when it lacks one ("10 mail.example.com" becomes
// "10 mail.example.com."), as in CloudBridge.
func (s *DNSRecordService) Create(ctx context.Context, spec DNSRecordSpec) (*DNSRecord, error) {
	spec, err := s.normalize(spec)
	if err != nil {
		return nil, err
	}
	return call(ctx, s.p, "provider.dns.records.create", sdk.CapDNSRecords, &spec, func(ctx context.Context) (*DNSRecord, error) {
		r, err := s.drv.Create(ctx, spec)
		return s.wrap(r), err
	})
}

// normalize validates a record spec and returns it in canonical form, bound to
// the zone and with an idempotency token.
func (s *DNSRecordService) normalize(spec DNSRecordSpec) (DNSRecordSpec, error) {
	name, err := sdk.NormalizeRecordName(spec.Name)
	if err != nil {
		return spec, err
	}
	typ := strings.ToUpper(spec.Type)
	switch {
	case !slices.Contains(sdk.DNSRecordTypes, typ):
		return spec, sdk.InvalidArgument("type", spec.Type, "must be one of "+strings.Join(sdk.DNSRecordTypes, ", "))
	case len(spec.Data) == 0 || slices.Contains(spec.Data, ""):
		return spec, sdk.InvalidArgument("data", spec.Data, "must hold at least one value, none empty")
	case spec.TTL < 0:
		return spec, sdk.InvalidArgument("ttl", spec.TTL, "must not be negative")
	}
	spec.ZoneID, spec.Name, spec.Type = s.zoneID, name, typ
	data := make([]string, len(spec.Data))
	for i, v := range spec.Data {
		data[i] = qualifyData(typ, v)
	}
	spec.Data = data
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	return spec, nil
}

// qualifyData adds the trailing dot to the host name of a CNAME, MX or NS
// value. The host is the value's last field (MX is "preference host"), so the
// dot goes at the end.
func qualifyData(typ, v string) string {
	switch typ {
	case sdk.RecordCNAME, sdk.RecordMX, sdk.RecordNS:
		v = strings.TrimSpace(v)
		if !strings.HasSuffix(v, ".") {
			v += "."
		}
	}
	return v
}

// qualifyName returns f with a trailing dot added to its "name" pattern when
// the pattern ends with neither a dot nor "*".
func qualifyName(f Filter) Filter {
	name, ok := f["name"]
	if !ok || name == "" || strings.HasSuffix(name, ".") || strings.HasSuffix(name, "*") {
		return f
	}
	f = maps.Clone(f)
	f["name"] = name + "."
	return f
}

// Delete deletes a record set.
func (s *DNSRecordService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.dns.records.delete", sdk.CapDNSRecords, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, s.zoneID, id)
	})
}

// Delete deletes the record set.
func (r *DNSRecord) Delete(ctx context.Context) error { return r.svc.Delete(ctx, r.ID) }
