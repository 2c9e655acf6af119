package openstack

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/dns/v2/recordsets"
	"github.com/gophercloud/gophercloud/v2/openstack/dns/v2/zones"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// DNS is Designate v2. Designate applies zones and record sets to its
// backends asynchronously (PENDING, then ACTIVE); creates and deletes here
// wait for it, so that a caller sees a zone or record set that is served, or
// gone.
type zoneSvc struct{ c *Cloud }

// dnsPoll is how often a wait reads the zone or record set again.
const dnsPoll = 500 * time.Millisecond

func (s *zoneSvc) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.DNSZone], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, err
	}
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, err
	}
	page, err := firstPage(ctx, zones.List(sc, zones.ListOpts{Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, listError(err, "list zones", marker)
	}
	zs, err := extract(page, zones.ExtractZones)
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, convertError(err, "read zones", "")
	}
	items := make([]sdk.DNSZone, 0, len(zs))
	for _, z := range zs {
		items = append(items, zoneOf(z))
	}
	return cutPage(items, size, func(z sdk.DNSZone) string { return z.ID }), nil
}

func (s *zoneSvc) Get(ctx context.Context, id string) (sdk.DNSZone, error) {
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return sdk.DNSZone{}, err
	}
	z, err := getZone(ctx, sc, id)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	return zoneOf(*z), nil
}

// getZone reads a zone; one being deleted is already gone.
func getZone(ctx context.Context, sc *gophercloud.ServiceClient, id string) (*zones.Zone, error) {
	if id == "" {
		return nil, notFound("id", "dns zone", id)
	}
	z, err := zones.Get(ctx, sc, id).Extract()
	if err != nil {
		return nil, convertError(err, "get zone "+quote(id), "")
	}
	if z.Action == "DELETE" {
		return nil, notFound("id", "dns zone", id)
	}
	return z, nil
}

func (s *zoneSvc) Create(ctx context.Context, spec sdk.DNSZoneSpec) (sdk.DNSZone, error) {
	name, err := sdk.NormalizeZoneName(spec.Name)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	if spec.AdminEmail != "" {
		if err := sdk.ValidateEmail("admin_email", spec.AdminEmail); err != nil {
			return sdk.DNSZone{}, err
		}
	}
	if err := validateDescription(spec.Description); err != nil {
		return sdk.DNSZone{}, err
	}
	cn, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return sdk.DNSZone{}, err
	}
	// Designate requires an email; Route 53 has none, so the contract's is
	// optional: default to hostmaster of the zone, as RFC 2142 has it.
	email := first(spec.AdminEmail, "hostmaster@"+strings.TrimSuffix(name, "."))
	mark := tokenMark(spec.IdempotencyToken)
	z, err := zones.Create(ctx, sc, zones.CreateOpts{Name: name, Email: email, Description: spec.Description}).Extract()
	if statusOf(err) == 409 && mark != "" {
		// Zone names are unique, and a Designate zone has nowhere to keep a
		// token: a retry is recognised by the zone this process made with it.
		cn.zoneTokensMu.Lock()
		id := cn.zoneTokens[mark]
		cn.zoneTokensMu.Unlock()
		if id != "" {
			if got, gerr := getZone(ctx, sc, id); gerr == nil && got.Name == name {
				z, err = got, nil
			}
		}
	}
	if err != nil {
		return sdk.DNSZone{}, withParam(convertError(err, "create zone "+quote(name), sdk.CodeAlreadyExists), "name")
	}
	if mark != "" {
		cn.zoneTokensMu.Lock()
		cn.zoneTokens[mark] = z.ID
		cn.zoneTokensMu.Unlock()
	}
	z, err = waitZone(ctx, sc, z)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	return zoneOf(*z), nil
}

// waitZone waits for a zone to be ACTIVE (or ERROR).
func waitZone(ctx context.Context, sc *gophercloud.ServiceClient, z *zones.Zone) (*zones.Zone, error) {
	id := z.ID
	for z.Status == "PENDING" {
		if err := sleep(ctx, dnsPoll); err != nil {
			return nil, err
		}
		var err error
		if z, err = zones.Get(ctx, sc, id).Extract(); err != nil {
			return nil, convertError(err, "get zone "+quote(id), "")
		}
	}
	if z.Status == "ERROR" {
		return nil, &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, ProviderCode: "ERROR",
			Message: "zone " + quote(z.Name) + " went into ERROR: Designate could not apply it to its backend"}
	}
	return z, nil
}

// Delete deletes a zone and its record sets and waits until Designate has
// removed it.
func (s *zoneSvc) Delete(ctx context.Context, id string) error {
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return err
	}
	if _, err := getZone(ctx, sc, id); err != nil {
		return err
	}
	if _, err := zones.Delete(ctx, sc, id).Extract(); err != nil {
		return convertError(err, "delete zone "+quote(id), sdk.CodeFailedPrecondition)
	}
	for {
		z, err := zones.Get(ctx, sc, id).Extract()
		if statusOf(err) == 404 {
			return nil
		}
		if err != nil {
			return convertError(err, "get zone "+quote(id), "")
		}
		if z.Status == "ERROR" {
			return &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, Message: "zone " + quote(id) + " went into ERROR while being deleted"}
		}
		if err := sleep(ctx, dnsPoll); err != nil {
			return err
		}
	}
}

func zoneOf(z zones.Zone) sdk.DNSZone {
	return sdk.DNSZone{ID: z.ID, Name: z.Name, AdminEmail: z.Email, Description: z.Description, CreateTime: z.CreatedAt.UTC(),
		Extra: map[string]string{"status": z.Status, "ttl": strconv.Itoa(z.TTL), "serial": strconv.Itoa(z.Serial), "pool_id": z.PoolID}}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctxError(ctx.Err())
	case <-t.C:
		return nil
	}
}

// recordSvc manages Designate record sets.
type recordSvc struct{ c *Cloud }

func (s *recordSvc) List(ctx context.Context, zoneID string, opts sdk.ListOptions) (sdk.Page[sdk.DNSRecord], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	z, err := getZone(ctx, sc, zoneID)
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, withParam(err, "zone_id")
	}
	page, err := firstPage(ctx, recordsets.ListByZone(sc, zoneID, recordsets.ListOpts{Limit: size + 1, Marker: marker}))
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, listError(err, "list record sets of zone "+quote(zoneID), marker)
	}
	rs, err := extract(page, recordsets.ExtractRecordSets)
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, convertError(err, "read record sets", "")
	}
	items := make([]sdk.DNSRecord, 0, len(rs))
	for _, r := range rs {
		items = append(items, recordOf(r, z.TTL))
	}
	return cutPage(items, size, func(r sdk.DNSRecord) string { return r.ID }), nil
}

func (s *recordSvc) Get(ctx context.Context, zoneID, id string) (sdk.DNSRecord, error) {
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	z, err := getZone(ctx, sc, zoneID)
	if err != nil {
		return sdk.DNSRecord{}, withParam(err, "zone_id")
	}
	r, err := getRecord(ctx, sc, zoneID, id)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	return recordOf(*r, z.TTL), nil
}

func getRecord(ctx context.Context, sc *gophercloud.ServiceClient, zoneID, id string) (*recordsets.RecordSet, error) {
	if id == "" {
		return nil, notFound("id", "dns record", id)
	}
	r, err := recordsets.Get(ctx, sc, zoneID, id).Extract()
	if err != nil {
		return nil, convertError(err, "get record set "+quote(id), "")
	}
	if r.Action == "DELETE" {
		return nil, notFound("id", "dns record", id)
	}
	return r, nil
}

func (s *recordSvc) Create(ctx context.Context, spec sdk.DNSRecordSpec) (sdk.DNSRecord, error) {
	name, err := sdk.NormalizeRecordName(spec.Name)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	typ := strings.ToUpper(spec.Type)
	if !slices.Contains(sdk.DNSRecordTypes, typ) {
		return sdk.DNSRecord{}, sdk.InvalidArgument("type", spec.Type, "must be one of "+strings.Join(sdk.DNSRecordTypes, ", "))
	}
	if spec.TTL < 0 || spec.TTL > math.MaxInt32 {
		return sdk.DNSRecord{}, sdk.InvalidArgument("ttl", spec.TTL, fmt.Sprintf("must be from 0 (the zone's default) to %d seconds", math.MaxInt32))
	}
	data, err := sdk.NormalizeRecordData(typ, spec.Data)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	z, err := getZone(ctx, sc, spec.ZoneID)
	if err != nil {
		return sdk.DNSRecord{}, withParam(err, "zone_id")
	}
	if name != z.Name && !strings.HasSuffix(name, "."+z.Name) {
		return sdk.DNSRecord{}, sdk.InvalidArgument("name", name, "not in zone "+z.Name)
	}
	if typ == sdk.RecordCNAME && name == z.Name {
		return sdk.DNSRecord{}, sdk.InvalidArgument("type", typ, "a zone's own name "+z.Name+" cannot be a CNAME")
	}
	// The record set's description (which the contract does not show)
	// keeps the token's mark, so that a retry finds what the first try made.
	mark := tokenMark(spec.IdempotencyToken)
	r, err := recordsets.Create(ctx, sc, spec.ZoneID, recordsets.CreateOpts{Name: name, Type: typ, Records: toDesignate(typ, data),
		TTL: spec.TTL, Description: mark}).Extract()
	if statusOf(err) == 409 && mark != "" {
		page, lerr := firstPage(ctx, recordsets.ListByZone(sc, spec.ZoneID, recordsets.ListOpts{Name: name, Type: typ}))
		if rs, _ := extract(page, recordsets.ExtractRecordSets); lerr == nil && len(rs) == 1 && rs[0].Description == mark {
			r, err = &rs[0], nil
		}
	}
	if err != nil {
		mapped := convertError(err, fmt.Sprintf("create %s record set %q", typ, name), sdk.CodeAlreadyExists)
		if kind, _ := serviceError(errorBody(err)); kind == "invalid_object" || kind == "bad_request" {
			mapped = withParam(mapped, "data")
		}
		return sdk.DNSRecord{}, withParam(mapped, "name")
	}
	for r.Status == "PENDING" {
		if err := sleep(ctx, dnsPoll); err != nil {
			return sdk.DNSRecord{}, err
		}
		if r, err = recordsets.Get(ctx, sc, spec.ZoneID, r.ID).Extract(); err != nil {
			return sdk.DNSRecord{}, convertError(err, "get record set", "")
		}
	}
	if r.Status == "ERROR" {
		return sdk.DNSRecord{}, &sdk.Error{Code: sdk.CodeUnavailable, Retryable: true, Message: "record set " + quote(name) + " went into ERROR"}
	}
	return recordOf(*r, z.TTL), nil
}

// Delete deletes a record set and waits until Designate has removed it.
func (s *recordSvc) Delete(ctx context.Context, zoneID, id string) error {
	_, sc, err := s.c.client(ctx, "dns")
	if err != nil {
		return err
	}
	if _, err := getZone(ctx, sc, zoneID); err != nil {
		return withParam(err, "zone_id")
	}
	if _, err := getRecord(ctx, sc, zoneID, id); err != nil {
		return err
	}
	if err := recordsets.Delete(ctx, sc, zoneID, id).ExtractErr(); err != nil {
		return convertError(err, "delete record set "+quote(id), sdk.CodeFailedPrecondition)
	}
	for {
		_, err := recordsets.Get(ctx, sc, zoneID, id).Extract()
		if statusOf(err) == 404 {
			return nil
		}
		if err != nil {
			return convertError(err, "get record set "+quote(id), "")
		}
		if err := sleep(ctx, dnsPoll); err != nil {
			return err
		}
	}
}

// recordOf converts a record set; one without a TTL of its own has the
// zone's.
func recordOf(r recordsets.RecordSet, zoneTTL int) sdk.DNSRecord {
	out := sdk.DNSRecord{ID: r.ID, ZoneID: r.ZoneID, Name: r.Name, Type: r.Type, Data: fromDesignate(r.Type, r.Records), TTL: r.TTL,
		Extra: map[string]string{"status": r.Status}}
	if out.TTL == 0 {
		out.TTL = zoneTTL
	}
	return out
}

// Designate keeps TXT and SPF values in zone-file form: quoted strings of at
// most 255 bytes, with quotes and backslashes escaped. The contract's value
// is the text itself.
const txtChunk = 255

func toDesignate(typ string, data []string) []string {
	if typ != sdk.RecordTXT && typ != sdk.RecordSPF {
		return data
	}
	out := make([]string, len(data))
	for i, v := range data {
		var parts []string
		for len(v) > 0 || len(parts) == 0 {
			n := min(len(v), txtChunk)
			for n < len(v) && n > 0 && !utf8RuneStart(v[n]) {
				n-- // keep a character whole
			}
			chunk := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v[:n])
			parts = append(parts, `"`+chunk+`"`)
			v = v[n:]
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

func fromDesignate(typ string, data []string) []string {
	if typ != sdk.RecordTXT && typ != sdk.RecordSPF {
		return slices.Clone(data)
	}
	out := make([]string, len(data))
	for i, v := range data {
		out[i] = unquoteTXT(v)
	}
	return out
}

// unquoteTXT joins the quoted strings of a zone-file TXT value; a value that
// is not quoted is returned as it is.
func unquoteTXT(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	in, esc := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			b.WriteByte(c)
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
