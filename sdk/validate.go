package sdk

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The validators below run in the host (to fail fast, before a plugin is called)
// and in the plugin server (so a caller in another language cannot skip them).
// Each returns nil or an *Error with CodeInvalidArgument whose Param names the
// argument and whose message quotes the rejected value.

// ValidateLabel checks a resource label against CloudBridge's rule
// ^[a-z][-a-z0-9]{1,61}[a-z0-9]$: 3 to 63 characters of lowercase letters,
// digits and hyphens, starting with a letter and not ending with a hyphen.
//
// Unlike Python's re.match, which lets "$" match before a final newline, a
// trailing newline is rejected.
func ValidateLabel(label string) error {
	return ValidateName("label", label)
}

// ValidateName checks a resource name (a key pair's, for instance) against the
// same rule as ValidateLabel, reporting the error against param. IP-like names
// such as "192.168.5.4" fail it because they start with a digit and hold dots.
func ValidateName(param, name string) error {
	if reason := labelRuleViolation(name); reason != "" {
		return validationError(param, name, reason)
	}
	return nil
}

// labelRuleViolation returns why s breaks ^[a-z][-a-z0-9]{1,61}[a-z0-9]$, or ""
// if it does not. It is written out rather than matched with a regexp so that
// the error can say which part of the rule was broken.
func labelRuleViolation(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) < 3 || len(s) > 63:
		return fmt.Sprintf("must be 3 to 63 characters long, not %d", len(s))
	}
	for _, r := range s {
		if !isLowerASCIIAlnum(r) && r != '-' {
			return fmt.Sprintf("character %q is not allowed: use lowercase letters, digits and hyphens", r)
		}
	}
	switch {
	case s[0] < 'a' || s[0] > 'z':
		return "must start with a lowercase letter"
	case s[len(s)-1] == '-':
		return "must not end with a hyphen"
	}
	return ""
}

// ValidateBucketName checks name against Amazon S3's rules for general-purpose
// buckets: 3 to 63 characters of lowercase letters, digits, dots and hyphens;
// starting and ending with a letter or digit; no two adjacent dots; not formatted
// as an IPv4 address; none of the prefixes and suffixes S3 reserves. Names that
// pass are valid on GCS too; a plugin whose cloud is stricter still (Azure
// containers allow no dots) checks its own rule on top.
func ValidateBucketName(name string) error {
	const param = "bucket"
	switch {
	case name == "":
		return validationError(param, name, "must not be empty")
	case len(name) < 3 || len(name) > 63:
		return validationError(param, name, fmt.Sprintf("must be 3 to 63 characters long, not %d", len(name)))
	}
	for _, r := range name {
		if !isLowerASCIIAlnum(r) && r != '.' && r != '-' {
			return validationError(param, name,
				fmt.Sprintf("character %q is not allowed: use lowercase letters, digits, dots and hyphens", r))
		}
	}
	switch {
	case !isLowerASCIIAlnum(rune(name[0])) || !isLowerASCIIAlnum(rune(name[len(name)-1])):
		return validationError(param, name, "must start and end with a lowercase letter or digit")
	case strings.Contains(name, ".."):
		return validationError(param, name, "must not contain two adjacent dots")
	case looksLikeIPv4(name):
		return validationError(param, name, "must not be formatted as an IP address")
	}
	// S3 keeps these for itself: punycode, its own services and documentation
	// examples (prefixes); access point and Object Lambda aliases, Multi-Region
	// Access Points and directory buckets (suffixes).
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return validationError(param, name, fmt.Sprintf("must not start with the reserved prefix %q", p))
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3"} {
		if strings.HasSuffix(name, s) {
			return validationError(param, name, fmt.Sprintf("must not end with the reserved suffix %q", s))
		}
	}
	return nil
}

// looksLikeIPv4 reports whether s is four dot-separated groups of digits. This is
// wider than netip.ParseAddr on purpose: S3 also refuses "192.168.05.4" and
// "999.1.1.1", which are shaped like addresses though not valid ones.
func looksLikeIPv4(s string) bool {
	groups := strings.Split(s, ".")
	if len(groups) != 4 {
		return false
	}
	for _, g := range groups {
		if g == "" || strings.TrimLeft(g, "0123456789") != "" {
			return false
		}
	}
	return true
}

// ValidateObjectKey checks an object key: non-empty, valid UTF-8, no NUL byte
// and at most 1024 bytes (S3's limit, the lowest of the object stores). Anything else is the cloud's business:
// spaces, non-ASCII letters and "../" are all valid keys.
func ValidateObjectKey(key string) error {
	const param = "key"
	switch {
	case key == "":
		return validationError(param, key, "must not be empty")
	case !utf8.ValidString(key):
		return validationError(param, key, "must be valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return validationError(param, key, "must not contain a NUL byte")
	case len(key) > 1024:
		return validationError(param, key, fmt.Sprintf("must be at most 1024 bytes of UTF-8, not %d", len(key)))
	}
	return nil
}

// NormalizeZoneName validates a DNS zone name and returns it in canonical form:
// lowercase and fully qualified, with the trailing dot added if it was missing
// ("Example.COM" becomes "example.com."). The name must have at least two labels
// ("localhost" is refused as not fully qualified); each label is 1 to 63
// letters, digits and hyphens, not starting or ending with a hyphen; the whole
// name is at most 253 characters without the final dot.
func NormalizeZoneName(name string) (string, error) {
	return normalizeDNSName("zone", name, false)
}

// NormalizeRecordName validates a DNS record name and returns it in canonical
// form, as NormalizeZoneName does ("www.example.com" becomes "www.example.com.").
// Record names may also hold underscores, as service records do
// ("_sip._tcp.example.com."), and may start with a "*" label for a wildcard
// ("*.example.com."); "*" anywhere else is refused.
func NormalizeRecordName(name string) (string, error) {
	return normalizeDNSName("name", name, true)
}

// normalizeDNSName implements NormalizeZoneName and, with record set,
// NormalizeRecordName.
func normalizeDNSName(param, name string, record bool) (string, error) {
	if name == "" {
		return "", validationError(param, name, "must not be empty")
	}
	// Check the characters before lowering: strings.ToLower maps some non-ASCII
	// runes to ASCII letters (the Kelvin sign U+212A becomes "k").
	for _, r := range name {
		if !isDNSNameRune(r, record) {
			return "", validationError(param, name, fmt.Sprintf("character %q is not allowed in a DNS name", r))
		}
	}
	fqdn := strings.ToLower(name)
	if !strings.HasSuffix(fqdn, ".") {
		fqdn += "."
	}
	body := strings.TrimSuffix(fqdn, ".")
	if len(body) > 253 {
		return "", validationError(param, name, fmt.Sprintf("must be at most 253 characters long, not %d", len(body)))
	}
	labels := strings.Split(body, ".")
	if len(labels) < 2 {
		return "", validationError(param, name, "must be fully qualified, with at least two labels (like example.com.)")
	}
	for i, l := range labels {
		switch {
		case l == "":
			return "", validationError(param, name, "must not contain an empty label")
		case len(l) > 63:
			return "", validationError(param, name, fmt.Sprintf("label %q is longer than 63 characters", l))
		case l == "*" && record && i == 0:
			continue
		case strings.Contains(l, "*"):
			return "", validationError(param, name, "a \"*\" is allowed only as the whole first label of a record name")
		case l[0] == '-' || l[len(l)-1] == '-':
			return "", validationError(param, name, fmt.Sprintf("label %q must not start or end with a hyphen", l))
		}
	}
	return fqdn, nil
}

// isDNSNameRune reports whether r may appear in a zone name or, with record set,
// a record name. Label structure is checked separately.
func isDNSNameRune(r rune, record bool) bool {
	switch {
	case isLowerASCIIAlnum(r), 'A' <= r && r <= 'Z', r == '-', r == '.':
		return true
	case record && (r == '_' || r == '*'):
		return true
	}
	return false
}

// ValidateCIDR checks that cidr is an IPv4 or IPv6 prefix in canonical form,
// with every host bit zero: "10.0.0.0/16" passes, "10.0.0.1/16" does not (clouds
// either refuse it or silently mask it, so a portable caller must not rely on
// either).
func ValidateCIDR(param, cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return validationError(param, cidr, "not an IPv4 or IPv6 CIDR block such as 10.0.0.0/16")
	}
	if m := p.Masked(); m != p {
		return validationError(param, cidr, fmt.Sprintf("host bits are set; the network is %s", m))
	}
	return nil
}

// ValidateEmail makes a deliberately simple check of an email address (a DNS
// zone's admin contact, for instance): one "@" with a non-empty local part
// before it and a dotted domain after it, and no spaces or control characters.
// Whether the mailbox exists is for the cloud to decide.
func ValidateEmail(param, email string) error {
	if email == "" {
		return validationError(param, email, "must not be empty")
	}
	for _, r := range email {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return validationError(param, email, "must not contain spaces or control characters")
		}
	}
	local, domain, ok := strings.Cut(email, "@")
	switch {
	case !ok:
		return validationError(param, email, "must have the form local@domain")
	case strings.Contains(domain, "@"):
		return validationError(param, email, "must contain exactly one \"@\"")
	case local == "":
		return validationError(param, email, "must have a local part before the \"@\"")
	case !strings.Contains(domain, "."):
		return validationError(param, email, "domain must contain a dot, like example.com")
	}
	for l := range strings.SplitSeq(domain, ".") {
		if l == "" {
			return validationError(param, email, "domain must not contain an empty label")
		}
	}
	return nil
}

// ValidatePort checks that port is a TCP/UDP port number, 0 to 65535, or -1,
// which stands for "all ports" (some clouds use it in ICMP rules, which have no
// port).
func ValidatePort(param string, port int) error {
	if port < -1 || port > 65535 {
		return validationError(param, port, "must be a port number from 0 to 65535, or -1 for all")
	}
	return nil
}

func isLowerASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
}

// validationError is InvalidArgument with an over-long string value shortened
// for display, so that a megabyte-long key does not make a megabyte-long error.
// Values up to 512 bytes, which covers any DNS name, are shown whole.
func validationError(param string, value any, reason string) *Error {
	if s, ok := value.(string); ok && len(s) > 512 {
		cut := 256
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		value = fmt.Sprintf("%s... (%d bytes)", s[:cut], len(s))
	}
	return InvalidArgument(param, value, reason)
}

// ValidateBlockDevices checks the shape of a launch config, CloudBridge's
// LaunchConfig rules: every device has a known source; a blank device has a
// size greater than 0; a volume, snapshot or image device names its source and
// a blank or ephemeral one does not; no size is negative; at most one device
// is the root, and an ephemeral disk cannot be it. The error's Param names the
// device and its field, as "block_devices[1].size_gb". Whether the sources
// exist, and fit the instance, is for the plugin to check.
func ValidateBlockDevices(devices []BlockDevice) error {
	root := -1
	for i, d := range devices {
		param := func(field string) string { return fmt.Sprintf("block_devices[%d].%s", i, field) }
		switch d.Source {
		case SourceBlank, SourceEphemeral:
			if d.SourceID != "" {
				return validationError(param("source_id"), d.SourceID,
					fmt.Sprintf("a %s device is made from nothing; leave source_id empty", d.Source))
			}
		case SourceVolume, SourceSnapshot, SourceImage:
			if d.SourceID == "" {
				return validationError(param("source_id"), d.SourceID,
					fmt.Sprintf("a %s device needs the id of its %s", d.Source, d.Source))
			}
		default:
			return validationError(param("source"), string(d.Source),
				"unknown source; use blank, volume, snapshot, image or ephemeral")
		}
		switch {
		case d.SizeGB < 0:
			return validationError(param("size_gb"), d.SizeGB, "must not be negative")
		case d.Source == SourceBlank && d.SizeGB == 0:
			return validationError(param("size_gb"), d.SizeGB, "a blank device needs a size in GB greater than 0")
		}
		if !d.IsRoot {
			continue
		}
		switch {
		case d.Source == SourceEphemeral:
			return validationError(param("is_root"), d.IsRoot, "an ephemeral disk cannot be the root device")
		case root >= 0:
			return validationError(param("is_root"), d.IsRoot,
				fmt.Sprintf("only one device may be the root, and block_devices[%d] already is", root))
		}
		root = i
	}
	return nil
}
