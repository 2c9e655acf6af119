package openstack

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Settings documents the settings Configure accepts. Each falls back to the
// OS_* environment variables python-openstackclient and CloudBridge read, so a
// sourced openrc works as it is; with cloud (OS_CLOUD) set, the account comes
// from that entry of clouds.yaml and the other settings override it.
func Settings() []sdk.SettingSpec {
	return []sdk.SettingSpec{
		{Name: "cloud", Env: []string{"OS_CLOUD"},
			Description: "Name of a cloud in clouds.yaml (searched in ./, ~/.config/openstack/, /etc/openstack/, or clouds_file) to take the account from."},
		{Name: "clouds_file", Env: []string{"OS_CLIENT_CONFIG_FILE"},
			Description: "Path of the clouds.yaml file to read the cloud from."},
		{Name: "auth_url", Env: []string{"OS_AUTH_URL"},
			Description: "Keystone v3 endpoint, e.g. https://keystone.example.com:5000/v3. Required unless cloud is set."},
		{Name: "username", Env: []string{"OS_USERNAME"}, Description: "User name, for password authentication."},
		{Name: "user_id", Env: []string{"OS_USER_ID", "OS_USERID"}, Description: "User id, instead of username."},
		{Name: "password", Env: []string{"OS_PASSWORD"}, Secret: true, Description: "Password, for password authentication."},
		{Name: "project_name", Env: []string{"OS_PROJECT_NAME", "OS_TENANT_NAME"}, Description: "Project to work in, by name."},
		{Name: "project_id", Env: []string{"OS_PROJECT_ID", "OS_TENANT_ID"}, Description: "Project to work in, by id."},
		{Name: "user_domain_name", Env: []string{"OS_USER_DOMAIN_NAME"}, Description: "Domain of the user, by name (Default when no domain is given)."},
		{Name: "user_domain_id", Env: []string{"OS_USER_DOMAIN_ID"}, Description: "Domain of the user, by id."},
		{Name: "project_domain_name", Env: []string{"OS_PROJECT_DOMAIN_NAME"}, Description: "Domain of the project, by name."},
		{Name: "project_domain_id", Env: []string{"OS_PROJECT_DOMAIN_ID"}, Description: "Domain of the project, by id."},
		{Name: "domain_name", Env: []string{"OS_DOMAIN_NAME"}, Description: "Domain of both user and project, by name, when they are not given apart."},
		{Name: "domain_id", Env: []string{"OS_DOMAIN_ID"}, Description: "Domain of both user and project, by id, when they are not given apart."},
		{Name: "application_credential_id", Env: []string{"OS_APPLICATION_CREDENTIAL_ID"},
			Description: "Application credential id, for application credential authentication."},
		{Name: "application_credential_name", Env: []string{"OS_APPLICATION_CREDENTIAL_NAME"},
			Description: "Application credential name (with username or user_id), instead of its id."},
		{Name: "application_credential_secret", Env: []string{"OS_APPLICATION_CREDENTIAL_SECRET"}, Secret: true,
			Description: "Application credential secret."},
		{Name: "token", Env: []string{"OS_AUTH_TOKEN", "OS_TOKEN"}, Secret: true,
			Description: "An existing Keystone token to use instead of a password; it cannot be renewed when it expires."},
		{Name: "region", Env: []string{"OS_REGION_NAME"},
			Description: "Region to work in; default the first region of the catalog."},
		{Name: "zone", Env: []string{"OS_ZONE_NAME", "OS_COMPUTE_ZONE_NAME"},
			Description: "Availability zone to work in; default the region's first available compute zone."},
		{Name: "interface", Env: []string{"OS_INTERFACE", "OS_ENDPOINT_TYPE"}, Default: "public",
			Description: "Endpoint interface of the catalog to use: public, internal or admin."},
		{Name: "external_network", Env: []string{"OS_EXTERNAL_NETWORK"},
			Description: "Network (name or id) whose floating IPs and router gateways are the internet gateway; default the first external, non-shared network."},
		{Name: "cacert", Env: []string{"OS_CACERT"}, Description: "PEM file of the CA that signed the endpoints' certificates."},
		{Name: "insecure", Env: []string{"OS_INSECURE"}, Default: "false",
			Description: "Skip TLS certificate verification (true/false); for test clouds only."},
	}
}

// authOptions is the account Configure resolved.
type authOptions struct {
	auth            gophercloud.AuthOptions
	region, zone    string
	iface           gophercloud.Availability
	externalNetwork string
	tls             *tls.Config
	// source says where the credentials came from, for error messages.
	source string
}

func (o authOptions) transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if o.tls != nil {
		t.TLSClientConfig = o.tls
	}
	return t
}

func lookupEnv(name string) (string, bool) { return os.LookupEnv(name) }

// setting reads one setting: the value given to Configure, else its first
// non-empty environment variable. from names where it was found.
type settingValues struct {
	cc   sdk.Config
	env  func(string) (string, bool)
	spec map[string]sdk.SettingSpec
	// explicit is true for values given to Configure rather than read from the
	// environment.
	explicit map[string]bool
	used     map[string]string
}

func (s *settingValues) get(name string) string {
	if v, ok := s.cc.Get(name); ok && v != "" {
		s.explicit[name] = true
		s.used[name] = "setting " + name
		return v
	}
	for _, env := range s.spec[name].Env {
		if v, ok := s.env(env); ok && v != "" {
			s.used[name] = env
			return v
		}
	}
	return s.spec[name].Default
}

// resolveAuth turns settings, environment and clouds.yaml into gophercloud's
// options. Nothing here talks to the network.
func resolveAuth(cc sdk.Config, env func(string) (string, bool)) (authOptions, error) {
	s := &settingValues{cc: cc, env: env, spec: map[string]sdk.SettingSpec{}, explicit: map[string]bool{}, used: map[string]string{}}
	for _, spec := range Settings() {
		s.spec[spec.Name] = spec
	}
	var o authOptions
	ifaceName := s.get("interface")
	switch strings.TrimSuffix(strings.ToLower(ifaceName), "url") {
	case "public", "":
		o.iface = gophercloud.AvailabilityPublic
	case "internal":
		o.iface = gophercloud.AvailabilityInternal
	case "admin":
		o.iface = gophercloud.AvailabilityAdmin
	default:
		return o, sdk.InvalidArgument("interface", ifaceName, "must be public, internal or admin")
	}
	o.region, o.zone, o.externalNetwork = s.get("region"), s.get("zone"), s.get("external_network")
	tlsCfg, err := tlsConfig(s.get("cacert"), s.get("insecure"))
	if err != nil {
		return o, err
	}
	o.tls = tlsCfg

	if cloud := s.get("cloud"); cloud != "" {
		return fromCloudsYAML(s, o, cloud)
	}
	a := gophercloud.AuthOptions{
		IdentityEndpoint:            s.get("auth_url"),
		Username:                    s.get("username"),
		UserID:                      s.get("user_id"),
		Password:                    s.get("password"),
		ApplicationCredentialID:     s.get("application_credential_id"),
		ApplicationCredentialName:   s.get("application_credential_name"),
		ApplicationCredentialSecret: s.get("application_credential_secret"),
		TokenID:                     s.get("token"),
	}
	o.source = sources(s, "environment and settings")
	if a.IdentityEndpoint == "" {
		return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "auth_url",
			Message: "no OpenStack credentials: set auth_url (OS_AUTH_URL) with a user and password, an application credential or a token, or cloud (OS_CLOUD) for clouds.yaml"}
	}
	userDomainID, userDomainName := first(s.get("user_domain_id"), s.get("domain_id")), first(s.get("user_domain_name"), s.get("domain_name"))
	projectDomainID, projectDomainName := first(s.get("project_domain_id"), s.get("domain_id")), first(s.get("project_domain_name"), s.get("domain_name"))
	projectID, projectName := s.get("project_id"), s.get("project_name")
	switch {
	case a.TokenID != "":
		// A token carries its user; it is scoped to the project given.
		a.Username, a.UserID, a.Password, a.ApplicationCredentialID, a.ApplicationCredentialName, a.ApplicationCredentialSecret = "", "", "", "", "", ""
	case a.ApplicationCredentialID != "" || a.ApplicationCredentialName != "":
		if a.ApplicationCredentialSecret == "" {
			return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "application_credential_secret",
				Message: "an application credential needs application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET); " + o.source}
		}
		a.Password = ""
		a.AllowReauth = true
		// An application credential is scoped already.
		projectID, projectName = "", ""
	default:
		if a.Username == "" && a.UserID == "" {
			return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "username",
				Message: "no OpenStack user: set username (OS_USERNAME) or user_id, an application credential or a token; " + o.source}
		}
		if a.Password == "" {
			return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "password",
				Message: "no password for user " + first(a.Username, a.UserID) + ": set password (OS_PASSWORD); " + o.source}
		}
		a.AllowReauth = true
	}
	if a.Username != "" && a.UserID == "" {
		a.DomainID, a.DomainName = userDomainID, userDomainName
		if a.DomainID == "" && a.DomainName == "" {
			a.DomainID = "default"
		}
	}
	switch {
	case projectID != "":
		a.Scope = &gophercloud.AuthScope{ProjectID: projectID}
	case projectName != "":
		a.Scope = &gophercloud.AuthScope{ProjectName: projectName, DomainID: projectDomainID, DomainName: projectDomainName}
		if projectDomainID == "" && projectDomainName == "" {
			a.Scope.DomainID = "default"
		}
	}
	o.auth = a
	return o, nil
}

// fromCloudsYAML reads the account from clouds.yaml (and secure.yaml),
// overridden by the settings given explicitly to Configure.
func fromCloudsYAML(s *settingValues, o authOptions, cloud string) (authOptions, error) {
	opts := []clouds.ParseOption{clouds.WithCloudName(cloud)}
	file := s.get("clouds_file")
	if file != "" {
		opts = append(opts, clouds.WithLocations(file))
	}
	over := func(name string, f func(string) clouds.ParseOption) {
		if v := s.get(name); v != "" && s.explicit[name] {
			opts = append(opts, f(v))
		}
	}
	over("auth_url", clouds.WithIdentityEndpoint)
	over("username", clouds.WithUsername)
	over("user_id", clouds.WithUserID)
	over("password", clouds.WithPassword)
	over("project_name", clouds.WithProjectName)
	over("project_id", clouds.WithProjectID)
	over("token", clouds.WithToken)
	over("application_credential_id", clouds.WithApplicationCredentialID)
	over("application_credential_secret", clouds.WithApplicationCredentialSecret)
	if s.explicit["region"] || o.region != "" {
		opts = append(opts, clouds.WithRegion(o.region))
	}
	o.source = fmt.Sprintf("cloud %q of clouds.yaml", cloud)
	if file != "" {
		o.source = fmt.Sprintf("cloud %q of %s", cloud, file)
	}
	ao, eo, tlsCfg, err := clouds.Parse(opts...)
	if err != nil {
		var nf clouds.ErrFileNotFound
		if errors.As(err, &nf) {
			return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "cloud",
				Message: fmt.Sprintf("cloud %q: %v", cloud, nf)}
		}
		return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "cloud", Message: fmt.Sprintf("%s: %v", o.source, err)}
	}
	if ao.IdentityEndpoint == "" {
		return o, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: "cloud", Message: o.source + " has no auth.auth_url"}
	}
	if ao.TokenID == "" {
		ao.AllowReauth = true
	}
	if ao.Username != "" && ao.DomainID == "" && ao.DomainName == "" {
		ao.DomainID = "default"
	}
	o.auth = ao
	if o.region == "" {
		o.region = eo.Region
	}
	if eo.Availability != "" && !s.explicit["interface"] && s.used["interface"] == "" {
		o.iface = eo.Availability
	}
	if tlsCfg != nil && o.tls == nil {
		o.tls = tlsCfg
	}
	return o, nil
}

func tlsConfig(cacert, insecure string) (*tls.Config, error) {
	skip := false
	if insecure != "" {
		b, err := strconv.ParseBool(insecure)
		if err != nil {
			return nil, sdk.InvalidArgument("insecure", insecure, "must be true or false")
		}
		skip = b
	}
	if cacert == "" && !skip {
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: skip} //nolint:gosec // the user asked for it, for test clouds
	if cacert != "" {
		pem, err := os.ReadFile(cacert)
		if err != nil {
			return nil, sdk.InvalidArgument("cacert", cacert, err.Error())
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, sdk.InvalidArgument("cacert", cacert, "no PEM certificate in the file")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// sources describes where the credentials were read from, naming settings
// and variables, never their values.
func sources(s *settingValues, fallback string) string {
	var from []string
	for _, name := range []string{"auth_url", "username", "user_id", "password", "application_credential_id", "token"} {
		if src, ok := s.used[name]; ok {
			from = append(from, src)
		}
	}
	if len(from) == 0 {
		return "tried " + fallback
	}
	slices.Sort(from)
	return "tried " + strings.Join(slices.Compact(from), ", ")
}

// authError maps a failed authentication: Keystone's 401 is Unauthenticated
// naming where the credentials came from; anything else goes through
// convertError.
func authError(err error, o authOptions) error {
	mapped := convertError(err, "authenticate to "+o.auth.IdentityEndpoint, sdk.CodeFailedPrecondition)
	var e *sdk.Error
	if errors.As(mapped, &e) && (e.Code == sdk.CodeUnauthenticated || e.Code == sdk.CodeNotFound || e.Code == sdk.CodePermissionDenied) {
		e.Code = sdk.CodeUnauthenticated
		e.Retryable = false
		e.Message = fmt.Sprintf("authenticate to %s (%s): %s", o.auth.IdentityEndpoint, o.source, e.Message)
	}
	return mapped
}

type catalogEntry = tokens.CatalogEntry

// readCatalog returns the service catalog of the token.
func readCatalog(pc *gophercloud.ProviderClient) ([]catalogEntry, error) {
	type catalogReader interface {
		ExtractServiceCatalog() (*tokens.ServiceCatalog, error)
	}
	r, ok := pc.GetAuthResult().(catalogReader)
	if !ok {
		return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "Keystone answered no v3 service catalog; the plugin needs Keystone v3"}
	}
	cat, err := r.ExtractServiceCatalog()
	if err != nil {
		return nil, &sdk.Error{Code: sdk.CodeInternal, Message: "read the service catalog: " + err.Error()}
	}
	return cat.Entries, nil
}

// catalogRegions lists the regions of the catalog's endpoints, sorted.
func catalogRegions(catalog []catalogEntry) []string {
	var out []string
	for _, e := range catalog {
		for _, ep := range e.Endpoints {
			r := first(ep.RegionID, ep.Region)
			if r != "" && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return out
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// scopedProject is the id of the project the token is scoped to, "" when it
// is not scoped to one.
func scopedProject(pc *gophercloud.ProviderClient) string {
	type projectReader interface {
		ExtractProject() (*tokens.Project, error)
	}
	if r, ok := pc.GetAuthResult().(projectReader); ok {
		if p, err := r.ExtractProject(); err == nil && p != nil {
			return p.ID
		}
	}
	return ""
}
