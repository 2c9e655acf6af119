package aws

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ---- zones ----

// dnsZones implements sdk.DNSZones over Route 53 public hosted zones. Route
// 53 has no admin email: it is kept in the zone's comment, as
// "admin_email=EMAIL" followed by "; DESCRIPTION" when there is one.
type dnsZones struct{ c *Cloud }

// zoneID strips Route 53's "/hostedzone/" prefix.
func zoneID(id *string) string { return strings.TrimPrefix(aws.ToString(id), "/hostedzone/") }

func zoneComment(email, description string) string {
	c := "admin_email=" + email
	if description != "" {
		c += "; " + description
	}
	return c
}

func parseComment(c string) (email, description string) {
	rest, ok := strings.CutPrefix(c, "admin_email=")
	if !ok {
		return "", c
	}
	email, description, _ = strings.Cut(rest, "; ")
	return email, description
}

func zoneFromR53(z r53types.HostedZone) sdk.DNSZone {
	out := sdk.DNSZone{ID: zoneID(z.Id), Name: decodeDNSName(aws.ToString(z.Name)), Extra: map[string]string{
		"caller_reference": aws.ToString(z.CallerReference),
	}}
	if z.Config != nil {
		out.AdminEmail, out.Description = parseComment(aws.ToString(z.Config.Comment))
		out.Extra["private_zone"] = strconv.FormatBool(z.Config.PrivateZone)
	}
	if z.ResourceRecordSetCount != nil {
		out.Extra["record_set_count"] = strconv.FormatInt(*z.ResourceRecordSetCount, 10)
	}
	return out
}

// decodeDNSName undoes Route 53's octal escapes ("\052" is "*") and
// lowercases the name.
func decodeDNSName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	out := strings.ToLower(b.String())
	if !strings.HasSuffix(out, ".") {
		out += "."
	}
	return out
}

// List pages through every zone of the account (Route 53 allows 500 by
// default, at most 100 a call) and cuts the page asked for, by id.
func (s *dnsZones) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.DNSZone], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.DNSZone]{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.DNSZone]{}, err
	}
	var all []sdk.DNSZone
	p := route53.NewListHostedZonesPaginator(cl.r53, &route53.ListHostedZonesInput{MaxItems: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return sdk.Page[sdk.DNSZone]{}, cl.mapError(err)
		}
		for _, z := range out.HostedZones {
			all = append(all, zoneFromR53(z))
		}
	}
	slices.SortFunc(all, func(a, b sdk.DNSZone) int { return strings.Compare(a.ID, b.ID) })
	all = slices.CompactFunc(all, func(a, b sdk.DNSZone) bool { return a.ID == b.ID })
	return sdk.Paginate(all, opts, func(z sdk.DNSZone) string { return z.ID })
}

func (s *dnsZones) Get(ctx context.Context, id string) (sdk.DNSZone, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.DNSZone{}, err
	}
	z, err := hostedZone(ctx, cl, id)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	return zoneFromR53(z), nil
}

// hostedZone gets one zone; a missing or malformed id is NotFound.
func hostedZone(ctx context.Context, cl *clients, id string) (r53types.HostedZone, error) {
	if id == "" || strings.ContainsAny(id, "/ ") {
		return r53types.HostedZone{}, sdk.NotFound("dns zone", id)
	}
	out, err := cl.r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(id)})
	if err != nil {
		if isCode(err, "InvalidInput") {
			return r53types.HostedZone{}, sdk.NotFound("dns zone", id)
		}
		return r53types.HostedZone{}, cl.lookupError(err, "dns zone", id)
	}
	if out.HostedZone == nil {
		return r53types.HostedZone{}, sdk.NotFound("dns zone", id)
	}
	return *out.HostedZone, nil
}

// Create makes a public hosted zone and waits until Route 53 has it in sync.
// A zone of the name already there is AlreadyExists (Route 53 itself allows
// several), unless it was made with this create's idempotency token, which
// is the zone's caller reference.
func (s *dnsZones) Create(ctx context.Context, spec sdk.DNSZoneSpec) (sdk.DNSZone, error) {
	name, err := sdk.NormalizeZoneName(spec.Name)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	if spec.AdminEmail != "" {
		if err := sdk.ValidateEmail("admin_email", spec.AdminEmail); err != nil {
			return sdk.DNSZone{}, err
		}
	}
	comment := zoneComment(spec.AdminEmail, spec.Description)
	if len(comment) > 256 {
		return sdk.DNSZone{}, sdk.InvalidArgument("description", spec.Description[:min(32, len(spec.Description))]+"...", "admin email and description must fit Route 53's 256-character comment")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.DNSZone{}, err
	}
	existing, err := zonesNamed(ctx, cl, name)
	if err != nil {
		return sdk.DNSZone{}, err
	}
	for _, z := range existing {
		if spec.IdempotencyToken != "" && aws.ToString(z.CallerReference) == spec.IdempotencyToken {
			return zoneFromR53(z), nil
		}
	}
	if len(existing) > 0 {
		return sdk.DNSZone{}, &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name",
			Message: fmt.Sprintf("dns zone %s already exists (%s)", name, zoneID(existing[0].Id))}
	}
	ref := spec.IdempotencyToken
	if ref == "" {
		ref = "cloudbridge-" + uniqueSuffix() + uniqueSuffix()
	}
	out, err := cl.r53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{
		Name: aws.String(name), CallerReference: aws.String(ref),
		HostedZoneConfig: &r53types.HostedZoneConfig{Comment: aws.String(comment)},
	})
	if err != nil {
		return sdk.DNSZone{}, wrapf(cl.mapError(err), "create dns zone %s", name)
	}
	if out.ChangeInfo != nil {
		if err := waitInSync(ctx, cl, out.ChangeInfo); err != nil {
			return sdk.DNSZone{}, wrapf(err, "dns zone %s was made (%s) but", name, zoneID(out.HostedZone.Id))
		}
	}
	return zoneFromR53(*out.HostedZone), nil
}

// zonesNamed lists the hosted zones of exactly name.
func zonesNamed(ctx context.Context, cl *clients, name string) ([]r53types.HostedZone, error) {
	out, err := cl.r53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(name), MaxItems: aws.Int32(100)})
	if err != nil {
		return nil, cl.mapError(err)
	}
	var zs []r53types.HostedZone
	for _, z := range out.HostedZones {
		if decodeDNSName(aws.ToString(z.Name)) == name {
			zs = append(zs, z)
		}
	}
	return zs, nil
}

// waitInSync polls GetChange until the change is INSYNC (Route 53 takes
// seconds to a minute), bounded by ctx and two minutes.
func waitInSync(ctx context.Context, cl *clients, ci *r53types.ChangeInfo) error {
	if ci.Status == r53types.ChangeStatusInsync || aws.ToString(ci.Id) == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pause := 200 * time.Millisecond
	for {
		out, err := cl.r53.GetChange(ctx, &route53.GetChangeInput{Id: ci.Id})
		if err != nil {
			return wrapf(cl.mapError(err), "waiting for change %s to be in sync", aws.ToString(ci.Id))
		}
		if out.ChangeInfo != nil && out.ChangeInfo.Status == r53types.ChangeStatusInsync {
			return nil
		}
		select {
		case <-ctx.Done():
			return wrapf(mapError(ctx.Err()), "change %s is not in sync yet", aws.ToString(ci.Id))
		case <-time.After(pause):
		}
		pause = min(pause*2, 5*time.Second)
	}
}

// Delete deletes a zone. Route 53 refuses a zone with record sets other
// than its own SOA and NS: FailedPrecondition.
func (s *dnsZones) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := hostedZone(ctx, cl, id); err != nil {
		return err
	}
	out, err := cl.r53.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: aws.String(id)})
	if err != nil {
		return cl.lookupError(err, "dns zone", id)
	}
	if out.ChangeInfo != nil {
		return waitInSync(ctx, cl, out.ChangeInfo)
	}
	return nil
}

// ---- records ----

// dnsRecords implements sdk.DNSRecords over Route 53 record sets (simple
// routing). A record's id is "NAME:TYPE", as CloudBridge's.
type dnsRecords struct{ c *Cloud }

// defaultTTL is the TTL of a record made with none.
const defaultTTL = 300

func recordID(name, typ string) string { return name + ":" + typ }

func parseRecordID(id string) (name, typ string, ok bool) {
	i := strings.LastIndexByte(id, ':')
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

func recordFromR53(zone string, rs r53types.ResourceRecordSet) sdk.DNSRecord {
	name := decodeDNSName(aws.ToString(rs.Name))
	r := sdk.DNSRecord{ID: recordID(name, string(rs.Type)), ZoneID: zone, Name: name, Type: string(rs.Type),
		TTL: int(aws.ToInt64(rs.TTL)), Extra: map[string]string{}}
	for _, v := range rs.ResourceRecords {
		val := aws.ToString(v.Value)
		if rs.Type == r53types.RRTypeTxt || rs.Type == r53types.RRTypeSpf {
			val = unquoteTXT(val)
		}
		r.Data = append(r.Data, val)
	}
	if rs.SetIdentifier != nil {
		r.Extra["set_identifier"] = aws.ToString(rs.SetIdentifier)
	}
	if rs.AliasTarget != nil {
		r.Extra["alias_target"] = aws.ToString(rs.AliasTarget.DNSName)
	}
	return r
}

// quoteTXT makes a TXT value Route 53 accepts: quoted strings of at most 255
// characters.
func quoteTXT(v string) string {
	if strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) && len(v) >= 2 {
		return v
	}
	esc := strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`)
	var parts []string
	for len(esc) > 255 {
		parts = append(parts, `"`+esc[:255]+`"`)
		esc = esc[255:]
	}
	return strings.Join(append(parts, `"`+esc+`"`), " ")
}

func unquoteTXT(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			in = !in
		case c == '\\' && in && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (s *dnsRecords) List(ctx context.Context, zoneID string, opts sdk.ListOptions) (sdk.Page[sdk.DNSRecord], error) {
	size, err := pageSize(opts.PageSize)
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	tok, err := decodeToken(opts.PageToken)
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	if opts.PageToken != "" && len(tok.Extra) != 3 {
		return sdk.Page[sdk.DNSRecord]{}, sdk.InvalidArgument("page_token", opts.PageToken, "not a page token of dns records")
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	if _, err := hostedZone(ctx, cl, zoneID); err != nil {
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), MaxItems: aws.Int32(int32(min(size, 300)))}
	if len(tok.Extra) == 3 {
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = optString(tok.Extra[0]), r53types.RRType(tok.Extra[1]), optString(tok.Extra[2])
	}
	out, err := cl.r53.ListResourceRecordSets(ctx, in)
	if err != nil {
		err = cl.mapError(err)
		if opts.PageToken != "" && errors.Is(err, sdk.ErrInvalidArgument) {
			return sdk.Page[sdk.DNSRecord]{}, sdk.InvalidArgument("page_token", opts.PageToken, "refused by Route 53")
		}
		return sdk.Page[sdk.DNSRecord]{}, err
	}
	// The page starts at the token's record, or at the next one when that
	// record was deleted meanwhile: Route 53 resumes by name and type, so
	// records are neither skipped nor repeated.
	sets := out.ResourceRecordSets
	truncated, nextName, nextType, nextIdent := out.IsTruncated, aws.ToString(out.NextRecordName), string(out.NextRecordType), aws.ToString(out.NextRecordIdentifier)
	var page sdk.Page[sdk.DNSRecord]
	if len(sets) > size {
		// More than MaxItems: cut the page, and resume at the first record
		// left out.
		rest := sets[size]
		sets, truncated = sets[:size], true
		nextName, nextType, nextIdent = aws.ToString(rest.Name), string(rest.Type), aws.ToString(rest.SetIdentifier)
	}
	for _, rs := range sets {
		page.Items = append(page.Items, recordFromR53(zoneID, rs))
	}
	if truncated {
		page.NextPageToken = pageToken{Extra: []string{nextName, nextType, nextIdent}}.encode()
	}
	return page, nil
}

func (s *dnsRecords) Get(ctx context.Context, zoneID, id string) (sdk.DNSRecord, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	if _, err := hostedZone(ctx, cl, zoneID); err != nil {
		return sdk.DNSRecord{}, err
	}
	rs, err := recordSet(ctx, cl, zoneID, id)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	return recordFromR53(zoneID, rs), nil
}

// recordSet finds one record set by id.
func recordSet(ctx context.Context, cl *clients, zoneID, id string) (r53types.ResourceRecordSet, error) {
	name, typ, ok := parseRecordID(id)
	if !ok || !slices.Contains(sdk.DNSRecordTypes, typ) {
		return r53types.ResourceRecordSet{}, sdk.NotFound("dns record", id)
	}
	out, err := cl.r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID), StartRecordName: aws.String(name), StartRecordType: r53types.RRType(typ), MaxItems: aws.Int32(10),
	})
	if err != nil {
		if isCode(err, "InvalidInput") {
			return r53types.ResourceRecordSet{}, sdk.NotFound("dns record", id)
		}
		return r53types.ResourceRecordSet{}, cl.lookupError(err, "dns record", id)
	}
	for _, rs := range out.ResourceRecordSets {
		if decodeDNSName(aws.ToString(rs.Name)) == name && string(rs.Type) == typ {
			return rs, nil
		}
	}
	return r53types.ResourceRecordSet{}, sdk.NotFound("dns record", id)
}

// Create makes a record set and waits until Route 53 has it in sync. A set of
// the same name and type is AlreadyExists (Route 53's CREATE refuses it too).
func (s *dnsRecords) Create(ctx context.Context, spec sdk.DNSRecordSpec) (sdk.DNSRecord, error) {
	name, err := sdk.NormalizeRecordName(spec.Name)
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	if err := validateRecordData(spec.Type, spec.Data); err != nil {
		return sdk.DNSRecord{}, err
	}
	if spec.TTL < 0 || spec.TTL > 2147483647 {
		return sdk.DNSRecord{}, sdk.InvalidArgument("ttl", spec.TTL, "must be from 0 (the default, 300) to 2147483647")
	}
	ttl := spec.TTL
	if ttl == 0 {
		ttl = defaultTTL
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.DNSRecord{}, err
	}
	z, err := hostedZone(ctx, cl, spec.ZoneID)
	if err != nil {
		e := err.(*sdk.Error)
		e.Param = "zone_id"
		return sdk.DNSRecord{}, e
	}
	zone := decodeDNSName(aws.ToString(z.Name))
	if name != zone && !strings.HasSuffix(name, "."+zone) {
		return sdk.DNSRecord{}, sdk.InvalidArgument("name", name, "not in zone "+zone)
	}
	id := recordID(name, spec.Type)
	if _, err := recordSet(ctx, cl, spec.ZoneID, id); err == nil {
		return sdk.DNSRecord{}, &sdk.Error{Code: sdk.CodeAlreadyExists, Param: "name",
			Message: fmt.Sprintf("a %s record set %s already exists in zone %s", spec.Type, name, zone)}
	} else if !errors.Is(err, sdk.ErrNotFound) {
		return sdk.DNSRecord{}, err
	}
	rs := r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRType(spec.Type), TTL: aws.Int64(int64(ttl))}
	for _, v := range spec.Data {
		if spec.Type == sdk.RecordTXT || spec.Type == sdk.RecordSPF {
			v = quoteTXT(v)
		}
		rs.ResourceRecords = append(rs.ResourceRecords, r53types.ResourceRecord{Value: aws.String(v)})
	}
	out, err := cl.r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(spec.ZoneID),
		ChangeBatch:  &r53types.ChangeBatch{Changes: []r53types.Change{{Action: r53types.ChangeActionCreate, ResourceRecordSet: &rs}}},
	})
	if err != nil {
		err = cl.mapError(err)
		if e := (*sdk.Error)(nil); errors.As(err, &e) && strings.Contains(strings.ToLower(e.Message), "already exists") {
			e.Code, e.Param = sdk.CodeAlreadyExists, "name"
		}
		return sdk.DNSRecord{}, wrapf(err, "create %s record %s", spec.Type, name)
	}
	if out.ChangeInfo != nil {
		if err := waitInSync(ctx, cl, out.ChangeInfo); err != nil {
			return sdk.DNSRecord{}, err
		}
	}
	return recordFromR53(spec.ZoneID, rs), nil
}

// validateRecordData checks the values of a record set against its type, so
// that a bad value is refused saying which, before Route 53 is asked.
func validateRecordData(typ string, data []string) error {
	if !slices.Contains(sdk.DNSRecordTypes, typ) {
		return sdk.InvalidArgument("type", typ, "not one of "+strings.Join(sdk.DNSRecordTypes, ", "))
	}
	if len(data) == 0 {
		return sdk.InvalidArgument("data", "", "a record set needs at least one value")
	}
	if typ == sdk.RecordCNAME && len(data) > 1 {
		return sdk.InvalidArgument("data", strings.Join(data, ","), "a CNAME has exactly one value")
	}
	for _, v := range data {
		bad := func(reason string) error { return sdk.InvalidArgument("data", v, reason) }
		fields := strings.Fields(v)
		switch typ {
		case sdk.RecordA:
			if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
				return bad("not an IPv4 address")
			}
		case sdk.RecordAAAA:
			if a, err := netip.ParseAddr(v); err != nil || !a.Is6() || a.Is4In6() {
				return bad("not an IPv6 address")
			}
		case sdk.RecordMX:
			if len(fields) != 2 || !isUint(fields[0], 65535) {
				return bad(`an MX value is "PREFERENCE HOST", like "10 mail.example.com."`)
			}
		case sdk.RecordSRV:
			if len(fields) != 4 || !isUint(fields[0], 65535) || !isUint(fields[1], 65535) || !isUint(fields[2], 65535) {
				return bad(`an SRV value is "PRIORITY WEIGHT PORT TARGET", like "10 5 5060 sip.example.com."`)
			}
		case sdk.RecordCNAME, sdk.RecordNS, sdk.RecordPTR:
			if len(fields) != 1 {
				return bad("a host name, without spaces")
			}
		case sdk.RecordCAA:
			if len(fields) < 3 || !isUint(fields[0], 255) {
				return bad(`a CAA value is "FLAGS TAG VALUE", like "0 issue \"ca.example.net\""`)
			}
		case sdk.RecordSSHFP:
			if len(fields) != 3 || !isUint(fields[0], 255) || !isUint(fields[1], 255) {
				return bad(`an SSHFP value is "ALGORITHM TYPE FINGERPRINT"`)
			}
		}
	}
	return nil
}

func isUint(s string, max uint64) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n <= max
}

// Delete deletes a record set (Route 53 needs its exact values to do so).
func (s *dnsRecords) Delete(ctx context.Context, zoneID, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if _, err := hostedZone(ctx, cl, zoneID); err != nil {
		return err
	}
	rs, err := recordSet(ctx, cl, zoneID, id)
	if err != nil {
		return err
	}
	out, err := cl.r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID),
		ChangeBatch:  &r53types.ChangeBatch{Changes: []r53types.Change{{Action: r53types.ChangeActionDelete, ResourceRecordSet: &rs}}},
	})
	if err != nil {
		return cl.lookupError(err, "dns record", id)
	}
	if out.ChangeInfo != nil {
		return waitInSync(ctx, cl, out.ChangeInfo)
	}
	return nil
}
