package host

import (
	"maps"
	"slices"
)

// eventClasses is the catalogue of events: every name the host dispatches,
// with how a failed call of it may be retried (see retry.go). Registration
// checks patterns against it, so a handler learns at once that its pattern
// matches nothing or clashes with another; TestEveryEventIsCatalogued keeps it
// complete. The names are CloudBridge's, "provider.<service path>.<method>".
var eventClasses = map[string]retryClass{
	"provider.probe": retrySafe,

	"provider.compute.regions.get":                  retrySafe,
	"provider.compute.regions.list":                 retrySafe,
	"provider.compute.vm_types.get":                 retrySafe,
	"provider.compute.vm_types.list":                retrySafe,
	"provider.compute.images.get":                   retrySafe,
	"provider.compute.images.list":                  retrySafe,
	"provider.compute.images.create":                retryCreate,
	"provider.compute.images.update":                retrySafe,
	"provider.compute.images.delete":                retryDelete,
	"provider.compute.instances.get":                retrySafe,
	"provider.compute.instances.list":               retrySafe,
	"provider.compute.instances.create":             retryCreate,
	"provider.compute.instances.update":             retrySafe,
	"provider.compute.instances.delete":             retryDelete,
	"provider.compute.instances.reboot":             retryAction,
	"provider.compute.instances.start":              retryAction,
	"provider.compute.instances.stop":               retryAction,
	"provider.compute.instances.add_vm_firewall":    retryAction,
	"provider.compute.instances.remove_vm_firewall": retryAction,

	"provider.storage.volumes.get":      retrySafe,
	"provider.storage.volumes.list":     retrySafe,
	"provider.storage.volumes.create":   retryCreate,
	"provider.storage.volumes.update":   retrySafe,
	"provider.storage.volumes.delete":   retryDelete,
	"provider.storage.volumes.attach":   retryAction,
	"provider.storage.volumes.detach":   retryAction,
	"provider.storage.snapshots.get":    retrySafe,
	"provider.storage.snapshots.list":   retrySafe,
	"provider.storage.snapshots.create": retryCreate,
	"provider.storage.snapshots.update": retrySafe,
	"provider.storage.snapshots.delete": retryDelete,

	"provider.storage.buckets.get":    retrySafe,
	"provider.storage.buckets.list":   retrySafe,
	"provider.storage.buckets.create": retryCreate,
	"provider.storage.buckets.delete": retryDelete,

	"provider.storage.bucket_objects.list":                      retrySafe,
	"provider.storage.bucket_objects.head":                      retrySafe,
	"provider.storage.bucket_objects.get":                       retrySafe,
	"provider.storage.bucket_objects.download_range":            retrySafe,
	"provider.storage.bucket_objects.put":                       retryNever,
	"provider.storage.bucket_objects.delete":                    retryDelete,
	"provider.storage.bucket_objects.create_multipart_upload":   retryAction,
	"provider.storage.bucket_objects.list_multipart_uploads":    retrySafe,
	"provider.storage.bucket_objects.upload_part":               retryNever,
	"provider.storage.bucket_objects.complete_multipart_upload": retryAction,
	"provider.storage.bucket_objects.abort_multipart_upload":    retrySafe,
	"provider.storage.bucket_objects.generate_url":              retrySafe,

	"provider.networking.networks.get":              retrySafe,
	"provider.networking.networks.list":             retrySafe,
	"provider.networking.networks.create":           retryCreate,
	"provider.networking.networks.update":           retrySafe,
	"provider.networking.networks.delete":           retryDelete,
	"provider.networking.subnets.get":               retrySafe,
	"provider.networking.subnets.list":              retrySafe,
	"provider.networking.subnets.create":            retryCreate,
	"provider.networking.subnets.update":            retrySafe,
	"provider.networking.subnets.delete":            retryDelete,
	"provider.networking.routers.get":               retrySafe,
	"provider.networking.routers.list":              retrySafe,
	"provider.networking.routers.create":            retryCreate,
	"provider.networking.routers.update":            retrySafe,
	"provider.networking.routers.delete":            retryDelete,
	"provider.networking.routers.attach_subnet":     retryAction,
	"provider.networking.routers.detach_subnet":     retryAction,
	"provider.networking.routers.attach_gateway":    retryAction,
	"provider.networking.routers.detach_gateway":    retryAction,
	"provider.networking.gateways.list":             retrySafe,
	"provider.networking.gateways.get_or_create":    retryCreate,
	"provider.networking.gateways.delete":           retryDelete,
	"provider.networking.floating_ips.get":          retrySafe,
	"provider.networking.floating_ips.list":         retrySafe,
	"provider.networking.floating_ips.create":       retryCreate,
	"provider.networking.floating_ips.delete":       retryDelete,
	"provider.networking.floating_ips.associate":    retryAction,
	"provider.networking.floating_ips.disassociate": retryAction,

	"provider.security.key_pairs.get":       retrySafe,
	"provider.security.key_pairs.list":      retrySafe,
	"provider.security.key_pairs.create":    retryCreate,
	"provider.security.key_pairs.delete":    retryDelete,
	"provider.security.vm_firewalls.get":    retrySafe,
	"provider.security.vm_firewalls.list":   retrySafe,
	"provider.security.vm_firewalls.create": retryCreate,
	"provider.security.vm_firewalls.update": retrySafe,
	"provider.security.vm_firewalls.delete": retryDelete,
	// A rule equal to an existing one is that rule, so a retried create
	// cannot make two even without a token.
	"provider.security.vm_firewall_rules.get":    retrySafe,
	"provider.security.vm_firewall_rules.list":   retrySafe,
	"provider.security.vm_firewall_rules.create": retryCreate,
	"provider.security.vm_firewall_rules.delete": retryDelete,

	"provider.dns.host_zones.get":    retrySafe,
	"provider.dns.host_zones.list":   retrySafe,
	"provider.dns.host_zones.create": retryCreate,
	"provider.dns.host_zones.delete": retryDelete,
	"provider.dns.records.get":       retrySafe,
	"provider.dns.records.list":      retrySafe,
	"provider.dns.records.create":    retryCreate,
	"provider.dns.records.delete":    retryDelete,
}

// sortedEventNames is the catalogue's names, sorted once.
var sortedEventNames = slices.Sorted(maps.Keys(eventClasses))

func eventNames() []string { return sortedEventNames }

// EventNames lists every event the host dispatches, sorted: the names a
// handler's pattern can match.
func EventNames() []string { return slices.Clone(sortedEventNames) }
