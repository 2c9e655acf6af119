package host

import (
	"context"
	"iter"
	"slices"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ComputeService is p.Compute: regions, VM types, images and instances.
type ComputeService struct {
	Regions   *RegionService
	VMTypes   *VMTypeService
	Images    *ImageService
	Instances *InstanceService
}

func newComputeService(p *Provider) *ComputeService {
	c := p.drivers.Compute
	if c == nil {
		c = &sdk.Compute{}
	}
	return &ComputeService{
		Regions:   &RegionService{p: p, drv: c.Regions},
		VMTypes:   &VMTypeService{p: p, drv: c.VMTypes},
		Images:    &ImageService{p: p, drv: c.Images},
		Instances: &InstanceService{p: p, drv: c.Instances},
	}
}

// ---- regions ----

// Region is a cloud region with its zones.
type Region = sdk.Region

// Zone is a placement zone.
type Zone = sdk.Zone

// RegionService is p.Compute.Regions.
type RegionService struct {
	p   *Provider
	drv sdk.Regions
}

var regionKeys = findKeys[Region]{"name": func(r Region) string { return r.Name }, "id": func(r Region) string { return r.ID }}

// Get returns a region by id.
func (s *RegionService) Get(ctx context.Context, id string) (Region, error) {
	return call(ctx, s.p, "provider.compute.regions.get", sdk.CapRegions, &id, func(ctx context.Context) (Region, error) {
		return s.drv.Get(ctx, id)
	})
}

// List returns one page of regions.
func (s *RegionService) List(ctx context.Context, opts ListOptions) (Page[Region], error) {
	return call(ctx, s.p, "provider.compute.regions.list", sdk.CapRegions, &opts, func(ctx context.Context) (Page[Region], error) {
		return s.drv.List(ctx, opts)
	})
}

// All yields every region.
func (s *RegionService) All(ctx context.Context) iter.Seq2[Region, error] { return pages(ctx, s.List) }

// Find returns the regions matching the filter (key: name).
func (s *RegionService) Find(ctx context.Context, f Filter) ([]Region, error) {
	return find(s.All(ctx), f, regionKeys)
}

// Current returns the region this provider works in.
func (s *RegionService) Current(ctx context.Context) (Region, error) { return s.Get(ctx, s.p.Region) }

// ---- VM types ----

// VMType is an instance type or flavor.
type VMType = sdk.VMType

// VMTypeService is p.Compute.VMTypes.
type VMTypeService struct {
	p   *Provider
	drv sdk.VMTypes
}

var vmTypeKeys = findKeys[VMType]{"name": func(t VMType) string { return t.Name }, "id": func(t VMType) string { return t.ID }}

// Get returns a VM type by id.
func (s *VMTypeService) Get(ctx context.Context, id string) (VMType, error) {
	return call(ctx, s.p, "provider.compute.vm_types.get", sdk.CapVMTypes, &id, func(ctx context.Context) (VMType, error) {
		return s.drv.Get(ctx, id)
	})
}

// List returns one page of VM types.
func (s *VMTypeService) List(ctx context.Context, opts ListOptions) (Page[VMType], error) {
	return call(ctx, s.p, "provider.compute.vm_types.list", sdk.CapVMTypes, &opts, func(ctx context.Context) (Page[VMType], error) {
		return s.drv.List(ctx, opts)
	})
}

// All yields every VM type.
func (s *VMTypeService) All(ctx context.Context) iter.Seq2[VMType, error] { return pages(ctx, s.List) }

// Find returns the VM types matching the filter (key: name).
func (s *VMTypeService) Find(ctx context.Context, f Filter) ([]VMType, error) {
	return find(s.All(ctx), f, vmTypeKeys)
}

// ---- images ----

// Image is a machine image.
type Image struct {
	sdk.Image
	svc *ImageService
}

// ImageService is p.Compute.Images.
type ImageService struct {
	p   *Provider
	drv sdk.Images
}

var imageKeys = findKeys[*Image]{
	"label": func(i *Image) string { return i.Label },
	"name":  func(i *Image) string { return i.Name },
	"id":    func(i *Image) string { return i.ID },
}

func (s *ImageService) wrap(i sdk.Image) *Image { return &Image{Image: i, svc: s} }

// Get returns an image by id.
func (s *ImageService) Get(ctx context.Context, id string) (*Image, error) {
	return call(ctx, s.p, "provider.compute.images.get", sdk.CapImages, &id, func(ctx context.Context) (*Image, error) {
		i, err := s.drv.Get(ctx, id)
		return s.wrap(i), err
	})
}

// List returns one page of images; OwnedOnly lists the account's own.
func (s *ImageService) List(ctx context.Context, opts sdk.ImageListOptions) (Page[*Image], error) {
	return call(ctx, s.p, "provider.compute.images.list", sdk.CapImages, &opts, func(ctx context.Context) (Page[*Image], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every image (public and owned).
func (s *ImageService) All(ctx context.Context) iter.Seq2[*Image, error] {
	return pages(ctx, func(ctx context.Context, o ListOptions) (Page[*Image], error) {
		return s.List(ctx, sdk.ImageListOptions{ListOptions: o})
	})
}

// Find returns the images matching the filter (keys: label, name).
func (s *ImageService) Find(ctx context.Context, f Filter) ([]*Image, error) {
	return find(s.All(ctx), f, imageKeys)
}

// Delete deletes an image.
func (s *ImageService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.compute.images.delete", sdk.CapImages, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// Refresh reloads the image.
func (i *Image) Refresh(ctx context.Context) error {
	fresh, err := i.svc.Get(ctx, i.ID)
	if err != nil {
		return err
	}
	i.Image = fresh.Image
	return nil
}

// SetLabel changes the image's label.
func (i *Image) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	args := UpdateArgs[sdk.ImageUpdate]{ID: i.ID, Update: sdk.ImageUpdate{Label: &label}}
	fresh, err := call(ctx, i.svc.p, "provider.compute.images.update", sdk.CapImages, &args, func(ctx context.Context) (sdk.Image, error) {
		return i.svc.drv.Update(ctx, args.ID, args.Update)
	})
	if err == nil {
		i.Image = fresh
	}
	return err
}

// Delete deletes the image.
func (i *Image) Delete(ctx context.Context) error { return i.svc.Delete(ctx, i.ID) }

// WaitFor waits until the image is in one of the target states.
func (i *Image) WaitFor(ctx context.Context, targets ...sdk.ImageState) error {
	return i.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (i *Image) WaitForWith(ctx context.Context, targets []sdk.ImageState, opts ...WaitOption) error {
	return waitState(ctx, i.svc.p.waitPolicy(opts), "image", i.ID, func(ctx context.Context) (sdk.ImageState, error) {
		err := i.Refresh(ctx)
		return i.State, err
	}, targets, []sdk.ImageState{sdk.ImageError}, sdk.ImageUnknown)
}

// WaitReady waits until the image is available.
func (i *Image) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return i.WaitForWith(ctx, []sdk.ImageState{sdk.ImageAvailable}, opts...)
}

// ---- instances ----

// InstanceSpec describes an instance to launch.
type InstanceSpec = sdk.InstanceSpec

// Instance is a virtual machine.
type Instance struct {
	sdk.Instance
	svc *InstanceService
}

// InstanceService is p.Compute.Instances.
type InstanceService struct {
	p   *Provider
	drv sdk.Instances
}

var instanceKeys = findKeys[*Instance]{
	"label": func(i *Instance) string { return i.Label },
	"name":  func(i *Instance) string { return i.Name },
	"id":    func(i *Instance) string { return i.ID },
}

func (s *InstanceService) wrap(i sdk.Instance) *Instance { return &Instance{Instance: i, svc: s} }

// Get returns an instance by id.
func (s *InstanceService) Get(ctx context.Context, id string) (*Instance, error) {
	return call(ctx, s.p, "provider.compute.instances.get", sdk.CapInstances, &id, func(ctx context.Context) (*Instance, error) {
		i, err := s.drv.Get(ctx, id)
		return s.wrap(i), err
	})
}

// List returns one page of instances.
func (s *InstanceService) List(ctx context.Context, opts ListOptions) (Page[*Instance], error) {
	return call(ctx, s.p, "provider.compute.instances.list", sdk.CapInstances, &opts, func(ctx context.Context) (Page[*Instance], error) {
		page, err := s.drv.List(ctx, opts)
		return mapPage(page, s.wrap), err
	})
}

// All yields every instance.
func (s *InstanceService) All(ctx context.Context) iter.Seq2[*Instance, error] {
	return pages(ctx, s.List)
}

// Find returns the instances matching the filter (keys: label, name).
func (s *InstanceService) Find(ctx context.Context, f Filter) ([]*Instance, error) {
	return find(s.All(ctx), f, instanceKeys)
}

// Create launches an instance in the provider's zone (unless spec.Zone is set).
// It returns at once, typically in state pending: use WaitReady.
func (s *InstanceService) Create(ctx context.Context, spec InstanceSpec) (*Instance, error) {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return nil, err
	}
	if err := sdk.ValidateBlockDevices(spec.BlockDevices); err != nil {
		return nil, err
	}
	if spec.Zone == "" {
		spec.Zone = s.p.Zone
	}
	if spec.IdempotencyToken == "" {
		spec.IdempotencyToken = newToken()
	}
	spec.VMFirewallIDs = slices.Clone(spec.VMFirewallIDs)
	return call(ctx, s.p, "provider.compute.instances.create", sdk.CapInstances, &spec, func(ctx context.Context) (*Instance, error) {
		i, err := s.drv.Create(ctx, spec)
		return s.wrap(i), err
	})
}

// Delete deletes (terminates) an instance.
func (s *InstanceService) Delete(ctx context.Context, id string) error {
	return do(ctx, s.p, "provider.compute.instances.delete", sdk.CapInstances, &id, func(ctx context.Context) error {
		return s.drv.Delete(ctx, id)
	})
}

// update runs an instance action that answers the new instance and stores it.
func (i *Instance) update(ctx context.Context, event, capability string, args any, fn func(context.Context) (sdk.Instance, error)) error {
	fresh, err := call(ctx, i.svc.p, event, capability, args, fn)
	if err == nil {
		i.Instance = fresh
	}
	return err
}

// Refresh reloads the instance.
func (i *Instance) Refresh(ctx context.Context) error {
	id := i.ID
	return i.update(ctx, "provider.compute.instances.get", sdk.CapInstances, &id, func(ctx context.Context) (sdk.Instance, error) {
		return i.svc.drv.Get(ctx, id)
	})
}

// SetLabel changes the instance's label.
func (i *Instance) SetLabel(ctx context.Context, label string) error {
	if err := sdk.ValidateLabel(label); err != nil {
		return err
	}
	args := UpdateArgs[sdk.InstanceUpdate]{ID: i.ID, Update: sdk.InstanceUpdate{Label: &label}}
	return i.update(ctx, "provider.compute.instances.update", sdk.CapInstances, &args, func(ctx context.Context) (sdk.Instance, error) {
		return i.svc.drv.Update(ctx, args.ID, args.Update)
	})
}

// Reboot reboots the instance.
func (i *Instance) Reboot(ctx context.Context) error {
	id := i.ID
	return i.update(ctx, "provider.compute.instances.reboot", sdk.CapInstances, &id, func(ctx context.Context) (sdk.Instance, error) {
		return i.svc.drv.Reboot(ctx, id)
	})
}

// Start starts a stopped instance (capability compute.instances.start_stop).
func (i *Instance) Start(ctx context.Context) error {
	id := i.ID
	fresh, err := callAs(ctx, i.svc.p, i.svc.drv, "provider.compute.instances.start", sdk.CapStartStop, &id,
		func(ctx context.Context, d sdk.InstanceStartStopper) (sdk.Instance, error) { return d.Start(ctx, id) })
	if err == nil {
		i.Instance = fresh
	}
	return err
}

// Stop stops the instance (capability compute.instances.start_stop).
func (i *Instance) Stop(ctx context.Context) error {
	id := i.ID
	fresh, err := callAs(ctx, i.svc.p, i.svc.drv, "provider.compute.instances.stop", sdk.CapStartStop, &id,
		func(ctx context.Context, d sdk.InstanceStartStopper) (sdk.Instance, error) { return d.Stop(ctx, id) })
	if err == nil {
		i.Instance = fresh
	}
	return err
}

// AddVMFirewall puts the instance in a firewall.
func (i *Instance) AddVMFirewall(ctx context.Context, firewallID string) error {
	args := LinkArgs{ID: i.ID, OtherID: firewallID}
	return i.update(ctx, "provider.compute.instances.add_vm_firewall", sdk.CapInstances, &args, func(ctx context.Context) (sdk.Instance, error) {
		return i.svc.drv.AddVMFirewall(ctx, args.ID, args.OtherID)
	})
}

// RemoveVMFirewall takes the instance out of a firewall.
func (i *Instance) RemoveVMFirewall(ctx context.Context, firewallID string) error {
	args := LinkArgs{ID: i.ID, OtherID: firewallID}
	return i.update(ctx, "provider.compute.instances.remove_vm_firewall", sdk.CapInstances, &args, func(ctx context.Context) (sdk.Instance, error) {
		return i.svc.drv.RemoveVMFirewall(ctx, args.ID, args.OtherID)
	})
}

// CreateImage makes an image of the instance. It returns at once, typically in
// state pending: use WaitReady on the image.
func (i *Instance) CreateImage(ctx context.Context, label string) (*Image, error) {
	if err := sdk.ValidateLabel(label); err != nil {
		return nil, err
	}
	images := i.svc.p.Compute.Images
	spec := sdk.ImageSpec{InstanceID: i.ID, Label: label, IdempotencyToken: newToken()}
	return call(ctx, i.svc.p, "provider.compute.images.create", sdk.CapImages, &spec, func(ctx context.Context) (*Image, error) {
		img, err := images.drv.Create(ctx, spec)
		return images.wrap(img), err
	})
}

// Delete terminates the instance.
func (i *Instance) Delete(ctx context.Context) error { return i.svc.Delete(ctx, i.ID) }

// WaitFor waits until the instance is in one of the target states; "error" is
// terminal, and a deleted instance counts as "deleted".
func (i *Instance) WaitFor(ctx context.Context, targets ...sdk.InstanceState) error {
	return i.WaitForWith(ctx, targets)
}

// WaitForWith is WaitFor with options for this wait (WaitTimeout,
// WaitInterval) over the provider's WaitPolicy.
func (i *Instance) WaitForWith(ctx context.Context, targets []sdk.InstanceState, opts ...WaitOption) error {
	return waitState(ctx, i.svc.p.waitPolicy(opts), "instance", i.ID, func(ctx context.Context) (sdk.InstanceState, error) {
		err := i.Refresh(ctx)
		return i.State, err
	}, targets, []sdk.InstanceState{sdk.InstanceError, sdk.InstanceDeleted}, sdk.InstanceDeleted)
}

// WaitReady waits until the instance is running.
func (i *Instance) WaitReady(ctx context.Context, opts ...WaitOption) error {
	return i.WaitForWith(ctx, []sdk.InstanceState{sdk.InstanceRunning}, opts...)
}
