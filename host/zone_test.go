package host

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// CloudBridge's test_clone_provider_zone: what is created through a view
// lands in the view's zone, and the parent keeps its own.
func TestZoneViewCreatesInItsZone(t *testing.T) {
	p := openMockInProcess(t, Settings{"region": "mock-east-1"}, nil)
	view, err := p.WithZone(t.Context(), "mock-east-1b")
	if err != nil {
		t.Fatal(err)
	}
	if view.Zone != "mock-east-1b" || view.Region != p.Region || p.Zone != "mock-east-1a" {
		t.Fatalf("view in %s/%s, parent in %s", view.Region, view.Zone, p.Zone)
	}
	image, vmType := catalogue(t, p)
	inView, err := view.Compute.Instances.Create(t.Context(), InstanceSpec{Label: "in-view", ImageID: image, VMTypeID: vmType})
	if err != nil || inView.Zone != "mock-east-1b" {
		t.Fatalf("instance through the view: zone %q, %v", inView.Zone, err)
	}
	inParent, err := p.Compute.Instances.Create(t.Context(), InstanceSpec{Label: "in-parent", ImageID: image, VMTypeID: vmType})
	if err != nil || inParent.Zone != "mock-east-1a" {
		t.Fatalf("instance through the parent: zone %q, %v", inParent.Zone, err)
	}
	if p.Has(sdk.CapVolumes) {
		vol, err := view.Storage.Volumes.Create(t.Context(), VolumeSpec{Label: "in-view", SizeGB: 1})
		if err != nil || vol.Zone != "mock-east-1b" {
			t.Fatalf("volume through the view: zone %q, %v", vol.Zone, err)
		}
		// The resource's own methods keep working through the view.
		if err := vol.Refresh(t.Context()); err != nil || vol.Zone != "mock-east-1b" {
			t.Fatalf("refresh: zone %q, %v", vol.Zone, err)
		}
	}
}

func TestZoneViewRefusesAZoneOutsideTheRegion(t *testing.T) {
	p := openMockInProcess(t, Settings{"region": "mock-east-1"}, nil)
	for _, zone := range []string{"mock-west-1a", "nowhere", ""} {
		if _, err := p.WithZone(t.Context(), zone); err == nil {
			t.Errorf("WithZone(%q) succeeded", zone)
		} else {
			wantParam(t, err, "zone")
		}
	}
}

func TestZoneViewSharesEventsAndPlugin(t *testing.T) {
	p := openMockInProcess(t, nil, nil)
	view, err := p.WithZone(t.Context(), "mock-east-1c")
	if err != nil {
		t.Fatal(err)
	}
	var sender *Provider
	if _, err := p.Events.Observe("provider.compute.regions.list", 3000, func(_ context.Context, e *Event) { sender = e.Provider }); err != nil {
		t.Fatal(err)
	}
	if _, err := view.Compute.Regions.List(t.Context(), ListOptions{}); err != nil || sender != view {
		t.Fatalf("err %v; the parent's observer saw provider %p, want the view %p", err, sender, view)
	}
	// A view of a view belongs to the same owner.
	again, err := view.WithZone(t.Context(), "mock-east-1a")
	if err != nil || again.parent != p {
		t.Fatalf("view of a view: %v, parent %p want %p", err, again.parent, p)
	}
}

// Closing a view ends the view only; closing the owner stops the plugin and,
// with it, every view.
func TestZoneViewOwnership(t *testing.T) {
	p := openMockInProcess(t, nil, nil)
	view, err := p.WithZone(t.Context(), "mock-east-1b")
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.WithZone(t.Context(), "mock-east-1c")
	if err != nil {
		t.Fatal(err)
	}
	view.Close()
	if _, err := view.Compute.Regions.List(t.Context(), ListOptions{}); !errors.Is(err, ErrFailedPrecondition) {
		t.Fatalf("call through a closed view: %v, want ErrFailedPrecondition", err)
	}
	if _, err := p.Compute.Regions.List(t.Context(), ListOptions{}); err != nil {
		t.Fatalf("the parent stopped working when its view closed: %v", err)
	}
	if _, err := other.Compute.Regions.List(t.Context(), ListOptions{}); err != nil {
		t.Fatalf("another view stopped working: %v", err)
	}
	p.Close()
	_, err = other.Compute.Regions.List(t.Context(), ListOptions{})
	if !errors.Is(err, ErrFailedPrecondition) || errors.Is(err, ErrPluginCrashed) {
		t.Fatalf("call through a view of a closed provider: %v, want ErrFailedPrecondition", err)
	}
}

// A provider closed by its owner says so, rather than reporting a crash.
func TestCallAfterCloseIsFailedPrecondition(t *testing.T) {
	p := openMock(t, nil)
	p.Close()
	_, err := p.Compute.Regions.List(t.Context(), ListOptions{})
	if !errors.Is(err, ErrFailedPrecondition) || errors.Is(err, ErrPluginCrashed) {
		t.Fatalf("err = %v, want ErrFailedPrecondition", err)
	}
}
