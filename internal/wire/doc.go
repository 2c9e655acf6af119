// Package wire holds what both ends of the plugin connection share and that does
// not depend on the sdk's Go types: the error ⇄ gRPC status mapping, the chunked
// byte streams of object data, and small value conversions (timestamps, maps).
//
// The pb ⇄ sdk conversions themselves are split by direction: the plugin side
// (sdk) turns requests into sdk specs and sdk resources into pb; the host side
// (internal/remote) does the reverse. Each conversion is written exactly once.
package wire
