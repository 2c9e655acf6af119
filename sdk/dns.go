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
	ID string
	// Name is the FQDN with its trailing dot.
	Name        string
	AdminEmail  string
	Description string
	CreateTime  time.Time
	Extra       map[string]string
}

// DNSZoneSpec creates a zone.
type DNSZoneSpec struct {
	// Name is the zone's FQDN; the trailing dot is added when missing.
	Name             string
	AdminEmail       string
	Description      string
	IdempotencyToken string
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
	ID     string
	ZoneID string
	// Name is the FQDN with its trailing dot; it may start with "*.".
	Name  string
	Type  string
	Data  []string
	TTL   int
	Extra map[string]string
}

// DNSRecordSpec creates a record set.
type DNSRecordSpec struct {
	ZoneID           string
	Name             string
	Type             string
	Data             []string
	TTL              int
	IdempotencyToken string
}

// DNSRecords manages the records of zones.
type DNSRecords interface {
	List(ctx context.Context, zoneID string, opts ListOptions) (Page[DNSRecord], error)
	Get(ctx context.Context, zoneID, id string) (DNSRecord, error)
	Create(ctx context.Context, spec DNSRecordSpec) (DNSRecord, error)
	Delete(ctx context.Context, zoneID, id string) error
}
