package openstack

import (
	"context"
	"slices"
	"strconv"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// regions are the regions of the token's service catalog; a region's zones
// are its compute availability zones.
type regions struct{ c *Cloud }

func (s *regions) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Region], error) {
	cn, err := s.c.ready(ctx)
	if err != nil {
		return sdk.Page[sdk.Region]{}, err
	}
	// The catalog is a handful of regions, not a paged API: the page is cut
	// here (sdk.Paginate), and the zones are read for that page only.
	names := catalogRegions(cn.catalog)
	page, err := sdk.Paginate(names, opts, func(n string) string { return n })
	if err != nil {
		return sdk.Page[sdk.Region]{}, err
	}
	out := sdk.Page[sdk.Region]{NextPageToken: page.NextPageToken}
	for _, name := range page.Items {
		r, err := s.region(ctx, cn, name)
		if err != nil {
			return sdk.Page[sdk.Region]{}, err
		}
		out.Items = append(out.Items, r)
	}
	return out, nil
}

func (s *regions) Get(ctx context.Context, id string) (sdk.Region, error) {
	cn, err := s.c.ready(ctx)
	if err != nil {
		return sdk.Region{}, err
	}
	if !slices.Contains(catalogRegions(cn.catalog), id) {
		return sdk.Region{}, notFound("id", "region", id)
	}
	return s.region(ctx, cn, id)
}

// region describes one region, reading its zones from its own compute
// endpoint.
func (s *regions) region(ctx context.Context, cn *conn, name string) (sdk.Region, error) {
	r := sdk.Region{ID: name, Name: name}
	sc := cn.compute
	if name != cn.region {
		var err error
		if sc, err = gopenstack.NewComputeV2(cn.provider, gophercloud.EndpointOpts{Region: name, Availability: cn.iface}); err != nil {
			sc = nil // a region without compute has no zones
		}
	}
	if sc == nil {
		return r, nil
	}
	zones, err := computeZones(ctx, sc)
	if err != nil {
		return sdk.Region{}, convertError(err, "list availability zones of region "+quote(name), "")
	}
	for _, z := range zones {
		z.RegionName = name
		r.Zones = append(r.Zones, z)
	}
	return r, nil
}

// vmTypes are Nova flavors.
type vmTypes struct{ c *Cloud }

func (s *vmTypes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMType], error) {
	size, marker, err := pageRequest(opts)
	if err != nil {
		return sdk.Page[sdk.VMType]{}, err
	}
	_, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.Page[sdk.VMType]{}, err
	}
	page, err := firstPage(ctx, flavors.ListDetail(sc, flavors.ListOpts{Limit: size + 1, Marker: marker, AccessType: flavors.AllAccess}))
	if err != nil {
		return sdk.Page[sdk.VMType]{}, listError(err, "list flavors", marker)
	}
	fs, err := extract(page, flavors.ExtractFlavors)
	if err != nil {
		return sdk.Page[sdk.VMType]{}, convertError(err, "read flavors", "")
	}
	items := make([]sdk.VMType, len(fs))
	for i, f := range fs {
		items[i] = vmTypeOf(f)
	}
	return cutPage(items, size, func(v sdk.VMType) string { return v.ID }), nil
}

func (s *vmTypes) Get(ctx context.Context, id string) (sdk.VMType, error) {
	_, sc, err := s.c.client(ctx, "compute")
	if err != nil {
		return sdk.VMType{}, err
	}
	if id == "" {
		return sdk.VMType{}, notFound("id", "vm type", id)
	}
	f, err := flavors.Get(ctx, sc, id).Extract()
	if err != nil {
		return sdk.VMType{}, convertError(err, "get flavor "+quote(id), "")
	}
	return vmTypeOf(*f), nil
}

func vmTypeOf(f flavors.Flavor) sdk.VMType {
	v := sdk.VMType{
		ID: f.ID, Name: f.Name, VCPUs: f.VCPUs, RAMMiB: int64(f.RAM),
		SizeRootDiskGB: f.Disk, SizeEphemeralDisksGB: f.Ephemeral,
		Extra: map[string]string{"is_public": strconv.FormatBool(f.IsPublic)},
	}
	if f.Ephemeral > 0 {
		v.NumEphemeralDisks = 1
	}
	if f.Swap > 0 {
		v.Extra["swap_mib"] = strconv.Itoa(f.Swap)
	}
	for k, val := range f.ExtraSpecs {
		v.Extra["extra_spec:"+k] = val
	}
	return v
}

// flavorID resolves the flavor a server reports: since Nova 2.47 a server
// embeds its flavor's name and figures, not its id.
func (s *instances) flavorID(ctx context.Context, cn *conn, flavor map[string]any) string {
	if id, ok := flavor["id"].(string); ok && id != "" {
		return id
	}
	name, _ := flavor["original_name"].(string)
	if name == "" {
		return ""
	}
	cn.flavorsMu.Lock()
	id, ok := cn.flavors[name]
	cn.flavorsMu.Unlock()
	if ok {
		return id
	}
	pages, err := flavors.ListDetail(cn.compute, flavors.ListOpts{AccessType: flavors.AllAccess}).AllPages(ctx)
	if err != nil {
		return ""
	}
	fs, err := flavors.ExtractFlavors(pages)
	if err != nil {
		return ""
	}
	cn.flavorsMu.Lock()
	defer cn.flavorsMu.Unlock()
	for _, f := range fs {
		cn.flavors[f.Name] = f.ID
	}
	return cn.flavors[name]
}
