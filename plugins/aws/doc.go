// Package aws is the AWS provider plugin: EC2 key pairs, security groups
// (VM firewalls and their rules), regions, VM types, images and instances,
// EBS volumes and snapshots, VPCs, subnets, route tables (routers), internet
// gateways and Elastic IPs (floating IPs); S3 buckets and objects (multipart,
// presigned URLs); Route 53 zones and record sets, through aws-sdk-go-v2.
// It imports only CloudBridge's sdk and the AWS SDK, and is served by
// cmd/cloudbridge-plugin-aws:
//
//	sdk.Serve(aws.New().Plugin(version))
//
// See README.md for the settings, how the contract maps onto AWS and what has
// been checked against which emulator.
package aws
