package host

import (
	"context"
	"slices"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

type recordingRecords struct {
	sdk.DNSRecords
	spec sdk.DNSRecordSpec
}

func (r *recordingRecords) Create(_ context.Context, spec sdk.DNSRecordSpec) (sdk.DNSRecord, error) {
	r.spec = spec
	return sdk.DNSRecord{ID: "rec-1", ZoneID: spec.ZoneID, Name: spec.Name, Type: spec.Type, Data: spec.Data, TTL: spec.TTL}, nil
}

func TestRecordCreateNormalizes(t *testing.T) {
	for name, tc := range map[string]struct {
		spec     DNSRecordSpec
		wantName string
		wantType string
		wantData []string
		param    string
	}{
		"CNAME host gets its dot": {spec: DNSRecordSpec{Name: "WWW.example.com", Type: "CNAME", Data: []string{"web.example.com"}},
			wantName: "www.example.com.", wantType: "CNAME", wantData: []string{"web.example.com."}},
		"MX host gets its dot": {spec: DNSRecordSpec{Name: "example.com.", Type: "mx", Data: []string{"10 mail.example.com", "20 mx2.example.com."}},
			wantName: "example.com.", wantType: "MX", wantData: []string{"10 mail.example.com.", "20 mx2.example.com."}},
		"NS host gets its dot": {spec: DNSRecordSpec{Name: "sub.example.com", Type: "NS", Data: []string{"ns1.example.net"}},
			wantName: "sub.example.com.", wantType: "NS", wantData: []string{"ns1.example.net."}},
		"A and TXT data kept": {spec: DNSRecordSpec{Name: "*.example.com", Type: "TXT", Data: []string{"v=spf1 -all"}},
			wantName: "*.example.com.", wantType: "TXT", wantData: []string{"v=spf1 -all"}},
		"unknown type":  {spec: DNSRecordSpec{Name: "example.com", Type: "ALIAS", Data: []string{"x"}}, param: "type"},
		"no data":       {spec: DNSRecordSpec{Name: "example.com", Type: "A"}, param: "data"},
		"empty value":   {spec: DNSRecordSpec{Name: "example.com", Type: "A", Data: []string{""}}, param: "data"},
		"negative TTL":  {spec: DNSRecordSpec{Name: "example.com", Type: "A", Data: []string{"10.0.0.1"}, TTL: -1}, param: "ttl"},
		"relative name": {spec: DNSRecordSpec{Name: "www", Type: "A", Data: []string{"10.0.0.1"}}, param: "name"},
	} {
		t.Run(name, func(t *testing.T) {
			drv := &recordingRecords{}
			p := driverProvider(sdk.Plugin{DNS: &sdk.DNS{Records: drv}})
			zone := p.DNS.Zones.wrap(sdk.DNSZone{ID: "zone-1", Name: "example.com."})
			_, err := zone.Records.Create(t.Context(), tc.spec)
			if tc.param != "" {
				wantParam(t, err, tc.param)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := drv.spec
			if got.ZoneID != "zone-1" || got.Name != tc.wantName || got.Type != tc.wantType ||
				!slices.Equal(got.Data, tc.wantData) || got.IdempotencyToken == "" {
				t.Fatalf("driver got %+v; want zone-1 %s %s %q with a token", got, tc.wantName, tc.wantType, tc.wantData)
			}
		})
	}
}

func TestZoneCreateChecksNameAndEmail(t *testing.T) {
	p := driverProvider(sdk.Plugin{})
	_, err := p.DNS.Zones.Create(t.Context(), DNSZoneSpec{Name: "localhost", AdminEmail: "admin@example.com"})
	wantParam(t, err, "zone")
	_, err = p.DNS.Zones.Create(t.Context(), DNSZoneSpec{Name: "example.com", AdminEmail: "admin"})
	wantParam(t, err, "admin_email")
}

func TestFindNamePatternGetsTrailingDot(t *testing.T) {
	for pattern, want := range map[string]string{
		"example.com":   "example.com.",
		"example.com.":  "example.com.",
		"*.example.com": "*.example.com.",
		"www.*":         "www.*",
	} {
		if got := qualifyName(Filter{"name": pattern})["name"]; got != want {
			t.Errorf("qualifyName(%q) = %q, want %q", pattern, got, want)
		}
	}
}
