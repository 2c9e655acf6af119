// Package remote is the host side of the plugin connection: a gRPC client of the
// CloudBridge contract that presents a running plugin as the sdk's driver
// interfaces, so the host drives an out-of-process plugin exactly as it would an
// in-process one.
//
// The pb ⇄ sdk conversions are split by direction and each is written once: this
// package turns sdk specs and arguments into pb requests and pb resources into sdk
// types; the plugin side (sdk.Serve) does the other two. Every error a Client
// method returns is an *sdk.Error (see Error), so errors.Is(err, sdk.ErrNotFound)
// works across the process boundary.
//
// The host plugs the package into go-plugin:
//
//	pc := plugin.NewClient(&plugin.ClientConfig{
//		HandshakeConfig:  wire.Handshake,
//		VersionedPlugins: remote.PluginSets(),
//		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
//		Cmd:              exec.Command(path),
//	})
//	rpc, err := pc.Client()
//	// handle err
//	raw, err := rpc.Dispense(wire.PluginName)
//	// handle err
//	c := raw.(*remote.Client)
//	loc, err := c.Configure(ctx, settings, secrets)
//	drivers := c.Services() // sdk.Plugin of gRPC-backed drivers
//	vols, err := drivers.Storage.Volumes.List(ctx, sdk.ListOptions{})
package remote
