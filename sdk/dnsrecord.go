package sdk

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTXTLength is the longest TXT or SPF value accepted, Route 53's limit.
const maxTXTLength = 4000

// NormalizeRecordData checks a DNS record set's values against the syntax of
// its type (one of DNSRecordTypes) and returns them in canonical form:
// addresses as netip prints them, host names (CNAME, MX, NS, PTR, SRV) with
// their trailing dot, as CloudBridge adds it. Values must not repeat, and a
// CNAME has exactly one. Plugins call it so that every cloud accepts and
// answers the same values.
func NormalizeRecordData(typ string, data []string) ([]string, error) {
	if len(data) == 0 {
		return nil, InvalidArgument("data", "", "a record needs at least one value")
	}
	if typ == RecordCNAME && len(data) > 1 {
		return nil, InvalidArgument("data", strings.Join(data, ", "), "a CNAME has exactly one value")
	}
	out := make([]string, 0, len(data))
	for _, v := range data {
		c, reason := recordValue(typ, v)
		if reason != "" {
			return nil, InvalidArgument("data", v, fmt.Sprintf("not a valid %s value: %s", typ, reason))
		}
		if slices.Contains(out, c) {
			return nil, InvalidArgument("data", v, "the value is given twice")
		}
		out = append(out, c)
	}
	return out, nil
}

// recordValue returns the canonical form of one value of a record of type
// typ, or why it is not valid. Spaces around a value are dropped, except in
// text, where they may mean something.
func recordValue(typ, v string) (string, string) {
	if typ != RecordTXT && typ != RecordSPF {
		v = strings.TrimSpace(v)
	}
	if v == "" {
		return "", "must not be empty"
	}
	switch typ {
	case RecordA, RecordAAAA:
		a, err := netip.ParseAddr(v)
		switch {
		case err != nil || a.Zone() != "":
			return "", "not an IP address"
		case typ == RecordA && !a.Is4():
			return "", "not an IPv4 address"
		case typ == RecordAAAA && !a.Is6():
			return "", "not an IPv6 address"
		}
		return a.String(), ""
	case RecordCNAME, RecordNS, RecordPTR:
		return hostName(v)
	case RecordMX:
		f := strings.Fields(v)
		if len(f) != 2 {
			return "", `must be "preference host", like "10 mail.example.com."`
		}
		if reason := uint16Field("preference", f[0]); reason != "" {
			return "", reason
		}
		host, reason := hostName(f[1])
		return f[0] + " " + host, reason
	case RecordSRV:
		f := strings.Fields(v)
		if len(f) != 4 {
			return "", `must be "priority weight port target", like "10 5 5060 sip.example.com."`
		}
		for i, what := range []string{"priority", "weight", "port"} {
			if reason := uint16Field(what, f[i]); reason != "" {
				return "", reason
			}
		}
		target := "." // "no such service here" (RFC 2782)
		if f[3] != "." {
			var reason string
			if target, reason = hostName(f[3]); reason != "" {
				return "", reason
			}
		}
		return strings.Join(append(f[:3:3], target), " "), ""
	case RecordTXT, RecordSPF:
		switch {
		case !utf8.ValidString(v):
			return "", "must be valid UTF-8"
		case len(v) > maxTXTLength:
			return "", fmt.Sprintf("must be at most %d bytes, not %d", maxTXTLength, len(v))
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			return "", "must not contain control characters"
		}
		return v, ""
	case RecordSSHFP:
		f := strings.Fields(v)
		if len(f) != 3 {
			return "", `must be "algorithm type fingerprint", like "4 2 <64 hex digits>"`
		}
		for i, what := range []string{"algorithm", "fingerprint type"} {
			if n, err := strconv.ParseUint(f[i], 10, 8); err != nil || n == 0 {
				return "", what + " must be a number from 1 to 255"
			}
		}
		if b, err := hex.DecodeString(f[2]); err != nil || len(b) == 0 {
			return "", "the fingerprint must be hex digits"
		}
		return strings.Join(f, " "), ""
	case RecordCAA:
		f := strings.Fields(v)
		if len(f) < 3 {
			return "", `must be "flags tag value", like "0 issue \"letsencrypt.org\""`
		}
		if _, err := strconv.ParseUint(f[0], 10, 8); err != nil {
			return "", "flags must be a number from 0 to 255"
		}
		if strings.IndexFunc(f[1], func(r rune) bool { return !isLowerASCIIAlnumRune(r) }) >= 0 {
			return "", fmt.Sprintf("tag %q must be lowercase letters and digits, like issue", f[1])
		}
		return strings.Join(f, " "), ""
	}
	return "", "unknown record type"
}

// hostName checks a host name in a record's value and returns it fully
// qualified. Its case is kept: DNS names compare without case.
func hostName(v string) (string, string) {
	if strings.Contains(v, "*") {
		return "", fmt.Sprintf("%q is not a host name", v)
	}
	if _, err := NormalizeRecordName(v); err != nil {
		return "", fmt.Sprintf("%q is not a fully qualified host name", v)
	}
	if !strings.HasSuffix(v, ".") {
		v += "."
	}
	return v, ""
}

func uint16Field(what, v string) string {
	if _, err := strconv.ParseUint(v, 10, 16); err != nil {
		return fmt.Sprintf("%s %q must be a number from 0 to 65535", what, v)
	}
	return ""
}

func isLowerASCIIAlnumRune(r rune) bool { return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' }
