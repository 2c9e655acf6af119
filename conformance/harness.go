package conformance

import (
	"context"
	"errors"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// Harness opens the provider under test.
type Harness interface {
	// Open starts the plugin and configures it.
	Open(ctx context.Context) (*host.Provider, error)
	// Describe runs the binary's `describe` subcommand; ErrNoBinary for
	// in-process harnesses.
	Describe(ctx context.Context) (host.Description, error)
}

// ErrNoBinary is returned by Describe of a harness that has no binary.
var ErrNoBinary = errors.New("harness has no plugin binary")

// Binary returns a harness that runs a plugin binary through the host.
func Binary(path string, settings host.Settings) Harness {
	return binaryHarness{path: path, settings: settings}
}

type binaryHarness struct {
	path     string
	settings host.Settings
}

func (h binaryHarness) Open(ctx context.Context) (*host.Provider, error) {
	d, err := host.Describe(ctx, h.path)
	if err != nil {
		return nil, err
	}
	return host.OpenWith(ctx, d.Name, h.settings, host.Options{Path: h.path})
}

func (h binaryHarness) Describe(ctx context.Context) (host.Description, error) {
	return host.Describe(ctx, h.path)
}

// InProcess returns a harness that serves p in this process over a real gRPC
// connection.
func InProcess(p sdk.Plugin, settings host.Settings) Harness {
	return inProcessHarness{plugin: p, settings: settings}
}

type inProcessHarness struct {
	plugin   sdk.Plugin
	settings host.Settings
}

func (h inProcessHarness) Open(ctx context.Context) (*host.Provider, error) {
	return host.OpenInProcess(ctx, h.plugin, h.settings)
}

func (h inProcessHarness) Describe(context.Context) (host.Description, error) {
	return host.Description{}, ErrNoBinary
}
