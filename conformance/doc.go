// Package conformance is the CloudBridge conformance suite: the checks a
// provider plugin must pass to keep the contract, runnable against any plugin
// binary (through the host, as users run it) or against an sdk.Plugin in
// process (fast, with the race detector and coverage).
//
// From a Go test:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.InProcess(mycloud.New().Plugin("dev"), nil), conformance.Config{})
//	}
//
// From the command line:
//
//	cloudbridge-host conformance --plugin ./cloudbridge-plugin-mycloud [--settings s.yaml] [--run REGEX]
//
// Tests are gated on the capabilities the plugin advertises: a test of a
// capability the plugin lacks is skipped and says which. Every resource a test
// makes is named cbconf-<random>-… and deleted in reverse order when the test
// ends, pass or fail; nothing else is ever touched.
package conformance
