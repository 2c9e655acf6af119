package openstack

import (
	"slices"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/rules"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func TestPageTokens(t *testing.T) {
	size, marker, err := pageRequest(sdk.ListOptions{PageSize: 5000, PageToken: markerToken("id-1")})
	if err != nil || size != sdk.MaxPageSize || marker != "id-1" {
		t.Errorf("pageRequest = %d %q %v", size, marker, err)
	}
	if size, _, _ := pageRequest(sdk.ListOptions{}); size != sdk.DefaultPageSize {
		t.Errorf("default size %d", size)
	}
	for _, bad := range []string{"x", markerToken("")[:2], "b3MxOg"} {
		if _, _, err := pageRequest(sdk.ListOptions{PageToken: bad}); err == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
	items := []string{"a", "b", "c"}
	p := cutPage(items, 2, func(s string) string { return s })
	if !slices.Equal(p.Items, []string{"a", "b"}) || p.NextPageToken != markerToken("b") {
		t.Errorf("cutPage = %+v", p)
	}
	if p := cutPage(items, 3, func(s string) string { return s }); p.NextPageToken != "" || len(p.Items) != 3 {
		t.Errorf("last page %+v", p)
	}
	if a, b := tokenMark("t1"), tokenMark("t1"); a != b || a == tokenMark("t2") || len(a) > 60 || tokenMark("") != "" {
		t.Errorf("tokenMark %q %q", a, b)
	}
}

func TestRuleConversion(t *testing.T) {
	spec := sdk.VMFirewallRuleSpec{FirewallID: "g", Direction: sdk.Inbound, Protocol: "tcp", FromPort: 1111, ToPort: 2222, CIDR: "0.0.0.0/0"}
	o := ruleCreateOpts(spec)
	if o.Direction != rules.DirIngress || o.EtherType != rules.EtherType4 || o.PortRangeMin != 1111 || o.PortRangeMax != 2222 || o.RemoteIPPrefix != "0.0.0.0/0" {
		t.Errorf("create opts %+v", o)
	}
	back := ruleOf(rules.SecGroupRule{ID: "r", SecGroupID: "g", Direction: "ingress", EtherType: "IPv4", Protocol: "tcp",
		PortRangeMin: 1111, PortRangeMax: 2222, RemoteIPPrefix: "0.0.0.0/0"})
	want := spec
	if got := (sdk.VMFirewallRuleSpec{FirewallID: back.FirewallID, Direction: back.Direction, Protocol: back.Protocol,
		FromPort: back.FromPort, ToPort: back.ToPort, CIDR: back.CIDR}); got != want {
		t.Errorf("round trip %+v, want %+v", got, want)
	}
	egress := ruleOf(rules.SecGroupRule{ID: "e", SecGroupID: "g", Direction: "egress", EtherType: "IPv6"})
	if egress.Direction != sdk.Outbound || egress.CIDR != "::/0" || egress.Protocol != "" {
		t.Errorf("default egress rule %+v", egress)
	}
	if v6 := ruleCreateOpts(sdk.VMFirewallRuleSpec{Direction: sdk.Outbound, CIDR: "2001:db8::/32"}); v6.EtherType != rules.EtherType6 || v6.Direction != rules.DirEgress {
		t.Errorf("IPv6 rule %+v", v6)
	}
	for _, bad := range []sdk.VMFirewallRuleSpec{
		{FirewallID: "g", Direction: "up", CIDR: "0.0.0.0/0"},
		{FirewallID: "g", Direction: sdk.Inbound, Protocol: "gre", CIDR: "0.0.0.0/0"},
		{FirewallID: "g", Direction: sdk.Inbound, Protocol: "tcp", FromPort: 9, ToPort: 8, CIDR: "0.0.0.0/0"},
		{FirewallID: "g", Direction: sdk.Inbound, Protocol: "tcp", CIDR: "10.0.0.1/8"},
		{FirewallID: "g", Direction: sdk.Inbound, Protocol: "tcp", CIDR: "0.0.0.0/0", SrcDestFirewallID: "h"},
		{FirewallID: "g", Direction: sdk.Inbound, Protocol: "tcp"},
	} {
		if err := validateRuleSpec(bad); err == nil {
			t.Errorf("rule %+v accepted", bad)
		}
	}
}

func TestInstanceConversion(t *testing.T) {
	sv := servers.Server{ID: "s", Name: "web", Status: "ACTIVE", KeyName: "kp", Image: map[string]any{"id": "img"}}
	ps := []ports.Port{{ID: "p1", DeviceID: "s", FixedIPs: []ports.IP{{SubnetID: "sn", IPAddress: "10.0.0.5"}}, SecurityGroups: []string{"g1", "g2"}}}
	in := instanceOf(sv, serverExtra{AvailabilityZone: "nova"}, ps, map[string][]string{"p1": {"172.24.4.9"}}, "flavor-1")
	if in.Label != "web" || in.State != sdk.InstanceRunning || in.ImageID != "img" || in.Zone != "nova" || in.SubnetID != "sn" ||
		in.KeyPairID != "kp" || in.VMTypeID != "flavor-1" || !slices.Equal(in.PrivateIPs, []string{"10.0.0.5"}) ||
		!slices.Equal(in.PublicIPs, []string{"172.24.4.9"}) || !slices.Equal(in.VMFirewallIDs, []string{"g1", "g2"}) {
		t.Errorf("instance %+v", in)
	}
	for status, want := range map[string]sdk.InstanceState{"BUILD": sdk.InstancePending, "REBOOT": sdk.InstanceRebooting,
		"SHUTOFF": sdk.InstanceStopped, "ERROR": sdk.InstanceError, "RESIZE": sdk.InstanceConfiguring, "WHAT": sdk.InstanceUnknown} {
		if got := instanceState(status); got != want {
			t.Errorf("status %s = %s, want %s", status, got, want)
		}
	}
	if in := instanceOf(servers.Server{Status: "ACTIVE"}, serverExtra{TaskState: "deleting"}, nil, nil, ""); in.State != sdk.InstanceDeleted {
		t.Errorf("a server being deleted is %s", in.State)
	}
	bdm := blockDeviceMapping([]sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 1}, {Source: sdk.SourceImage, SourceID: "img", IsRoot: true, SizeGB: 10}}, "img")
	if len(bdm) != 2 || bdm[0].BootIndex != -1 || bdm[1].BootIndex != 0 || bdm[1].Tag != "cb1-image-root" || bdm[0].SourceType != servers.SourceBlank {
		t.Errorf("block device mapping %+v", bdm)
	}
	if bdm := blockDeviceMapping([]sdk.BlockDevice{{Source: sdk.SourceEphemeral, SizeGB: 1}}, "img"); len(bdm) != 2 || bdm[0].SourceType != servers.SourceImage ||
		bdm[0].BootIndex != 0 || bdm[1].DestinationType != servers.DestinationLocal {
		t.Errorf("the image boots when no device is the root: %+v", bdm)
	}
}

func TestVolumeConversion(t *testing.T) {
	v := volumeOf(volumes.Volume{ID: "v", Name: "data", Status: "in-use", Size: 2, SnapshotID: "snap",
		Attachments: []volumes.Attachment{{ServerID: "s", Device: "/dev/vdb"}}})
	if v.State != sdk.VolumeInUse || v.Source == nil || v.Source.Kind != "snapshot" || v.Attachment == nil || v.Attachment.InstanceID != "s" {
		t.Errorf("volume %+v", v)
	}
	v = volumeOf(volumes.Volume{ID: "v", Status: "available", VolumeImageMetadata: map[string]string{"image_id": "img"}})
	if v.Source == nil || v.Source.Kind != "image" || v.Source.ID != "img" || v.Attachment != nil {
		t.Errorf("volume from an image %+v", v)
	}
}

func TestDNSValues(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, v := range []string{"beside an A record", `say "hi" \o/`, long, "plain"} {
		enc := toDesignate(sdk.RecordTXT, []string{v})
		if strings.Contains(v, " ") && !strings.HasPrefix(enc[0], `"`) {
			t.Errorf("%q not quoted: %q", v, enc[0])
		}
		if v == long && strings.Count(enc[0], `"`) != 4 {
			t.Errorf("a 300-byte TXT value is not split in two strings: %q", enc[0])
		}
		if got := fromDesignate(sdk.RecordTXT, enc); got[0] != v {
			t.Errorf("TXT round trip %q -> %q -> %q", v, enc[0], got[0])
		}
	}
	got, err := sdk.NormalizeRecordData(sdk.RecordMX, []string{"10 mail.example.com"})
	if err != nil || got[0] != "10 mail.example.com." {
		t.Errorf("MX canonical form %v %v", got, err)
	}
	for typ, bad := range map[string]string{sdk.RecordA: "::1", sdk.RecordAAAA: "10.0.0.1", sdk.RecordCNAME: "*.x.com", sdk.RecordMX: "mail.example.com"} {
		if _, err := sdk.NormalizeRecordData(typ, []string{bad}); err == nil {
			t.Errorf("%s %q accepted", typ, bad)
		}
	}
}

func TestServiceErrorBodies(t *testing.T) {
	for body, want := range map[string][2]string{
		`{"NeutronError": {"type": "PortNotFound", "message": "Port x could not be found.", "detail": ""}}`: {"PortNotFound", "Port x could not be found."},
		`{"itemNotFound": {"code": 404, "message": "Flavor x could not be found."}}`:                        {"itemNotFound", "Flavor x could not be found."},
		"<html><body><h1>404 Not Found</h1>The resource could not be found.</body></html>":                  {"", "404 Not Found The resource could not be found."},
		``: {"", ""},
	} {
		kind, msg := serviceError([]byte(body))
		if kind != want[0] || msg != want[1] {
			t.Errorf("serviceError(%q) = %q, %q; want %q, %q", body, kind, msg, want[0], want[1])
		}
	}
}
