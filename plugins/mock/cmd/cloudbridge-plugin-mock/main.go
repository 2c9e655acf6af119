// Command cloudbridge-plugin-mock is the mock provider plugin: the in-memory
// reference cloud of package mock, served over the CloudBridge plugin protocol.
// The host starts it; run "cloudbridge-plugin-mock describe" to see what it offers.
package main

import (
	"github.com/cloudbridge-go/cloudbridge/plugins/mock"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "0.1.0"

func main() {
	sdk.Serve(mock.New().Plugin(version))
}
