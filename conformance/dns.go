package conformance

import (
	"context"
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// dnsTests port CloudBridge's test_dns_service and add duplicate, range,
// record type and standard checks.
func dnsTests() []Test {
	zones := []string{sdk.CapDNSZones}
	records := []string{sdk.CapDNSZones, sdk.CapDNSRecords}
	return []Test{
		{Name: "dns/zones/crud", Needs: zones, Run: testZoneCRUD},
		{Name: "dns/zones/not-fully-qualified", Needs: zones, Run: testZoneNotFullyQualified},
		{Name: "dns/zones/duplicate", Needs: zones, Run: testZoneDuplicate},
		{Name: "dns/zones/bad-input", Needs: zones, Run: testZoneBadInput},
		{Name: "dns/zones/idempotent-create", Needs: zones, Run: testZoneIdempotent},
		{Name: "dns/zones/missing", Needs: zones, Run: testZonesMissing},
		{Name: "dns/zones/paging", Needs: zones, Run: testZonesPaging},

		{Name: "dns/records/crud", Needs: records, Run: testRecordCRUD},
		{Name: "dns/records/wildcard", Needs: records, Run: testRecordWildcard},
		{Name: "dns/records/properties", Needs: records, Run: testRecordProperties},
		{Name: "dns/records/not-fully-qualified", Needs: records, Run: testRecordNotFullyQualified},
		{Name: "dns/records/types", Needs: records, Run: testRecordTypes},
		{Name: "dns/records/outside-zone", Needs: records, Run: testRecordOutsideZone},
		{Name: "dns/records/duplicate", Needs: records, Run: testRecordDuplicate},
		{Name: "dns/records/bad-data", Needs: records, Run: testRecordBadData},
		{Name: "dns/records/missing", Needs: records, Run: testRecordsMissing},
		{Name: "dns/records/missing-zone", Needs: records, Run: testRecordsMissingZone},
		{Name: "dns/records/paging", Needs: records, Run: testRecordsPaging},
	}
}

// ---- adapters and fixtures ----

func zoneService(e *Env) service[*host.DNSZone] {
	s := e.P.DNS.Zones
	return service[*host.DNSZone]{
		kind: "dns zone", id: func(z *host.DNSZone) string { return z.ID },
		findKey: "name", findValue: func(z *host.DNSZone) string { return z.Name },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func recordService(z *host.DNSZone) service[*host.DNSRecord] {
	s := z.Records
	return service[*host.DNSRecord]{
		kind: "dns record", id: func(r *host.DNSRecord) string { return r.ID },
		findKey: "name", findValue: func(r *host.DNSRecord) string { return r.Name },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

// testAdminEmail is the contact of the zones the suite makes.
const testAdminEmail = "admin@example.com"

// zoneName is a unique zone name for purpose, without the trailing dot, as
// CloudBridge's tests name theirs.
func zoneName(e *Env, purpose string) string { return e.Name(purpose) + ".com" }

// newZone makes a tracked zone; records made in it are tracked after it, so
// they are deleted first, as Route 53 requires.
func newZone(t T, e *Env, purpose string) *host.DNSZone {
	t.Helper()
	z, err := e.P.DNS.Zones.Create(e.Ctx, sdk.DNSZoneSpec{Name: zoneName(e, purpose), AdminEmail: testAdminEmail})
	must(t, err, "create dns zone %s", zoneName(e, purpose))
	e.Track("dns zone", z.ID, z.Delete)
	return z
}

// newRecord makes a tracked record set in z.
func newRecord(t T, e *Env, z *host.DNSZone, spec sdk.DNSRecordSpec) *host.DNSRecord {
	t.Helper()
	r, err := z.Records.Create(e.Ctx, spec)
	must(t, err, "create %s record %s in zone %s", spec.Type, spec.Name, z.Name)
	e.Track("dns record", r.ID, r.Delete)
	return r
}

// createRecord tries a record set that should be refused, tracking it if it
// is not.
func createRecord(e *Env, z *host.DNSZone, spec sdk.DNSRecordSpec) error {
	r, err := z.Records.Create(e.Ctx, spec)
	if err == nil {
		e.Track("dns record", r.ID, r.Delete)
	}
	return err
}

// sameValues compares record values as sets: clouds may reorder them.
func sameValues(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// ---- zones ----

// testZoneCRUD is test_crud_dns_zones: check_crud, with the admin email.
func testZoneCRUD(t T, e *Env) {
	z := newZone(t, e, "crud")
	svc := zoneService(e)
	run(t, "properties", func(t T) {
		got, err := e.P.DNS.Zones.Get(e.Ctx, z.ID)
		must(t, err, "get zone %s", z.ID)
		for _, v := range []*host.DNSZone{z, got} {
			if v.Name != zoneName(e, "crud")+"." || v.AdminEmail != testAdminEmail {
				t.Errorf("zone %s is named %q with admin email %q; want %q and %q",
					v.ID, v.Name, v.AdminEmail, zoneName(e, "crud")+".", testAdminEmail)
			}
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, z) })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "dns zone", z.ID, e.P.DNS.Zones.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, z) })
}

// testZoneNotFullyQualified is test_create_dns_zones_not_fully_qualified: the
// trailing dot is added, and a find without it still finds the zone.
func testZoneNotFullyQualified(t T, e *Env) {
	name := zoneName(e, "nfq")
	z := newZone(t, e, "nfq")
	if z.Name != name+"." {
		t.Errorf("zone created as %q is named %q, want %q", name, z.Name, name+".")
	}
	for _, pattern := range []string{name, name + "."} {
		found, err := e.P.DNS.Zones.Find(e.Ctx, host.Filter{"name": pattern})
		must(t, err, "find zone %q", pattern)
		if count(found, z.ID, func(z *host.DNSZone) string { return z.ID }) != 1 {
			t.Errorf("find zone by name %q did not find zone %s", pattern, z.ID)
		}
	}
}

// testZoneDuplicate: a second zone of a name, in any spelling, is
// AlreadyExists.
func testZoneDuplicate(t T, e *Env) {
	z := newZone(t, e, "dup")
	for _, name := range []string{z.Name, strings.TrimSuffix(strings.ToUpper(z.Name), ".")} {
		dup, err := e.P.DNS.Zones.Create(e.Ctx, sdk.DNSZoneSpec{Name: name, AdminEmail: testAdminEmail})
		if err == nil {
			e.Track("dns zone", dup.ID, dup.Delete)
		}
		wantCode(t, err, sdk.ErrAlreadyExists, "create zone %q beside zone %s", name, z.Name)
	}
}

// testZoneBadInput: the plugin itself refuses zone names that are not fully
// qualifiable and admin emails that are not addresses.
func testZoneBadInput(t T, e *Env) {
	drv := e.P.Drivers().DNS.Zones
	try := func(spec sdk.DNSZoneSpec) error {
		z, err := drv.Create(e.Ctx, spec)
		if err == nil {
			e.Track("dns zone", z.ID, func(ctx context.Context) error { return drv.Delete(ctx, z.ID) })
		}
		return err
	}
	for _, name := range []string{"", "localhost", "under_score.com", "-lead.com", "a..com", "*.wild.com"} {
		wantCode(t, try(sdk.DNSZoneSpec{Name: name, AdminEmail: testAdminEmail}), sdk.ErrInvalidArgument, "plugin create zone %q", name)
	}
	for _, email := range []string{"no-at-sign", "two@@example.com", "user@nodot", "sp ace@example.com"} {
		err := try(sdk.DNSZoneSpec{Name: zoneName(e, "bad-email"), AdminEmail: email})
		wantParam(t, err, "admin_email", "plugin create zone with admin email %q", email)
	}
}

func testZoneIdempotent(t T, e *Env) {
	spec := sdk.DNSZoneSpec{Name: zoneName(e, "idem"), AdminEmail: testAdminEmail, IdempotencyToken: randomHex(16)}
	first, err := e.P.DNS.Zones.Create(e.Ctx, spec)
	must(t, err, "create zone")
	e.Track("dns zone", first.ID, first.Delete)
	again, err := e.P.DNS.Zones.Create(e.Ctx, spec)
	must(t, err, "create zone again with the same idempotency token")
	if again.ID != first.ID {
		e.Track("dns zone", again.ID, again.Delete)
	}
	zoneService(e).checkIdempotent(t, e, first, again.ID)
}

func testZonesMissing(t T, e *Env) {
	zoneService(e).checkMissing(t, e, e.Name("no-such-zone"))
}

func testZonesPaging(t T, e *Env) {
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, newZone(t, e, purpose).ID)
	}
	zoneService(e).checkPaging(t, e, made)
}

// ---- records ----

// testRecordCRUD is test_crud_dns_record: check_crud of an A record.
func testRecordCRUD(t T, e *Env) {
	z := newZone(t, e, "rec-crud")
	r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: "www." + z.Name, Type: sdk.RecordA, Data: []string{"192.0.2.10"}, TTL: 300})
	svc := recordService(z)
	run(t, "properties", func(t T) {
		got, err := z.Records.Get(e.Ctx, r.ID)
		must(t, err, "get record %s", r.ID)
		for _, v := range []*host.DNSRecord{r, got} {
			if v.Name != "www."+z.Name || v.Type != sdk.RecordA || !slices.Equal(v.Data, []string{"192.0.2.10"}) || v.TTL != 300 {
				t.Errorf("record %s is %s %s %v ttl %d; want %s A [192.0.2.10] ttl 300", v.ID, v.Name, v.Type, v.Data, v.TTL, "www."+z.Name)
			}
		}
		if got.ZoneID != "" && got.ZoneID != z.ID {
			t.Errorf("record %s says its zone is %q, want %s", r.ID, got.ZoneID, z.ID)
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, r) })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "dns record", r.ID, z.Records.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, r) })
}

// testRecordWildcard is test_create_wildcard_dns_record.
func testRecordWildcard(t T, e *Env) {
	z := newZone(t, e, "wild")
	r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: "*." + z.Name, Type: sdk.RecordA, Data: []string{"192.0.2.11"}})
	if r.Name != "*."+z.Name {
		t.Errorf("wildcard record is named %q, want %q", r.Name, "*."+z.Name)
	}
	got, err := z.Records.Get(e.Ctx, r.ID)
	must(t, err, "get wildcard record %s", r.ID)
	if got.Name != r.Name || !slices.Equal(got.Data, []string{"192.0.2.11"}) {
		t.Errorf("wildcard record %s reads back as %s %v", r.ID, got.Name, got.Data)
	}
	listed := collect(t, "records", z.Records.All(e.Ctx))
	if c := count(listed, r.ID, func(r *host.DNSRecord) string { return r.ID }); c != 1 {
		t.Errorf("wildcard record %s is listed %d times, want 1", r.ID, c)
	}
}

// testRecordProperties is test_dns_record_properties: a CNAME's value gets
// its trailing dot and keeps its TTL, an MX holds a list of values, and TTL 0
// means the provider's default, which is a real TTL.
func testRecordProperties(t T, e *Env) {
	z := newZone(t, e, "rec-props")
	run(t, "cname", func(t T) {
		r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: "alias." + z.Name, Type: sdk.RecordCNAME, Data: []string{"hello.com"}, TTL: 500})
		got, err := z.Records.Get(e.Ctx, r.ID)
		must(t, err, "get record %s", r.ID)
		if !slices.Equal(got.Data, []string{"hello.com."}) || got.TTL != 500 || got.Type != sdk.RecordCNAME {
			t.Errorf("CNAME record %s is %s %v ttl %d; want CNAME [hello.com.] ttl 500", r.ID, got.Type, got.Data, got.TTL)
		}
	})
	run(t, "mx-list", func(t T) {
		r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: z.Name, Type: sdk.RecordMX, Data: []string{"10 mx1.hello.com", "20 mx2.hello.com."}, TTL: 600})
		got, err := z.Records.Get(e.Ctx, r.ID)
		must(t, err, "get record %s", r.ID)
		if want := []string{"10 mx1.hello.com.", "20 mx2.hello.com."}; !sameValues(got.Data, want) || got.TTL != 600 {
			t.Errorf("MX record %s has values %q ttl %d; want %q ttl 600", r.ID, got.Data, got.TTL, want)
		}
	})
	run(t, "default-ttl", func(t T) {
		r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: "ttl." + z.Name, Type: sdk.RecordA, Data: []string{"192.0.2.12"}})
		if r.TTL <= 0 {
			t.Errorf("record %s made with TTL 0 has TTL %d, want the provider's default (> 0)", r.ID, r.TTL)
		}
	})
	run(t, "multiple-values", func(t T) {
		want := []string{"192.0.2.13", "192.0.2.14", "192.0.2.15"}
		r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: "multi." + z.Name, Type: sdk.RecordA, Data: want})
		got, err := z.Records.Get(e.Ctx, r.ID)
		must(t, err, "get record %s", r.ID)
		if !sameValues(got.Data, want) {
			t.Errorf("A record %s has values %v, want %v", r.ID, got.Data, want)
		}
	})
}

// testRecordNotFullyQualified is test_create_dns_rec_not_fully_qualified.
func testRecordNotFullyQualified(t T, e *Env) {
	z := newZone(t, e, "rec-nfq")
	short := "www." + strings.TrimSuffix(z.Name, ".")
	r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: short, Type: sdk.RecordA, Data: []string{"192.0.2.16"}})
	if r.Name != short+"." {
		t.Errorf("record created as %q is named %q, want %q", short, r.Name, short+".")
	}
	found, err := z.Records.Find(e.Ctx, host.Filter{"name": short})
	must(t, err, "find record %q", short)
	if count(found, r.ID, func(r *host.DNSRecord) string { return r.ID }) != 1 {
		t.Errorf("find record by name %q did not find record %s", short, r.ID)
	}
}

// testRecordTypes: a record of each common type reads back as it was made.
func testRecordTypes(t T, e *Env) {
	z := newZone(t, e, "types")
	cases := []struct {
		typ, name string
		data      []string
	}{
		{sdk.RecordA, "a", []string{"192.0.2.20", "192.0.2.21"}},
		{sdk.RecordAAAA, "aaaa", []string{"2001:db8::20"}},
		{sdk.RecordCNAME, "cname", []string{"target.example.net."}},
		{sdk.RecordMX, "mx", []string{"10 mail.example.net."}},
		// NS at a name below the apex, a delegation: the apex's own NS set
		// is the cloud's.
		{sdk.RecordNS, "delegated", []string{"ns1.example.net.", "ns2.example.net."}},
		{sdk.RecordTXT, "txt", []string{"v=conformance text"}},
		{sdk.RecordSRV, "_sip._tcp", []string{"10 5 5060 sip.example.net."}},
	}
	for _, c := range cases {
		run(t, strings.ToLower(c.typ), func(t T) {
			name := c.name + "." + z.Name
			r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: name, Type: c.typ, Data: c.data, TTL: 120})
			got, err := z.Records.Get(e.Ctx, r.ID)
			must(t, err, "get %s record %s", c.typ, r.ID)
			for _, v := range []*host.DNSRecord{r, got} {
				if v.Name != name || v.Type != c.typ || !sameValues(v.Data, c.data) || v.TTL != 120 {
					t.Errorf("%s record %s is %s %s %q ttl %d; want %s %s %q ttl 120",
						c.typ, v.ID, v.Name, v.Type, v.Data, v.TTL, name, c.typ, c.data)
				}
			}
		})
	}
}

// testRecordOutsideZone: a record set's name must be in its zone.
func testRecordOutsideZone(t T, e *Env) {
	z := newZone(t, e, "outside")
	other := zoneName(e, "elsewhere")
	for _, name := range []string{"www." + other, "www." + strings.TrimSuffix(z.Name, ".") + ".evil.net", "x" + z.Name} {
		err := createRecord(e, z, sdk.DNSRecordSpec{Name: name, Type: sdk.RecordA, Data: []string{"192.0.2.30"}})
		wantParam(t, err, "name", "create record %s in zone %s", name, z.Name)
	}
}

// testRecordDuplicate: a second record set of one name and type is
// AlreadyExists; another type at the name is fine.
func testRecordDuplicate(t T, e *Env) {
	z := newZone(t, e, "rec-dup")
	r := newRecord(t, e, z, sdk.DNSRecordSpec{Name: "dup." + z.Name, Type: sdk.RecordA, Data: []string{"192.0.2.40"}})
	err := createRecord(e, z, sdk.DNSRecordSpec{Name: r.Name, Type: sdk.RecordA, Data: []string{"192.0.2.41"}})
	wantCode(t, err, sdk.ErrAlreadyExists, "create a second A record set %s", r.Name)
	newRecord(t, e, z, sdk.DNSRecordSpec{Name: r.Name, Type: sdk.RecordTXT, Data: []string{"beside an A record"}})
}

// testRecordBadData: values that do not fit their type are InvalidArgument.
func testRecordBadData(t T, e *Env) {
	z := newZone(t, e, "bad-data")
	cases := []struct{ typ, value string }{
		{sdk.RecordA, "not-an-address"},
		{sdk.RecordA, "2001:db8::1"},
		{sdk.RecordAAAA, "192.0.2.1"},
		{sdk.RecordMX, "mail.example.net."},
		{sdk.RecordSRV, "10 5 sip.example.net."},
	}
	for i, c := range cases {
		name := sprintf("bad-%d.%s", i, z.Name)
		err := createRecord(e, z, sdk.DNSRecordSpec{Name: name, Type: c.typ, Data: []string{c.value}})
		wantCode(t, err, sdk.ErrInvalidArgument, "create %s record with value %q", c.typ, c.value)
	}
}

func testRecordsMissing(t T, e *Env) {
	z := newZone(t, e, "rec-missing")
	recordService(z).checkMissing(t, e, e.Name("no-such-record"))
}

// testRecordsMissingZone: the records of a zone that does not exist are
// NotFound, not an empty list.
func testRecordsMissingZone(t T, e *Env) {
	drv, missing := e.P.Drivers().DNS.Records, e.Name("no-such-zone")
	_, err := drv.List(e.Ctx, missing, sdk.ListOptions{})
	wantCode(t, err, sdk.ErrNotFound, "list records of missing zone %s", missing)
	r, err := drv.Create(e.Ctx, sdk.DNSRecordSpec{ZoneID: missing, Name: "www.example.com.", Type: sdk.RecordA, Data: []string{"192.0.2.50"}})
	if err == nil {
		e.Track("dns record", r.ID, func(ctx context.Context) error { return drv.Delete(ctx, missing, r.ID) })
	}
	wantCode(t, err, sdk.ErrNotFound, "create a record in missing zone %s", missing)
}

func testRecordsPaging(t T, e *Env) {
	z := newZone(t, e, "rec-paging")
	var made []string
	for i := range 3 {
		made = append(made, newRecord(t, e, z, sdk.DNSRecordSpec{
			Name: sprintf("page-%d.%s", i+1, z.Name), Type: sdk.RecordA, Data: []string{sprintf("192.0.2.%d", 60+i)},
		}).ID)
	}
	recordService(z).checkPaging(t, e, made)
}
