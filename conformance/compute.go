package conformance

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// computeTests port CloudBridge's test_region_service, test_vm_types_service,
// test_image_service and test_compute_service. Tests that need a resource that
// is slow to make on a real cloud (an instance, an image) make one and check
// several things of it in subtests.
func computeTests() []Test {
	regions := []string{sdk.CapRegions}
	vmTypes := []string{sdk.CapVMTypes}
	// Test instances boot the test image on the test VM type.
	instances := []string{sdk.CapInstances, sdk.CapImages, sdk.CapVMTypes}
	return []Test{
		{Name: "compute/regions/standard", Needs: regions, Run: testRegionsStandard},
		{Name: "compute/regions/missing", Needs: regions, Run: testRegionsMissing},
		{Name: "compute/regions/paging", Needs: regions, Run: testRegionsPaging},
		{Name: "compute/regions/unique", Needs: regions, Run: testRegionsUnique},
		{Name: "compute/regions/current-listed", Needs: regions, Run: testCurrentRegionListed},
		{Name: "compute/regions/test-zone-once", Needs: regions, Run: testZoneOnce},
		{Name: "compute/regions/zones-name-their-region", Needs: regions, Run: testZonesNameRegion},

		{Name: "compute/vm-types/standard", Needs: vmTypes, Run: testVMTypesStandard},
		{Name: "compute/vm-types/missing", Needs: vmTypes, Run: testVMTypesMissing},
		{Name: "compute/vm-types/paging", Needs: vmTypes, Run: testVMTypesPaging},
		{Name: "compute/vm-types/properties", Needs: vmTypes, Run: testVMTypeProperties},

		{Name: "compute/images/missing", Needs: []string{sdk.CapImages}, Run: testImagesMissing},
		{Name: "compute/images/wait-deadline", Needs: []string{sdk.CapImages}, Run: testImageWaitDeadline},
		{Name: "compute/images/crud", Needs: instances, Run: testImageCRUD},

		{Name: "compute/instances/crud", Needs: instances, Run: testInstanceCRUD},
		{Name: "compute/instances/missing", Needs: []string{sdk.CapInstances}, Run: testInstancesMissing},
		{Name: "compute/instances/paging", Needs: instances, Run: testInstancesPaging},
		{Name: "compute/instances/properties", Needs: instances, Run: testInstanceProperties},
		{Name: "compute/instances/reboot", Needs: instances, Run: testInstanceReboot},
		{Name: "compute/instances/start-stop", Needs: slices.Concat(instances, []string{sdk.CapStartStop}), Run: testInstanceStartStop},
		{Name: "compute/instances/add-remove-firewall", Needs: slices.Concat(instances, []string{sdk.CapVMFirewalls}), Run: testInstanceFirewalls},
		{Name: "compute/instances/wait-deadline", Needs: instances, Run: testInstanceWaitDeadline},
		{Name: "compute/instances/missing-references", Needs: instances, Run: testInstanceMissingRefs},
		{Name: "compute/instances/launch-config-validation", Needs: instances, Run: testLaunchConfigValidation},
	}
}

// ---- adapters to the standard checks ----

func regionService(e *Env) service[host.Region] {
	s := e.P.Compute.Regions
	return service[host.Region]{
		kind: "region", id: func(r host.Region) string { return r.ID },
		findKey: "name", findValue: func(r host.Region) string { return r.Name },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func vmTypeService(e *Env) service[host.VMType] {
	s := e.P.Compute.VMTypes
	return service[host.VMType]{
		kind: "VM type", id: func(v host.VMType) string { return v.ID },
		findKey: "name", findValue: func(v host.VMType) string { return v.Name },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

// imageService lists every image; with ownedOnly its List (what the paging
// check uses) lists only the account's own.
func imageService(e *Env, ownedOnly bool) service[*host.Image] {
	s := e.P.Compute.Images
	return service[*host.Image]{
		kind: "image", id: func(i *host.Image) string { return i.ID },
		findKey: "label", findValue: func(i *host.Image) string { return i.Label },
		get: s.Get, all: s.All, find: s.Find,
		list: func(ctx context.Context, o host.ListOptions) (host.Page[*host.Image], error) {
			return s.List(ctx, sdk.ImageListOptions{ListOptions: o, OwnedOnly: ownedOnly})
		},
	}
}

func instanceService(e *Env) service[*host.Instance] {
	s := e.P.Compute.Instances
	return service[*host.Instance]{
		kind: "instance", id: func(i *host.Instance) string { return i.ID },
		findKey: "label", findValue: func(i *host.Instance) string { return i.Label },
		get: s.Get, list: s.List, all: s.All, find: s.Find,
	}
}

func instanceLabels(e *Env, inst *host.Instance) labeled {
	drv := e.P.Drivers().Compute.Instances
	return labeled{
		kind: "instance", label: func() string { return inst.Label },
		set: inst.SetLabel, refresh: inst.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, inst.ID, sdk.InstanceUpdate{Label: &l})
			return err
		},
	}
}

func imageLabels(e *Env, img *host.Image) labeled {
	drv := e.P.Drivers().Compute.Images
	return labeled{
		kind: "image", label: func() string { return img.Label },
		set: img.SetLabel, refresh: img.Refresh,
		update: func(ctx context.Context, l string) error {
			_, err := drv.Update(ctx, img.ID, sdk.ImageUpdate{Label: &l})
			return err
		},
	}
}

// ---- regions ----

func testRegionsStandard(t T, e *Env) {
	r, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	regionService(e).checkStandard(t, e, r)
}

func testRegionsMissing(t T, e *Env) {
	regionService(e).checkMissing(t, e, e.Name("no-such-region"))
}

func testRegionsPaging(t T, e *Env) {
	s := regionService(e)
	s.checkPaging(t, e, ids(collect(t, "regions", s.all(e.Ctx)), s.id))
}

// testRegionsUnique is test_regions_unique.
func testRegionsUnique(t T, e *Env) {
	all := collect(t, "regions", e.P.Compute.Regions.All(e.Ctx))
	if dups := duplicates(all, func(r host.Region) string { return r.ID }); len(dups) > 0 {
		t.Errorf("region ids listed more than once: %v", dups)
	}
	if dups := duplicates(all, func(r host.Region) string { return r.Name }); len(dups) > 0 {
		t.Errorf("region names listed more than once: %v", dups)
	}
}

// testCurrentRegionListed is test_current_region.
func testCurrentRegionListed(t T, e *Env) {
	cur, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	all := collect(t, "regions", e.P.Compute.Regions.All(e.Ctx))
	if n := count(all, cur.ID, func(r host.Region) string { return r.ID }); n != 1 {
		t.Errorf("current region %s is listed %d times, want 1", cur.ID, n)
	}
}

// testZoneOnce is test_zones: the provider's zone is one of its region's, once.
func testZoneOnce(t T, e *Env) {
	cur, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	n := 0
	for _, z := range cur.Zones {
		if z.Name == e.P.Zone || z.ID == e.P.Zone {
			n++
		}
	}
	if n != 1 {
		t.Errorf("zone %s appears %d times among region %s's zones %v, want 1", e.P.Zone, n, cur.Name, cur.Zones)
	}
}

func testZonesNameRegion(t T, e *Env) {
	cur, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	if len(cur.Zones) == 0 {
		t.Fatalf("region %s has no zones", cur.Name)
	}
	for _, z := range cur.Zones {
		if z.RegionName != cur.Name {
			t.Errorf("zone %s of region %s says its region is %q", z.Name, cur.Name, z.RegionName)
		}
	}
	if dups := duplicates(cur.Zones, func(z host.Zone) string { return z.ID }); len(dups) > 0 {
		t.Errorf("region %s lists zones %v more than once", cur.Name, dups)
	}
}

// ---- VM types ----

func testVMTypesStandard(t T, e *Env) {
	vmTypeService(e).checkStandard(t, e, e.TestVMType(t))
}

func testVMTypesMissing(t T, e *Env) {
	vmTypeService(e).checkMissing(t, e, e.Name("no-such-type"))
}

func testVMTypesPaging(t T, e *Env) {
	s := vmTypeService(e)
	s.checkPaging(t, e, ids(collect(t, "VM types", s.all(e.Ctx)), s.id))
}

// testVMTypeProperties is test_vm_type_properties.
func testVMTypeProperties(t T, e *Env) {
	for _, v := range collect(t, "VM types", e.P.Compute.VMTypes.All(e.Ctx)) {
		if v.ID == "" || v.Name == "" {
			t.Errorf("VM type %+v has no id or no name", v)
		}
		if v.VCPUs < 1 || v.RAMMiB <= 0 {
			t.Errorf("VM type %s has %d vCPUs and %d MiB of RAM; want at least 1 and more than 0", v.ID, v.VCPUs, v.RAMMiB)
		}
		if v.SizeRootDiskGB < 0 || v.SizeEphemeralDisksGB < 0 || v.NumEphemeralDisks < 0 {
			t.Errorf("VM type %s has negative disk figures: root %d GB, ephemeral %d GB in %d disks",
				v.ID, v.SizeRootDiskGB, v.SizeEphemeralDisksGB, v.NumEphemeralDisks)
		}
	}
}

// ---- images ----

func testImagesMissing(t T, e *Env) {
	imageService(e, false).checkMissing(t, e, e.Name("no-such-image"))
}

// testImageWaitDeadline: a wait for a state the image never reaches ends with
// DeadlineExceeded when the context's deadline passes.
func testImageWaitDeadline(t T, e *Env) {
	img := e.TestImage(t)
	if img.State != sdk.ImageAvailable {
		t.Skipf("test image %s is %s, not available", img.ID, img.State)
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 300*time.Millisecond)
	defer cancel()
	err := img.WaitFor(ctx, sdk.ImagePending)
	wantCode(t, err, sdk.ErrDeadlineExceeded, "wait for available image %s to be pending", img.ID)
}

// testImageCRUD is test_create_and_list_image and check_crud for an image made
// from an instance. The image is made through the raw driver with an
// idempotency token, so that a retry can be checked without making another.
func testImageCRUD(t T, e *Env) {
	inst := e.NewInstance(t, "image-src", InstanceOptions{})
	drv, svc := e.P.Drivers().Compute.Images, imageService(e, false)
	spec := sdk.ImageSpec{InstanceID: inst.ID, Label: e.Name("image"), IdempotencyToken: randomHex(16)}
	made, err := drv.Create(e.Ctx, spec)
	must(t, err, "create image of instance %s", inst.ID)
	e.Track("image", made.ID, func(ctx context.Context) error { return drv.Delete(ctx, made.ID) })
	img, err := e.P.Compute.Images.Get(e.Ctx, made.ID)
	must(t, err, "get new image %s", made.ID)

	run(t, "idempotent-create", func(t T) {
		again, err := drv.Create(e.Ctx, spec)
		must(t, err, "create image again with the same idempotency token")
		if again.ID != made.ID {
			e.Track("image", again.ID, func(ctx context.Context) error { return drv.Delete(ctx, again.ID) })
		}
		svc.checkIdempotent(t, e, img, again.ID)
	})
	run(t, "host-rejects-bad-labels", func(t T) { hostRefusesImageLabels(t, e, inst) })
	run(t, "plugin-rejects-bad-labels", func(t T) { pluginRefusesImageLabels(t, e, inst, img) })
	must(t, img.WaitReady(e.Ctx), "wait for image %s to be available", img.ID)

	run(t, "min-disk", func(t T) {
		if img.MinDiskGB <= 0 {
			t.Errorf("image %s has MinDiskGB %d, want more than 0", img.ID, img.MinDiskGB)
		}
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, img) })
	run(t, "relabel", func(t T) { imageLabels(e, img).checkRelabel(t, e) })
	run(t, "owned-only", func(t T) { checkOwnedOnly(t, e, img) })
	run(t, "owned-paging", func(t T) { imageService(e, true).checkPaging(t, e, []string{img.ID}) })
	run(t, "boot", func(t T) {
		booted := e.NewInstance(t, "from-image", InstanceOptions{ImageID: img.ID})
		if booted.ImageID != img.ID {
			t.Errorf("instance booted from image %s says its image is %q", img.ID, booted.ImageID)
		}
	})
	run(t, "delete-twice", func(t T) { checkDeleteTwice(t, e, "image", img.ID, e.P.Compute.Images.Delete) })
	run(t, "gone", func(t T) { svc.checkGone(t, e, img) })
}

// hostRefusesImageLabels: the host refuses to make an image with a bad label.
func hostRefusesImageLabels(t T, e *Env, inst *host.Instance) {
	checkRefused(t, e, "host create image with label", badLabels, func(ctx context.Context, l string) (string, error) {
		im, err := inst.CreateImage(ctx, l)
		if err != nil {
			return "", err
		}
		return im.ID, nil
	}, e.P.Compute.Images.Delete)
}

// pluginRefusesImageLabels: the plugin itself refuses to make an image with a
// bad label, or to give img one.
func pluginRefusesImageLabels(t T, e *Env, inst *host.Instance, img *host.Image) {
	drv := e.P.Drivers().Compute.Images
	checkRefused(t, e, "plugin create image with label", badLabels, func(ctx context.Context, l string) (string, error) {
		im, err := drv.Create(ctx, sdk.ImageSpec{InstanceID: inst.ID, Label: l, IdempotencyToken: randomHex(16)})
		return im.ID, err
	}, drv.Delete)
	imageLabels(e, img).checkPluginRefuses(t, e)
}

// checkOwnedOnly: the account's own images include the one it made and none
// of another owner, such as the public test image.
func checkOwnedOnly(t T, e *Env, img *host.Image) {
	owned := imageService(e, true).collectPages(t, e, sdk.MaxPageSize)
	if n := count(owned, img.ID, func(i *host.Image) string { return i.ID }); n != 1 {
		t.Errorf("own image %s appears %d times among owned images, want 1", img.ID, n)
	}
	public := e.TestImage(t)
	for _, o := range owned {
		if public.Public && o.ID == public.ID {
			t.Errorf("public test image %s is listed as owned", public.ID)
		}
		if img.Owner != "" && o.Owner != img.Owner {
			t.Errorf("owned images include %s of owner %q; this account's images are of %q", o.ID, o.Owner, img.Owner)
		}
	}
}

// ---- instances ----

// testInstanceCRUD is test_crud_instance: check_crud with user data, plus a
// retried create and label validation.
func testInstanceCRUD(t T, e *Env) {
	_, subnet := e.TestPlacement(t)
	opts := InstanceOptions{
		SubnetID: subnet, UserData: []byte("#!/bin/sh\necho cloudbridge conformance\n"), IdempotencyToken: randomHex(16),
	}
	inst := e.NewInstance(t, "crud", opts)
	svc := instanceService(e)

	run(t, "idempotent-create", func(t T) { svc.checkIdempotent(t, e, inst, e.NewInstance(t, "crud", opts).ID) })
	run(t, "host-rejects-bad-labels", func(t T) {
		spec := launchSpecs(t, e, subnet)
		checkRefused(t, e, "host create instance with label", badLabels, func(ctx context.Context, l string) (string, error) {
			in, err := e.P.Compute.Instances.Create(ctx, spec(l))
			if err != nil {
				return "", err
			}
			return in.ID, nil
		}, e.P.Compute.Instances.Delete)
	})
	run(t, "plugin-rejects-bad-labels", func(t T) {
		drv, spec := e.P.Drivers().Compute.Instances, launchSpecs(t, e, subnet)
		checkRefused(t, e, "plugin create instance with label", badLabels, func(ctx context.Context, l string) (string, error) {
			in, err := drv.Create(ctx, spec(l))
			return in.ID, err
		}, drv.Delete)
		instanceLabels(e, inst).checkPluginRefuses(t, e)
	})
	run(t, "standard", func(t T) { svc.checkStandard(t, e, inst) })
	run(t, "relabel", func(t T) { instanceLabels(e, inst).checkRelabel(t, e) })
	run(t, "gone", func(t T) {
		must(t, inst.Delete(e.Ctx), "delete instance %s", inst.ID)
		must(t, inst.WaitFor(e.Ctx, sdk.InstanceDeleted, sdk.InstanceUnknown), "wait for instance %s to be deleted", inst.ID)
		checkInstanceGone(t, e, inst.ID)
	})
}

// instanceSpec is a valid launch spec for the test image and VM type, with a
// fresh idempotency token. A test making many uses launchSpecs, which looks the
// image and VM type up once.
func instanceSpec(t T, e *Env, label, subnet string) sdk.InstanceSpec {
	return launchSpecs(t, e, subnet)(label)
}

// launchSpecs returns a maker of valid launch specs for the test image and VM
// type, each with a fresh idempotency token (a token reused with other
// arguments is refused).
func launchSpecs(t T, e *Env, subnet string) func(label string) sdk.InstanceSpec {
	image, vmType := e.TestImage(t).ID, e.TestVMType(t).ID
	return func(label string) sdk.InstanceSpec {
		return sdk.InstanceSpec{
			Label: label, ImageID: image, VMTypeID: vmType, SubnetID: subnet,
			Zone: e.P.Zone, IdempotencyToken: randomHex(16),
		}
	}
}

// checkInstanceGone is test_crud_instance's check_deleted: clouds keep
// terminated instances visible for a while, so a deleted instance is either
// NotFound or in state deleted (or unknown), wherever it is seen.
func checkInstanceGone(t T, e *Env, id string) {
	t.Helper()
	gone := func(s sdk.InstanceState) bool { return s == sdk.InstanceDeleted || s == sdk.InstanceUnknown }
	got, err := e.P.Compute.Instances.Get(e.Ctx, id)
	switch {
	case errors.Is(err, sdk.ErrNotFound):
	case err != nil:
		t.Errorf("get deleted instance %s: %v", id, err)
	case !gone(got.State):
		t.Errorf("deleted instance %s is %s", id, got.State)
	}
	for _, in := range collect(t, "instances", e.P.Compute.Instances.All(e.Ctx)) {
		if in.ID == id && !gone(in.State) {
			t.Errorf("deleted instance %s is listed as %s", id, in.State)
		}
	}
}

func testInstancesMissing(t T, e *Env) {
	instanceService(e).checkMissing(t, e, e.Name("no-such-instance"))
}

func testInstancesPaging(t T, e *Env) {
	_, subnet := e.TestPlacement(t)
	var made []string
	for _, purpose := range []string{"page-1", "page-2", "page-3"} {
		made = append(made, e.NewInstance(t, purpose, InstanceOptions{SubnetID: subnet, NoWait: true}).ID)
	}
	instanceService(e).checkPaging(t, e, made)
}

// testInstanceProperties is test_instance_properties, one subtest per property
// of one instance launched with a key pair and a firewall when the plugin has
// them.
func testInstanceProperties(t T, e *Env) {
	net, subnet := e.TestPlacement(t)
	var kpID string
	var fwIDs []string
	if e.P.Has(sdk.CapKeyPairs) {
		kpID = e.NewKeyPair(t, "props").ID
	}
	if e.P.Has(sdk.CapVMFirewalls) {
		fwIDs = []string{e.NewFirewall(t, "props", net).ID}
	}
	img, vt := e.TestImage(t), e.TestVMType(t)
	inst := e.NewInstance(t, "props", InstanceOptions{SubnetID: subnet, KeyPairID: kpID, VMFirewallIDs: fwIDs})

	same := func(what, got, want string) func(T) {
		return func(t T) {
			if got != want {
				t.Errorf("instance %s: %s = %q, want %q", inst.ID, what, got, want)
			}
		}
	}
	run(t, "label", same("label", inst.Label, e.Name("props")))
	run(t, "image", same("image id", inst.ImageID, img.ID))
	run(t, "vm-type", same("VM type id", inst.VMTypeID, vt.ID))
	run(t, "zone", same("zone", inst.Zone, e.P.Zone))
	run(t, "zone-in-region", func(t T) { checkZoneInRegion(t, e, inst.Zone) })
	run(t, "subnet", func(t T) {
		if subnet == "" {
			t.Skip("the plugin has no subnets")
		}
		same("subnet id", inst.SubnetID, subnet)(t)
	})
	run(t, "private-ips", func(t T) { checkIPs(t, "private", inst.PrivateIPs, true) })
	run(t, "public-ips", func(t T) { checkIPs(t, "public", inst.PublicIPs, false) })
	run(t, "key-pair", func(t T) {
		if kpID == "" {
			t.Skip("the plugin has no key pairs")
		}
		same("key pair id", inst.KeyPairID, kpID)(t)
	})
	run(t, "firewalls", func(t T) {
		if fwIDs == nil {
			t.Skip("the plugin has no VM firewalls")
		}
		if !slices.Equal(inst.VMFirewallIDs, fwIDs) {
			t.Errorf("instance %s: firewall ids = %v, want %v", inst.ID, inst.VMFirewallIDs, fwIDs)
		}
	})
	run(t, "create-time", func(t T) {
		// A few minutes of clock skew between here and the cloud are allowed.
		if age := time.Since(inst.CreateTime); age > time.Hour || age < -5*time.Minute {
			t.Errorf("instance %s: create time %v is not within the last hour", inst.ID, inst.CreateTime)
		}
	})
}

func checkZoneInRegion(t T, e *Env, zone string) {
	if !e.P.Has(sdk.CapRegions) {
		t.Skip("the plugin has no regions service")
	}
	r, err := e.P.Compute.Regions.Current(e.Ctx)
	must(t, err, "get current region %s", e.P.Region)
	if !slices.ContainsFunc(r.Zones, func(z host.Zone) bool { return z.Name == zone || z.ID == zone }) {
		t.Errorf("instance zone %s is not a zone of the current region %s (%v)", zone, r.Name, r.Zones)
	}
}

func checkIPs(t T, kind string, ips []string, required bool) {
	if required && len(ips) == 0 {
		t.Errorf("a running instance has no %s IP", kind)
	}
	for _, ip := range ips {
		if _, err := netip.ParseAddr(ip); err != nil {
			t.Errorf("%s IP %q: %v", kind, ip, err)
		}
	}
}

// testInstanceReboot: a reboot is answered with the instance rebooting (or
// still running, on clouds that reboot in place), which then runs again.
func testInstanceReboot(t T, e *Env) {
	inst := e.NewInstance(t, "reboot", InstanceOptions{})
	must(t, inst.Reboot(e.Ctx), "reboot instance %s", inst.ID)
	if inst.State != sdk.InstanceRebooting && inst.State != sdk.InstanceRunning {
		t.Errorf("reboot answered instance %s in state %s, want rebooting or running", inst.ID, inst.State)
	}
	must(t, inst.WaitReady(e.Ctx), "wait for rebooted instance %s to run", inst.ID)
}

// testInstanceStartStop is test_instance_start_stop_methods.
func testInstanceStartStop(t T, e *Env) {
	inst := e.NewInstance(t, "start-stop", InstanceOptions{})
	must(t, inst.Stop(e.Ctx), "stop instance %s", inst.ID)
	must(t, inst.WaitFor(e.Ctx, sdk.InstanceStopped), "wait for instance %s to stop", inst.ID)
	must(t, inst.Start(e.Ctx), "start instance %s", inst.ID)
	must(t, inst.WaitReady(e.Ctx), "wait for restarted instance %s to run", inst.ID)
}

// testInstanceFirewalls is the firewall half of test_instance_methods.
func testInstanceFirewalls(t T, e *Env) {
	net, subnet := e.TestPlacement(t)
	// Made before the instance, so that the instance is deleted first.
	fw := e.NewFirewall(t, "attach", net)
	inst := e.NewInstance(t, "attach", InstanceOptions{SubnetID: subnet})
	must(t, inst.AddVMFirewall(e.Ctx, fw.ID), "add firewall %s to instance %s", fw.ID, inst.ID)
	must(t, inst.Refresh(e.Ctx), "refresh instance %s", inst.ID)
	if !slices.Contains(inst.VMFirewallIDs, fw.ID) {
		t.Errorf("after adding firewall %s, instance %s has firewalls %v", fw.ID, inst.ID, inst.VMFirewallIDs)
	}
	must(t, inst.RemoveVMFirewall(e.Ctx, fw.ID), "remove firewall %s from instance %s", fw.ID, inst.ID)
	must(t, inst.Refresh(e.Ctx), "refresh instance %s", inst.ID)
	if slices.Contains(inst.VMFirewallIDs, fw.ID) {
		t.Errorf("after removing firewall %s, instance %s still has it: %v", fw.ID, inst.ID, inst.VMFirewallIDs)
	}
}

// testInstanceWaitDeadline: a wait for a state the instance is never put in
// ends with DeadlineExceeded when the context's deadline passes.
func testInstanceWaitDeadline(t T, e *Env) {
	inst := e.NewInstance(t, "wait", InstanceOptions{NoWait: true})
	ctx, cancel := context.WithTimeout(e.Ctx, 300*time.Millisecond)
	defer cancel()
	err := inst.WaitFor(ctx, sdk.InstanceStopped)
	wantCode(t, err, sdk.ErrDeadlineExceeded, "wait for new instance %s to be stopped", inst.ID)
}

// testInstanceMissingRefs: a launch naming an image, VM type, key pair or
// firewall that does not exist fails as NotFound or InvalidArgument (clouds
// differ on which) and makes nothing.
func testInstanceMissingRefs(t T, e *Env) {
	valid, missing := launchSpecs(t, e, e.TestSubnet(t)), e.Name("missing")
	cases := []struct {
		name, needs string
		mod         func(*sdk.InstanceSpec)
	}{
		{"image", sdk.CapImages, func(s *sdk.InstanceSpec) { s.ImageID = missing }},
		{"vm-type", sdk.CapVMTypes, func(s *sdk.InstanceSpec) { s.VMTypeID = missing }},
		{"key-pair", sdk.CapKeyPairs, func(s *sdk.InstanceSpec) { s.KeyPairID = missing }},
		{"firewall", sdk.CapVMFirewalls, func(s *sdk.InstanceSpec) { s.VMFirewallIDs = []string{missing} }},
	}
	for _, c := range cases {
		run(t, c.name, func(t T) {
			if !e.P.Has(c.needs) {
				t.Skipf("plugin %s does not advertise %s", e.P.Name, c.needs)
			}
			spec := valid(e.Name("bad-ref"))
			c.mod(&spec)
			in, err := e.P.Compute.Instances.Create(e.Ctx, spec)
			if err == nil {
				e.Track("instance", in.ID, in.Delete)
				t.Errorf("launch with a missing %s was accepted: instance %s", c.name, in.ID)
			} else if !errors.Is(err, sdk.ErrNotFound) && !errors.Is(err, sdk.ErrInvalidArgument) {
				t.Errorf("launch with a missing %s: err = %v, want NotFound or InvalidArgument", c.name, err)
			}
		})
	}
}

// testLaunchConfigValidation is test_block_device_mapping_launch_config's
// validation: bad block device lists are InvalidArgument.
func testLaunchConfigValidation(t T, e *Env) {
	img, valid := e.TestImage(t), launchSpecs(t, e, e.TestSubnet(t))
	cases := []struct {
		what    string
		devices []sdk.BlockDevice
	}{
		{"a blank device without a size", []sdk.BlockDevice{{Source: sdk.SourceBlank}}},
		{"a negative size", []sdk.BlockDevice{{Source: sdk.SourceBlank, SizeGB: -1}}},
		{"an unknown source", []sdk.BlockDevice{{Source: "floppy", SizeGB: 1}}},
		{"a volume source without its id", []sdk.BlockDevice{{Source: sdk.SourceVolume}}},
		{"two root devices", []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: img.ID, IsRoot: true},
			{Source: sdk.SourceBlank, SizeGB: 1, IsRoot: true},
		}},
	}
	for _, c := range cases {
		spec := valid(e.Name("bad-lc"))
		spec.BlockDevices = c.devices
		in, err := e.P.Compute.Instances.Create(e.Ctx, spec)
		if err == nil {
			e.Track("instance", in.ID, in.Delete)
		}
		wantCode(t, err, sdk.ErrInvalidArgument, "launch with %s", c.what)
	}
}
