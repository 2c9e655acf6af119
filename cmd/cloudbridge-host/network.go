package main

import (
	"context"
	"iter"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var networkHeader = []string{"ID", "LABEL", "STATE", "CIDR_BLOCK", "EXTERNAL"}

func networkCells(n sdk.NetworkInfo) []string {
	external := ""
	if n.External {
		external = "yes"
	}
	return []string{n.ID, n.Label, string(n.State), n.CIDRBlock, external}
}

func networksCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "networks", Short: "Private networks (VPCs)"}
	cmd.AddCommand(listCommand(g, "networks", networkHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.NetworkInfo, error] {
			return values(p.Networking.Networks.All(ctx), func(n *host.Network) sdk.NetworkInfo { return n.NetworkInfo })
		}, networkCells))
	cmd.AddCommand(&cobra.Command{
		Use: "get ID", Short: "Show a network", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			n, err := p.Networking.Networks.Get(ctx, args[0])
			if err != nil {
				return err
			}
			return showOne(cmd, g, n.NetworkInfo, networkHeader, networkCells(n.NetworkInfo)...)
		}),
	})
	var spec sdk.NetworkSpec
	var wait bool
	create := &cobra.Command{
		Use: "create --label LABEL --cidr-block CIDR", Short: "Create a network", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			n, err := p.Networking.Networks.Create(ctx, spec)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, cmd, wait, "network", n.ID, n, &n.State); err != nil {
				return err
			}
			return showOne(cmd, g, n.NetworkInfo, networkHeader, networkCells(n.NetworkInfo)...)
		}),
	}
	create.Flags().StringVar(&spec.Label, "label", "", "label (3-63 chars: a-z, 0-9, dashes)")
	create.Flags().StringVar(&spec.CIDRBlock, "cidr-block", sdk.DefaultNetworkCIDR, "address range")
	create.Flags().BoolVar(&wait, "wait", false, "wait until the network is available")
	cmd.AddCommand(create)
	cmd.AddCommand(deleteCommand(g, "a network (it must have no subnets left)", func(ctx context.Context, p *host.Provider, id string) error {
		return p.Networking.Networks.Delete(ctx, id)
	}))
	return cmd
}

var subnetHeader = []string{"ID", "LABEL", "STATE", "NETWORK", "CIDR_BLOCK", "ZONE"}

func subnetCells(s sdk.Subnet) []string {
	return []string{s.ID, s.Label, string(s.State), s.NetworkID, s.CIDRBlock, s.Zone}
}

func subnetsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "subnets", Short: "Subnets of networks"}
	var network string
	list := &cobra.Command{
		Use: "list [--network ID]", Short: "List subnets, of every network or of one", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			subnets, err := subnetsOf(ctx, p, network)
			if err != nil {
				return err
			}
			t := &table{header: subnetHeader}
			for _, s := range subnets {
				t.add(s.Subnet, subnetCells(s.Subnet)...)
			}
			return t.print(cmd.OutOrStdout(), g.output)
		}),
	}
	list.Flags().StringVar(&network, "network", "", "list only this network's subnets")
	cmd.AddCommand(list)
	var spec sdk.SubnetSpec
	var wait bool
	create := &cobra.Command{
		Use: "create --label LABEL --network ID --cidr-block CIDR", Short: "Create a subnet inside its network's range", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			s, err := p.Networking.Subnets.Create(ctx, spec)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, cmd, wait, "subnet", s.ID, s, &s.State); err != nil {
				return err
			}
			return showOne(cmd, g, s.Subnet, subnetHeader, subnetCells(s.Subnet)...)
		}),
	}
	f := create.Flags()
	f.StringVar(&spec.Label, "label", "", "label (3-63 chars: a-z, 0-9, dashes)")
	f.StringVar(&spec.NetworkID, "network", "", "network id (required)")
	f.StringVar(&spec.CIDRBlock, "cidr-block", sdk.DefaultSubnetCIDR, "address range, inside the network's and overlapping no other subnet")
	f.StringVar(&spec.Zone, "zone", "", "zone (default: the provider's zone)")
	f.BoolVar(&wait, "wait", false, "wait until the subnet is available")
	_ = create.MarkFlagRequired("network")
	cmd.AddCommand(create)
	cmd.AddCommand(deleteCommand(g, "a subnet (it must have no instances left)", func(ctx context.Context, p *host.Provider, id string) error {
		return p.Networking.Subnets.Delete(ctx, id)
	}))
	return cmd
}

// subnetsOf returns every subnet, or with a network id that network's.
func subnetsOf(ctx context.Context, p *host.Provider, networkID string) ([]*host.Subnet, error) {
	if networkID == "" {
		return p.Networking.Subnets.Find(ctx, nil)
	}
	n, err := p.Networking.Networks.Get(ctx, networkID)
	if err != nil {
		return nil, err
	}
	return n.Subnets(ctx)
}

var routerHeader = []string{"ID", "LABEL", "STATE", "NETWORK", "SUBNETS", "GATEWAY"}

func routerCells(r sdk.Router) []string {
	return []string{r.ID, r.Label, string(r.State), r.NetworkID, strings.Join(r.SubnetIDs, ","), r.GatewayID}
}

func routersCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "routers", Short: "Routers: between subnets and to an internet gateway"}
	cmd.AddCommand(listCommand(g, "routers", routerHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.Router, error] {
			return values(p.Networking.Routers.All(ctx), func(r *host.Router) sdk.Router { return r.Router })
		}, routerCells))
	var spec sdk.RouterSpec
	create := &cobra.Command{
		Use: "create --label LABEL --network ID", Short: "Create a router in a network", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			r, err := p.Networking.Routers.Create(ctx, spec)
			if err != nil {
				return err
			}
			return showOne(cmd, g, r.Router, routerHeader, routerCells(r.Router)...)
		}),
	}
	create.Flags().StringVar(&spec.Label, "label", "", "label (3-63 chars: a-z, 0-9, dashes)")
	create.Flags().StringVar(&spec.NetworkID, "network", "", "network id (required)")
	_ = create.MarkFlagRequired("network")
	cmd.AddCommand(create)
	cmd.AddCommand(deleteCommand(g, "a router", func(ctx context.Context, p *host.Provider, id string) error {
		return p.Networking.Routers.Delete(ctx, id)
	}))
	for _, link := range []struct {
		use, short string
		act        func(*host.Router, context.Context, string) error
	}{
		{"attach-subnet ROUTER_ID SUBNET_ID", "Route a subnet through a router", (*host.Router).AttachSubnet},
		{"detach-subnet ROUTER_ID SUBNET_ID", "Take a subnet off a router", (*host.Router).DetachSubnet},
		{"attach-gateway ROUTER_ID GATEWAY_ID", "Route outside traffic through an internet gateway", (*host.Router).AttachGateway},
		{"detach-gateway ROUTER_ID GATEWAY_ID", "Take the internet gateway off a router", (*host.Router).DetachGateway},
	} {
		cmd.AddCommand(&cobra.Command{
			Use: link.use, Short: link.short, Args: cobra.ExactArgs(2),
			RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
				r, err := p.Networking.Routers.Get(ctx, args[0])
				if err != nil {
					return err
				}
				if err := link.act(r, ctx, args[1]); err != nil {
					return err
				}
				return showOne(cmd, g, r.Router, routerHeader, routerCells(r.Router)...)
			}),
		})
	}
	return cmd
}

var gatewayHeader = []string{"ID", "NAME", "STATE", "NETWORK"}

func gatewayCells(gw sdk.Gateway) []string {
	return []string{gw.ID, gw.Name, string(gw.State), gw.NetworkID}
}

// gatewaysCommand manages internet gateways, which belong to a network: every
// subcommand takes --network.
func gatewaysCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "gateways", Short: "Internet gateways of a network (--network)"}
	network := parentFlag(cmd, "network", "network id", func(ctx context.Context, p *host.Provider, id string) (*host.Network, error) {
		return p.Networking.Networks.Get(ctx, id)
	})
	cmd.AddCommand(&cobra.Command{
		Use: "list --network ID", Short: "List a network's internet gateways", Args: cobra.NoArgs,
		RunE: withParent(g, network, func(ctx context.Context, n *host.Network, cmd *cobra.Command, _ []string) error {
			return printList(cmd, g, values(n.Gateways.All(ctx), func(gw *host.Gateway) sdk.Gateway { return gw.Gateway }), gatewayHeader, gatewayCells)
		}),
	})
	var wait bool
	getOrCreate := &cobra.Command{
		Use: "get-or-create --network ID", Short: "Return the network's internet gateway, creating it when there is none", Args: cobra.NoArgs,
		RunE: withParent(g, network, func(ctx context.Context, n *host.Network, cmd *cobra.Command, _ []string) error {
			gw, err := n.Gateways.GetOrCreate(ctx)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, cmd, wait, "gateway", gw.ID, gw, &gw.State); err != nil {
				return err
			}
			return showOne(cmd, g, gw.Gateway, gatewayHeader, gatewayCells(gw.Gateway)...)
		}),
	}
	getOrCreate.Flags().BoolVar(&wait, "wait", false, "wait until the gateway is available")
	cmd.AddCommand(getOrCreate)
	cmd.AddCommand(deleteCommand(g, "one of the network's internet gateways", func(ctx context.Context, p *host.Provider, id string) error {
		n, err := network(ctx, p)
		if err != nil {
			return err
		}
		return n.Gateways.Delete(ctx, id)
	}))
	return cmd
}

// gatewayRef locates the internet gateway that floating IPs come from: the
// network's only one, or the one --gateway names.
type gatewayRef struct{ network, gateway string }

func (r *gatewayRef) get(ctx context.Context, p *host.Provider) (*host.Gateway, error) {
	n, err := p.Networking.Networks.Get(ctx, r.network)
	if err != nil {
		return nil, err
	}
	var found []*host.Gateway
	for gw, err := range n.Gateways.All(ctx) {
		if err != nil {
			return nil, err
		}
		if r.gateway == "" || gw.ID == r.gateway {
			found = append(found, gw)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case r.gateway != "":
		return nil, sdk.Errorf(sdk.CodeNotFound, "network %s has no internet gateway %q", r.network, r.gateway)
	case len(found) == 0:
		return nil, sdk.Errorf(sdk.CodeNotFound, "network %s has no internet gateway; make one with: gateways get-or-create --network %s", r.network, r.network)
	default:
		return nil, sdk.InvalidArgument("gateway", "", "network "+r.network+" has several internet gateways; name one with --gateway")
	}
}

var floatingIPHeader = []string{"ID", "PUBLIC_IP", "STATE", "INSTANCE", "PRIVATE_IP", "GATEWAY"}

func floatingIPCells(f sdk.FloatingIP) []string {
	return []string{f.ID, f.PublicIP, string(f.State), f.InstanceID, f.PrivateIP, f.GatewayID}
}

// floatingIPsCommand manages floating IPs, which come from a network's
// internet gateway: every subcommand takes --network (and --gateway when the
// network has several).
func floatingIPsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "floating-ips", Short: "Floating IPs of a network's internet gateway (--network [--gateway])"}
	var ref gatewayRef
	pf := cmd.PersistentFlags()
	pf.StringVar(&ref.network, "network", "", "network id (required)")
	pf.StringVar(&ref.gateway, "gateway", "", "internet gateway id (default: the network's only one)")
	_ = cmd.MarkPersistentFlagRequired("network")
	show := func(cmd *cobra.Command, f *host.FloatingIP, err error) error {
		if err != nil {
			return err
		}
		return showOne(cmd, g, f.FloatingIP, floatingIPHeader, floatingIPCells(f.FloatingIP)...)
	}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List the gateway's floating IPs", Args: cobra.NoArgs,
		RunE: withParent(g, ref.get, func(ctx context.Context, gw *host.Gateway, cmd *cobra.Command, _ []string) error {
			return printList(cmd, g, values(gw.FloatingIPs.All(ctx), func(f *host.FloatingIP) sdk.FloatingIP { return f.FloatingIP }), floatingIPHeader, floatingIPCells)
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "create", Short: "Allocate a floating IP from the gateway", Args: cobra.NoArgs,
		RunE: withParent(g, ref.get, func(ctx context.Context, gw *host.Gateway, cmd *cobra.Command, _ []string) error {
			f, err := gw.FloatingIPs.Create(ctx)
			return show(cmd, f, err)
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "delete ID", Short: "Release a floating IP", Args: cobra.ExactArgs(1),
		RunE: withParent(g, ref.get, func(ctx context.Context, gw *host.Gateway, _ *cobra.Command, args []string) error {
			return gw.FloatingIPs.Delete(ctx, args[0])
		}),
	})
	var instanceID string
	associate := &cobra.Command{
		Use: "associate ID --instance INSTANCE_ID", Short: "Associate a floating IP with an instance", Args: cobra.ExactArgs(1),
		RunE: withParent(g, ref.get, func(ctx context.Context, gw *host.Gateway, cmd *cobra.Command, args []string) error {
			f, err := gw.FloatingIPs.Associate(ctx, args[0], instanceID)
			return show(cmd, f, err)
		}),
	}
	associate.Flags().StringVar(&instanceID, "instance", "", "instance id (required)")
	_ = associate.MarkFlagRequired("instance")
	cmd.AddCommand(associate)
	cmd.AddCommand(&cobra.Command{
		Use: "disassociate ID", Short: "Take a floating IP off its instance", Args: cobra.ExactArgs(1),
		RunE: withParent(g, ref.get, func(ctx context.Context, gw *host.Gateway, cmd *cobra.Command, args []string) error {
			f, err := gw.FloatingIPs.Disassociate(ctx, args[0])
			return show(cmd, f, err)
		}),
	})
	return cmd
}
