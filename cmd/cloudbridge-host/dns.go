package main

import (
	"context"
	"iter"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

func dnsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "dns", Short: "DNS zones and their records"}
	cmd.AddCommand(dnsZonesCommand(g), dnsRecordsCommand(g))
	return cmd
}

var zoneHeader = []string{"ID", "NAME", "ADMIN_EMAIL", "DESCRIPTION"}

func zoneCells(z sdk.DNSZone) []string { return []string{z.ID, z.Name, z.AdminEmail, z.Description} }

func dnsZonesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "zones", Short: "Hosted DNS zones"}
	cmd.AddCommand(listCommand(g, "DNS zones", zoneHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.DNSZone, error] {
			return values(p.DNS.Zones.All(ctx), func(z *host.DNSZone) sdk.DNSZone { return z.DNSZone })
		}, zoneCells))
	var spec sdk.DNSZoneSpec
	create := &cobra.Command{
		Use: "create NAME --admin-email EMAIL", Short: "Create a zone (the name gets its trailing dot)", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			spec.Name = args[0]
			z, err := p.DNS.Zones.Create(ctx, spec)
			if err != nil {
				return err
			}
			return showOne(cmd, g, z.DNSZone, zoneHeader, zoneCells(z.DNSZone)...)
		}),
	}
	create.Flags().StringVar(&spec.AdminEmail, "admin-email", "", "the zone administrator's email address (required)")
	create.Flags().StringVar(&spec.Description, "description", "", "description")
	_ = create.MarkFlagRequired("admin-email")
	cmd.AddCommand(create)
	cmd.AddCommand(deleteCommand(g, "a zone", func(ctx context.Context, p *host.Provider, id string) error {
		return p.DNS.Zones.Delete(ctx, id)
	}))
	return cmd
}

var recordHeader = []string{"ID", "NAME", "TYPE", "TTL", "DATA"}

func recordCells(r sdk.DNSRecord) []string {
	return []string{r.ID, r.Name, r.Type, strconv.Itoa(r.TTL), strings.Join(r.Data, " | ")}
}

// dnsRecordsCommand manages the records of one zone: every subcommand takes
// --zone.
func dnsRecordsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "records", Short: "Record sets of a zone (--zone)"}
	zone := parentFlag(cmd, "zone", "zone id", func(ctx context.Context, p *host.Provider, id string) (*host.DNSZone, error) {
		return p.DNS.Zones.Get(ctx, id)
	})
	cmd.AddCommand(&cobra.Command{
		Use: "list --zone ID", Short: "List a zone's records", Args: cobra.NoArgs,
		RunE: withParent(g, zone, func(ctx context.Context, z *host.DNSZone, cmd *cobra.Command, _ []string) error {
			return printList(cmd, g, values(z.Records.All(ctx), func(r *host.DNSRecord) sdk.DNSRecord { return r.DNSRecord }), recordHeader, recordCells)
		}),
	})
	var spec sdk.DNSRecordSpec
	create := &cobra.Command{
		Use:   "create --zone ID --name NAME --type TYPE --data VALUE [--data VALUE]…",
		Short: "Create a record set: " + strings.Join(sdk.DNSRecordTypes, ", "), Args: cobra.NoArgs,
		RunE: withParent(g, zone, func(ctx context.Context, z *host.DNSZone, cmd *cobra.Command, _ []string) error {
			r, err := z.Records.Create(ctx, spec)
			if err != nil {
				return err
			}
			return showOne(cmd, g, r.DNSRecord, recordHeader, recordCells(r.DNSRecord)...)
		}),
	}
	f := create.Flags()
	f.StringVar(&spec.Name, "name", "", `record name, fully qualified ("www.example.com"; "*.example.com" for a wildcard)`)
	f.StringVar(&spec.Type, "type", "", "record type (A, AAAA, CNAME, MX, TXT, …)")
	f.StringArrayVar(&spec.Data, "data", nil, `value (repeatable), e.g. "10.0.0.1" or for MX "10 mail.example.com"`)
	f.IntVar(&spec.TTL, "ttl", 0, "time to live in seconds (0: the provider's default)")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("type")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete ID --zone ID", Short: "Delete a record set", Args: cobra.ExactArgs(1),
		RunE: withParent(g, zone, func(ctx context.Context, z *host.DNSZone, _ *cobra.Command, args []string) error {
			return z.Records.Delete(ctx, args[0])
		}),
	})
	return cmd
}
