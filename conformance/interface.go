package conformance

import (
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// interfaceTests port CloudBridge's test_interface: who the provider says it
// is and what it says it has. (Zones, authentication and cancellation are
// contract tests.)
func interfaceTests() []Test {
	return []Test{
		{Name: "interface/name", Run: testInterfaceName},
		{Name: "interface/version", Run: testInterfaceVersion},
		{Name: "interface/has-service-valid", Run: testHasServiceValid},
		{Name: "interface/has-service-invalid", Run: testHasServiceInvalid},
		{Name: "interface/settings-documented", Run: testSettingsDocumented},
	}
}

// testInterfaceName is test_name_property: a name that can be part of the
// binary's file name, the same in the provider and its description.
func testInterfaceName(t T, e *Env) {
	name := e.P.Name
	if name == "" || strings.ContainsAny(name, "/\\ \t\n") {
		t.Errorf("provider name %q is empty or not usable in a file name", name)
	}
	if d := e.P.Describe(); d.Name != name {
		t.Errorf("provider name %q, description name %q", name, d.Name)
	}
}

// testInterfaceVersion is test_library_version: the plugin's and its sdk's
// versions are reported, and the protocol spoken is this one.
func testInterfaceVersion(t T, e *Env) {
	d := e.P.Describe()
	if e.P.Version == "" || d.Version != e.P.Version {
		t.Errorf("provider version %q, description version %q: want the same, not empty", e.P.Version, d.Version)
	}
	if d.SDKVersion == "" {
		t.Errorf("the plugin does not say which sdk version it was built with")
	}
	if !slices.Contains(d.ProtocolVersions, sdk.ProtocolVersion) {
		t.Errorf("protocol versions %v lack %d", d.ProtocolVersions, sdk.ProtocolVersion)
	}
}

// testHasServiceValid is test_has_service_valid_service_type: Has answers
// true for every advertised capability, and for a family exactly when the
// family is advertised.
func testHasServiceValid(t T, e *Env) {
	caps := e.P.Capabilities()
	for _, c := range caps {
		if !e.P.Has(c) {
			t.Errorf("capability %s is advertised but Has(%q) is false", c, c)
		}
	}
	families := []string{sdk.CapCompute, sdk.CapStorage, sdk.CapObjectStore, sdk.CapNetwork, sdk.CapSecurity, sdk.CapDNS}
	for _, f := range families {
		if e.P.Has(f) != slices.Contains(caps, f) {
			t.Errorf("Has(%q) = %v, but capabilities %v", f, e.P.Has(f), caps)
		}
	}
}

// testHasServiceInvalid is test_has_service_invalid_service_type.
func testHasServiceInvalid(t T, e *Env) {
	for _, c := range []string{"bogus.service", "", "compute.bogus", "COMPUTE", "compute."} {
		if e.P.Has(c) {
			t.Errorf("Has(%q) = true for a capability that does not exist", c)
		}
	}
}

// testSettingsDocumented: every setting the plugin takes has a unique name and
// says what it is for, since `describe` is how users learn them.
func testSettingsDocumented(t T, e *Env) {
	seen := map[string]bool{}
	for _, s := range e.P.Describe().Settings {
		switch {
		case s.Name == "":
			t.Errorf("a setting has no name: %+v", s)
		case seen[s.Name]:
			t.Errorf("setting %s is documented twice", s.Name)
		case s.Description == "":
			t.Errorf("setting %s has no description", s.Name)
		}
		seen[s.Name] = true
	}
}
