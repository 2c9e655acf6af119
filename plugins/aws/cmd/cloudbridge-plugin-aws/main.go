// Command cloudbridge-plugin-aws is the AWS provider plugin: EC2, S3 and
// Route 53 through aws-sdk-go-v2, served over the CloudBridge plugin protocol.
// The host starts it; run "cloudbridge-plugin-aws describe" to see what it
// offers.
package main

import (
	"github.com/cloudbridge-go/cloudbridge/plugins/aws"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "0.1.0"

func main() {
	sdk.Serve(aws.New().Plugin(version))
}
