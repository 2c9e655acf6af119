package sdk

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

// fakeZones and fakeRecords record what reaches the driver; unlisted methods
// are not called.
type fakeZones struct {
	DNSZones
	spec DNSZoneSpec
}

func (f *fakeZones) Create(_ context.Context, spec DNSZoneSpec) (DNSZone, error) {
	f.spec = spec
	return DNSZone{ID: "z-1", Name: spec.Name}, nil
}

type fakeRecords struct {
	DNSRecords
	spec DNSRecordSpec
}

func (f *fakeRecords) Create(_ context.Context, spec DNSRecordSpec) (DNSRecord, error) {
	f.spec = spec
	return DNSRecord{ID: "r-1", ZoneID: spec.ZoneID, Name: spec.Name, Type: spec.Type, Data: spec.Data, TTL: spec.TTL}, nil
}

func TestDNSNamesReachTheDriverNormalized(t *testing.T) {
	zones, records := &fakeZones{}, &fakeRecords{}
	c := serveTest(t, Plugin{Name: "fake", DNS: &DNS{Zones: zones, Records: records}}, true)
	client := pb.NewDNSClient(c.conn)
	ctx := t.Context()

	z, err := client.CreateZone(ctx, &pb.CreateDNSZoneRequest{Name: "Example.COM", AdminEmail: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if zones.spec.Name != "example.com." || z.GetName() != "example.com." {
		t.Errorf("driver got zone %q, answered %q; want example.com.", zones.spec.Name, z.GetName())
	}
	r, err := client.CreateRecord(ctx, &pb.CreateDNSRecordRequest{
		ZoneId: "z-1", Name: "WWW.example.com", Type: "cname", Data: []string{"example.com."}, Ttl: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	if records.spec.Name != "www.example.com." || records.spec.Type != RecordCNAME || r.GetTtl() != 300 {
		t.Errorf("driver got record %+v, answered %v", records.spec, r)
	}

	zones.spec, records.spec = DNSZoneSpec{}, DNSRecordSpec{}
	tests := []struct {
		name  string
		call  func() error
		param string
	}{
		{"zone name", func() error {
			_, err := client.CreateZone(ctx, &pb.CreateDNSZoneRequest{Name: "localhost"})
			return err
		}, "zone"},
		{"admin email", func() error {
			_, err := client.CreateZone(ctx, &pb.CreateDNSZoneRequest{Name: "example.com", AdminEmail: "nobody"})
			return err
		}, "admin_email"},
		{"record name", func() error {
			_, err := client.CreateRecord(ctx, &pb.CreateDNSRecordRequest{ZoneId: "z-1", Name: "a.*.example.com", Type: "A", Data: []string{"10.0.0.1"}})
			return err
		}, "name"},
		{"record type", func() error {
			_, err := client.CreateRecord(ctx, &pb.CreateDNSRecordRequest{ZoneId: "z-1", Name: "www.example.com", Type: "BOGUS", Data: []string{"x"}})
			return err
		}, "type"},
		{"no data", func() error {
			_, err := client.CreateRecord(ctx, &pb.CreateDNSRecordRequest{ZoneId: "z-1", Name: "www.example.com", Type: "A"})
			return err
		}, "data"},
		{"negative page size", func() error {
			_, err := client.ListRecords(ctx, &pb.ListDNSRecordsRequest{ZoneId: "z-1", PageSize: -3})
			return err
		}, "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantStatus(t, err, codes.InvalidArgument, "InvalidArgument", "")
			if got := errorInfo(err).GetMetadata()["param"]; got != tt.param {
				t.Errorf("param = %q, want %q", got, tt.param)
			}
		})
	}
	if zones.spec.Name != "" || records.spec.Name != "" {
		t.Errorf("invalid requests reached the driver: %+v %+v", zones.spec, records.spec)
	}
}
