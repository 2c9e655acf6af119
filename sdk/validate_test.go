package sdk_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// requireInvalidArgument fails the test unless err is an InvalidArgument *sdk.Error
// for param whose message quotes value.
func requireInvalidArgument(t *testing.T, err error, param, value string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want InvalidArgument for %s %q", param, value)
	}
	if !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Fatalf("got %v, want an error matching sdk.ErrInvalidArgument", err)
	}
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *sdk.Error", err)
	}
	if e.Param != param {
		t.Errorf("Param = %q, want %q", e.Param, param)
	}
	if len(value) > 512 {
		// Over-long values are shown by their start and their length.
		start, length := strings.ToValidUTF8(value[:64], ""), fmt.Sprintf("... (%d bytes)", len(value))
		if !strings.Contains(e.Message, start) || !strings.Contains(e.Message, length) {
			t.Errorf("message %q does not show %q and %q", e.Message, start, length)
		}
		if utf8.ValidString(value) && strings.Contains(e.Message, `\x`) {
			t.Errorf("message %q escapes a byte: the value was cut inside a rune", e.Message)
		}
		return
	}
	if quoted := fmt.Sprintf("%q", value); !strings.Contains(e.Message, quoted) {
		t.Errorf("message %q does not name the value %s", e.Message, quoted)
	}
}

// stringCase is a row of the table of a validator that takes one string.
type stringCase struct {
	name  string
	input string
	valid bool
}

func runStringCases(t *testing.T, param string, validate func(string) error, cases []stringCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(tc.input)
			if tc.valid {
				if err != nil {
					t.Fatalf("%q: unexpected error: %v", tc.input, err)
				}
				return
			}
			requireInvalidArgument(t, err, param, tc.input)
		})
	}
}

// The table of CloudBridge's check_obj_label, plus edge cases of the regexp.
var labelCases = []stringCase{
	{"short word", "abc", true},
	{"words digits dashes", "hello-world-123", true},
	{"single inner dash", "a-b", true},
	{"63 chars", "a" + strings.Repeat("b", 62), true},
	{"too short", "ab", false},
	{"empty (None)", "", false},
	{"space", "hello world", false},
	{"uppercase", "Hello-World", false},
	{"dot", "hello.world", false},
	{"colon", "hello:world", false},
	{"underscore", "hello_world", false},
	{"leading dash", "-hello", false},
	{"trailing dash", "hello-", false},
	{"64 chars", "a" + strings.Repeat("b", 63), false},
	{"leading digit", "1abc", false},
	{"trailing newline", "abc\n", false},
	{"non-ASCII letter", "héllo", false},
	{"Kelvin sign", "\u212Aabc", false},
}

func TestValidateLabel(t *testing.T) {
	runStringCases(t, "label", sdk.ValidateLabel, labelCases)
}

// FuzzValidateLabel checks the hand-written rule against the original's regexp.
func FuzzValidateLabel(f *testing.F) {
	re := regexp.MustCompile(`^[a-z][-a-z0-9]{1,61}[a-z0-9]$`)
	for _, tc := range labelCases {
		f.Add(tc.input)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := sdk.ValidateLabel(s) == nil, re.MatchString(s); got != want {
			t.Fatalf("ValidateLabel(%q) accepts = %v, regexp matches = %v", s, got, want)
		}
	})
}

// The table of CloudBridge's check_create.
func TestValidateName(t *testing.T) {
	const param = "key_pair_name"
	runStringCases(t, param, func(s string) error { return sdk.ValidateName(param, s) }, []stringCase{
		{"typical", "cb-kp-3f2a1b", true},
		{"space", "hello world", false},
		{"uppercase", "helloWorld", false},
		{"exclamation", "hello!world", false},
		{"at sign", "a@b", false},
		{"leading dash", "-hello", false},
		{"trailing dash", "hello-", false},
		{"underscore", "hello_world", false},
		{"over 63 chars", "a" + strings.Repeat("b", 63), false},
		{"IP-like", "192.168.5.4", false},
		{"empty (None)", "", false},
		{"too short", "cb", false},
	})
}

func TestValidateBucketName(t *testing.T) {
	runStringCases(t, "bucket", sdk.ValidateBucketName, []stringCase{
		{"letters and dash", "my-bucket", true},
		{"dots", "my.bucket.name", true},
		{"starts with digit", "1bucket", true},
		{"3 chars", "abc", true},
		{"63 chars", strings.Repeat("a", 63), true},
		{"three digit groups", "1.2.3", true},
		{"digit groups and letters", "1.2.3.a", true},
		{"single dash after xn", "xn-bucket", true},
		{"reserved suffix inside", "my-s3alias-bucket", true},
		{"empty", "", false},
		{"too short", "ab", false},
		{"64 chars", strings.Repeat("a", 64), false},
		{"uppercase", "My-Bucket", false},
		{"underscore", "my_bucket", false},
		{"space", "my bucket", false},
		{"leading dash", "-bucket", false},
		{"trailing dash", "bucket-", false},
		{"leading dot", ".bucket", false},
		{"trailing dot", "bucket.", false},
		{"adjacent dots", "my..bucket", false},
		{"IPv4 address", "192.168.5.4", false},
		{"IPv4 shape with leading zero", "192.168.05.4", false},
		{"prefix xn--", "xn--bucket", false},
		{"prefix sthree-", "sthree-bucket", false},
		{"prefix sthree-configurator", "sthree-configurator-bucket", false},
		{"prefix amzn-s3-demo-", "amzn-s3-demo-bucket", false},
		{"suffix -s3alias", "bucket-s3alias", false},
		{"suffix --ol-s3", "bucket--ol-s3", false},
		{"suffix .mrap", "bucket.mrap", false},
		{"suffix --x-s3", "bucket--x-s3", false},
	})
}

func TestValidateObjectKey(t *testing.T) {
	runStringCases(t, "key", sdk.ValidateObjectKey, []stringCase{
		{"one char", "a", true},
		{"spaces", "my file (1).txt", true},
		{"unicode", "données/日本語.txt", true},
		{"dot-dot-slash", "../etc/passwd", true},
		{"trailing slash", "dir/", true},
		{"1024 bytes", strings.Repeat("k", 1024), true},
		{"1025 bytes", strings.Repeat("k", 1025), false},
		{"empty", "", false},
		{"invalid UTF-8", "bad\xffkey", false},
		{"NUL byte", "a\x00b", false},
		// 513 two-byte runes: the limit is in bytes, not characters.
		{"1026 bytes in 513 runes", strings.Repeat("é", 513), false},
	})
	t.Run("1 MiB", func(t *testing.T) {
		// An odd number of ASCII bytes before two-byte runes, so that a cut at an
		// even offset falls inside a rune.
		key := "k" + strings.Repeat("é", 1<<19)
		err := sdk.ValidateObjectKey(key)
		requireInvalidArgument(t, err, "key", key)
		if n := len(err.Error()); n > 512 {
			t.Errorf("message is %d bytes long, want the value shortened", n)
		}
	})
}

type normalizeCase struct {
	name  string
	input string
	want  string // "" means the input is rejected
}

func runNormalizeCases(t *testing.T, param string, normalize func(string) (string, error), cases []normalizeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalize(tc.input)
			if tc.want == "" {
				requireInvalidArgument(t, err, param, tc.input)
				if got != "" {
					t.Errorf("got %q with the error, want \"\"", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: unexpected error: %v", tc.input, err)
			}
			if got != tc.want {
				t.Errorf("%q normalized to %q, want %q", tc.input, got, tc.want)
			}
		})
	}
}

// longDNSName returns a name of n characters (without the final dot) made of
// 63-character labels.
func longDNSName(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.Repeat("a", min(63, n-b.Len())))
	}
	return b.String()
}

func TestNormalizeZoneName(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	runNormalizeCases(t, "zone", sdk.NormalizeZoneName, []normalizeCase{
		{"fully qualified", "example.com.", "example.com."},
		{"trailing dot added", "cb-dnszonenfq-3f2a1b.com", "cb-dnszonenfq-3f2a1b.com."},
		{"lowercased", "Example.COM", "example.com."},
		{"many labels", "a.b.c.example.org", "a.b.c.example.org."},
		{"digits and punycode", "xn--bcher-kva.example9", "xn--bcher-kva.example9."},
		{"63-char label", label63 + ".com", label63 + ".com."},
		{"253 chars", longDNSName(253), longDNSName(253) + "."},
		{"empty", "", ""},
		{"single label", "localhost", ""},
		{"single label with dot", "localhost.", ""},
		{"root", ".", ""},
		{"empty label", "example..com", ""},
		{"leading dot", ".example.com", ""},
		{"two trailing dots", "example.com..", ""},
		{"leading hyphen", "-example.com", ""},
		{"trailing hyphen", "example-.com", ""},
		{"underscore", "exa_mple.com", ""},
		{"wildcard", "*.example.com", ""},
		{"space", "exam ple.com", ""},
		{"special", "ex!ample.com", ""},
		{"Kelvin sign", "\u212Aexample.com", ""},
		{"64-char label", label63 + "a.com", ""},
		{"254 chars", longDNSName(254), ""},
		{"254 chars with dot", longDNSName(254) + ".", ""},
	})
}

func TestNormalizeRecordName(t *testing.T) {
	runNormalizeCases(t, "name", sdk.NormalizeRecordName, []normalizeCase{
		{"fully qualified", "www.example.com.", "www.example.com."},
		{"trailing dot added", "subdomain.cb-recprop-3f2a1b.com", "subdomain.cb-recprop-3f2a1b.com."},
		{"zone apex", "example.com.", "example.com."},
		{"lowercased", "WWW.Example.com", "www.example.com."},
		{"wildcard", "*.cb-wildcard.example.com.", "*.cb-wildcard.example.com."},
		{"wildcard dot added", "*.example.com", "*.example.com."},
		{"service record", "_sip._tcp.example.com", "_sip._tcp.example.com."},
		{"empty", "", ""},
		{"single label", "www", ""},
		{"wildcard inside", "www.*.example.com", ""},
		{"wildcard in label", "*www.example.com", ""},
		{"double wildcard", "**.example.com", ""},
		{"leading hyphen", "-www.example.com", ""},
		{"empty label", "www..example.com", ""},
		{"space", "w w.example.com", ""},
		{"64-char label", strings.Repeat("a", 64) + ".example.com", ""},
	})
}

func TestValidateCIDR(t *testing.T) {
	const param = "cidr_block"
	runStringCases(t, param, func(s string) error { return sdk.ValidateCIDR(param, s) }, []stringCase{
		{"IPv4 /16", "10.0.0.0/16", true},
		{"IPv4 /24", "10.0.0.0/24", true},
		{"IPv4 host", "192.168.1.1/32", true},
		{"IPv4 everything", "0.0.0.0/0", true},
		{"IPv6", "2001:db8::/32", true},
		{"IPv6 everything", "::/0", true},
		{"host bits set", "10.0.0.1/16", false},
		{"IPv6 host bits set", "2001:db8::1/32", false},
		{"not an address", "banana", false},
		{"empty", "", false},
		{"no prefix length", "10.0.0.0", false},
		{"prefix too long", "10.0.0.0/33", false},
		{"negative prefix", "10.0.0.0/-1", false},
		{"leading zero", "010.0.0.0/8", false},
	})
	t.Run("message suggests the network", func(t *testing.T) {
		err := sdk.ValidateCIDR(param, "10.0.0.1/16")
		if err == nil || !strings.Contains(err.Error(), "10.0.0.0/16") {
			t.Errorf("got %v, want a message naming 10.0.0.0/16", err)
		}
	})
}

func TestValidateEmail(t *testing.T) {
	const param = "admin_email"
	runStringCases(t, param, func(s string) error { return sdk.ValidateEmail(param, s) }, []stringCase{
		{"typical", "admin@cloudve.org", true},
		{"dots and plus", "first.last+dns@mail.example.com", true},
		{"empty", "", false},
		{"no at", "admin.cloudve.org", false},
		{"no local part", "@cloudve.org", false},
		{"no domain", "admin@", false},
		{"undotted domain", "admin@localhost", false},
		{"two ats", "a@b@cloudve.org", false},
		{"space in local part", "ad min@cloudve.org", false},
		{"space in domain", "admin@cloud ve.org", false},
		{"tab", "admin\t@cloudve.org", false},
		{"empty domain label", "admin@cloudve..org", false},
		{"domain starts with dot", "admin@.org", false},
	})
}

func TestValidatePort(t *testing.T) {
	for _, tc := range []struct {
		name  string
		port  int
		valid bool
	}{
		{"all", -1, true},
		{"zero", 0, true},
		{"ssh", 22, true},
		{"highest", 65535, true},
		{"below all", -2, false},
		{"too high", 65536, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sdk.ValidatePort("from_port", tc.port)
			if tc.valid {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			requireInvalidArgument(t, err, "from_port", fmt.Sprint(tc.port))
		})
	}
}

func ExampleValidateLabel() {
	fmt.Println(sdk.ValidateLabel("web-server-1"))
	fmt.Println(sdk.ValidateLabel("Web_Server"))
	// Output:
	// <nil>
	// InvalidArgument: invalid label "Web_Server": character 'W' is not allowed: use lowercase letters, digits and hyphens (param label)
}

func ExampleNormalizeZoneName() {
	zone, err := sdk.NormalizeZoneName("Example.COM")
	fmt.Println(zone, err)
	// Output: example.com. <nil>
}

func TestValidateBlockDevices(t *testing.T) {
	blank := sdk.BlockDevice{Source: sdk.SourceBlank, SizeGB: 10}
	tests := []struct {
		name    string
		devices []sdk.BlockDevice
		param   string // "" when valid
		value   string
	}{
		{"none", nil, "", ""},
		{"one of each", []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: "img-1", IsRoot: true, DeleteOnTerminate: true},
			blank,
			{Source: sdk.SourceVolume, SourceID: "vol-1"},
			{Source: sdk.SourceSnapshot, SourceID: "snap-1", SizeGB: 20},
			{Source: sdk.SourceEphemeral},
		}, "", ""},
		{"a blank root", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: 8, IsRoot: true}}, "", ""},
		{"blank without size", []sdk.BlockDevice{{Source: sdk.SourceBlank}}, "block_devices[0].size_gb", "0"},
		{"negative size", []sdk.BlockDevice{blank, {Source: sdk.SourceSnapshot, SourceID: "snap-1", SizeGB: -1}},
			"block_devices[1].size_gb", "-1"},
		{"no source", []sdk.BlockDevice{{SizeGB: 1}}, "block_devices[0].source", ""},
		{"unknown source", []sdk.BlockDevice{{Source: "floppy", SizeGB: 1}}, "block_devices[0].source", "floppy"},
		{"volume without its id", []sdk.BlockDevice{{Source: sdk.SourceVolume}}, "block_devices[0].source_id", ""},
		{"image without its id", []sdk.BlockDevice{blank, {Source: sdk.SourceImage, IsRoot: true}}, "block_devices[1].source_id", ""},
		{"blank with a source", []sdk.BlockDevice{{Source: sdk.SourceBlank, SourceID: "vol-1", SizeGB: 1}},
			"block_devices[0].source_id", "vol-1"},
		{"ephemeral with a source", []sdk.BlockDevice{{Source: sdk.SourceEphemeral, SourceID: "x"}}, "block_devices[0].source_id", "x"},
		{"ephemeral root", []sdk.BlockDevice{{Source: sdk.SourceEphemeral, IsRoot: true}}, "block_devices[0].is_root", "true"},
		{"two roots", []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: "img-1", IsRoot: true}, blank,
			{Source: sdk.SourceBlank, SizeGB: 1, IsRoot: true},
		}, "block_devices[2].is_root", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sdk.ValidateBlockDevices(tt.devices)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("ValidateBlockDevices = %v, want nil", err)
				}
				return
			}
			requireInvalidArgument(t, err, tt.param, tt.value)
		})
	}
}
