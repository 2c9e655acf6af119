package remote

import (
	"context"
	"errors"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/cloudbridge-go/cloudbridge/internal/wire"
)

// GRPCPlugin is the host's go-plugin plugin.GRPCPlugin: dispensing it yields a
// *Client over the plugin's gRPC connection. The host never serves, so
// GRPCServer fails.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer always fails: the host side of the connection serves nothing.
func (*GRPCPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("remote: the host side does not serve plugins; plugins use sdk.Serve")
}

// GRPCClient returns a *Client over the plugin's connection.
func (*GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClient(conn), nil
}

// PluginSets returns the protocol versions the host speaks, for
// plugin.ClientConfig.VersionedPlugins.
func PluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		wire.ProtocolVersion: {wire.PluginName: &GRPCPlugin{}},
	}
}
