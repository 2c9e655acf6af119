package mock

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func createFirewall(t *testing.T, p sdk.Plugin, label string) sdk.VMFirewall {
	t.Helper()
	fw, err := p.Security.VMFirewalls.Create(context.Background(), sdk.VMFirewallSpec{Label: label})
	if err != nil {
		t.Fatalf("create firewall %q: %v", label, err)
	}
	return fw
}

func TestVMFirewallCRUD(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	net := createNetwork(t, p, "")
	fw, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "web", NetworkID: net.ID, Description: "front"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fw.ID, "sg-") || fw.Label != "web" || fw.NetworkID != net.ID || fw.Description != "front" {
		t.Errorf("firewall = %+v", fw)
	}
	_, err = p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "-web"})
	wantErr(t, err, sdk.CodeInvalidArgument, "label")
	_, err = p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "web", Description: strings.Repeat("x", 256)})
	wantErr(t, err, sdk.CodeInvalidArgument, "description")

	label := "web-2"
	if up, err := p.Security.VMFirewalls.Update(ctx, fw.ID, sdk.VMFirewallUpdate{Label: &label}); err != nil || up.Label != label || up.Description != "front" {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	_, err = p.Security.VMFirewalls.Update(ctx, "sg-000000000000", sdk.VMFirewallUpdate{Label: &label})
	wantErr(t, err, sdk.CodeNotFound, "")

	if err := p.Security.VMFirewalls.Delete(ctx, fw.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.Security.VMFirewalls.Get(ctx, fw.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
}

func TestVMFirewallRules(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	web, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "web"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: "db-1"})
	if err != nil {
		t.Fatal(err)
	}
	rules := p.Security.Rules

	ssh := sdk.VMFirewallRuleSpec{FirewallID: web.ID, Direction: sdk.Inbound, Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}
	r1, err := rules.Create(ctx, ssh)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r1.ID, "sgr-") || r1.FirewallID != web.ID || r1.RuleName() != "inbound-tcp-22-22-0.0.0.0/0-" {
		t.Errorf("rule = %+v", r1)
	}
	r2, err := rules.Create(ctx, ssh)
	if err != nil || r2.ID != r1.ID {
		t.Fatalf("adding the same rule again = %+v, %v; want rule %s", r2, err, r1.ID)
	}
	// The same rule in another spelling of the network is the same rule.
	v6 := sdk.VMFirewallRuleSpec{FirewallID: web.ID, Direction: sdk.Inbound, Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "2001:DB8::/32"}
	r3, err := rules.Create(ctx, v6)
	if err != nil {
		t.Fatal(err)
	}
	v6.CIDR = "2001:db8::/32"
	if r4, err := rules.Create(ctx, v6); err != nil || r4.ID != r3.ID {
		t.Fatalf("same IPv6 rule = %+v, %v; want %s", r4, err, r3.ID)
	}
	fromDB, err := rules.Create(ctx, sdk.VMFirewallRuleSpec{FirewallID: web.ID, Direction: sdk.Inbound, SrcDestFirewallID: db.ID})
	if err != nil {
		t.Fatal(err)
	}
	page, err := rules.List(ctx, web.ID, sdk.ListOptions{})
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("List = %+v, %v; want 3 rules", page, err)
	}
	if page, err := rules.List(ctx, db.ID, sdk.ListOptions{}); err != nil || len(page.Items) != 0 {
		t.Fatalf("List(db) = %+v, %v; want none", page, err)
	}
	if got, err := rules.Get(ctx, web.ID, r1.ID); err != nil || got.ID != r1.ID {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	_, err = rules.Get(ctx, db.ID, r1.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
	err = rules.Delete(ctx, db.ID, r1.ID)
	wantErr(t, err, sdk.CodeNotFound, "")

	// db is named by a rule of web: it cannot go first.
	err = p.Security.VMFirewalls.Delete(ctx, db.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	if err := rules.Delete(ctx, web.ID, fromDB.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.Security.VMFirewalls.Delete(ctx, db.ID); err != nil {
		t.Fatal(err)
	}

	// Deleting a firewall deletes its rules.
	if err := p.Security.VMFirewalls.Delete(ctx, web.ID); err != nil {
		t.Fatal(err)
	}
	_, err = rules.List(ctx, web.ID, sdk.ListOptions{})
	wantErr(t, err, sdk.CodeNotFound, "")
	again := createFirewall(t, p, "web")
	if page, _ := rules.List(ctx, again.ID, sdk.ListOptions{}); len(page.Items) != 0 {
		t.Errorf("a new firewall has rules %+v", page.Items)
	}
}

func TestVMFirewallRuleValidation(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	fw := createFirewall(t, p, "web")
	ok := sdk.VMFirewallRuleSpec{FirewallID: fw.ID, Direction: sdk.Inbound, Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.0.0/8"}
	tests := []struct {
		name  string
		edit  func(*sdk.VMFirewallRuleSpec)
		code  sdk.Code
		param string
	}{
		{"direction", func(s *sdk.VMFirewallRuleSpec) { s.Direction = "sideways" }, sdk.CodeInvalidArgument, "direction"},
		{"protocol", func(s *sdk.VMFirewallRuleSpec) { s.Protocol = "sctp" }, sdk.CodeInvalidArgument, "protocol"},
		{"negative port", func(s *sdk.VMFirewallRuleSpec) { s.FromPort = -1 }, sdk.CodeInvalidArgument, "from_port"},
		{"port too big", func(s *sdk.VMFirewallRuleSpec) { s.ToPort = 65536 }, sdk.CodeInvalidArgument, "to_port"},
		{"ports reversed", func(s *sdk.VMFirewallRuleSpec) { s.FromPort, s.ToPort = 90, 80 }, sdk.CodeInvalidArgument, "from_port"},
		{"no cidr nor firewall", func(s *sdk.VMFirewallRuleSpec) { s.CIDR = "" }, sdk.CodeInvalidArgument, "cidr"},
		{"cidr and firewall", func(s *sdk.VMFirewallRuleSpec) { s.SrcDestFirewallID = fw.ID }, sdk.CodeInvalidArgument, "cidr"},
		{"bad cidr", func(s *sdk.VMFirewallRuleSpec) { s.CIDR = "10.0.0.1/8" }, sdk.CodeInvalidArgument, "cidr"},
		{"missing source firewall", func(s *sdk.VMFirewallRuleSpec) { s.CIDR, s.SrcDestFirewallID = "", "sg-000000000000" },
			sdk.CodeNotFound, "src_dest_firewall_id"},
		{"missing firewall", func(s *sdk.VMFirewallRuleSpec) { s.FirewallID = "sg-000000000000" }, sdk.CodeNotFound, "firewall_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := ok
			tt.edit(&spec)
			_, err := p.Security.Rules.Create(ctx, spec)
			wantErr(t, err, tt.code, tt.param)
		})
	}
	if _, err := p.Security.Rules.Create(ctx, ok); err != nil {
		t.Fatalf("valid rule: %v", err)
	}
}
