package remote

import (
	"context"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var (
	_ sdk.DNSZones   = dnsZones{}
	_ sdk.DNSRecords = dnsRecords{}
)

// ---- zones ----

type dnsZones struct{ c pb.DNSClient }

func (d dnsZones) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.DNSZone], error) {
	resp, err := d.c.ListZones(ctx, &pb.ListDNSZonesRequest{PageSize: pageSize(opts), PageToken: opts.PageToken})
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, Error(err)
	}
	return page(resp.GetZones(), resp.GetNextPageToken(), dnsZoneFromPB), nil
}

func (d dnsZones) Get(ctx context.Context, id string) (sdk.DNSZone, error) {
	return one(dnsZoneFromPB)(d.c.GetZone(ctx, &pb.GetDNSZoneRequest{Id: id}))
}

func (d dnsZones) Create(ctx context.Context, spec sdk.DNSZoneSpec) (sdk.DNSZone, error) {
	return one(dnsZoneFromPB)(d.c.CreateZone(ctx, &pb.CreateDNSZoneRequest{
		Name:             spec.Name,
		AdminEmail:       spec.AdminEmail,
		Description:      spec.Description,
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (d dnsZones) Delete(ctx context.Context, id string) error {
	_, err := d.c.DeleteZone(ctx, &pb.DeleteDNSZoneRequest{Id: id})
	return Error(err)
}

func dnsZoneFromPB(x *pb.DNSZone) sdk.DNSZone {
	return sdk.DNSZone{
		ID:          x.GetId(),
		Name:        x.GetName(),
		AdminEmail:  x.GetAdminEmail(),
		Description: x.GetDescription(),
		CreateTime:  wire.Time(x.GetCreateTime()),
		Extra:       wire.CopyMap(x.GetExtra()),
	}
}

// ---- records ----

type dnsRecords struct{ c pb.DNSClient }

func (d dnsRecords) List(ctx context.Context, zoneID string, opts sdk.ListOptions) (sdk.Page[sdk.DNSRecord], error) {
	resp, err := d.c.ListRecords(ctx, &pb.ListDNSRecordsRequest{
		ZoneId:    zoneID,
		PageSize:  pageSize(opts),
		PageToken: opts.PageToken,
	})
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, Error(err)
	}
	return page(resp.GetRecords(), resp.GetNextPageToken(), dnsRecordFromPB), nil
}

func (d dnsRecords) Get(ctx context.Context, zoneID, id string) (sdk.DNSRecord, error) {
	return one(dnsRecordFromPB)(d.c.GetRecord(ctx, &pb.GetDNSRecordRequest{ZoneId: zoneID, Id: id}))
}

func (d dnsRecords) Create(ctx context.Context, spec sdk.DNSRecordSpec) (sdk.DNSRecord, error) {
	return one(dnsRecordFromPB)(d.c.CreateRecord(ctx, &pb.CreateDNSRecordRequest{
		ZoneId:           spec.ZoneID,
		Name:             spec.Name,
		Type:             spec.Type,
		Data:             spec.Data,
		Ttl:              int32Of(spec.TTL),
		IdempotencyToken: spec.IdempotencyToken,
	}))
}

func (d dnsRecords) Delete(ctx context.Context, zoneID, id string) error {
	_, err := d.c.DeleteRecord(ctx, &pb.DeleteDNSRecordRequest{ZoneId: zoneID, Id: id})
	return Error(err)
}

func dnsRecordFromPB(x *pb.DNSRecord) sdk.DNSRecord {
	return sdk.DNSRecord{
		ID:     x.GetId(),
		ZoneID: x.GetZoneId(),
		Name:   x.GetName(),
		Type:   x.GetType(),
		Data:   x.GetData(),
		TTL:    int(x.GetTtl()),
		Extra:  wire.CopyMap(x.GetExtra()),
	}
}
