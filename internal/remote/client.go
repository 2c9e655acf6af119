package remote

import (
	"context"
	"math"

	"google.golang.org/grpc"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Client talks to one plugin process over its gRPC connection.
type Client struct {
	identity    pb.IdentityClient
	compute     pb.ComputeClient
	storage     pb.StorageClient
	objectStore pb.ObjectStoreClient
	network     pb.NetworkClient
	security    pb.SecurityClient
	dns         pb.DNSClient
}

// NewClient returns a Client over conn. Every call on it allows messages up to
// wire.MaxMessageSize in both directions, the limit the plugin side sets too.
func NewClient(conn grpc.ClientConnInterface) *Client {
	cc := sizedConn{
		cc:   conn,
		opts: []grpc.CallOption{grpc.MaxCallRecvMsgSize(wire.MaxMessageSize), grpc.MaxCallSendMsgSize(wire.MaxMessageSize)},
	}
	return &Client{
		identity:    pb.NewIdentityClient(cc),
		compute:     pb.NewComputeClient(cc),
		storage:     pb.NewStorageClient(cc),
		objectStore: pb.NewObjectStoreClient(cc),
		network:     pb.NewNetworkClient(cc),
		security:    pb.NewSecurityClient(cc),
		dns:         pb.NewDNSClient(cc),
	}
}

// sizedConn adds the contract's message size limits to every call, so that no
// single call site can forget them.
type sizedConn struct {
	cc   grpc.ClientConnInterface
	opts []grpc.CallOption
}

func (c sizedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.cc.Invoke(ctx, method, args, reply, append(opts[:len(opts):len(opts)], c.opts...)...)
}

func (c sizedConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.cc.NewStream(ctx, desc, method, append(opts[:len(opts):len(opts)], c.opts...)...)
}

// Info is who a plugin says it is.
type Info struct {
	Name       string
	Version    string
	SDKVersion string
	// ProtocolVersion is the contract version the plugin serves.
	ProtocolVersion int
	// Settings documents what Configure accepts.
	Settings []sdk.SettingSpec
}

// Info asks the plugin who it is; it works before Configure.
func (c *Client) Info(ctx context.Context) (Info, error) {
	resp, err := c.identity.GetPluginInfo(ctx, &pb.GetPluginInfoRequest{})
	if err != nil {
		return Info{}, Error(err)
	}
	info := Info{
		Name:            resp.GetName(),
		Version:         resp.GetVersion(),
		SDKVersion:      resp.GetSdkVersion(),
		ProtocolVersion: int(resp.GetProtocolVersion()),
	}
	for _, s := range resp.GetSettings() {
		info.Settings = append(info.Settings, sdk.SettingSpec{
			Name:        s.GetName(),
			Description: s.GetDescription(),
			Secret:      s.GetSecret(),
			Required:    s.GetRequired(),
			Default:     s.GetDefaultValue(),
			Env:         s.GetEnv(),
		})
	}
	return info, nil
}

// Capabilities returns the plugin's capability names (sdk.Cap...).
func (c *Client) Capabilities(ctx context.Context) ([]string, error) {
	resp, err := c.identity.GetCapabilities(ctx, &pb.GetCapabilitiesRequest{})
	if err != nil {
		return nil, Error(err)
	}
	return resp.GetCapabilities(), nil
}

// Configure gives the plugin the account's settings and secrets and returns the
// region and zone it settled on. Secrets travel only inside this call.
func (c *Client) Configure(ctx context.Context, settings, secrets map[string]string) (sdk.Location, error) {
	resp, err := c.identity.Configure(ctx, &pb.ConfigureRequest{Settings: settings, Secrets: secrets})
	if err != nil {
		return sdk.Location{}, Error(err)
	}
	return sdk.Location{Region: resp.GetRegion(), Zone: resp.GetZone()}, nil
}

// Probe checks that the configured account is reachable; a plugin that answers
// "not ready" is an Unavailable error carrying its message.
func (c *Client) Probe(ctx context.Context) error {
	resp, err := c.identity.Probe(ctx, &pb.ProbeRequest{})
	if err != nil {
		return Error(err)
	}
	if !resp.GetReady() {
		msg := resp.GetMessage()
		if msg == "" {
			msg = "plugin is not ready"
		}
		return &sdk.Error{Code: sdk.CodeUnavailable, Message: msg, Retryable: true}
	}
	return nil
}

// Services returns the plugin's service families as sdk drivers backed by gRPC.
// Every family and service is set whatever the plugin implements: the host decides
// from Capabilities what to expose, and a call to a service the plugin lacks fails
// with Unsupported. The Instances driver also implements sdk.InstanceStartStopper,
// the Objects driver sdk.MultipartUploader and sdk.URLSigner.
//
// Name, Version and Settings are left empty (see Info); Configure and Probe call
// the plugin. Each call returns new family structs, so the caller may change them.
func (c *Client) Services() sdk.Plugin {
	return sdk.Plugin{
		Configure: func(ctx context.Context, cfg sdk.Config) (sdk.Location, error) {
			return c.Configure(ctx, cfg.Settings, cfg.Secrets)
		},
		Probe: c.Probe,
		Compute: &sdk.Compute{
			Regions:   regions{c.compute},
			VMTypes:   vmTypes{c.compute},
			Images:    images{c.compute},
			Instances: instances{c.compute},
		},
		Storage: &sdk.Storage{
			Volumes:   volumes{c.storage},
			Snapshots: snapshots{c.storage},
		},
		ObjectStore: &sdk.ObjectStore{
			Buckets: buckets{c.objectStore},
			Objects: objects{c.objectStore},
		},
		Network: &sdk.Network{
			Networks:    networks{c.network},
			Subnets:     subnets{c.network},
			Routers:     routers{c.network},
			Gateways:    gateways{c.network},
			FloatingIPs: floatingIPs{c.network},
		},
		Security: &sdk.Security{
			KeyPairs:    keyPairs{c.security},
			VMFirewalls: vmFirewalls{c.security},
			Rules:       vmFirewallRules{c.security},
		},
		DNS: &sdk.DNS{
			Zones:   dnsZones{c.dns},
			Records: dnsRecords{c.dns},
		},
	}
}

// page converts one page of pb resources; Items is never nil.
func page[P, S any](items []P, next string, conv func(P) S) sdk.Page[S] {
	out := make([]S, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return sdk.Page[S]{Items: out, NextPageToken: next}
}

// convert converts a nested list of pb messages; empty is nil.
func convert[P, S any](items []P, conv func(P) S) []S {
	if len(items) == 0 {
		return nil
	}
	out := make([]S, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return out
}

// int32Of narrows an int for the wire, saturating instead of wrapping so that an
// absurd value stays absurd (and is rejected) rather than turning into a valid one.
func int32Of(n int) int32 {
	return int32(max(min(n, math.MaxInt32), math.MinInt32))
}

func pageSize(o sdk.ListOptions) int32 { return int32Of(o.PageSize) }

// one converts the answer of a call that returns one resource:
//
//	return one(volumeFromPB)(v.c.GetVolume(ctx, req))
func one[P, S any](conv func(P) S) func(P, error) (S, error) {
	return func(x P, err error) (S, error) {
		if err != nil {
			var zero S
			return zero, Error(err)
		}
		return conv(x), nil
	}
}
