package openstack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/availabilityzones"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Name is the provider name; the binary is cloudbridge-plugin-openstack.
const Name = "openstack"

// Microversions the plugin speaks. Nova 2.79 has server tags at boot (2.52),
// keypair paging (2.35) and the embedded flavor (2.47); Cinder 3.27 has the new
// attachment API fields and metadata filters.
const (
	computeMicroversion = "2.79"
	volumeMicroversion  = "3.27"
)

// Cloud is one OpenStack account, in one region and zone. Its zero value is not
// usable; call New, then Configure.
type Cloud struct {
	mu      sync.RWMutex
	version string
	log     logger
	conn    *conn
}

// conn is what Configure makes: the authenticated clients of one region.
type conn struct {
	provider *gophercloud.ProviderClient
	catalog  []catalogEntry
	region   string
	zone     string
	// projectID is the project the token is scoped to: lists are limited to
	// it, so that an admin sees its own resources only.
	projectID string
	iface     gophercloud.Availability
	// externalNetwork is the configured gateway network ("" = the first
	// external, non-shared one).
	externalNetwork string
	source          string

	compute, network, image, volume, object, dns *gophercloud.ServiceClient
	// missing names the services the catalog lacks, by client.
	missing map[string]string

	flavorsMu sync.Mutex
	flavors   map[string]string // flavor name → id (Nova 2.47+ embeds only the name)

	tempURLMu  sync.Mutex
	tempURLKey string

	zoneTokensMu sync.Mutex
	zoneTokens   map[string]string // idempotency mark → id of the zone made with it
}

// New returns an unconfigured cloud.
func New() *Cloud { return &Cloud{log: nopLogger{}} }

// logger is the part of the sdk's logger (hclog) the plugin uses.
type logger interface {
	Debug(msg string, args ...any)
	Warn(msg string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Warn(string, ...any)  {}

// Plugin returns the plugin serving c.
func (c *Cloud) Plugin(version string) sdk.Plugin {
	c.version = version
	return sdk.Plugin{
		Name:      Name,
		Version:   version,
		Settings:  Settings(),
		Configure: c.Configure,
		Probe:     c.Probe,
		Compute: &sdk.Compute{
			Regions:   &regions{c},
			VMTypes:   &vmTypes{c},
			Images:    &imageSvc{c},
			Instances: &instances{c},
		},
		Storage: &sdk.Storage{
			Volumes:   &volumeSvc{c},
			Snapshots: &snapshotSvc{c},
		},
		ObjectStore: &sdk.ObjectStore{
			Buckets: &buckets{c},
			Objects: &objectSvc{c},
		},
		Network: &sdk.Network{
			Networks:    &networkSvc{c},
			Subnets:     &subnetSvc{c},
			Routers:     &routerSvc{c},
			Gateways:    &gatewaySvc{c},
			FloatingIPs: &floatingIPSvc{c},
		},
		Security: &sdk.Security{
			KeyPairs:    &keyPairs{c},
			VMFirewalls: &vmFirewalls{c},
			Rules:       &vmFirewallRules{c},
		},
		DNS: &sdk.DNS{
			Zones:   &zoneSvc{c},
			Records: &recordSvc{c},
		},
	}
}

// Configure authenticates with the settings (or the OS_* environment, or a
// clouds.yaml cloud) and picks the region and zone.
func (c *Cloud) Configure(ctx context.Context, cc sdk.Config) (sdk.Location, error) {
	if err := ctx.Err(); err != nil {
		return sdk.Location{}, ctxError(err)
	}
	var log logger = nopLogger{}
	if cc.Logger != nil {
		log = cc.Logger
	}
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Name] = true
	}
	for _, m := range []map[string]string{cc.Settings, cc.Secrets} {
		for name := range m {
			if !known[name] {
				log.Warn("ignoring unknown setting", "setting", name)
			}
		}
	}
	opts, err := resolveAuth(cc, lookupEnv)
	if err != nil {
		return sdk.Location{}, err
	}
	cn, err := connect(ctx, opts, c.version)
	if err != nil {
		return sdk.Location{}, err
	}
	c.mu.Lock()
	c.conn, c.log = cn, log
	c.mu.Unlock()
	log.Debug("configured", "auth_url", opts.auth.IdentityEndpoint, "source", opts.source, "region", cn.region, "zone", cn.zone)
	return sdk.Location{Region: cn.region, Zone: cn.zone}, nil
}

// connect authenticates and makes the service clients of the region.
func connect(ctx context.Context, opts authOptions, version string) (*conn, error) {
	pc, err := gopenstack.NewClient(opts.auth.IdentityEndpoint)
	if err != nil {
		return nil, &sdk.Error{Code: sdk.CodeInvalidArgument, Param: "auth_url",
			Message: fmt.Sprintf("auth_url %q (from %s): %v", opts.auth.IdentityEndpoint, opts.source, err)}
	}
	pc.HTTPClient = http.Client{Transport: opts.transport()}
	pc.UserAgent.Prepend("cloudbridge-plugin-openstack/" + version)
	// Renew the token a little before it expires, and on any 401 (a revoked
	// token): a long run never sees an expired token as a failure.
	pc.ReauthBeforeTokenExpiration = 2 * time.Minute
	if err := gopenstack.Authenticate(ctx, pc, opts.auth); err != nil {
		return nil, authError(err, opts)
	}
	catalog, err := readCatalog(pc)
	if err != nil {
		return nil, err
	}
	cn := &conn{provider: pc, catalog: catalog, iface: opts.iface, externalNetwork: opts.externalNetwork,
		source: opts.source, missing: map[string]string{}, flavors: map[string]string{},
		zoneTokens: map[string]string{}}
	cn.region = opts.region
	cn.projectID = scopedProject(pc)
	regionsSeen := catalogRegions(catalog)
	switch {
	case cn.region == "" && len(regionsSeen) > 0:
		cn.region = regionsSeen[0]
	case cn.region != "" && !slices.Contains(regionsSeen, cn.region):
		return nil, sdk.InvalidArgument("region", cn.region, "not a region of the cloud's catalog; it has "+strings.Join(regionsSeen, ", "))
	}
	eo := gophercloud.EndpointOpts{Region: cn.region, Availability: opts.iface}
	mk := func(name string, f func(*gophercloud.ProviderClient, gophercloud.EndpointOpts) (*gophercloud.ServiceClient, error)) *gophercloud.ServiceClient {
		sc, err := f(pc, eo)
		if err != nil {
			cn.missing[name] = err.Error()
			return nil
		}
		return sc
	}
	cn.compute = mk("compute", gopenstack.NewComputeV2)
	if cn.compute != nil {
		cn.compute.Microversion = computeMicroversion
	}
	cn.network = mk("network", gopenstack.NewNetworkV2)
	cn.image = mk("image", gopenstack.NewImageV2)
	cn.volume = mk("volumev3", gopenstack.NewBlockStorageV3)
	if cn.volume != nil {
		cn.volume.Microversion = volumeMicroversion
	}
	cn.object = mk("object-store", gopenstack.NewObjectStorageV1)
	cn.dns = mk("dns", gopenstack.NewDNSV2)

	cn.zone = opts.zone
	if cn.compute != nil {
		zones, err := computeZones(ctx, cn.compute)
		if err != nil {
			return nil, convertError(err, "list availability zones", sdk.CodeFailedPrecondition)
		}
		switch {
		case cn.zone == "" && len(zones) > 0:
			cn.zone = zones[0].Name
		case cn.zone != "" && !slices.ContainsFunc(zones, func(z sdk.Zone) bool { return z.Name == cn.zone }):
			names := make([]string, len(zones))
			for i, z := range zones {
				names[i] = z.Name
			}
			return nil, sdk.InvalidArgument("zone", cn.zone, "not an availability zone of region "+cn.region+"; it has "+strings.Join(names, ", "))
		}
	}
	if cn.zone == "" {
		cn.zone = "nova"
	}
	return cn, nil
}

// computeZones lists the region's compute availability zones, available first,
// in the order Nova gives.
func computeZones(ctx context.Context, sc *gophercloud.ServiceClient) ([]sdk.Zone, error) {
	page, err := availabilityzones.List(sc).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	all, err := availabilityzones.ExtractAvailabilityZones(page)
	if err != nil {
		return nil, err
	}
	var up, down []sdk.Zone
	for _, z := range all {
		zone := sdk.Zone{ID: z.ZoneName, Name: z.ZoneName, Available: z.ZoneState.Available}
		if zone.Available {
			up = append(up, zone)
		} else {
			down = append(down, zone)
		}
	}
	return append(up, down...), nil
}

// Probe checks that the token still works (renewing it when needed) by reading
// the compute availability zones, or the catalog's first service.
func (c *Cloud) Probe(ctx context.Context) error {
	cn, err := c.ready(ctx)
	if err != nil {
		return err
	}
	if cn.compute != nil {
		_, err := computeZones(ctx, cn.compute)
		return convertError(err, "probe compute", sdk.CodeFailedPrecondition)
	}
	return nil
}

// ready returns the connection of a configured cloud, or the error a call
// before Configure (or with a canceled context) gets.
func (c *Cloud) ready(ctx context.Context) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err)
	}
	c.mu.RLock()
	cn := c.conn
	c.mu.RUnlock()
	if cn == nil {
		return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "the OpenStack plugin is not configured"}
	}
	return cn, nil
}

// client returns one service client of a configured cloud; a service missing
// from the catalog is Unavailable, naming it.
func (c *Cloud) client(ctx context.Context, service string) (*conn, *gophercloud.ServiceClient, error) {
	cn, err := c.ready(ctx)
	if err != nil {
		return nil, nil, err
	}
	var sc *gophercloud.ServiceClient
	key := service
	switch service {
	case "compute":
		sc = cn.compute
	case "network":
		sc = cn.network
	case "image":
		sc = cn.image
	case "volume":
		sc, key = cn.volume, "volumev3"
	case "object":
		sc, key = cn.object, "object-store"
	case "dns":
		sc = cn.dns
	}
	if sc == nil {
		return nil, nil, &sdk.Error{Code: sdk.CodeUnavailable,
			Message: fmt.Sprintf("the cloud's catalog has no %s endpoint in region %s (%s)", key, cn.region, cn.missing[key])}
	}
	return cn, sc, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// atoi is 0 for anything but a decimal integer.
func atoi(s string) int {
	i, _ := strconv.Atoi(s)
	return i
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
