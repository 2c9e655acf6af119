package main

import (
	"context"
	"iter"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var volumeHeader = []string{"ID", "LABEL", "STATE", "SIZE_GB", "ZONE", "SOURCE", "ATTACHED_TO", "DEVICE"}

func volumeCells(v sdk.Volume) []string {
	var source, instance, device string
	if v.Source != nil {
		source = v.Source.Kind + " " + v.Source.ID
	}
	if v.Attachment != nil {
		instance, device = v.Attachment.InstanceID, v.Attachment.Device
	}
	return []string{v.ID, v.Label, string(v.State), strconv.Itoa(v.SizeGB), v.Zone, source, instance, device}
}

// showVolume prints a volume as a one-row table or a JSON object.
func showVolume(cmd *cobra.Command, g *globals, v *host.Volume) error {
	return showOne(cmd, g, v.Volume, volumeHeader, volumeCells(v.Volume)...)
}

func volumesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "volumes", Short: "Block storage volumes"}
	cmd.AddCommand(listCommand(g, "volumes", volumeHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.Volume, error] {
			return values(p.Storage.Volumes.All(ctx), func(v *host.Volume) sdk.Volume { return v.Volume })
		}, volumeCells))
	cmd.AddCommand(&cobra.Command{
		Use: "get ID", Short: "Show a volume", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			v, err := p.Storage.Volumes.Get(ctx, args[0])
			if err != nil {
				return err
			}
			return showVolume(cmd, g, v)
		}),
	})
	cmd.AddCommand(volumeCreateCommand(g))
	cmd.AddCommand(deleteCommand(g, "a volume (it must not be attached)", func(ctx context.Context, p *host.Provider, id string) error {
		return p.Storage.Volumes.Delete(ctx, id)
	}))

	var instanceID, device string
	attach := &cobra.Command{
		Use: "attach ID --instance INSTANCE_ID [--device DEVICE]", Short: "Attach a volume to an instance", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			v, err := p.Storage.Volumes.Get(ctx, args[0])
			if err != nil {
				return err
			}
			if err := v.Attach(ctx, instanceID, device); err != nil {
				return err
			}
			return showVolume(cmd, g, v)
		}),
	}
	attach.Flags().StringVar(&instanceID, "instance", "", "instance id (required)")
	attach.Flags().StringVar(&device, "device", "", `device name such as /dev/sdf ("" lets the cloud choose)`)
	_ = attach.MarkFlagRequired("instance")
	cmd.AddCommand(attach)

	var force bool
	detach := &cobra.Command{
		Use: "detach ID [--force]", Short: "Detach a volume from its instance", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			v, err := p.Storage.Volumes.Get(ctx, args[0])
			if err != nil {
				return err
			}
			if err := v.Detach(ctx, force); err != nil {
				return err
			}
			return showVolume(cmd, g, v)
		}),
	}
	detach.Flags().BoolVar(&force, "force", false, "detach even if the instance's operating system still uses the volume")
	cmd.AddCommand(detach)
	return cmd
}

func volumeCreateCommand(g *globals) *cobra.Command {
	var spec sdk.VolumeSpec
	var wait bool
	cmd := &cobra.Command{
		Use: "create --label LABEL --size-gb N | --snapshot ID", Short: "Create a volume, blank or from a snapshot", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			v, err := p.Storage.Volumes.Create(ctx, spec)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, cmd, wait, "volume", v.ID, v, &v.State); err != nil {
				return err
			}
			return showVolume(cmd, g, v)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&spec.Label, "label", "", "label (3-63 chars: a-z, 0-9, dashes)")
	f.IntVar(&spec.SizeGB, "size-gb", 0, "size in GB (0 with --snapshot: the snapshot's size)")
	f.StringVar(&spec.SnapshotID, "snapshot", "", "snapshot id to make the volume from")
	f.StringVar(&spec.Description, "description", "", "description")
	f.StringVar(&spec.Zone, "zone", "", "zone (default: the provider's zone)")
	f.BoolVar(&wait, "wait", false, "wait until the volume is available")
	return cmd
}

var snapshotHeader = []string{"ID", "LABEL", "STATE", "SIZE_GB", "VOLUME", "DESCRIPTION"}

func snapshotCells(s sdk.Snapshot) []string {
	return []string{s.ID, s.Label, string(s.State), strconv.Itoa(s.SizeGB), s.VolumeID, s.Description}
}

func snapshotsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "snapshots", Short: "Volume snapshots"}
	cmd.AddCommand(listCommand(g, "snapshots", snapshotHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.Snapshot, error] {
			return values(p.Storage.Snapshots.All(ctx), func(s *host.Snapshot) sdk.Snapshot { return s.Snapshot })
		}, snapshotCells))
	cmd.AddCommand(&cobra.Command{
		Use: "get ID", Short: "Show a snapshot", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			s, err := p.Storage.Snapshots.Get(ctx, args[0])
			if err != nil {
				return err
			}
			return showOne(cmd, g, s.Snapshot, snapshotHeader, snapshotCells(s.Snapshot)...)
		}),
	})
	var spec sdk.SnapshotSpec
	var wait bool
	create := &cobra.Command{
		Use: "create --label LABEL --volume VOLUME_ID", Short: "Snapshot a volume", Args: cobra.NoArgs,
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, _ []string) error {
			s, err := p.Storage.Snapshots.Create(ctx, spec)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, cmd, wait, "snapshot", s.ID, s, &s.State); err != nil {
				return err
			}
			return showOne(cmd, g, s.Snapshot, snapshotHeader, snapshotCells(s.Snapshot)...)
		}),
	}
	f := create.Flags()
	f.StringVar(&spec.Label, "label", "", "label (3-63 chars: a-z, 0-9, dashes)")
	f.StringVar(&spec.VolumeID, "volume", "", "volume id (required)")
	f.StringVar(&spec.Description, "description", "", "description")
	f.BoolVar(&wait, "wait", false, "wait until the snapshot is available")
	_ = create.MarkFlagRequired("volume")
	cmd.AddCommand(create)
	cmd.AddCommand(deleteCommand(g, "a snapshot", func(ctx context.Context, p *host.Provider, id string) error {
		return p.Storage.Snapshots.Delete(ctx, id)
	}))
	return cmd
}

// timeCell is a time as a table cell: RFC 3339 in UTC, "" when unknown.
func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

var bucketHeader = []string{"NAME", "LOCATION", "CREATED"}

func bucketCells(b sdk.Bucket) []string {
	return []string{b.Name, b.Location, timeCell(b.CreateTime)}
}

func bucketsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "buckets", Short: "Object storage buckets (objects: see the objects command)"}
	cmd.AddCommand(listCommand(g, "buckets", bucketHeader,
		func(ctx context.Context, p *host.Provider) iter.Seq2[sdk.Bucket, error] {
			return values(p.Storage.Buckets.All(ctx), func(b *host.Bucket) sdk.Bucket { return b.Bucket })
		}, bucketCells))
	var location string
	create := &cobra.Command{
		Use: "create NAME [--location REGION]", Short: "Create a bucket (S3 naming rules)", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
			b, err := p.Storage.Buckets.Create(ctx, sdk.BucketSpec{Name: args[0], Location: location})
			if err != nil {
				return err
			}
			return showOne(cmd, g, b.Bucket, bucketHeader, bucketCells(b.Bucket)...)
		}),
	}
	create.Flags().StringVar(&location, "location", "", "region to keep the bucket in (default: the provider's region)")
	cmd.AddCommand(create)
	var deleteContents bool
	del := &cobra.Command{
		Use: "delete NAME [--delete-contents]", Short: "Delete a bucket; one that holds objects only with --delete-contents", Args: cobra.ExactArgs(1),
		RunE: withProvider(g, func(ctx context.Context, p *host.Provider, _ *cobra.Command, args []string) error {
			return p.Storage.Buckets.Delete(ctx, args[0], deleteContents)
		}),
	}
	del.Flags().BoolVar(&deleteContents, "delete-contents", false, "delete the bucket's objects first")
	cmd.AddCommand(del)
	return cmd
}
