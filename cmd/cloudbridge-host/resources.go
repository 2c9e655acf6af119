package main

import (
	"context"
	"fmt"
	"iter"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// resourceCommands are the commands that manage resources through the
// provider the global flags name.
func resourceCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{
		regionsCommand(g), vmTypesCommand(g), imagesCommand(g),
		instancesCommand(g), keyPairsCommand(g), firewallsCommand(g),
		volumesCommand(g), snapshotsCommand(g), bucketsCommand(g), objectsCommand(g),
		networksCommand(g), subnetsCommand(g), routersCommand(g), gatewaysCommand(g), floatingIPsCommand(g),
		dnsCommand(g),
	}
}

// withProvider wraps a command body: it opens the provider, runs body, and
// closes the provider (stopping the plugin) whatever happens.
func withProvider(g *globals, body func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		p, err := g.open(ctx)
		if err != nil {
			return err
		}
		defer p.Close()
		return body(withEvents(ctx, p.Events), p, cmd, args)
	}
}

// withParent wraps the body of a command that works inside a parent resource
// (a network's gateways, a zone's records): it opens the provider, looks the
// parent up, and runs body with it.
func withParent[T any](g *globals, lookup func(context.Context, *host.Provider) (T, error), body func(ctx context.Context, parent T, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
		parent, err := lookup(ctx, p)
		if err != nil {
			return err
		}
		return body(ctx, parent, cmd, args)
	})
}

// parentFlag adds to cmd the required persistent flag --name that names the
// parent resource its subcommands work in, and returns the lookup of that
// parent for withParent.
func parentFlag[T any](cmd *cobra.Command, name, usage string, get func(ctx context.Context, p *host.Provider, id string) (T, error)) func(context.Context, *host.Provider) (T, error) {
	var id string
	cmd.PersistentFlags().StringVar(&id, name, "", usage+" (required)")
	_ = cmd.MarkPersistentFlagRequired(name)
	return func(ctx context.Context, p *host.Provider) (T, error) { return get(ctx, p, id) }
}

// listTable collects every item of seq into a table.
func listTable[T any](seq iter.Seq2[T, error], header []string, cells func(T) []string) (*table, error) {
	t := &table{header: header}
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		t.add(item, cells(item)...)
	}
	return t, nil
}

// listCommand makes a "list" subcommand from a sequence and a row format.
func listCommand[T any](g *globals, what string, header []string, all func(context.Context, *host.Provider) iter.Seq2[T, error], cells func(T) []string) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List " + what, Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			return printList(cmd, g, all(ctx, p), header, cells)
		}),
	}
}

// printList prints every item of seq as a table or a JSON array.
func printList[T any](cmd *cobra.Command, g *globals, seq iter.Seq2[T, error], header []string, cells func(T) []string) error {
	t, err := listTable(seq, header, cells)
	if err != nil {
		return err
	}
	return t.print(cmd.OutOrStdout(), g.output)
}

// showOne prints one resource as a one-row table or a JSON object.
func showOne(cmd *cobra.Command, g *globals, value any, header []string, cells ...string) error {
	if g.output == "json" {
		return printJSON(cmd.OutOrStdout(), value)
	}
	t := &table{header: header}
	t.add(value, cells...)
	return t.print(cmd.OutOrStdout(), g.output)
}

// values yields the plain value of each item of seq: the sdk resource a host
// resource embeds, so that JSON output has no service fields (Rules,
// Gateways, Records, …) showing as {}.
func values[H, T any](seq iter.Seq2[H, error], plain func(H) T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for h, err := range seq {
			var v T
			if err == nil {
				v = plain(h)
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

// deleteCommand makes a "delete ID" subcommand.
func deleteCommand(g *globals, what string, del func(ctx context.Context, p *host.Provider, id string) error) *cobra.Command {
	return &cobra.Command{
		Use: "delete ID", Short: "Delete " + what, Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, _ *cobra.Command, args []string) error {
			return del(ctx, p, args[0])
		}),
	}
}

// readyWaiter is a resource with a lifecycle (instance, volume, network, …).
type readyWaiter interface {
	WaitReady(ctx context.Context, opts ...host.WaitOption) error
}

// waitReady, when wait is set, waits until the new resource r is ready,
// showing a spinner with its current state on stderr (see waitWithSpinner),
// and says what state it reached and after how long; state is r's state
// field, which the wait refreshes.
func waitReady[S ~string](ctx context.Context, cmd *cobra.Command, wait bool, kind, id string, r readyWaiter, state *S) error {
	if !wait {
		return nil
	}
	return waitWithSpinner(ctx, cmd.ErrOrStderr(), kind, id,
		func(ctx context.Context) error { return r.WaitReady(ctx) },
		func() string { return string(*state) })
}

func regionsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "regions", Short: "Regions and their zones"}
	cmd.AddCommand(listCommand(g, "regions", []string{"ID", "NAME", "ZONES"},
		func(ctx context.Context, p *host.Provider) iter.Seq2[host.Region, error] {
			return p.Compute.Regions.All(ctx)
		},
		func(r host.Region) []string {
			zones := make([]string, len(r.Zones))
			for i, z := range r.Zones {
				zones[i] = z.Name
			}
			return []string{r.ID, r.Name, strings.Join(zones, ",")}
		}))
	return cmd
}

func vmTypesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "vm-types", Short: "Instance types (flavors)"}
	cmd.AddCommand(listCommand(g, "VM types", []string{"ID", "NAME", "VCPUS", "RAM_MIB", "ROOT_GB"},
		func(ctx context.Context, p *host.Provider) iter.Seq2[host.VMType, error] {
			return p.Compute.VMTypes.All(ctx)
		},
		func(t host.VMType) []string {
			return []string{t.ID, t.Name, strconv.Itoa(t.VCPUs), strconv.FormatInt(t.RAMMiB, 10), strconv.Itoa(t.SizeRootDiskGB)}
		}))
	return cmd
}

var imageHeader = []string{"ID", "LABEL", "NAME", "STATE", "MIN_DISK_GB", "OWNER"}

func imageCells(i *host.Image) []string {
	return []string{i.ID, i.Label, i.Name, string(i.State), strconv.Itoa(i.MinDiskGB), i.Owner}
}

func imagesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "images", Short: "Machine images"}
	cmd.AddCommand(listCommand(g, "images", imageHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[*host.Image, error] {
			return p.Compute.Images.All(ctx)
		},
		imageCells))
	cmd.AddCommand(&cobra.Command{
		Use: "delete ID", Short: "Delete an image", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			return p.Compute.Images.Delete(ctx, args[0])
		}),
	})
	return cmd
}

var instanceHeader = []string{"ID", "LABEL", "STATE", "VM_TYPE", "IMAGE", "ZONE", "PRIVATE_IPS", "PUBLIC_IPS"}

func instanceCells(i *host.Instance) []string {
	return []string{i.ID, i.Label, string(i.State), i.VMTypeID, i.ImageID, i.Zone,
		strings.Join(i.PrivateIPs, ","), strings.Join(i.PublicIPs, ",")}
}

func instancesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "instances", Short: "Virtual machines"}
	cmd.AddCommand(listCommand(g, "instances", instanceHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[*host.Instance, error] {
			return p.Compute.Instances.All(ctx)
		},
		instanceCells))
	cmd.AddCommand(&cobra.Command{
		Use: "get ID", Short: "Show an instance", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			inst, err := p.Compute.Instances.Get(ctx, args[0])
			if err != nil {
				return err
			}
			return showOne(cmd, g, inst.Instance, instanceHeader, instanceCells(inst)...)
		}),
	})
	cmd.AddCommand(instanceCreateCommand(g))
	cmd.AddCommand(&cobra.Command{
		Use: "delete ID", Short: "Delete (terminate) an instance", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			return p.Compute.Instances.Delete(ctx, args[0])
		}),
	})
	for _, action := range []string{"reboot", "start", "stop"} {
		cmd.AddCommand(&cobra.Command{
			Use: action + " ID", Short: strings.ToUpper(action[:1]) + action[1:] + " an instance", Args: cobra.ExactArgs(1),
			RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
				inst, err := p.Compute.Instances.Get(ctx, args[0])
				if err != nil {
					return err
				}
				act := map[string]func(context.Context) error{"reboot": inst.Reboot, "start": inst.Start, "stop": inst.Stop}[action]
				if err := act(ctx); err != nil {
					return err
				}
				return showOne(cmd, g, inst.Instance, instanceHeader, instanceCells(inst)...)
			}),
		})
	}
	return cmd
}

func instanceCreateCommand(g *globals) *cobra.Command {
	var spec sdk.InstanceSpec
	var userDataFile string
	var wait bool
	cmd := &cobra.Command{
		Use: "create --label LABEL --image ID --vm-type ID", Short: "Launch an instance", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			if userDataFile != "" {
				data, err := os.ReadFile(userDataFile)
				if err != nil {
					return err
				}
				spec.UserData = data
			}
			inst, err := p.Compute.Instances.Create(ctx, spec)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, cmd, wait, "instance", inst.ID, inst, &inst.State); err != nil {
				return err
			}
			return showOne(cmd, g, inst.Instance, instanceHeader, instanceCells(inst)...)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&spec.Label, "label", "", "label (3-63 chars: a-z, 0-9, dashes)")
	f.StringVar(&spec.ImageID, "image", "", "image id")
	f.StringVar(&spec.VMTypeID, "vm-type", "", "VM type id")
	f.StringVar(&spec.SubnetID, "subnet", "", "subnet id")
	f.StringVar(&spec.KeyPairID, "key-pair", "", "key pair id")
	f.StringArrayVar(&spec.VMFirewallIDs, "firewall", nil, "firewall id (repeatable)")
	f.StringVar(&userDataFile, "user-data-file", "", "file whose content is the instance's user data")
	f.BoolVar(&wait, "wait", false, "wait until the instance is running")
	return cmd
}

var keyPairHeader = []string{"ID", "NAME", "FINGERPRINT"}

func keyPairCells(k *host.KeyPair) []string { return []string{k.ID, k.Name, k.Fingerprint} }

func keyPairsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "key-pairs", Short: "SSH key pairs"}
	cmd.AddCommand(listCommand(g, "key pairs", keyPairHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[*host.KeyPair, error] {
			return p.Security.KeyPairs.All(ctx)
		},
		keyPairCells))
	var publicKeyFile, privateKeyOut string
	create := &cobra.Command{
		Use: "create NAME", Short: "Generate (or with --public-key, import) a key pair", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			spec := sdk.KeyPairSpec{Name: args[0]}
			if publicKeyFile != "" {
				data, err := os.ReadFile(publicKeyFile)
				if err != nil {
					return err
				}
				spec.PublicKeyMaterial = string(data)
			}
			kp, err := p.Security.KeyPairs.Create(ctx, spec)
			if err != nil {
				return err
			}
			if kp.Material != "" && privateKeyOut != "" {
				if err := os.WriteFile(privateKeyOut, []byte(kp.Material), 0o600); err != nil {
					return fmt.Errorf("key pair %s was made but its private key could not be saved: %w", kp.ID, err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "private key written to %s (mode 0600); it cannot be fetched again\n", privateKeyOut)
				kp.Material = ""
			}
			return showOne(cmd, g, kp.KeyPair, keyPairHeader, keyPairCells(kp)...)
		}),
	}
	create.Flags().StringVar(&publicKeyFile, "public-key", "", "import this OpenSSH public key file instead of generating one")
	create.Flags().StringVar(&privateKeyOut, "private-key-out", "", "write the generated private key to this file (mode 0600)")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete ID", Short: "Delete a key pair", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			return p.Security.KeyPairs.Delete(ctx, args[0])
		}),
	})
	return cmd
}

var firewallHeader = []string{"ID", "LABEL", "NETWORK", "DESCRIPTION"}

func firewallCells(f sdk.VMFirewall) []string {
	return []string{f.ID, f.Label, f.NetworkID, f.Description}
}

func firewallsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "firewalls", Short: "VM firewalls (security groups)"}
	cmd.AddCommand(listCommand(g, "firewalls", firewallHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.VMFirewall, error] {
			return values(p.Security.VMFirewalls.All(ctx), func(f *host.VMFirewall) sdk.VMFirewall { return f.VMFirewall })
		}, firewallCells))
	var spec sdk.VMFirewallSpec
	create := &cobra.Command{
		Use: "create --label LABEL", Short: "Create a firewall", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			fw, err := p.Security.VMFirewalls.Create(ctx, spec)
			if err != nil {
				return err
			}
			return showOne(cmd, g, fw.VMFirewall, firewallHeader, firewallCells(fw.VMFirewall)...)
		}),
	}
	create.Flags().StringVar(&spec.Label, "label", "", "label")
	create.Flags().StringVar(&spec.NetworkID, "network", "", "network id")
	create.Flags().StringVar(&spec.Description, "description", "", "description")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete ID", Short: "Delete a firewall and its rules", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			return p.Security.VMFirewalls.Delete(ctx, args[0])
		}),
	})
	cmd.AddCommand(rulesCommand(g))
	return cmd
}

func rulesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "Rules of a firewall"}
	header := []string{"ID", "DIRECTION", "PROTOCOL", "FROM", "TO", "CIDR", "SRC_DEST_FIREWALL"}
	cells := func(r host.VMFirewallRule) []string {
		return []string{r.ID, string(r.Direction), r.Protocol, strconv.Itoa(r.FromPort), strconv.Itoa(r.ToPort), r.CIDR, r.SrcDestFirewallID}
	}
	cmd.AddCommand(&cobra.Command{
		Use: "list FIREWALL_ID", Short: "List a firewall's rules", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			fw, err := p.Security.VMFirewalls.Get(ctx, args[0])
			if err != nil {
				return err
			}
			t, err := listTable(fw.Rules.All(ctx), header, cells)
			if err != nil {
				return err
			}
			return t.print(cmd.OutOrStdout(), g.output)
		}),
	})
	var spec sdk.VMFirewallRuleSpec
	var direction string
	add := &cobra.Command{
		Use: "add FIREWALL_ID", Short: "Add a rule (adding an existing rule returns it)", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			fw, err := p.Security.VMFirewalls.Get(ctx, args[0])
			if err != nil {
				return err
			}
			spec.Direction = sdk.TrafficDirection(direction)
			r, err := fw.Rules.Create(ctx, spec)
			if err != nil {
				return err
			}
			return showOne(cmd, g, r, header, cells(r)...)
		}),
	}
	f := add.Flags()
	f.StringVar(&direction, "direction", "inbound", "inbound or outbound")
	f.StringVar(&spec.Protocol, "protocol", "tcp", "tcp, udp, icmp, or empty for all")
	f.IntVar(&spec.FromPort, "from-port", 0, "first port")
	f.IntVar(&spec.ToPort, "to-port", 0, "last port")
	f.StringVar(&spec.CIDR, "cidr", "", "source/destination CIDR")
	f.StringVar(&spec.SrcDestFirewallID, "src-dest-firewall", "", "source/destination firewall id (instead of --cidr)")
	cmd.AddCommand(add)
	return cmd
}
