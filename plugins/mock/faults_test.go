package mock

import (
	"context"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// With fail_phase=after a create is kept although its answer is an error, and
// the same token later returns that resource: the situation a client's retry
// must survive without making a second one.
func TestFaultAfterChangeKeepsTheChange(t *testing.T) {
	ctx := context.Background()
	c := New()
	p := configure(t, c, map[string]string{"fail_rate": "1", "fail_phase": "after"})
	spec := sdk.VMFirewallSpec{Label: "kept", IdempotencyToken: "token-1"}
	_, err := p.Security.VMFirewalls.Create(ctx, spec)
	wantErr(t, err, sdk.CodeUnavailable, "")

	page, err := p.Security.VMFirewalls.List(ctx, sdk.ListOptions{})
	if err != nil {
		t.Fatalf("List = %v; reads do not fail with fail_phase=after", err)
	}
	if len(page.Items) != 1 || page.Items[0].Label != "kept" {
		t.Fatalf("List = %+v; want the one firewall the failed create kept", page.Items)
	}

	p = configure(t, c, map[string]string{"fail_rate": "0"})
	fw, err := p.Security.VMFirewalls.Create(ctx, spec)
	if err != nil || fw.ID != page.Items[0].ID {
		t.Fatalf("retried Create = %+v, %v; want firewall %s", fw, err, page.Items[0].ID)
	}
}

func TestFaultPhaseIsValidated(t *testing.T) {
	_, err := New().Plugin("test").Configure(context.Background(), sdk.Config{Settings: map[string]string{"fail_phase": "during"}})
	wantErr(t, err, sdk.CodeInvalidArgument, "fail_phase")
}
