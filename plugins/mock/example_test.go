package mock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudbridge-go/cloudbridge/plugins/mock"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The mock drives its resources' lifecycles by the clock: an instance is pending
// for the boot_time setting, then running.
func Example() {
	ctx := context.Background()
	p := mock.New().Plugin("dev")
	loc, err := p.Configure(ctx, sdk.Config{Settings: map[string]string{"boot_time": "20ms"}})
	if err != nil {
		panic(err)
	}
	fmt.Println("working in", loc.Zone)

	inst, err := p.Compute.Instances.Create(ctx, sdk.InstanceSpec{
		Label: "web-1", ImageID: "img-ubuntu-2404", VMTypeID: "m.small",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(inst.Label, inst.State)

	time.Sleep(30 * time.Millisecond)
	inst, err = p.Compute.Instances.Get(ctx, inst.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(inst.Label, inst.State, len(inst.PublicIPs), "public IP")
	// Output:
	// working in mock-east-1a
	// web-1 pending
	// web-1 running 1 public IP
}
