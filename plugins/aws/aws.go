package aws

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/go-hclog"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Name is the provider name; the binary is cloudbridge-plugin-aws.
const Name = "aws"

// DefaultRegion is the region used when none is configured, as CloudBridge's.
const DefaultRegion = "us-east-1"

// Cloud is one AWS account in one region and zone. Its zero value is not
// usable; call New, then Configure (the plugin server does it for you).
type Cloud struct {
	mu  sync.RWMutex
	cfg *clients

	// vmTypes caches DescribeInstanceTypes for the life of the process: the
	// catalogue changes a few times a year and listing it takes several calls.
	vmTypesMu sync.Mutex
	vmTypes   []sdk.VMType

	// bucketTokens remembers the idempotency tokens of the buckets this
	// process made (token → bucket name), the most recent maxBucketTokens.
	bucketMu     sync.Mutex
	bucketTokens map[string]string
	bucketOrder  []string
}

const maxBucketTokens = 4096

func (c *Cloud) rememberBucket(token, name string) {
	if token == "" {
		return
	}
	c.bucketMu.Lock()
	defer c.bucketMu.Unlock()
	if c.bucketTokens == nil {
		c.bucketTokens = map[string]string{}
	}
	if len(c.bucketOrder) >= maxBucketTokens {
		delete(c.bucketTokens, c.bucketOrder[0])
		c.bucketOrder = c.bucketOrder[1:]
	}
	c.bucketTokens[token] = name
	c.bucketOrder = append(c.bucketOrder, token)
}

func (c *Cloud) bucketMadeWith(token string) string {
	c.bucketMu.Lock()
	defer c.bucketMu.Unlock()
	return c.bucketTokens[token]
}

// clients is what Configure builds: the service clients and where they work.
type clients struct {
	region, zone string
	ec2          *ec2.Client
	s3           *s3.Client
	presign      *s3.PresignClient
	r53          *route53.Client
	// credSource says where the credentials came from ("settings access_key
	// and secret_key", "the default chain: EnvConfigCredentials", ...), for
	// error messages; it never holds a secret.
	credSource string
	log        hclog.Logger
	// pages keeps AWS pages that were cut into smaller ones (serverPage).
	pages pageCache
}

// New returns an unconfigured cloud.
func New() *Cloud { return &Cloud{} }

// Plugin returns the plugin serving c, to hand to sdk.Serve or to drive in
// process.
func (c *Cloud) Plugin(version string) sdk.Plugin {
	return sdk.Plugin{
		Name:      Name,
		Version:   version,
		Settings:  Settings(),
		Configure: c.Configure,
		Probe:     c.Probe,
		Compute: &sdk.Compute{
			Regions:   &regions{c},
			VMTypes:   &vmTypes{c},
			Images:    &images{c},
			Instances: &instances{c},
		},
		Storage: &sdk.Storage{
			Volumes:   &volumes{c},
			Snapshots: &snapshots{c},
		},
		Network: &sdk.Network{
			Networks:    &networks{c},
			Subnets:     &subnets{c},
			Routers:     &routers{c},
			Gateways:    &gateways{c},
			FloatingIPs: &floatingIPs{c},
		},
		ObjectStore: &sdk.ObjectStore{
			Buckets: &buckets{c},
			Objects: &objects{c},
		},
		Security: &sdk.Security{
			KeyPairs:    &keyPairs{c},
			VMFirewalls: &vmFirewalls{c},
			Rules:       &vmFirewallRules{c},
		},
		DNS: &sdk.DNS{
			Zones:   &dnsZones{c},
			Records: &dnsRecords{c},
		},
	}
}

// Settings documents the settings Configure accepts. Env lists the
// environment variables that mean the same thing; the first one set is used
// when the setting is not given.
func Settings() []sdk.SettingSpec {
	return []sdk.SettingSpec{
		{Name: "region", Default: DefaultRegion, Env: []string{"AWS_REGION", "AWS_DEFAULT_REGION"},
			Description: "AWS region to work in, such as us-east-1."},
		{Name: "zone",
			Description: "Availability zone to work in (instances, volumes, subnets); default the region's first available zone, from DescribeAvailabilityZones."},
		{Name: "access_key", Secret: true, Env: []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"},
			Description: "Access key id. With secret_key, these static credentials are used; without them, the SDK's default chain " +
				"(environment, shared config and credentials files and profile, SSO, web identity, ECS/EC2 instance role)."},
		{Name: "secret_key", Secret: true, Env: []string{"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"},
			Description: "Secret access key, with access_key."},
		{Name: "session_token", Secret: true, Env: []string{"AWS_SESSION_TOKEN"},
			Description: "Session token of temporary credentials, with access_key and secret_key."},
		{Name: "profile", Env: []string{"AWS_PROFILE"},
			Description: "Shared config profile for the default credential chain (ignored with access_key and secret_key)."},
		{Name: "endpoint", Env: []string{"AWS_ENDPOINT_URL"},
			Description: "Endpoint URL for every service (an S3- and EC2-compatible endpoint); the per-service settings win over it."},
		{Name: "ec2_endpoint", Env: []string{"AWS_ENDPOINT_URL_EC2"},
			Description: "Endpoint URL of EC2 (compute, block storage, networking, key pairs and firewalls)."},
		{Name: "s3_endpoint", Env: []string{"AWS_ENDPOINT_URL_S3"},
			Description: "Endpoint URL of S3 (object storage)."},
		{Name: "route53_endpoint", Env: []string{"AWS_ENDPOINT_URL_ROUTE_53"},
			Description: "Endpoint URL of Route 53 (DNS)."},
		{Name: "s3_path_style", Default: "false",
			Description: "Address buckets in the URL path (https://host/bucket/key) instead of the host name; S3-compatible servers often need it."},
	}
}

// setting returns a setting's value: given in the config, else from the first
// of its environment variables that is set, else its default.
func setting(cc sdk.Config, name string) string {
	if v, ok := cc.Get(name); ok && v != "" {
		return v
	}
	for _, s := range Settings() {
		if s.Name != name {
			continue
		}
		for _, env := range s.Env {
			if v := os.Getenv(env); v != "" {
				return v
			}
		}
		return s.Default
	}
	return ""
}

// Configure builds the service clients, resolves credentials (so that missing
// ones are reported here, as Unauthenticated) and picks the zone.
func (c *Cloud) Configure(ctx context.Context, cc sdk.Config) (sdk.Location, error) {
	log := cc.Logger
	if log == nil {
		log = hclog.NewNullLogger()
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
	cl, err := newClients(ctx, cc)
	if err != nil {
		return sdk.Location{}, err
	}
	cl.log = log
	if cl.zone == "" {
		if cl.zone, err = firstZone(ctx, cl); err != nil {
			return sdk.Location{}, err
		}
	}
	c.mu.Lock()
	c.cfg = cl
	c.mu.Unlock()
	log.Debug("configured", "region", cl.region, "zone", cl.zone, "credentials", cl.credSource)
	return sdk.Location{Region: cl.region, Zone: cl.zone}, nil
}

func newClients(ctx context.Context, cc sdk.Config) (*clients, error) {
	region := setting(cc, "region")
	if !validRegion(region) {
		return nil, sdk.InvalidArgument("region", region, "not an AWS region name such as us-east-1")
	}
	pathStyle, err := strconv.ParseBool(setting(cc, "s3_path_style"))
	if err != nil {
		return nil, sdk.InvalidArgument("s3_path_style", setting(cc, "s3_path_style"), "must be true or false")
	}
	endpoints := map[string]string{}
	for _, name := range []string{"endpoint", "ec2_endpoint", "s3_endpoint", "route53_endpoint"} {
		v := setting(cc, name)
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, sdk.InvalidArgument(name, v, "not an http(s) URL")
		}
		endpoints[name] = v
	}
	endpoint := func(service string) string {
		if v := endpoints[service+"_endpoint"]; v != "" {
			return v
		}
		return endpoints["endpoint"]
	}

	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	ak, sk, tok := setting(cc, "access_key"), setting(cc, "secret_key"), setting(cc, "session_token")
	var source string
	switch {
	case ak != "" && sk != "":
		source = "static credentials (setting access_key and secret_key, or $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY)"
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, tok)))
	case ak != "" || sk != "":
		missing := "secret_key"
		if ak == "" {
			missing = "access_key"
		}
		return nil, &sdk.Error{Code: sdk.CodeUnauthenticated, Param: missing,
			Message: fmt.Sprintf("static credentials need both access_key and secret_key; %s is missing", missing)}
	default:
		source = "the AWS SDK's default credential chain (environment, shared config and credentials files, SSO, web identity, container and instance roles)"
		if p := setting(cc, "profile"); p != "" {
			source += fmt.Sprintf(" with profile %q", p)
			opts = append(opts, config.WithSharedConfigProfile(p))
		}
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &sdk.Error{Code: sdk.CodeUnauthenticated, Message: fmt.Sprintf("load AWS configuration from %s: %v", source, err), Err: err}
	}
	creds, err := awsCfg.Credentials.Retrieve(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, mapError(ctxErr)
		}
		return nil, &sdk.Error{Code: sdk.CodeUnauthenticated,
			Message: fmt.Sprintf("no usable AWS credentials from %s: %v", source, err), Err: err}
	}
	if creds.Source != "" && !strings.HasPrefix(source, "static") {
		source += ", which gave " + creds.Source
	}

	cl := &clients{region: region, zone: setting(cc, "zone"), credSource: source}
	cl.ec2 = ec2.NewFromConfig(awsCfg, func(o *ec2.Options) {
		if ep := endpoint("ec2"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	cl.s3 = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if ep := endpoint("s3"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
		o.UsePathStyle = pathStyle
		// Checksums only where S3 requires them (DeleteObjects...): by
		// default the SDK sends a streamed body as aws-chunked with a CRC
		// trailer, which S3-compatible stores often refuse. Bodies are
		// still checked: by length, and by SHA-256 when the caller gives
		// one (sent as x-amz-checksum-sha256 for S3 to verify).
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	cl.presign = s3.NewPresignClient(cl.s3)
	cl.r53 = route53.NewFromConfig(awsCfg, func(o *route53.Options) {
		if ep := endpoint("route53"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return cl, nil
}

// validRegion accepts the shape of AWS region names (us-east-1,
// us-gov-west-1, cn-north-1, eu-isoe-west-1) without a list that would go
// stale.
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	if _, err := strconv.Atoi(parts[len(parts)-1]); err != nil {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}

// firstZone is the region's first available zone by name.
func firstZone(ctx context.Context, cl *clients) (string, error) {
	out, err := cl.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []ec2types.Filter{{Name: aws.String("zone-type"), Values: []string{"availability-zone"}}},
	})
	if err != nil {
		err = cl.mapError(err)
		var e *sdk.Error
		if errors.As(err, &e) && e.Code != sdk.CodeUnauthenticated && e.Code != sdk.CodeCanceled && e.Code != sdk.CodeDeadlineExceeded {
			e.Message = "the zone setting is not given and the region's zones could not be listed (set zone to skip this): " + e.Message
		}
		return "", err
	}
	var names []string
	for _, z := range out.AvailabilityZones {
		if z.State == ec2types.AvailabilityZoneStateAvailable && aws.ToString(z.ZoneName) != "" {
			names = append(names, aws.ToString(z.ZoneName))
		}
	}
	if len(names) == 0 {
		return "", &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "zone",
			Message: fmt.Sprintf("region %s has no available zone; set the zone setting", cl.region)}
	}
	slices.Sort(names)
	return names[0], nil
}

// clients returns the configured clients, or FailedPrecondition before
// Configure.
func (c *Cloud) clients() (*clients, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cfg == nil {
		return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: "the aws plugin is not configured: call Configure first"}
	}
	return c.cfg, nil
}

// Probe checks that EC2 answers with the configured credentials.
func (c *Cloud) Probe(ctx context.Context) error {
	cl, err := c.clients()
	if err != nil {
		return err
	}
	_, err = cl.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	return cl.mapError(err)
}
