package mock

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// waitInstance polls until instance id is in state want, and returns it.
func waitInstance(t *testing.T, p sdk.Plugin, id string, want sdk.InstanceState) sdk.Instance {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		in, err := p.Compute.Instances.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		if in.State == want {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s is %s; waited in vain for %s", id, in.State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func createInstance(t *testing.T, p sdk.Plugin, spec sdk.InstanceSpec) sdk.Instance {
	t.Helper()
	if spec.Label == "" {
		spec.Label = "test-vm"
	}
	if spec.ImageID == "" {
		spec.ImageID = "img-ubuntu-2404"
	}
	if spec.VMTypeID == "" {
		spec.VMTypeID = "m.small"
	}
	in, err := p.Compute.Instances.Create(context.Background(), spec)
	if err != nil {
		t.Fatalf("Create(%+v): %v", spec, err)
	}
	t.Cleanup(func() { p.Compute.Instances.Delete(context.Background(), in.ID) })
	return in
}

func TestInstanceLifecycle(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	kp, err := p.Security.KeyPairs.Create(ctx, sdk.KeyPairSpec{Name: "deploy", PublicKeyMaterial: ed25519Key})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	sn := createSubnet(t, p, "10.0.0.0/24")
	in := createInstance(t, p, sdk.InstanceSpec{Label: "web-1", SubnetID: sn.ID, KeyPairID: kp.ID})

	if in.State != sdk.InstancePending {
		t.Errorf("new instance is %s; want pending", in.State)
	}
	if len(in.ID) != len("i-")+12 || in.ID[:2] != "i-" {
		t.Errorf("id %q does not look like i- and 12 hex digits", in.ID)
	}
	if in.Zone != "mock-east-1a" || in.SubnetID != sn.ID || in.KeyPairID != "deploy" || in.Label != "web-1" {
		t.Errorf("instance = %+v", in)
	}
	if in.CreateTime.Before(before.Add(-time.Second)) || in.CreateTime.After(time.Now()) {
		t.Errorf("CreateTime %v is not now", in.CreateTime)
	}
	if len(in.PrivateIPs) != 1 || !netip.MustParsePrefix("10.0.0.0/8").Contains(netip.MustParseAddr(in.PrivateIPs[0])) {
		t.Errorf("PrivateIPs = %v; want one 10.x address", in.PrivateIPs)
	}
	if len(in.PublicIPs) != 0 {
		t.Errorf("a pending instance has public IPs %v", in.PublicIPs)
	}
	// A pending instance cannot be rebooted or stopped yet.
	_, err = p.Compute.Instances.Reboot(ctx, in.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	running := waitInstance(t, p, in.ID, sdk.InstanceRunning)
	if len(running.PublicIPs) != 1 {
		t.Errorf("a running instance has public IPs %v; want one", running.PublicIPs)
	}

	rebooting, err := p.Compute.Instances.Reboot(ctx, in.ID)
	if err != nil || rebooting.State != sdk.InstanceRebooting {
		t.Fatalf("Reboot = %s, %v; want rebooting", rebooting.State, err)
	}
	waitInstance(t, p, in.ID, sdk.InstanceRunning)

	ss := p.Compute.Instances.(sdk.InstanceStartStopper)
	stopped, err := ss.Stop(ctx, in.ID)
	if err != nil || stopped.State != sdk.InstanceStopped || len(stopped.PublicIPs) != 0 {
		t.Fatalf("Stop = %+v, %v; want stopped without a public IP", stopped, err)
	}
	_, err = p.Compute.Instances.Reboot(ctx, in.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	if again, err := ss.Stop(ctx, in.ID); err != nil || again.State != sdk.InstanceStopped {
		t.Fatalf("second Stop = %s, %v; want a no-op", again.State, err)
	}
	started, err := ss.Start(ctx, in.ID)
	if err != nil || started.State != sdk.InstancePending {
		t.Fatalf("Start = %s, %v; want pending", started.State, err)
	}
	running = waitInstance(t, p, in.ID, sdk.InstanceRunning)
	if len(running.PublicIPs) != 1 || running.PrivateIPs[0] != in.PrivateIPs[0] {
		t.Errorf("after restart: public %v, private %v (was %v)", running.PublicIPs, running.PrivateIPs, in.PrivateIPs)
	}

	label := "web-2"
	if up, err := p.Compute.Instances.Update(ctx, in.ID, sdk.InstanceUpdate{Label: &label}); err != nil || up.Label != label {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	bad := "Web_2"
	_, err = p.Compute.Instances.Update(ctx, in.ID, sdk.InstanceUpdate{Label: &bad})
	wantErr(t, err, sdk.CodeInvalidArgument, "label")

	if err := p.Compute.Instances.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.Compute.Instances.Get(ctx, in.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
	err = p.Compute.Instances.Delete(ctx, in.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
}

func TestInstanceCreateValidation(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	createInstance(t, p, sdk.InstanceSpec{})

	tests := []struct {
		name  string
		spec  sdk.InstanceSpec
		code  sdk.Code
		param string
	}{
		{"bad label", sdk.InstanceSpec{Label: "Bad Label"}, sdk.CodeInvalidArgument, "label"},
		{"no image", sdk.InstanceSpec{ImageID: "-"}, sdk.CodeNotFound, "image_id"},
		{"missing image", sdk.InstanceSpec{ImageID: "img-000000000000"}, sdk.CodeNotFound, "image_id"},
		{"unknown vm type", sdk.InstanceSpec{VMTypeID: "m.huge"}, sdk.CodeInvalidArgument, "vm_type_id"},
		{"missing key pair", sdk.InstanceSpec{KeyPairID: "nokey"}, sdk.CodeNotFound, "key_pair_id"},
		{"missing firewall", sdk.InstanceSpec{VMFirewallIDs: []string{"sg-000000000000"}}, sdk.CodeNotFound, "vm_firewall_ids"},
		{"zone of another region", sdk.InstanceSpec{Zone: "mock-west-1a"}, sdk.CodeInvalidArgument, "zone"},
		{"huge user data", sdk.InstanceSpec{UserData: make([]byte, 17<<10)}, sdk.CodeInvalidArgument, "user_data"},
		{"blank device without size", sdk.InstanceSpec{BlockDevices: []sdk.BlockDevice{{Source: sdk.SourceBlank}}},
			sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"two roots", sdk.InstanceSpec{BlockDevices: []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: "img-debian-12", IsRoot: true},
			{Source: sdk.SourceBlank, SizeGB: 10, IsRoot: true}}}, sdk.CodeInvalidArgument, "block_devices[1].is_root"},
		{"root smaller than the image", sdk.InstanceSpec{BlockDevices: []sdk.BlockDevice{
			{Source: sdk.SourceImage, SourceID: "img-ubuntu-2404", IsRoot: true, SizeGB: 2}}}, sdk.CodeInvalidArgument, "block_devices[0].size_gb"},
		{"missing volume", sdk.InstanceSpec{BlockDevices: []sdk.BlockDevice{{Source: sdk.SourceVolume, SourceID: "vol-1"}}},
			sdk.CodeNotFound, "block_devices[0].source_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			if spec.Label == "" {
				spec.Label = "test-vm"
			}
			if spec.ImageID == "-" {
				spec.ImageID = "img-nope"
			} else if spec.ImageID == "" {
				spec.ImageID = "img-ubuntu-2404"
			}
			if spec.VMTypeID == "" {
				spec.VMTypeID = "m.small"
			}
			_, err := p.Compute.Instances.Create(ctx, spec)
			wantErr(t, err, tt.code, tt.param)
		})
	}
	page, _ := p.Compute.Instances.List(ctx, sdk.ListOptions{})
	if len(page.Items) != 1 {
		t.Errorf("%d instances after failed creates; want just the first", len(page.Items))
	}
}

func TestInstanceFirewalls(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)
	fw1 := createFirewall(t, p, "one")
	fw2 := createFirewall(t, p, "two")
	in := createInstance(t, p, sdk.InstanceSpec{VMFirewallIDs: []string{fw1.ID, fw1.ID}})
	if !slices.Equal(in.VMFirewallIDs, []string{fw1.ID}) {
		t.Fatalf("VMFirewallIDs = %v; want [%s] once", in.VMFirewallIDs, fw1.ID)
	}
	in, err := p.Compute.Instances.AddVMFirewall(ctx, in.ID, fw2.ID)
	if err != nil || !slices.Equal(in.VMFirewallIDs, []string{fw1.ID, fw2.ID}) {
		t.Fatalf("AddVMFirewall = %v, %v", in.VMFirewallIDs, err)
	}
	_, err = p.Compute.Instances.AddVMFirewall(ctx, in.ID, "sg-000000000000")
	wantErr(t, err, sdk.CodeNotFound, "firewall_id")

	err = p.Security.VMFirewalls.Delete(ctx, fw2.ID)
	wantErr(t, err, sdk.CodeFailedPrecondition, "")

	in, err = p.Compute.Instances.RemoveVMFirewall(ctx, in.ID, fw2.ID)
	if err != nil || !slices.Equal(in.VMFirewallIDs, []string{fw1.ID}) {
		t.Fatalf("RemoveVMFirewall = %v, %v", in.VMFirewallIDs, err)
	}
	if err := p.Security.VMFirewalls.Delete(ctx, fw2.ID); err != nil {
		t.Fatalf("Delete of a detached firewall: %v", err)
	}
}

func TestImages(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, nil)

	public, err := p.Compute.Images.List(ctx, sdk.ImageListOptions{})
	if err != nil || len(public.Items) < 3 {
		t.Fatalf("List = %+v, %v; want the public images", public, err)
	}
	for _, im := range public.Items {
		if !im.Public || im.Owner != OwnerPublic || im.State != sdk.ImageAvailable || im.MinDiskGB <= 0 {
			t.Errorf("public image %+v", im)
		}
	}
	if own, err := p.Compute.Images.List(ctx, sdk.ImageListOptions{OwnedOnly: true}); err != nil || len(own.Items) != 0 {
		t.Fatalf("List(OwnedOnly) = %+v, %v; want none yet", own, err)
	}

	in := createInstance(t, p, sdk.InstanceSpec{ImageID: "img-debian-12"})
	_, err = p.Compute.Images.Create(ctx, sdk.ImageSpec{InstanceID: in.ID, Label: "too-soon"})
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	_, err = p.Compute.Images.Create(ctx, sdk.ImageSpec{InstanceID: "i-000000000000", Label: "nothing"})
	wantErr(t, err, sdk.CodeNotFound, "instance_id")
	waitInstance(t, p, in.ID, sdk.InstanceRunning)

	im, err := p.Compute.Images.Create(ctx, sdk.ImageSpec{InstanceID: in.ID, Label: "golden", Description: "web tier"})
	if err != nil {
		t.Fatal(err)
	}
	if im.State != sdk.ImagePending || im.Owner != OwnerAccount || im.Public || im.SourceInstanceID != in.ID ||
		im.MinDiskGB != 2 || im.Description != "web tier" {
		t.Errorf("new image = %+v", im)
	}
	// An instance cannot boot from an image that is not available yet.
	_, err = p.Compute.Instances.Create(ctx, sdk.InstanceSpec{Label: "early", ImageID: im.ID, VMTypeID: "m.tiny"})
	wantErr(t, err, sdk.CodeInvalidArgument, "image_id")

	deadline := time.Now().Add(5 * time.Second)
	for im.State != sdk.ImageAvailable && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if im, err = p.Compute.Images.Get(ctx, im.ID); err != nil {
			t.Fatal(err)
		}
	}
	if im.State != sdk.ImageAvailable {
		t.Fatalf("image still %s", im.State)
	}
	createInstance(t, p, sdk.InstanceSpec{ImageID: im.ID})

	own, err := p.Compute.Images.List(ctx, sdk.ImageListOptions{OwnedOnly: true})
	if err != nil || len(own.Items) != 1 || own.Items[0].ID != im.ID {
		t.Fatalf("List(OwnedOnly) = %+v, %v", own, err)
	}

	label, desc := "silver", ""
	up, err := p.Compute.Images.Update(ctx, im.ID, sdk.ImageUpdate{Label: &label, Description: &desc})
	if err != nil || up.Label != label || up.Description != "" {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	_, err = p.Compute.Images.Update(ctx, "img-cirros-06", sdk.ImageUpdate{Label: &label})
	wantErr(t, err, sdk.CodePermissionDenied, "")
	err = p.Compute.Images.Delete(ctx, "img-cirros-06")
	wantErr(t, err, sdk.CodePermissionDenied, "")

	if err := p.Compute.Images.Delete(ctx, im.ID); err != nil {
		t.Fatal(err)
	}
	_, err = p.Compute.Images.Get(ctx, im.ID)
	wantErr(t, err, sdk.CodeNotFound, "")
}
