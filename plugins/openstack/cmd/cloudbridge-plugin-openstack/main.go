// Command cloudbridge-plugin-openstack is the OpenStack provider plugin: package
// openstack (gophercloud v2) served over the CloudBridge plugin protocol. The
// host starts it; run "cloudbridge-plugin-openstack describe" to see its
// capabilities and settings.
package main

import (
	"github.com/cloudbridge-go/cloudbridge/plugins/openstack"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "0.1.0"

func main() {
	sdk.Serve(openstack.New().Plugin(version))
}
