package aws

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// regions implements sdk.Regions with DescribeRegions and
// DescribeAvailabilityZones. A region's id is its name. Only the configured
// region's zones can be listed through its endpoint, so other regions carry
// no zones (their endpoints are other hosts, which a custom endpoint setting
// cannot point at).
type regions struct{ c *Cloud }

func (s *regions) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Region], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.Region]{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Region]{}, err
	}
	out, err := cl.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return sdk.Page[sdk.Region]{}, cl.mapError(err)
	}
	var all []sdk.Region
	for _, r := range out.Regions {
		region := regionFromEC2(r)
		if region.ID == cl.region {
			if region.Zones, err = zones(ctx, cl); err != nil {
				return sdk.Page[sdk.Region]{}, err
			}
		}
		all = append(all, region)
	}
	return sdk.Paginate(all, opts, func(r sdk.Region) string { return r.ID })
}

func regionFromEC2(r ec2types.Region) sdk.Region {
	name := aws.ToString(r.RegionName)
	return sdk.Region{ID: name, Name: name, Extra: map[string]string{
		"endpoint": aws.ToString(r.Endpoint), "opt_in_status": aws.ToString(r.OptInStatus),
	}}
}

func (s *regions) Get(ctx context.Context, id string) (sdk.Region, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Region{}, err
	}
	if !validRegion(id) {
		return sdk.Region{}, sdk.NotFound("region", id)
	}
	out, err := cl.ec2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{id}})
	if err != nil {
		return sdk.Region{}, cl.lookupError(err, "region", id)
	}
	for _, r := range out.Regions {
		if aws.ToString(r.RegionName) != id {
			continue
		}
		region := regionFromEC2(r)
		if id == cl.region {
			if region.Zones, err = zones(ctx, cl); err != nil {
				return sdk.Region{}, err
			}
		}
		return region, nil
	}
	return sdk.Region{}, sdk.NotFound("region", id)
}

// zones lists the configured region's availability zones (not Local or
// Wavelength zones), sorted by name.
func zones(ctx context.Context, cl *clients) ([]sdk.Zone, error) {
	out, err := cl.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []ec2types.Filter{{Name: aws.String("zone-type"), Values: []string{"availability-zone"}}},
	})
	if err != nil {
		return nil, cl.mapError(err)
	}
	var zs []sdk.Zone
	for _, z := range out.AvailabilityZones {
		if t := aws.ToString(z.ZoneType); t != "" && t != "availability-zone" {
			continue
		}
		region := aws.ToString(z.RegionName)
		if region == "" {
			region = cl.region
		}
		zs = append(zs, sdk.Zone{
			ID: aws.ToString(z.ZoneName), Name: aws.ToString(z.ZoneName), RegionName: region,
			Available: z.State == ec2types.AvailabilityZoneStateAvailable,
		})
	}
	slices.SortFunc(zs, func(a, b sdk.Zone) int { return strings.Compare(a.Name, b.Name) })
	return zs, nil
}

// vmTypes implements sdk.VMTypes with DescribeInstanceTypes, read once per
// process (the SDK paginator follows every page) and kept.
type vmTypes struct{ c *Cloud }

func (s *vmTypes) all(ctx context.Context) ([]sdk.VMType, error) {
	s.c.vmTypesMu.Lock()
	defer s.c.vmTypesMu.Unlock()
	if s.c.vmTypes != nil {
		return s.c.vmTypes, nil
	}
	cl, err := s.c.clients()
	if err != nil {
		return nil, err
	}
	var all []sdk.VMType
	p := ec2.NewDescribeInstanceTypesPaginator(cl.ec2, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, cl.mapError(err)
		}
		for _, t := range out.InstanceTypes {
			all = append(all, vmTypeFromEC2(t))
		}
	}
	slices.SortFunc(all, func(a, b sdk.VMType) int { return strings.Compare(a.ID, b.ID) })
	all = slices.CompactFunc(all, func(a, b sdk.VMType) bool { return a.ID == b.ID })
	s.c.vmTypes = all
	return all, nil
}

func vmTypeFromEC2(t ec2types.InstanceTypeInfo) sdk.VMType {
	id := string(t.InstanceType)
	family, _, _ := strings.Cut(id, ".")
	vt := sdk.VMType{ID: id, Name: id, Family: family, Extra: map[string]string{
		"current_generation": strconv.FormatBool(aws.ToBool(t.CurrentGeneration)),
		"bare_metal":         strconv.FormatBool(aws.ToBool(t.BareMetal)),
	}}
	if t.VCpuInfo != nil {
		vt.VCPUs = int(aws.ToInt32(t.VCpuInfo.DefaultVCpus))
	}
	if t.MemoryInfo != nil {
		vt.RAMMiB = aws.ToInt64(t.MemoryInfo.SizeInMiB)
	}
	if t.InstanceStorageInfo != nil {
		vt.SizeEphemeralDisksGB = int(aws.ToInt64(t.InstanceStorageInfo.TotalSizeInGB))
		for _, d := range t.InstanceStorageInfo.Disks {
			vt.NumEphemeralDisks += int(aws.ToInt32(d.Count))
		}
	}
	if t.ProcessorInfo != nil && len(t.ProcessorInfo.SupportedArchitectures) > 0 {
		var archs []string
		for _, a := range t.ProcessorInfo.SupportedArchitectures {
			archs = append(archs, string(a))
		}
		vt.Extra["architectures"] = strings.Join(archs, ",")
	}
	if t.NetworkInfo != nil {
		vt.Extra["network_performance"] = aws.ToString(t.NetworkInfo.NetworkPerformance)
	}
	// The root disk of an EBS-backed instance is an EBS volume sized by the
	// image, not by the type: SizeRootDiskGB stays 0.
	return vt
}

func (s *vmTypes) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.VMType], error) {
	if _, err := pageSize(opts.PageSize); err != nil {
		return sdk.Page[sdk.VMType]{}, err
	}
	all, err := s.all(ctx)
	if err != nil {
		return sdk.Page[sdk.VMType]{}, err
	}
	return sdk.Paginate(all, opts, func(t sdk.VMType) string { return t.ID })
}

func (s *vmTypes) Get(ctx context.Context, id string) (sdk.VMType, error) {
	all, err := s.all(ctx)
	if err != nil {
		return sdk.VMType{}, err
	}
	i, ok := slices.BinarySearchFunc(all, id, func(t sdk.VMType, id string) int { return strings.Compare(t.ID, id) })
	if !ok {
		return sdk.VMType{}, sdk.NotFound("vm type", id)
	}
	return all[i], nil
}
