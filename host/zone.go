package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// WithZone returns a view of p working in another zone of p's region: what it
// creates lands in that zone (CloudBridge's clone(zone=)). The view shares
// p's plugin process and connection, its Events and its capabilities, and
// starts with copies of its WaitPolicy, RetryPolicy and Transfer. When the
// plugin lists regions, the zone must be one of the region's
// (ErrInvalidArgument naming "zone" otherwise).
//
// Ownership: p owns the plugin process. Closing the view ends only the view;
// closing p stops the plugin, after which calls through any of its views fail.
func (p *Provider) WithZone(ctx context.Context, zone string) (*Provider, error) {
	if zone == "" {
		return nil, sdk.InvalidArgument("zone", zone, "must not be empty")
	}
	if err := p.checkZone(ctx, zone); err != nil {
		return nil, err
	}
	owner := p
	if p.parent != nil {
		owner = p.parent
	}
	v := &Provider{
		Name: p.Name, Version: p.Version, Region: p.Region, Zone: zone,
		Events: p.Events, WaitPolicy: p.WaitPolicy, RetryPolicy: p.RetryPolicy, Transfer: p.Transfer,
		conn: p.conn, drivers: p.drivers, caps: p.caps, info: p.info, log: p.log, parent: owner,
	}
	v.build()
	return v, nil
}

// checkZone refuses a zone that is not in p's region, when the plugin can
// say which zones the region has.
func (p *Provider) checkZone(ctx context.Context, zone string) error {
	if !p.Has(sdk.CapRegions) {
		return nil
	}
	region, err := p.Compute.Regions.Current(ctx)
	if err != nil {
		return fmt.Errorf("check zone %q: %w", zone, err)
	}
	names := make([]string, len(region.Zones))
	for i, z := range region.Zones {
		names[i] = z.Name
	}
	if !slices.Contains(names, zone) {
		return sdk.InvalidArgument("zone", zone, fmt.Sprintf("not a zone of region %s (zones: %s)", p.Region, strings.Join(names, ", ")))
	}
	return nil
}
