package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
)

func newPluginsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "Find and describe provider plugins"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the plugins found in the search path, with version and capabilities",
		Long: "Searches $" + host.PluginPathEnv + ", the directory of this executable and " +
			"$XDG_DATA_HOME/cloudbridge/plugins for cloudbridge-plugin-* binaries and runs `describe` on each.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			found, errs := host.ListPlugins(cmd.Context())
			for _, err := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", err)
			}
			t := &table{header: []string{"NAME", "VERSION", "PATH", "CAPABILITIES"}}
			for _, d := range found {
				t.add(d, d.Name, d.Version, d.Path, strings.Join(d.Capabilities, ","))
			}
			return t.print(cmd.OutOrStdout(), g.output)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "describe NAME|PATH",
		Short: "Print what a plugin says of itself (settings, capabilities)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := host.FindPlugin(args[0])
			if err != nil {
				return err
			}
			d, err := host.Describe(cmd.Context(), path)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), d)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s %s (sdk %s, protocol %v)\n%s\n\ncapabilities:\n", d.Name, d.Version, d.SDKVersion, d.ProtocolVersions, d.Path)
			for _, c := range d.Capabilities {
				fmt.Fprintf(w, "  %s\n", c)
			}
			fmt.Fprintln(w, "\nsettings:")
			for _, s := range d.Settings {
				flags := ""
				if s.Secret {
					flags += " (secret)"
				}
				if s.Required {
					flags += " (required)"
				}
				fmt.Fprintf(w, "  %-18s %s%s\n", s.Name, s.Description, flags)
			}
			return nil
		},
	})
	return cmd
}
