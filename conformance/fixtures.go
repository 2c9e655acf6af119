package conformance

import (
	"context"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// TestImage returns the image test instances boot: Config.ImageID, or the
// first available public image.
func (e *Env) TestImage(t T) *host.Image {
	t.Helper()
	if e.Cfg.ImageID != "" {
		img, err := e.P.Compute.Images.Get(e.Ctx, e.Cfg.ImageID)
		must(t, err, "get configured test image %s", e.Cfg.ImageID)
		return img
	}
	for img, err := range e.P.Compute.Images.All(e.Ctx) {
		must(t, err, "list images")
		if img.State == sdk.ImageAvailable && img.Public {
			return img
		}
	}
	t.Skip("no available public image to boot test instances; set Config.ImageID")
	return nil
}

// TestVMType returns the VM type test instances use: Config.VMTypeID, or the
// one with the least memory.
func (e *Env) TestVMType(t T) host.VMType {
	t.Helper()
	if e.Cfg.VMTypeID != "" {
		vt, err := e.P.Compute.VMTypes.Get(e.Ctx, e.Cfg.VMTypeID)
		must(t, err, "get configured test VM type %s", e.Cfg.VMTypeID)
		return vt
	}
	var best host.VMType
	for vt, err := range e.P.Compute.VMTypes.All(e.Ctx) {
		must(t, err, "list VM types")
		if best.ID == "" || vt.RAMMiB < best.RAMMiB {
			best = vt
		}
	}
	if best.ID == "" {
		t.Skip("the plugin lists no VM types; set Config.VMTypeID")
	}
	return best
}

// TestNetwork makes a network for the test when the plugin has networks, and
// returns "" when it does not (firewalls and instances then go without).
func (e *Env) TestNetwork(t T) string {
	t.Helper()
	if !e.P.Has(sdk.CapNetworks) {
		return ""
	}
	net, err := e.P.Networking.Networks.Create(e.Ctx, sdk.NetworkSpec{Label: e.Name("net"), CIDRBlock: "10.0.0.0/16"})
	must(t, err, "create test network")
	e.Track("network", net.ID, func(ctx context.Context) error { return e.P.Networking.Networks.Delete(ctx, net.ID) })
	return net.ID
}

// TestSubnet makes a network and a subnet for the test when the plugin has
// them, and returns "" when it does not.
func (e *Env) TestSubnet(t T) string {
	t.Helper()
	_, subnetID := e.TestPlacement(t)
	return subnetID
}

// TestPlacement makes a network and a subnet in it, for a test whose instances
// and firewalls must share one network (as on AWS, where a security group
// belongs to a VPC). Either id is "" when the plugin lacks that service.
func (e *Env) TestPlacement(t T) (networkID, subnetID string) {
	t.Helper()
	netID := e.TestNetwork(t)
	if netID == "" || !e.P.Has(sdk.CapSubnets) {
		return netID, ""
	}
	sn, err := e.P.Networking.Subnets.Create(e.Ctx, sdk.SubnetSpec{Label: e.Name("subnet"), NetworkID: netID, CIDRBlock: "10.0.0.0/24"})
	must(t, err, "create test subnet")
	e.Track("subnet", sn.ID, func(ctx context.Context) error { return e.P.Networking.Subnets.Delete(ctx, sn.ID) })
	return netID, sn.ID
}

// NewKeyPair makes a tracked key pair.
func (e *Env) NewKeyPair(t T, purpose string) *host.KeyPair {
	t.Helper()
	kp, err := e.P.Security.KeyPairs.Create(e.Ctx, sdk.KeyPairSpec{Name: e.Name(purpose)})
	must(t, err, "create key pair")
	e.Track("key pair", kp.ID, kp.Delete)
	return kp
}

// NewFirewall makes a tracked firewall in networkID ("" for none).
func (e *Env) NewFirewall(t T, purpose, networkID string) *host.VMFirewall {
	t.Helper()
	fw, err := e.P.Security.VMFirewalls.Create(e.Ctx, sdk.VMFirewallSpec{
		Label: e.Name(purpose), NetworkID: networkID, Description: "conformance " + purpose,
	})
	must(t, err, "create firewall")
	e.Track("firewall", fw.ID, fw.Delete)
	return fw
}

// InstanceOptions adds to a test instance's spec.
type InstanceOptions struct {
	// ImageID boots another image than the test image.
	ImageID       string
	KeyPairID     string
	VMFirewallIDs []string
	SubnetID      string
	UserData      []byte
	BlockDevices  []sdk.BlockDevice
	// IdempotencyToken is passed on; "" lets the host make a fresh one.
	IdempotencyToken string
	// NoWait returns without waiting for the instance to run.
	NoWait bool
}

// NewInstance launches a tracked instance of the test image and VM type and
// waits until it runs.
func (e *Env) NewInstance(t T, purpose string, opts InstanceOptions) *host.Instance {
	t.Helper()
	if opts.ImageID == "" {
		opts.ImageID = e.TestImage(t).ID
	}
	vt := e.TestVMType(t)
	if opts.SubnetID == "" {
		opts.SubnetID = e.TestSubnet(t)
	}
	inst, err := e.P.Compute.Instances.Create(e.Ctx, sdk.InstanceSpec{
		Label: e.Name(purpose), ImageID: opts.ImageID, VMTypeID: vt.ID, SubnetID: opts.SubnetID,
		KeyPairID: opts.KeyPairID, VMFirewallIDs: opts.VMFirewallIDs, UserData: opts.UserData,
		BlockDevices: opts.BlockDevices, IdempotencyToken: opts.IdempotencyToken,
	})
	must(t, err, "create instance")
	e.Track("instance", inst.ID, func(ctx context.Context) error {
		if err := inst.Delete(ctx); err != nil {
			return err
		}
		// Wait for it to be gone so that what it used can be deleted next.
		return inst.WaitFor(ctx, sdk.InstanceDeleted, sdk.InstanceUnknown)
	})
	if !opts.NoWait {
		must(t, inst.WaitReady(e.Ctx), "wait for instance %s to run", inst.ID)
	}
	return inst
}
