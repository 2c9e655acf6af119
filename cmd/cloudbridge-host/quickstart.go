package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func newQuickstartCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "quickstart",
		Short: "Provision a key pair, firewall and instance, reboot it, image it, then delete everything",
		Long: `Walks through a cloud's basics on the provider named by -p (the mock by
default): key pair, firewall with an SSH rule, (network and subnet when the
provider has them), an instance, wait until it runs, reboot it, make an image of
it, then delete everything it made, printing each step and how long it took.
Everything is deleted even when a step fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return quickstart(cmd.Context(), g, cmd.OutOrStdout())
		},
	}
}

// walkthrough prints timed steps and remembers how to undo them.
type walkthrough struct {
	out   io.Writer
	undo  []func(context.Context) error
	names []string
}

func (w *walkthrough) step(what string, fn func() error) error {
	start := time.Now()
	err := fn()
	took := time.Since(start).Round(100 * time.Microsecond)
	if err != nil {
		fmt.Fprintf(w.out, "FAIL  %-52s %10s\n      %v\n", what, took, err)
		return err
	}
	fmt.Fprintf(w.out, "ok    %-52s %10s\n", what, took)
	return nil
}

func (w *walkthrough) onCleanup(what string, fn func(context.Context) error) {
	w.names = append(w.names, what)
	w.undo = append(w.undo, fn)
}

// cleanup undoes every step, newest first, with its own context: it must run
// even when the walkthrough was interrupted.
func (w *walkthrough) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var first error
	for i := len(w.undo) - 1; i >= 0; i-- {
		if err := w.step(w.names[i], func() error { return w.undo[i](ctx) }); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func quickstart(ctx context.Context, g *globals, out io.Writer) (err error) {
	w := &walkthrough{out: out}
	suffix := randomSuffix()
	name := func(purpose string) string { return "cb-qs-" + suffix + "-" + purpose }
	var p *host.Provider
	if err := w.step("start plugin "+g.provider+" and configure it", func() (err error) {
		p, err = g.open(ctx)
		return err
	}); err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(out, "      provider %s %s, region %s, zone %s\n", p.Name, p.Version, p.Region, p.Zone)
	defer func() {
		if cerr := w.cleanup(); err == nil {
			err = cerr
		}
	}()

	var kp *host.KeyPair
	if err := w.step("create key pair "+name("key"), func() (err error) {
		kp, err = p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: name("key")})
		return err
	}); err != nil {
		return err
	}
	w.onCleanup("delete key pair", kp.Delete)

	subnetID, networkID, err := quickstartNetwork(ctx, w, p, name)
	if err != nil {
		return err
	}

	var fw *host.VMFirewall
	if err := w.step("create firewall "+name("fw"), func() (err error) {
		fw, err = p.Security.VMFirewalls.Create(ctx, sdk.VMFirewallSpec{Label: name("fw"), NetworkID: networkID, Description: "quickstart"})
		return err
	}); err != nil {
		return err
	}
	w.onCleanup("delete firewall", fw.Delete)
	if err := w.step("allow inbound tcp/22 from 0.0.0.0/0", func() error {
		_, err := fw.Rules.Create(ctx, sdk.VMFirewallRuleSpec{Direction: sdk.Inbound, Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"})
		return err
	}); err != nil {
		return err
	}

	inst, err := quickstartInstance(ctx, w, p, name("vm"), kp.ID, fw.ID, subnetID)
	if err != nil {
		return err
	}
	if err := w.step("reboot instance and wait until running", func() error {
		if err := inst.Reboot(ctx); err != nil {
			return err
		}
		return inst.WaitReady(ctx)
	}); err != nil {
		return err
	}
	var img *host.Image
	if err := w.step("create image "+name("img")+" and wait", func() (err error) {
		if img, err = inst.CreateImage(ctx, name("img")); err != nil {
			return err
		}
		w.onCleanup("delete image", img.Delete)
		return img.WaitReady(ctx)
	}); err != nil {
		return err
	}
	fmt.Fprintln(out, "      all steps done; deleting what was made")
	return nil
}

// quickstartInstance launches the instance on the first public image and the
// smallest VM type, and waits until it runs.
func quickstartInstance(ctx context.Context, w *walkthrough, p *host.Provider, label, keyPairID, firewallID, subnetID string) (*host.Instance, error) {
	var image *host.Image
	var vmType host.VMType
	if err := w.step("pick an image and the smallest VM type", func() error {
		for img, err := range p.Compute.Images.All(ctx) {
			if err != nil {
				return err
			}
			if img.State == sdk.ImageAvailable && img.Public {
				image = img
				break
			}
		}
		for vt, err := range p.Compute.VMTypes.All(ctx) {
			if err != nil {
				return err
			}
			if vmType.ID == "" || vt.RAMMiB < vmType.RAMMiB {
				vmType = vt
			}
		}
		if image == nil || vmType.ID == "" {
			return fmt.Errorf("the provider lists no available public image or no VM type")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var inst *host.Instance
	if err := w.step(fmt.Sprintf("create instance %s (%s, %s)", label, image.Name, vmType.Name), func() (err error) {
		inst, err = p.Compute.Instances.Create(ctx, sdk.InstanceSpec{
			Label: label, ImageID: image.ID, VMTypeID: vmType.ID, SubnetID: subnetID,
			KeyPairID: keyPairID, VMFirewallIDs: []string{firewallID},
		})
		return err
	}); err != nil {
		return nil, err
	}
	w.onCleanup("delete instance and wait until gone", func(ctx context.Context) error {
		if err := inst.Delete(ctx); err != nil {
			return err
		}
		return inst.WaitFor(ctx, sdk.InstanceDeleted)
	})
	if err := w.step("wait until the instance is running", func() error { return inst.WaitReady(ctx) }); err != nil {
		return nil, err
	}
	return inst, nil
}

// quickstartNetwork makes a network and subnet when the provider has them.
func quickstartNetwork(ctx context.Context, w *walkthrough, p *host.Provider, name func(string) string) (subnetID, networkID string, err error) {
	if !p.Has(sdk.CapSubnets) {
		return "", "", nil
	}
	var net *host.Network
	if err := w.step("create network "+name("net"), func() (err error) {
		net, err = p.Networking.Networks.Create(ctx, sdk.NetworkSpec{Label: name("net"), CIDRBlock: sdk.DefaultNetworkCIDR})
		return err
	}); err != nil {
		return "", "", err
	}
	w.onCleanup("delete network", net.Delete)
	var sn *host.Subnet
	if err := w.step("create subnet "+name("subnet"), func() (err error) {
		sn, err = p.Networking.Subnets.Create(ctx, sdk.SubnetSpec{Label: name("subnet"), NetworkID: net.ID, CIDRBlock: sdk.DefaultSubnetCIDR})
		return err
	}); err != nil {
		return "", "", err
	}
	w.onCleanup("delete subnet", sn.Delete)
	return sn.ID, net.ID, nil
}

// randomSuffix keeps the names of concurrent quickstarts apart.
func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
