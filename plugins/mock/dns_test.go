package mock

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func createZone(t *testing.T, p sdk.Plugin, name string) sdk.DNSZone {
	t.Helper()
	z, err := p.DNS.Zones.Create(context.Background(), sdk.DNSZoneSpec{Name: name, AdminEmail: "admin@example.com"})
	if err != nil {
		t.Fatalf("create zone %q: %v", name, err)
	}
	return z
}

func TestDNSZones(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	z := createZone(t, p, "Example.COM")
	if !strings.HasPrefix(z.ID, "zone-") || z.Name != "example.com." || z.AdminEmail != "admin@example.com" || z.CreateTime.IsZero() {
		t.Errorf("zone = %+v", z)
	}
	for _, name := range []string{"example.com", "example.com.", "EXAMPLE.com."} {
		_, err := p.DNS.Zones.Create(ctx, sdk.DNSZoneSpec{Name: name})
		wantErr(t, err, sdk.CodeAlreadyExists, "name")
	}
	for _, name := range []string{"", "localhost", "bad_zone.com", "*.example.org", "-x.example.org", "a..b"} {
		_, err := p.DNS.Zones.Create(ctx, sdk.DNSZoneSpec{Name: name})
		wantErr(t, err, sdk.CodeInvalidArgument, "zone")
	}
	_, err := p.DNS.Zones.Create(ctx, sdk.DNSZoneSpec{Name: "example.org", AdminEmail: "not-an-email"})
	wantErr(t, err, sdk.CodeInvalidArgument, "admin_email")
	// The admin email is optional, as on Route 53.
	if sub := createZone(t, p, "sub.example.com"); sub.Name != "sub.example.com." {
		t.Errorf("sub-zone name = %q", sub.Name)
	}

	spec := sdk.DNSZoneSpec{Name: "idem.example", IdempotencyToken: "tok"}
	a, err := p.DNS.Zones.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := p.DNS.Zones.Create(ctx, spec); err != nil || b.ID != a.ID {
		t.Errorf("retried create = %+v, %v; want zone %s", b, err, a.ID)
	}

	rec, err := p.DNS.Records.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "www.example.com", Type: "A", Data: []string{"192.0.2.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DNS.Zones.Delete(ctx, z.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.DNS.Zones.Delete(ctx, z.ID), sdk.CodeNotFound, "")
	_, err = p.DNS.Records.Get(ctx, z.ID, rec.ID)
	wantErr(t, err, sdk.CodeNotFound, "zone_id")
	// A zone of the same name made afterwards starts empty.
	again := createZone(t, p, "example.com")
	if page, err := p.DNS.Records.List(ctx, again.ID, sdk.ListOptions{}); err != nil || len(page.Items) != 0 {
		t.Errorf("records of a new zone = %+v, %v", page, err)
	}
}

func TestDNSRecords(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	rs := p.DNS.Records
	z := createZone(t, p, "example.com")
	other := createZone(t, p, "example.org")

	www, err := rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "WWW.example.com", Type: "a", Data: []string{"192.0.2.1", "192.0.2.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(www.ID, "rrset-") || www.ZoneID != z.ID || www.Name != "www.example.com." || www.Type != "A" ||
		www.TTL != DefaultTTL || !slices.Equal(www.Data, []string{"192.0.2.1", "192.0.2.2"}) {
		t.Errorf("record = %+v", www)
	}
	_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "www.example.com.", Type: "A", Data: []string{"192.0.2.9"}})
	wantErr(t, err, sdk.CodeAlreadyExists, "name")
	if v6, err := rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "www.example.com", Type: "AAAA", Data: []string{"2001:DB8::1"}, TTL: 60}); err != nil ||
		v6.TTL != 60 || !slices.Equal(v6.Data, []string{"2001:db8::1"}) {
		t.Errorf("AAAA beside A = %+v, %v", v6, err)
	}
	// A CNAME cannot share its name, nor sit at the apex.
	_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "www.example.com", Type: "CNAME", Data: []string{"web.example.net"}})
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "example.com", Type: "CNAME", Data: []string{"web.example.net"}})
	wantErr(t, err, sdk.CodeInvalidArgument, "type")
	alias, err := rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "alias.example.com", Type: "CNAME", Data: []string{"web.example.net"}})
	if err != nil || !slices.Equal(alias.Data, []string{"web.example.net."}) {
		t.Errorf("CNAME = %+v, %v", alias, err)
	}
	_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "alias.example.com", Type: "TXT", Data: []string{"x"}})
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	wild, err := rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "*.example.com", Type: "A", Data: []string{"192.0.2.3"}})
	if err != nil || wild.Name != "*.example.com." {
		t.Errorf("wildcard = %+v, %v", wild, err)
	}
	for _, name := range []string{"www.example.org", "example.com.evil.net", "notexample.com", "com"} {
		_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: name, Type: "A", Data: []string{"192.0.2.4"}})
		wantErr(t, err, sdk.CodeInvalidArgument, "name")
	}
	_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: "zone-000000000000", Name: "a.example.com", Type: "A", Data: []string{"192.0.2.4"}})
	wantErr(t, err, sdk.CodeNotFound, "zone_id")
	for _, ttl := range []int{-1, 1 << 31} {
		_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "ttl.example.com", Type: "A", Data: []string{"192.0.2.4"}, TTL: ttl})
		wantErr(t, err, sdk.CodeInvalidArgument, "ttl")
	}
	_, err = rs.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: "x.example.com", Type: "HINFO", Data: []string{"a b"}})
	wantErr(t, err, sdk.CodeInvalidArgument, "type")

	_, err = rs.Get(ctx, other.ID, www.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
	wantErr(t, rs.Delete(ctx, other.ID, www.ID), sdk.CodeNotFound, "")
	page, err := rs.List(ctx, z.ID, sdk.ListOptions{})
	if err != nil || len(page.Items) != 4 {
		t.Errorf("List = %d records, %v; want 4", len(page.Items), err)
	}
	if err := rs.Delete(ctx, z.ID, www.ID); err != nil {
		t.Fatal(err)
	}
	_, err = rs.Get(ctx, z.ID, www.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
}

// TestDNSRecordValues checks each type's syntax and canonical form.
func TestDNSRecordValues(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	z := createZone(t, p, "example.com")
	tests := []struct {
		typ  string
		data []string
		want []string // nil: refused
	}{
		{"A", []string{"192.0.2.1"}, []string{"192.0.2.1"}},
		{"A", []string{"2001:db8::1"}, nil},
		{"A", []string{"192.0.2.256"}, nil},
		{"A", []string{"192.0.2.1", "192.0.2.1"}, nil},
		{"AAAA", []string{"2001:0DB8:0:0::1"}, []string{"2001:db8::1"}},
		{"AAAA", []string{"192.0.2.1"}, nil},
		{"AAAA", []string{"fe80::1%eth0"}, nil},
		{"CNAME", []string{"target.example.net"}, []string{"target.example.net."}},
		{"CNAME", []string{"a.example.net", "b.example.net"}, nil},
		{"CNAME", []string{"not a host"}, nil},
		{"MX", []string{"10 mail.example.com", "20 mx2.example.com."}, []string{"10 mail.example.com.", "20 mx2.example.com."}},
		{"MX", []string{"mail.example.com"}, nil},
		{"MX", []string{"70000 mail.example.com"}, nil},
		{"NS", []string{"ns1.example.net", "ns2.example.net."}, []string{"ns1.example.net.", "ns2.example.net."}},
		{"NS", []string{"*.example.net"}, nil},
		{"TXT", []string{"v=spf1 -all", "hello world"}, []string{"v=spf1 -all", "hello world"}},
		{"TXT", []string{"bell\a"}, nil},
		{"TXT", []string{strings.Repeat("x", 4001)}, nil},
		{"SRV", []string{"10 5 5060 sip.example.com"}, []string{"10 5 5060 sip.example.com."}},
		{"SRV", []string{"0 0 0 ."}, []string{"0 0 0 ."}},
		{"SRV", []string{"10 5 sip.example.com"}, nil},
		{"SRV", []string{"10 5 99999 sip.example.com"}, nil},
		{"PTR", []string{"host.example.com"}, []string{"host.example.com."}},
		{"SPF", []string{"v=spf1 mx -all"}, []string{"v=spf1 mx -all"}},
		{"SSHFP", []string{"4 2 0123456789abcdef"}, []string{"4 2 0123456789abcdef"}},
		{"SSHFP", []string{"4 2 xyz"}, nil},
		{"CAA", []string{`0 issue "letsencrypt.org"`}, []string{`0 issue "letsencrypt.org"`}},
		{"CAA", []string{`0 Issue "letsencrypt.org"`}, nil},
		{"CAA", []string{"0 issue"}, nil},
	}
	for i, tt := range tests {
		name := tt.typ + "-" + strings.Repeat("x", i+1) + ".example.com"
		t.Run(tt.typ+"/"+strings.Join(tt.data, ","), func(t *testing.T) {
			r, err := p.DNS.Records.Create(ctx, sdk.DNSRecordSpec{ZoneID: z.ID, Name: name, Type: tt.typ, Data: tt.data})
			if tt.want == nil {
				wantErr(t, err, sdk.CodeInvalidArgument, "data")
				return
			}
			if err != nil || !slices.Equal(r.Data, tt.want) {
				t.Fatalf("Create(%s %q) = %q, %v; want %q", tt.typ, tt.data, r.Data, err, tt.want)
			}
		})
	}
}
