package conformance_test

import (
	"testing"

	"github.com/cloudbridge-go/cloudbridge/conformance"
	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/plugins/mock"
)

// TestMockInProcess runs the whole suite against the in-memory reference
// cloud, served in process over a real gRPC connection.
func TestMockInProcess(t *testing.T) {
	// A short boot keeps the instance and image tests fast.
	settings := host.Settings{"boot_time": "20ms"}
	conformance.Run(t, conformance.InProcess(mock.New().Plugin("test"), settings), conformance.Config{})
}
