// Command cloudbridge-host is the CloudBridge command line: it lists provider
// plugins, runs the conformance suite against a plugin binary, runs a
// quickstart on a cloud, and manages resources through any provider plugin.
//
//	cloudbridge-host plugins list
//	cloudbridge-host conformance --plugin bin/cloudbridge-plugin-mock
//	cloudbridge-host quickstart
//	cloudbridge-host -p mock --set state_file=/tmp/cb.json instances list
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the command line, writing to stdout and stderr, and returns
// the exit status.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return int(exit)
	default:
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
}

// exitError ends the command with a status and no further message (the command
// has already said what went wrong).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// globals are the flags every resource command shares.
type globals struct {
	provider     string
	pluginPath   string
	settingsFile string
	set          []string
	output       string
	profile      string
	// providerSet tells whether -p was given, which a profile then yields to.
	providerSet func() bool
}

func newRootCommand() *cobra.Command { return rootCommand(&globals{}) }

// rootCommand builds the command line around g, which its flags fill in.
func rootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "cloudbridge-host",
		Short:         "One API over many clouds, through provider plugins",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.provider, "provider", "p", "mock", "provider name (plugin cloudbridge-plugin-<name>)")
	pf.StringVar(&g.pluginPath, "plugin-path", "", "explicit plugin binary (instead of searching for the provider's)")
	pf.StringVar(&g.settingsFile, "settings", "", "YAML or JSON file of provider settings")
	pf.StringArrayVar(&g.set, "set", nil, "provider setting key=value (repeatable; wins over --settings)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	pf.StringVar(&g.profile, "profile", "", "profile of the config file ($XDG_CONFIG_HOME/cloudbridge/config.yaml) to take the provider and settings from; "+
		"without -p or --profile, its default_profile if it has one")
	g.providerSet = func() bool { return pf.Changed("provider") }
	root.AddCommand(
		newPluginsCommand(g),
		newConformanceCommand(g),
		newQuickstartCommand(g),
	)
	root.AddCommand(resourceCommands(g)...)
	return root
}
