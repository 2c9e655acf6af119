package main

import (
	"fmt"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/conformance"
)

func newConformanceCommand(g *globals) *cobra.Command {
	var (
		pluginPath, runPattern string
		list, verbose          bool
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
(e.g. '^compute/instances/'); anchor it with ^ to avoid running unrelated tests.`,
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
			r := conformance.NewRunner(out, conformance.RunnerOptions{Run: filter, Verbose: verbose, Context: cmd.Context()})
			if err := conformance.RunWith(cmd.Context(), r, conformance.Binary(pluginPath, settings), conformance.Config{}); err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
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
	f.BoolVar(&list, "list", false, "list the test names (after --run) and exit")
	f.BoolVarP(&verbose, "verbose", "v", false, "print the log of passing tests too")
	return cmd
}
