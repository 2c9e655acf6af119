// Package openstack is the CloudBridge provider plugin for OpenStack, built on
// gophercloud v2: Keystone v3 authentication (password, application credential
// or token, from settings, the OS_* environment or clouds.yaml), Nova and
// Glance for compute, Cinder v3 for block storage, Swift for object storage,
// Neutron for networking and security groups, and Designate for DNS.
//
// It imports nothing of CloudBridge but sdk, and is served by
// cmd/cloudbridge-plugin-openstack:
//
//	sdk.Serve(openstack.New().Plugin(version))
//
// Every OpenStack error becomes an *sdk.Error in one function, convertError;
// every list pages with the service's own limit and marker.
package openstack
