package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// securityTests port CloudBridge's test_security_service.
func securityTests() []Test {
	keyPairs := []string{sdk.CapKeyPairs}
	firewalls := []string{sdk.CapVMFirewalls}
	rules := []string{sdk.CapVMFirewalls, sdk.CapVMFirewallRules}
	return []Test{
		{Name: "security/key-pairs/crud", Needs: keyPairs, Run: testKeyPairCRUD},
		{Name: "security/key-pairs/names", Needs: keyPairs, Run: testKeyPairNames},
		{Name: "security/key-pairs/import", Needs: keyPairs, Run: testKeyPairImport},
		{Name: "security/key-pairs/import-bad-public-key", Needs: keyPairs, Run: testKeyPairImportBad},
		{Name: "security/key-pairs/idempotent-create", Needs: keyPairs, Run: testKeyPairIdempotent},
		{Name: "security/key-pairs/missing", Needs: keyPairs, Run: testKeyPairsMissing},
		{Name: "security/key-pairs/paging", Needs: keyPairs, Run: testKeyPairsPaging},

		{Name: "security/vm-firewalls/crud", Needs: firewalls, Run: testFirewallCRUD},
		{Name: "security/vm-firewalls/idempotent-create", Needs: firewalls, Run: testFirewallIdempotent},
		{Name: "security/vm-firewalls/missing", Needs: firewalls, Run: testFirewallsMissing},
		{Name: "security/vm-firewalls/paging", Needs: firewalls, Run: testFirewallsPaging},

		{Name: "security/rules/crud", Needs: rules, Run: testRuleCRUD},
		{Name: "security/rules/add-twice", Needs: rules, Run: testRuleAddTwice},
		{Name: "security/rules/group-rule", Needs: rules, Run: testGroupRule},
		{Name: "security/rules/validation", Needs: rules, Run: testRuleValidation},
		{Name: "security/rules/missing", Needs: rules, Run: testRulesMissing},
		{Name: "security/rules/missing-firewall", Needs: rules, Run: testRulesMissingFirewall},
		{Name: "security/rules/deleted-with-firewall", Needs: rules, Run: testRulesDeletedWithFirewall},
		{Name: "security/rules/paging", Needs: rules, Run: testRulesPaging},
	}
}

// ---- adapters to the standard checks ----

func keyPairService(e *Env) service[*host.KeyPair] {
	s := e.P.Security.KeyPairs
	return service[*host.KeyPair]{
		kind: "key pair", id: func(k *host.KeyPair) string { return k.ID },
		findKey: "name", findValue: func(k *host.KeyPair) string { return k.Name },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func firewallService(e *Env) service[*host.VMFirewall] {
	s := e.P.Security.VMFirewalls
	return service[*host.VMFirewall]{
		kind: "firewall", id: func(f *host.VMFirewall) string { return f.ID },
		findKey: "label", findValue: func(f *host.VMFirewall) string { return f.Label },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

// ruleService finds rules by CloudBridge's rule name, which says everything
// the rule is about.
func ruleService(fw *host.VMFirewall) service[host.VMFirewallRule] {
	s := fw.Rules
	return service[host.VMFirewallRule]{
		kind: "firewall rule", id: func(r host.VMFirewallRule) string { return r.ID },
		findKey: "name", findValue: host.VMFirewallRule.RuleName,
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func firewallLabels(e *Env, fw *host.VMFirewall) labeled {
	drv := e.P.Drivers().Security.VMFirewalls
	return labeled{
		kind: "firewall", label: func() string { return fw.Label },
		set: fw.SetLabel, refresh: fw.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, fw.ID, sdk.VMFirewallUpdate{Label: &l})
			return err
		},
	}
}

// newRule adds a tracked rule to fw.
func newRule(t T, e *Env, fw *host.VMFirewall, spec sdk.VMFirewallRuleSpec) host.VMFirewallRule {
	t.Helper()
	r, err := fw.Rules.Create(e.Ctx, spec)
	must(t, err, "add rule %+v to firewall %s", spec, fw.ID)
	e.Track("firewall rule", r.ID, func(ctx context.Context) error { return fw.Rules.Delete(ctx, r.ID) })
	return r
}

// webRule is the rule most tests add.
var webRule = sdk.VMFirewallRuleSpec{Direction: sdk.Inbound, Protocol: "tcp", FromPort: 1111, ToPort: 2222, CIDR: "0.0.0.0/0"}

// ---- key pairs ----

// testKeyPairCRUD is test_crud_key_pair_service and test_key_pair_properties.
func testKeyPairCRUD(t T, e *Env) {
	kp := e.NewKeyPair(t, "crud")
	svc := keyPairService(e)
	run(t, "standard", func(t T) {
		if kp.Name != e.Name("crud") {
			t.Errorf("key pair %s is named %q, want %q", kp.ID, kp.Name, e.Name("crud"))
		}
		svc.checkStandard(t, e, kp)
	})
	run(t, "material-on-create", func(t T) { checkPrivateKey(t, kp.Material) })
	run(t, "no-material-after-create", func(t T) { checkNoMaterial(t, e, kp.ID) })
	run(t, "duplicate-name", func(t T) {
		dup, err := e.P.Security.KeyPairs.Create(e.Ctx, sdk.KeyPairSpec{Name: kp.Name})
		if err == nil {
			e.Track("key pair", dup.ID, dup.Delete)
		}
		wantCode(t, err, sdk.ErrAlreadyExists, "create key pair %q a second time", kp.Name)
	})
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "key pair", kp.ID, e.P.Security.KeyPairs.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, kp) })
}

// checkPrivateKey: a generated key pair's material is a PEM private key.
// OpenSSH's own format cannot be parsed with the standard library; its magic
// is checked instead.
func checkPrivateKey(t T, material string) {
	t.Helper()
	block, _ := pem.Decode([]byte(material))
	if block == nil {
		t.Fatalf("key pair material is not PEM (%d bytes)", len(material))
	}
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		_, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(block.Bytes)
	case "OPENSSH PRIVATE KEY":
		if !bytes.HasPrefix(block.Bytes, []byte("openssh-key-v1\x00")) {
			err = fmt.Errorf("no openssh-key-v1 magic")
		}
	default:
		err = fmt.Errorf("PEM block type %q is not a private key", block.Type)
	}
	if err != nil {
		t.Errorf("key pair material does not parse as a private key: %v", err)
	}
}

// checkNoMaterial: the private key is handed out once, by the create; a get or
// a list does not have it.
func checkNoMaterial(t T, e *Env, id string) {
	t.Helper()
	got, err := e.P.Security.KeyPairs.Get(e.Ctx, id)
	must(t, err, "get key pair %s", id)
	if got.Material != "" {
		t.Errorf("get key pair %s returned its private key", id)
	}
	for _, k := range collect(t, "key pairs", e.P.Security.KeyPairs.All(e.Ctx)) {
		if k.ID == id && k.Material != "" {
			t.Errorf("list of key pairs returned the private key of %s", id)
		}
	}
}

// testKeyPairNames is check_create for key pairs: bad names are refused by the
// host and, called directly, by the plugin.
func testKeyPairNames(t T, e *Env) {
	run(t, "host-rejects", func(t T) {
		checkRefused(t, e, "host create key pair named", badNames, func(ctx context.Context, n string) (string, error) {
			kp, err := e.P.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: n})
			if err != nil {
				return "", err
			}
			return kp.ID, nil
		}, e.P.Security.KeyPairs.Delete)
	})
	run(t, "plugin-rejects", func(t T) {
		drv := e.P.Drivers().Security.KeyPairs
		checkRefused(t, e, "plugin create key pair named", badNames, func(ctx context.Context, n string) (string, error) {
			kp, err := drv.Create(ctx, sdk.KeyPairSpec{Name: n})
			return kp.ID, err
		}, drv.Delete)
	})
}

// testKeyPairImport is test_import_key_pair: an imported key pair has no
// material, and the public key it reports, if any, is the one imported.
func testKeyPairImport(t T, e *Env) {
	pub := newAuthorizedKey(t, e.Name("import"))
	kp, err := e.P.Security.KeyPairs.Create(e.Ctx, sdk.KeyPairSpec{Name: e.Name("import"), PublicKeyMaterial: pub})
	must(t, err, "import key pair")
	e.Track("key pair", kp.ID, kp.Delete)
	if kp.Material != "" {
		t.Errorf("import of a public key answered private key material")
	}
	if kp.PublicKey != "" && !sameKey(kp.PublicKey, pub) {
		t.Errorf("imported key pair %s reports public key %q, want %q", kp.ID, kp.PublicKey, pub)
	}
	checkNoMaterial(t, e, kp.ID)
}

// testKeyPairImportBad: public key material that is not a key is refused.
func testKeyPairImportBad(t T, e *Env) {
	bad := []string{
		"not a key",
		"ssh-rsa not!base64",
		"ssh-rsa " + base64.StdEncoding.EncodeToString([]byte("garbage")),
		// An RSA key that calls itself Ed25519.
		"ssh-ed25519 " + strings.Fields(newAuthorizedKey(t, ""))[1],
	}
	n := 0
	checkRefused(t, e, "import key pair from public key", bad, func(ctx context.Context, pub string) (string, error) {
		n++ // a name each, so that one wrongly accepted import does not hide the next
		kp, err := e.P.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: e.Name(fmt.Sprintf("bad-import-%d", n)), PublicKeyMaterial: pub})
		if err != nil {
			return "", err
		}
		return kp.ID, nil
	}, e.P.Security.KeyPairs.Delete)
}

func testKeyPairIdempotent(t T, e *Env) {
	spec := sdk.KeyPairSpec{Name: e.Name("idem"), IdempotencyToken: randomHex(16)}
	first, err := e.P.Security.KeyPairs.Create(e.Ctx, spec)
	must(t, err, "create key pair")
	e.Track("key pair", first.ID, first.Delete)
	again, err := e.P.Security.KeyPairs.Create(e.Ctx, spec)
	must(t, err, "create key pair again with the same idempotency token")
	keyPairService(e).checkIdempotent(t, e, first, again.ID)
}

func testKeyPairsMissing(t T, e *Env) {
	keyPairService(e).checkMissing(t, e, e.Name("no-such-key"))
}

func testKeyPairsPaging(t T, e *Env) {
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, e.NewKeyPair(t, purpose).ID)
	}
	keyPairService(e).checkPaging(t, e, made)
}

// newAuthorizedKey makes a public key in authorized_keys form, RSA because
// every cloud imports it.
func newAuthorizedKey(t T, comment string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err, "generate RSA key")
	sshString := func(b, s []byte) []byte { return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...) }
	// An mpint is big-endian with a zero byte in front when the top bit is set.
	mpint := func(b []byte, n *big.Int) []byte {
		m := n.Bytes()
		if len(m) > 0 && m[0]&0x80 != 0 {
			m = append([]byte{0}, m...)
		}
		return sshString(b, m)
	}
	blob := sshString(nil, []byte("ssh-rsa"))
	blob = mpint(blob, big.NewInt(int64(key.E)))
	blob = mpint(blob, key.N)
	return strings.TrimSpace("ssh-rsa " + base64.StdEncoding.EncodeToString(blob) + " " + comment)
}

// sameKey compares two authorized_keys lines by key type and key, ignoring
// comments.
func sameKey(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) >= 2 && len(fb) >= 2 && fa[0] == fb[0] && fa[1] == fb[1]
}

// ---- VM firewalls ----

// testFirewallCRUD is test_crud_vm_firewall and test_vm_firewall_properties.
func testFirewallCRUD(t T, e *Env) {
	net := e.TestNetwork(t)
	svc := firewallService(e)
	run(t, "host-rejects-bad-labels", func(t T) {
		checkRefused(t, e, "host create firewall with label", badLabels, func(ctx context.Context, l string) (string, error) {
			fw, err := e.P.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: l, NetworkID: net})
			if err != nil {
				return "", err
			}
			return fw.ID, nil
		}, e.P.Security.VMFirewalls.Delete)
	})
	fw := e.NewFirewall(t, "crud", net)
	run(t, "properties", func(t T) {
		got, err := e.P.Security.VMFirewalls.Get(e.Ctx, fw.ID)
		must(t, err, "get firewall %s", fw.ID)
		// NewFirewall describes a firewall as "conformance <purpose>".
		if got.Label != e.Name("crud") || got.Description != "conformance crud" || (net != "" && got.NetworkID != net) {
			t.Errorf("firewall %s has label %q, description %q, network %q; want %q, %q, %q",
				fw.ID, got.Label, got.Description, got.NetworkID, e.Name("crud"), "conformance crud", net)
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, fw) })
	run(t, "relabel", func(t T) { firewallLabels(e, fw).checkRelabel(t, e) })
	run(t, "plugin-rejects-bad-labels", func(t T) { firewallLabels(e, fw).checkPluginRefuses(t, e) })
	run(t, "set-description", func(t T) {
		must(t, fw.SetDescription(e.Ctx, "changed by conformance"), "set firewall %s description", fw.ID)
		must(t, fw.Refresh(e.Ctx), "refresh firewall %s", fw.ID)
		if fw.Description != "changed by conformance" {
			t.Errorf("firewall %s description after set and refresh = %q", fw.ID, fw.Description)
		}
	})
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "firewall", fw.ID, e.P.Security.VMFirewalls.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, fw) })
}

func testFirewallIdempotent(t T, e *Env) {
	spec := sdk.VMFirewallSpec{Label: e.Name("idem"), NetworkID: e.TestNetwork(t), IdempotencyToken: randomHex(16)}
	first, err := e.P.Security.VMFirewalls.Create(e.Ctx, spec)
	must(t, err, "create firewall")
	e.Track("firewall", first.ID, first.Delete)
	again, err := e.P.Security.VMFirewalls.Create(e.Ctx, spec)
	must(t, err, "create firewall again with the same idempotency token")
	if again.ID != first.ID {
		e.Track("firewall", again.ID, again.Delete)
	}
	firewallService(e).checkIdempotent(t, e, first, again.ID)
}

func testFirewallsMissing(t T, e *Env) {
	firewallService(e).checkMissing(t, e, e.Name("no-such-firewall"))
}

func testFirewallsPaging(t T, e *Env) {
	net := e.TestNetwork(t)
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, e.NewFirewall(t, purpose, net).ID)
	}
	firewallService(e).checkPaging(t, e, made)
}

// ---- rules ----

// testRuleCRUD is test_crud_vm_firewall_rules and
// test_vm_firewall_rule_properties.
func testRuleCRUD(t T, e *Env) {
	fw := e.NewFirewall(t, "rules", e.TestNetwork(t))
	rule := newRule(t, e, fw, webRule)
	svc := ruleService(fw)
	run(t, "properties", func(t T) {
		got, err := fw.Rules.Get(e.Ctx, rule.ID)
		must(t, err, "get rule %s", rule.ID)
		want := withFirewall(webRule, fw.ID)
		for _, r := range []host.VMFirewallRule{rule, got} {
			if spec := specOf(r); spec != want || r.ID != rule.ID {
				t.Errorf("rule %s is %+v, want %+v", r.ID, spec, want)
			}
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, rule) })
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "firewall rule", rule.ID, fw.Rules.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, rule) })
}

// specOf is what a rule says, as the spec that adds it.
func specOf(r host.VMFirewallRule) sdk.VMFirewallRuleSpec {
	return sdk.VMFirewallRuleSpec{FirewallID: r.FirewallID, Direction: r.Direction, Protocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, CIDR: r.CIDR, SrcDestFirewallID: r.SrcDestFirewallID}
}

func withFirewall(spec sdk.VMFirewallRuleSpec, id string) sdk.VMFirewallRuleSpec {
	spec.FirewallID = id
	return spec
}

// testRuleAddTwice is test_vm_firewall_rule_add_twice: adding a rule the
// firewall has answers that rule.
func testRuleAddTwice(t T, e *Env) {
	fw := e.NewFirewall(t, "twice", e.TestNetwork(t))
	first := newRule(t, e, fw, webRule)
	again := newRule(t, e, fw, webRule)
	if again.ID != first.ID {
		t.Errorf("adding rule %s a second time made rule %s", first.ID, again.ID)
	}
	found, err := fw.Rules.Find(e.Ctx, host.Filter{"name": first.RuleName()})
	must(t, err, "find rule %s", first.RuleName())
	if len(found) != 1 {
		t.Errorf("firewall %s has %d rules named %s, want 1", fw.ID, len(found), first.RuleName())
	}
}

// testGroupRule is test_vm_firewall_group_rule: a rule about another firewall;
// once every rule of the firewall is deleted, both firewalls can be.
func testGroupRule(t T, e *Env) {
	net := e.TestNetwork(t)
	// The source is made first so that it is deleted last.
	src := e.NewFirewall(t, "group-src", net)
	fw := e.NewFirewall(t, "group", net)
	rule := newRule(t, e, fw, sdk.VMFirewallRuleSpec{Direction: sdk.Inbound, Protocol: "tcp", FromPort: 1, ToPort: 65535, SrcDestFirewallID: src.ID})
	if rule.SrcDestFirewallID != src.ID || rule.CIDR != "" {
		t.Errorf("group rule %s is about firewall %q and cidr %q, want firewall %q and no cidr", rule.ID, rule.SrcDestFirewallID, rule.CIDR, src.ID)
	}
	found, err := fw.Rules.Find(e.Ctx, host.Filter{"src_dest_firewall_id": src.ID})
	must(t, err, "find rules about firewall %s", src.ID)
	if n := count(found, rule.ID, func(r host.VMFirewallRule) string { return r.ID }); n != 1 {
		t.Errorf("group rule %s found %d times by src_dest_firewall_id, want 1", rule.ID, n)
	}
	for _, r := range collect(t, "rules", fw.Rules.All(e.Ctx)) {
		must(t, fw.Rules.Delete(e.Ctx, r.ID), "delete rule %s", r.ID)
	}
	if left := collect(t, "rules", fw.Rules.All(e.Ctx)); len(left) != 0 {
		t.Errorf("firewall %s still has %d rules after deleting each", fw.ID, len(left))
	}
	must(t, fw.Delete(e.Ctx), "delete firewall %s", fw.ID)
	must(t, src.Delete(e.Ctx), "delete firewall %s once no rule names it", src.ID)
}

// testRuleValidation: the plugin refuses malformed rules. A valid rule is
// added first, so that a plugin refusing everything cannot pass.
func testRuleValidation(t T, e *Env) {
	fw := e.NewFirewall(t, "invalid", e.TestNetwork(t))
	newRule(t, e, fw, webRule)
	with := func(f func(*sdk.VMFirewallRuleSpec)) sdk.VMFirewallRuleSpec {
		s := webRule
		s.FromPort, s.ToPort = 3333, 3333 // unlike the rule just added
		f(&s)
		return s
	}
	cases := []struct {
		name  string
		specs []sdk.VMFirewallRuleSpec
	}{
		{"bad-direction", []sdk.VMFirewallRuleSpec{
			with(func(s *sdk.VMFirewallRuleSpec) { s.Direction = "sideways" }),
			with(func(s *sdk.VMFirewallRuleSpec) { s.Direction = "" }),
		}},
		{"bad-protocol", []sdk.VMFirewallRuleSpec{with(func(s *sdk.VMFirewallRuleSpec) { s.Protocol = "gre" })}},
		{"ports-reversed", []sdk.VMFirewallRuleSpec{with(func(s *sdk.VMFirewallRuleSpec) { s.FromPort, s.ToPort = 2222, 1111 })}},
		{"port-out-of-range", []sdk.VMFirewallRuleSpec{
			with(func(s *sdk.VMFirewallRuleSpec) { s.ToPort = 65536 }),
			with(func(s *sdk.VMFirewallRuleSpec) { s.FromPort = -1 }),
		}},
		{"bad-cidr", []sdk.VMFirewallRuleSpec{
			with(func(s *sdk.VMFirewallRuleSpec) { s.CIDR = "not-a-cidr" }),
			with(func(s *sdk.VMFirewallRuleSpec) { s.CIDR = "10.0.0.0/33" }),
		}},
		{"cidr-host-bits", []sdk.VMFirewallRuleSpec{with(func(s *sdk.VMFirewallRuleSpec) { s.CIDR = "10.0.0.1/8" })}},
		{"cidr-and-group", []sdk.VMFirewallRuleSpec{with(func(s *sdk.VMFirewallRuleSpec) { s.SrcDestFirewallID = fw.ID })}},
		{"no-cidr-no-group", []sdk.VMFirewallRuleSpec{with(func(s *sdk.VMFirewallRuleSpec) { s.CIDR = "" })}},
	}
	for _, c := range cases {
		run(t, c.name, func(t T) {
			for _, spec := range c.specs {
				r, err := fw.Rules.Create(e.Ctx, spec)
				if err == nil {
					e.Track("firewall rule", r.ID, func(ctx context.Context) error { return fw.Rules.Delete(ctx, r.ID) })
				}
				wantCode(t, err, sdk.ErrInvalidArgument, "add rule %+v", spec)
			}
		})
	}
}

func testRulesMissing(t T, e *Env) {
	fw := e.NewFirewall(t, "missing", e.TestNetwork(t))
	ruleService(fw).checkMissing(t, e, e.Name("no-such-rule"))
}

// testRulesMissingFirewall: the rules of a firewall that does not exist are
// NotFound, not an empty list.
func testRulesMissingFirewall(t T, e *Env) {
	drv, missing := e.P.Drivers().Security.Rules, e.Name("no-such-firewall")
	_, err := drv.List(e.Ctx, missing, sdk.ListOptions{})
	wantCode(t, err, sdk.ErrNotFound, "list rules of missing firewall %s", missing)
	r, err := drv.Create(e.Ctx, withFirewall(webRule, missing))
	if err == nil {
		e.Track("firewall rule", r.ID, func(ctx context.Context) error { return drv.Delete(ctx, missing, r.ID) })
	}
	wantCode(t, err, sdk.ErrNotFound, "add rule to missing firewall %s", missing)
}

// testRulesDeletedWithFirewall: deleting a firewall deletes its rules, so a
// rule about another firewall no longer holds that one back from deletion.
func testRulesDeletedWithFirewall(t T, e *Env) {
	net := e.TestNetwork(t)
	src := e.NewFirewall(t, "named", net)
	fw := e.NewFirewall(t, "doomed", net)
	rule := newRule(t, e, fw, sdk.VMFirewallRuleSpec{Direction: sdk.Inbound, Protocol: "tcp", FromPort: 22, ToPort: 22, SrcDestFirewallID: src.ID})
	must(t, fw.Delete(e.Ctx), "delete firewall %s", fw.ID)
	_, err := e.P.Drivers().Security.Rules.Get(e.Ctx, fw.ID, rule.ID)
	wantCode(t, err, sdk.ErrNotFound, "get rule %s of deleted firewall %s", rule.ID, fw.ID)
	must(t, src.Delete(e.Ctx), "delete firewall %s, named only by a rule of deleted firewall %s", src.ID, fw.ID)
}

func testRulesPaging(t T, e *Env) {
	fw := e.NewFirewall(t, "paging", e.TestNetwork(t))
	var made []string
	for port := 1001; port <= 1003; port++ {
		spec := webRule
		spec.FromPort, spec.ToPort = port, port
		made = append(made, newRule(t, e, fw, spec).ID)
	}
	ruleService(fw).checkPaging(t, e, made)
}
