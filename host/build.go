package host

import "strconv"

// build makes the object graph over the plugin's drivers.
func (p *Provider) build() {
	p.Compute = newComputeService(p)
	p.Storage = newStorageService(p)
	p.Networking = newNetworkingService(p)
	p.Security = newSecurityService(p)
	p.DNS = newDNSService(p)
}

func itoa(i int) string { return strconv.Itoa(i) }
