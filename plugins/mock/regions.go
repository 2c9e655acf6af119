package mock

import (
	"context"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The regions and VM types are a fixed catalogue, as a real cloud's are to its
// users. They are built by functions rather than kept in package variables so
// that no caller can change them for everyone.

func allRegions() []sdk.Region {
	region := func(name string, zones ...string) sdk.Region {
		r := sdk.Region{ID: name, Name: name}
		for _, z := range zones {
			r.Zones = append(r.Zones, sdk.Zone{ID: z, Name: z, RegionName: name, Available: true})
		}
		return r
	}
	return []sdk.Region{ // sorted by id
		region("mock-east-1", "mock-east-1a", "mock-east-1b", "mock-east-1c"),
		region("mock-west-1", "mock-west-1a", "mock-west-1b"),
	}
}

func regionByName(name string) *sdk.Region {
	for _, r := range allRegions() {
		if r.Name == name {
			return &r
		}
	}
	return nil
}

func regionNames() []string {
	var names []string
	for _, r := range allRegions() {
		names = append(names, r.Name)
	}
	return names
}

func allVMTypes() []sdk.VMType {
	vmType := func(name, family string, vcpus int, ramMiB int64, rootGB, ephemeralDisks, ephemeralGBEach int) sdk.VMType {
		return sdk.VMType{
			ID: name, Name: name, Family: family, VCPUs: vcpus, RAMMiB: ramMiB,
			SizeRootDiskGB: rootGB, NumEphemeralDisks: ephemeralDisks,
			SizeEphemeralDisksGB: ephemeralDisks * ephemeralGBEach,
		}
	}
	return []sdk.VMType{ // sorted by id
		vmType("c.xlarge", "compute", 8, 16384, 80, 1, 200),
		vmType("m.large", "general", 4, 8192, 80, 2, 100),
		vmType("m.medium", "general", 2, 4096, 40, 0, 0),
		vmType("m.small", "general", 1, 2048, 20, 0, 0),
		vmType("m.tiny", "general", 1, 512, 1, 0, 0),
		vmType("r.large", "memory", 2, 16384, 40, 0, 0),
	}
}

func vmTypeByID(id string) *sdk.VMType {
	for _, t := range allVMTypes() {
		if t.ID == id {
			return &t
		}
	}
	return nil
}

// regions implements sdk.Regions.
type regions struct{ c *Cloud }

func (s *regions) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Region], error) {
	if _, err := s.c.begin(ctx); err != nil {
		return sdk.Page[sdk.Region]{}, err
	}
	return sdk.Paginate(allRegions(), opts, func(r sdk.Region) string { return r.ID })
}

func (s *regions) Get(ctx context.Context, id string) (sdk.Region, error) {
	if _, err := s.c.begin(ctx); err != nil {
		return sdk.Region{}, err
	}
	if r := regionByName(id); r != nil {
		return *r, nil
	}
	return sdk.Region{}, sdk.NotFound("region", id)
}

// vmTypes implements sdk.VMTypes.
type vmTypes struct{ c *Cloud }

func (s *vmTypes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMType], error) {
	if _, err := s.c.begin(ctx); err != nil {
		return sdk.Page[sdk.VMType]{}, err
	}
	return sdk.Paginate(allVMTypes(), opts, func(t sdk.VMType) string { return t.ID })
}

func (s *vmTypes) Get(ctx context.Context, id string) (sdk.VMType, error) {
	if _, err := s.c.begin(ctx); err != nil {
		return sdk.VMType{}, err
	}
	if t := vmTypeByID(id); t != nil {
		return *t, nil
	}
	return sdk.VMType{}, sdk.NotFound("vm type", id)
}
