package sdk

import (
	"context"
	"time"
)

// DNS is the DNS family: zones and their records.
type DNS struct {
	Zones   DNSZones
	Records DNSRecords
}

// DNSZone is a hosted zone.
type DNSZone struct {
	ID string `json:"id"`
	// Name is the FQDN with its trailing dot.
	Name        string            `json:"name"`
	AdminEmail  string            `json:"admin_email"`
	Description string            `json:"description"`
	CreateTime  time.Time         `json:"create_time,omitzero"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// DNSZoneSpec creates a zone.
type DNSZoneSpec struct {
	// Name is the zone's FQDN; the trailing dot is added when missing.
	Name             string `json:"name"`
	AdminEmail       string `json:"admin_email"`
	Description      string `json:"description"`
	IdempotencyToken string `json:"idempotency_token"`
}

// DNSZones manages zones.
type DNSZones interface {
	List(ctx context.Context, opts ListOptions) (Page[DNSZone], error)
	Get(ctx context.Context, id string) (DNSZone, error)
	Create(ctx context.Context, spec DNSZoneSpec) (DNSZone, error)
	Delete(ctx context.Context, id string) error
}

// DNS record types.
const (
	RecordA     = "A"
	RecordAAAA  = "AAAA"
	RecordCNAME = "CNAME"
	RecordMX    = "MX"
	RecordNS    = "NS"
	RecordPTR   = "PTR"
	RecordSPF   = "SPF"
	RecordSRV   = "SRV"
	RecordSSHFP = "SSHFP"
	RecordTXT   = "TXT"
	RecordCAA   = "CAA"
)

// DNSRecordTypes lists the record types of the contract.
var DNSRecordTypes = []string{
	RecordA, RecordAAAA, RecordCNAME, RecordMX, RecordNS, RecordPTR,
	RecordSPF, RecordSRV, RecordSSHFP, RecordTXT, RecordCAA,
}

// DNSRecord is a record set: one name and type with one or more values.
type DNSRecord struct {
	ID     string `json:"id"`
	ZoneID string `json:"zone_id"`
	// Name is the FQDN with its trailing dot; it may start with "*.".
	Name  string            `json:"name"`
	Type  string            `json:"type"`
	Data  []string          `json:"data,omitempty"`
	TTL   int               `json:"ttl"`
	Extra map[string]string `json:"extra,omitempty"`
}

// DNSRecordSpec creates a record set.
type DNSRecordSpec struct {
	ZoneID           string   `json:"zone_id"`
	Name             string   `json:"name"`
	Type             string   `json:"type"`
	Data             []string `json:"data,omitempty"`
	TTL              int      `json:"ttl"`
	IdempotencyToken string   `json:"idempotency_token"`
}

// DNSRecords manages the records of zones.
type DNSRecords interface {
	List(ctx context.Context, zoneID string, opts ListOptions) (Page[DNSRecord], error)
	Get(ctx context.Context, zoneID, id string) (DNSRecord, error)
	Create(ctx context.Context, spec DNSRecordSpec) (DNSRecord, error)
	Delete(ctx context.Context, zoneID, id string) error
}
