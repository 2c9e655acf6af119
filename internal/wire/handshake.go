package wire

import plugin "github.com/hashicorp/go-plugin"

// Handshake is the go-plugin handshake both ends must agree on. The cookie is a
// guard against running a plugin binary by hand, not a security measure: AutoMTLS
// and checksums are.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "CLOUDBRIDGE_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "d7a9f3c2-cloudbridge-provider-plugin",
}

// PluginName is the one go-plugin "plugin" every binary serves: the CloudBridge
// services are all registered on its gRPC server.
const PluginName = "cloudbridge"

// ProtocolVersion is the contract version (proto/cloudbridge/v1).
const ProtocolVersion = 1
