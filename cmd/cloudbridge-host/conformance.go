package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/conformance"
)

func newConformanceCommand(g *globals) *cobra.Command {
	var (
		pluginPath, runPattern, skipFile string
		imageID, vmTypeID                string
		skips                            []string
		list, verbose                    bool
	)
	cmd := &cobra.Command{
		Use:   "conformance --plugin PATH",
		Short: "Run the conformance suite against a plugin binary",
		Long: `Runs every conformance test against the plugin binary, one line per test,
and ends with the line "N passed, N failed, N skipped". The exit status is 1 when
any test failed. Tests of capabilities the plugin does not advertise are skipped
with that reason. Every resource a test makes is named cbconf-… and deleted
when the test ends.

--run takes a regular expression matched against the full test name
(e.g. '^compute/instances/'); anchor it with ^ to avoid running unrelated tests.
--skip and --skip-file patterns are matched against the full name of every
test and subtest, so one subtest can be skipped while its siblings run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var filter *regexp.Regexp
			if runPattern != "" {
				var err error
				if filter, err = regexp.Compile(runPattern); err != nil {
					return fmt.Errorf("--run: %w", err)
				}
			}
			out := cmd.OutOrStdout()
			if list {
				for _, name := range conformance.Names(filter) {
					fmt.Fprintln(out, name)
				}
				return nil
			}
			if pluginPath == "" {
				return fmt.Errorf("--plugin PATH is required")
			}
			settings, err := loadSettings(g.settingsFile, g.set)
			if err != nil {
				return err
			}
			cfg := conformance.Config{ImageID: imageID, VMTypeID: vmTypeID}
			if cfg.Skip, err = loadSkips(skipFile, skips); err != nil {
				return err
			}
			r := conformance.NewRunner(out, conformance.RunnerOptions{Run: filter, Verbose: verbose, Context: cmd.Context()})
			if err := conformance.RunWith(cmd.Context(), r, conformance.Binary(pluginPath, settings), cfg); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
				r.PrintSummary()
				return exitError(1)
			}
			r.PrintSummary()
			if r.Failed() {
				return exitError(1)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pluginPath, "plugin", "", "plugin binary to test")
	f.StringVar(&runPattern, "run", "", "run only tests whose full name matches this regexp")
	f.StringArrayVar(&skips, "skip", nil, "skip tests and subtests matching REGEXP=REASON (repeatable), e.g. for known gaps of an emulator")
	f.StringVar(&skipFile, "skip-file", "", "YAML or JSON file mapping test or subtest name regexps to skip reasons")
	f.StringVar(&imageID, "image", "", "image id test instances boot (default: the first available public image)")
	f.StringVar(&vmTypeID, "vm-type", "", "VM type id test instances use (default: the one with the least memory)")
	f.BoolVar(&list, "list", false, "list the test names (after --run) and exit")
	f.BoolVarP(&verbose, "verbose", "v", false, "print the log of passing tests too")
	return cmd
}

// loadSkips reads skip rules (test-name regexp → reason) from a file and from
// --skip flags; every reason must be given. The suite compiles the patterns
// and refuses a bad one before it opens the plugin.
func loadSkips(file string, flags []string) (map[string]string, error) {
	skips := map[string]string{}
	if file != "" {
		fromFile, err := loadSettings(file, nil)
		if err != nil {
			return nil, fmt.Errorf("--skip-file: %w", err)
		}
		for k, v := range fromFile {
			skips[k] = v
		}
	}
	for _, kv := range flags {
		pattern, reason, ok := strings.Cut(kv, "=")
		if !ok || pattern == "" || reason == "" {
			return nil, fmt.Errorf("--skip %q: want REGEXP=REASON", kv)
		}
		skips[pattern] = reason
	}
	return skips, nil
}
