package host

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// driverProvider is a provider over in-process drivers, with no plugin
// process: enough to test what the host does before and after a driver call.
func driverProvider(plugin sdk.Plugin) *Provider {
	p := &Provider{Name: "fake", Region: "region-1", Zone: "zone-a", drivers: plugin, caps: map[string]bool{}}
	for _, c := range plugin.Capabilities() {
		p.caps[c] = true
	}
	p.build()
	return p
}

// wantParam fails the test unless err is InvalidArgument naming param.
func wantParam(t *testing.T, err error, param string) {
	t.Helper()
	var e *Error
	if !errors.Is(err, ErrInvalidArgument) || !errors.As(err, &e) || e.Param != param {
		t.Fatalf("err = %v, want InvalidArgument for param %q", err, param)
	}
}

type recordingVolumes struct {
	sdk.Volumes
	specs []sdk.VolumeSpec
}

func (v *recordingVolumes) Create(_ context.Context, spec sdk.VolumeSpec) (sdk.Volume, error) {
	v.specs = append(v.specs, spec)
	return sdk.Volume{ID: "vol-1", Label: spec.Label, SizeGB: spec.SizeGB, Zone: spec.Zone}, nil
}

func TestVolumeCreateChecksSizeAndFillsZoneAndToken(t *testing.T) {
	for name, tc := range map[string]struct {
		spec  VolumeSpec
		param string // "" when the driver should be called
	}{
		"blank volume":             {spec: VolumeSpec{Label: "data", SizeGB: 1}},
		"from snapshot, its size":  {spec: VolumeSpec{Label: "data", SnapshotID: "snap-1"}},
		"blank volume of size 0":   {spec: VolumeSpec{Label: "data"}, param: "size_gb"},
		"negative size":            {spec: VolumeSpec{Label: "data", SizeGB: -1, SnapshotID: "snap-1"}, param: "size_gb"},
		"label breaks CloudBridge": {spec: VolumeSpec{Label: "Data", SizeGB: 1}, param: "label"},
	} {
		t.Run(name, func(t *testing.T) {
			drv := &recordingVolumes{}
			p := driverProvider(sdk.Plugin{Storage: &sdk.Storage{Volumes: drv}})
			v, err := p.Storage.Volumes.Create(t.Context(), tc.spec)
			if tc.param != "" {
				wantParam(t, err, tc.param)
				if len(drv.specs) != 0 {
					t.Fatal("the driver was called with an invalid spec")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := drv.specs[0]
			if got.Zone != "zone-a" || got.IdempotencyToken == "" || v.Zone != "zone-a" {
				t.Fatalf("driver got zone %q token %q; want the provider's zone and a token", got.Zone, got.IdempotencyToken)
			}
		})
	}
}

func TestStorageWithoutPluginSupportIsUnsupported(t *testing.T) {
	p := driverProvider(sdk.Plugin{})
	if _, err := p.Storage.Volumes.Get(t.Context(), "vol-1"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("volumes.get err = %v, want ErrUnsupported", err)
	}
	if _, err := p.Storage.Buckets.Get(t.Context(), "bucket"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("buckets.get err = %v, want ErrUnsupported", err)
	}
}

type recordingInstances struct {
	sdk.Instances
	specs []sdk.InstanceSpec
}

func (r *recordingInstances) Create(_ context.Context, spec sdk.InstanceSpec) (sdk.Instance, error) {
	r.specs = append(r.specs, spec)
	return sdk.Instance{ID: "i-1", Label: spec.Label, BlockDevices: spec.BlockDevices}, nil
}

// The host refuses a bad launch config before calling the plugin, naming the
// device and field.
func TestInstanceCreateChecksLaunchConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		devices []sdk.BlockDevice
		param   string // "" when the driver should be called
	}{
		"blank and image root": {devices: []sdk.BlockDevice{
			{Source: sdk.SourceBlank, SizeGB: 1}, {Source: sdk.SourceImage, SourceID: "img-1", IsRoot: true},
		}},
		"blank without size": {devices: []sdk.BlockDevice{{Source: sdk.SourceBlank}}, param: "block_devices[0].size_gb"},
		"two roots": {devices: []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: "img-1", IsRoot: true}, {Source: sdk.SourceVolume, SourceID: "vol-1", IsRoot: true},
		}, param: "block_devices[1].is_root"},
		"snapshot without id": {devices: []sdk.BlockDevice{{Source: sdk.SourceSnapshot}}, param: "block_devices[0].source_id"},
	} {
		t.Run(name, func(t *testing.T) {
			drv := &recordingInstances{}
			p := driverProvider(sdk.Plugin{Compute: &sdk.Compute{Instances: drv}})
			_, err := p.Compute.Instances.Create(t.Context(), InstanceSpec{
				Label: "web-1", ImageID: "img-1", VMTypeID: "small", BlockDevices: tc.devices,
			})
			if tc.param != "" {
				wantParam(t, err, tc.param)
				if len(drv.specs) != 0 {
					t.Fatal("the driver was called with an invalid launch config")
				}
				return
			}
			if err != nil || len(drv.specs) != 1 {
				t.Fatalf("Create = %v, driver called %d times; want success, once", err, len(drv.specs))
			}
		})
	}
}
