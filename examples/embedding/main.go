// Command embedding is the application of the README's "Embedding the host":
// it opens a provider, audits every create through an observer, launches an
// instance, waits for it and deletes it.
package main

import (
	"context"
	"log"

	"github.com/cloudbridge-go/cloudbridge/host"
)

func main() {
	ctx := context.Background()
	p, err := host.Open(ctx, "mock", nil) // or host.OpenProfile(ctx, "prod", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close() // stops the plugin process
	p.Events.Observe("provider.*.create", 3000, func(_ context.Context, e *host.Event) {
		log.Printf("%s: %v, %d attempt(s), err=%v", e.Name, e.Duration, e.Attempts, e.Err)
	})
	inst, err := p.Compute.Instances.Create(ctx, host.InstanceSpec{Label: "web-1", ImageID: "img-ubuntu-2404", VMTypeID: "m.small"})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Delete(ctx)
	if err := inst.WaitReady(ctx); err != nil { // retries, backoff, 600 s default timeout
		log.Fatal(err)
	}
	log.Printf("%s is %s in %s", inst.ID, inst.State, inst.Zone)
}
