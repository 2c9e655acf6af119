package sdk

import (
	"context"
	"slices"
	"strings"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// dnsServer serves the DNS service over a plugin's DNS family.
type dnsServer struct {
	pb.UnimplementedDNSServer
	d *DNS
}

// ---- zones ----

func (s *dnsServer) ListZones(ctx context.Context, req *pb.ListDNSZonesRequest) (*pb.ListDNSZonesResponse, error) {
	if s.d.Zones == nil {
		return nil, Unsupported(CapDNSZones)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.d.Zones.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListDNSZonesResponse{Zones: convertAll(page.Items, zoneToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *dnsServer) GetZone(ctx context.Context, req *pb.GetDNSZoneRequest) (*pb.DNSZone, error) {
	if s.d.Zones == nil {
		return nil, Unsupported(CapDNSZones)
	}
	z, err := s.d.Zones.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return zoneToPB(z), nil
}

// CreateZone hands the driver the zone name in canonical form: lowercase,
// with its trailing dot.
func (s *dnsServer) CreateZone(ctx context.Context, req *pb.CreateDNSZoneRequest) (*pb.DNSZone, error) {
	if s.d.Zones == nil {
		return nil, Unsupported(CapDNSZones)
	}
	name, err := NormalizeZoneName(req.GetName())
	if err != nil {
		return nil, err
	}
	if email := req.GetAdminEmail(); email != "" {
		if err := ValidateEmail("admin_email", email); err != nil {
			return nil, err
		}
	}
	z, err := s.d.Zones.Create(ctx, DNSZoneSpec{
		Name:             name,
		AdminEmail:       req.GetAdminEmail(),
		Description:      req.GetDescription(),
		IdempotencyToken: req.GetIdempotencyToken(),
	})
	if err != nil {
		return nil, err
	}
	return zoneToPB(z), nil
}

func (s *dnsServer) DeleteZone(ctx context.Context, req *pb.DeleteDNSZoneRequest) (*pb.DeleteDNSZoneResponse, error) {
	if s.d.Zones == nil {
		return nil, Unsupported(CapDNSZones)
	}
	if err := s.d.Zones.Delete(ctx, req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteDNSZoneResponse{}, nil
}

func zoneToPB(z DNSZone) *pb.DNSZone {
	return &pb.DNSZone{
		Id:          z.ID,
		Name:        z.Name,
		AdminEmail:  z.AdminEmail,
		Description: z.Description,
		CreateTime:  wire.Timestamp(z.CreateTime),
		Extra:       wire.CopyMap(z.Extra),
	}
}

// ---- records ----

func (s *dnsServer) ListRecords(ctx context.Context, req *pb.ListDNSRecordsRequest) (*pb.ListDNSRecordsResponse, error) {
	if s.d.Records == nil {
		return nil, Unsupported(CapDNSRecords)
	}
	opts, err := listOptions(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	page, err := s.d.Records.List(ctx, req.GetZoneId(), opts)
	if err != nil {
		return nil, err
	}
	return &pb.ListDNSRecordsResponse{Records: convertAll(page.Items, recordToPB), NextPageToken: page.NextPageToken}, nil
}

func (s *dnsServer) GetRecord(ctx context.Context, req *pb.GetDNSRecordRequest) (*pb.DNSRecord, error) {
	if s.d.Records == nil {
		return nil, Unsupported(CapDNSRecords)
	}
	r, err := s.d.Records.Get(ctx, req.GetZoneId(), req.GetId())
	if err != nil {
		return nil, err
	}
	return recordToPB(r), nil
}

// CreateRecord hands the driver the record name in canonical form and the type
// in upper case.
func (s *dnsServer) CreateRecord(ctx context.Context, req *pb.CreateDNSRecordRequest) (*pb.DNSRecord, error) {
	if s.d.Records == nil {
		return nil, Unsupported(CapDNSRecords)
	}
	name, err := NormalizeRecordName(req.GetName())
	if err != nil {
		return nil, err
	}
	typ := strings.ToUpper(req.GetType())
	if !slices.Contains(DNSRecordTypes, typ) {
		return nil, InvalidArgument("type", req.GetType(), "must be one of "+strings.Join(DNSRecordTypes, ", "))
	}
	if len(req.GetData()) == 0 {
		return nil, InvalidArgument("data", "", "a record needs at least one value")
	}
	if req.GetTtl() < 0 {
		return nil, InvalidArgument("ttl", req.GetTtl(), "must not be negative")
	}
	r, err := s.d.Records.Create(ctx, DNSRecordSpec{
		ZoneID:           req.GetZoneId(),
		Name:             name,
		Type:             typ,
		Data:             req.GetData(),
		TTL:              int(req.GetTtl()),
		IdempotencyToken: req.GetIdempotencyToken(),
	})
	if err != nil {
		return nil, err
	}
	return recordToPB(r), nil
}

func (s *dnsServer) DeleteRecord(ctx context.Context, req *pb.DeleteDNSRecordRequest) (*pb.DeleteDNSRecordResponse, error) {
	if s.d.Records == nil {
		return nil, Unsupported(CapDNSRecords)
	}
	if err := s.d.Records.Delete(ctx, req.GetZoneId(), req.GetId()); err != nil {
		return nil, err
	}
	return &pb.DeleteDNSRecordResponse{}, nil
}

func recordToPB(r DNSRecord) *pb.DNSRecord {
	return &pb.DNSRecord{
		Id:     r.ID,
		ZoneId: r.ZoneID,
		Name:   r.Name,
		Type:   r.Type,
		Data:   r.Data,
		Ttl:    int32(r.TTL),
		Extra:  wire.CopyMap(r.Extra),
	}
}
