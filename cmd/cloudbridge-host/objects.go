package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cloudbridge-go/cloudbridge/host"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

var objectHeader = []string{"KEY", "SIZE", "LAST_MODIFIED", "CONTENT_TYPE", "ETAG"}

func objectCells(o sdk.ObjectInfo) []string {
	return []string{o.Key, strconv.FormatInt(o.Size, 10), timeCell(o.LastModified), o.ContentType, o.ETag}
}

func objectsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "objects", Short: "Objects of a bucket: list, upload and download (with progress), delete, presign"}
	cmd.AddCommand(objectsListCommand(g), objectsUploadCommand(g), objectsDownloadCommand(g),
		objectsDeleteCommand(g), objectsPresignCommand(g))
	return cmd
}

// withObjects wraps the body of a command whose first argument is a bucket:
// it opens the provider, looks the bucket up, and runs body with its objects
// and the remaining arguments.
func withObjects(g *globals, body func(ctx context.Context, objs *host.ObjectService, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return withProvider(g, func(ctx context.Context, p *host.Provider, cmd *cobra.Command, args []string) error {
		b, err := p.Storage.Buckets.Get(ctx, args[0])
		if err != nil {
			return err
		}
		return body(ctx, b.Objects, cmd, args[1:])
	})
}

// objectListing is what `objects list -o json` prints: every object and,
// with --delimiter, every common prefix ("directory") of the listing.
type objectListing struct {
	Objects        []sdk.ObjectInfo `json:"objects"`
	CommonPrefixes []string         `json:"common_prefixes"`
}

func objectsListCommand(g *globals) *cobra.Command {
	var opts host.ObjectListOptions
	cmd := &cobra.Command{
		Use: "list BUCKET [--prefix P] [--delimiter D]", Short: "List a bucket's objects (and with --delimiter, its common prefixes)",
		Args: cobra.ExactArgs(1),
		RunE: withObjects(g, func(ctx context.Context, objs *host.ObjectService, cmd *cobra.Command, _ []string) error {
			listing := objectListing{Objects: []sdk.ObjectInfo{}, CommonPrefixes: []string{}}
			for {
				page, err := objs.List(ctx, opts)
				if err != nil {
					return err
				}
				listing.Objects = append(listing.Objects, page.Objects...)
				listing.CommonPrefixes = append(listing.CommonPrefixes, page.CommonPrefixes...)
				if page.NextPageToken == "" {
					break
				}
				opts.PageToken = page.NextPageToken
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), listing)
			}
			t := &table{header: objectHeader}
			for _, prefix := range listing.CommonPrefixes {
				t.add(prefix, prefix, "PRE", "", "", "")
			}
			for _, o := range listing.Objects {
				t.add(o, objectCells(o)...)
			}
			return t.print(cmd.OutOrStdout(), g.output)
		}),
	}
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "", "only keys that start with this")
	cmd.Flags().StringVar(&opts.Delimiter, "delimiter", "", `roll keys up to the next delimiter (usually "/") into common prefixes`)
	return cmd
}

// transferFlags are the transfer manager's settings a command may override;
// unset ones come from CB_MULTIPART_* and the defaults (see host.TransferConfig).
func transferFlags(cmd *cobra.Command, cfg *host.TransferConfig) {
	f := cmd.Flags()
	f.Var((*byteSize)(&cfg.Threshold), "threshold", "size above which the object moves in parts (default $CB_MULTIPART_THRESHOLD or 100MiB)")
	f.Var((*byteSize)(&cfg.PartSize), "part-size", "part size, e.g. 16MiB (default $CB_MULTIPART_PART_SIZE or 50MiB; uploads need at least 5MiB)")
	f.IntVar(&cfg.Concurrency, "concurrency", 0, "parts in flight at once (default $CB_MULTIPART_MAX_CONCURRENCY or 5)")
}

func objectsUploadCommand(g *globals) *cobra.Command {
	var opts host.UploadOptions
	var metadata []string
	cmd := &cobra.Command{
		Use:   "upload BUCKET KEY FILE|-",
		Short: "Upload a file (or standard input, -) as an object, in parallel parts when large, showing progress on stderr",
		Args:  cobra.ExactArgs(3),
		RunE: withObjects(g, func(ctx context.Context, objs *host.ObjectService, cmd *cobra.Command, args []string) error {
			key, file := args[0], args[1]
			if len(metadata) > 0 {
				opts.Metadata = map[string]string{}
				for _, kv := range metadata {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return fmt.Errorf("--metadata %q: want key=value", kv)
					}
					opts.Metadata[k] = v
				}
			}
			stderr := cmd.ErrOrStderr()
			bar := newProgressBar(stderr, isTerminal(stderr), "upload "+key, time.Now)
			opts.Progress = bar.Update
			var info host.ObjectInfo
			var err error
			if file == "-" {
				info, err = objs.Upload(ctx, key, cmd.InOrStdin(), opts)
			} else {
				info, err = objs.UploadFile(ctx, key, file, opts)
			}
			bar.Finish("uploaded", err)
			if err != nil {
				return err
			}
			return showOne(cmd, g, info, objectHeader, objectCells(info)...)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.ContentType, "content-type", "", "content type (default: guessed from the file's extension)")
	f.StringArrayVar(&metadata, "metadata", nil, "user metadata key=value (repeatable)")
	transferFlags(cmd, &opts.Transfer)
	return cmd
}

func objectsDownloadCommand(g *globals) *cobra.Command {
	var opts host.DownloadOptions
	cmd := &cobra.Command{
		Use:   "download BUCKET KEY FILE|-",
		Short: "Download an object to a file (or standard output, -), in parallel ranges when large, showing progress on stderr",
		Long: "Download an object to a file (or standard output, -), in parallel ranges when large, showing progress on stderr.\n\n" +
			"A file is written as FILE.<random>.cbpart beside it and renamed into place only once complete, so FILE never\n" +
			"holds part of the object; a failed download leaves an existing FILE as it was.",
		Args: cobra.ExactArgs(3),
		RunE: withObjects(g, func(ctx context.Context, objs *host.ObjectService, cmd *cobra.Command, args []string) error {
			key, file := args[0], args[1]
			stderr := cmd.ErrOrStderr()
			bar := newProgressBar(stderr, isTerminal(stderr), "download "+key, time.Now)
			opts.Progress = bar.Update
			if file == "-" { // the object is stdout's only content
				_, err := objs.Download(ctx, key, cmd.OutOrStdout(), opts)
				bar.Finish("downloaded", err)
				return err
			}
			info, err := objs.DownloadFile(ctx, key, file, opts)
			bar.Finish("downloaded", err)
			if err != nil {
				return err
			}
			return showOne(cmd, g, info, objectHeader, objectCells(info)...)
		}),
	}
	transferFlags(cmd, &opts.Transfer)
	return cmd
}

func objectsDeleteCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "delete BUCKET KEY", Short: "Delete an object", Args: cobra.ExactArgs(2),
		RunE: withObjects(g, func(ctx context.Context, objs *host.ObjectService, _ *cobra.Command, args []string) error {
			return objs.Delete(ctx, args[0])
		}),
	}
}

func objectsPresignCommand(g *globals) *cobra.Command {
	var put bool
	var expires time.Duration
	var contentType string
	cmd := &cobra.Command{
		Use:   "presign BUCKET KEY [--put] [--expires 15m]",
		Short: "Print a URL that reads (or with --put, writes) an object without credentials until it expires",
		Long: "Print a URL that reads (or with --put, writes) an object without credentials until it expires.\n\n" +
			"The URL alone goes to stdout, so that `curl \"$(cloudbridge-host objects presign b k)\"` works; the method, the\n" +
			"expiry and any headers the request must carry go to stderr. With -o json, all of it goes to stdout.",
		Args: cobra.ExactArgs(2),
		RunE: withObjects(g, func(ctx context.Context, objs *host.ObjectService, cmd *cobra.Command, args []string) error {
			key := args[0]
			var u host.PresignedURL
			var err error
			if put {
				u, err = objs.PresignPut(ctx, key, expires, contentType)
			} else {
				if contentType != "" {
					return fmt.Errorf("--content-type is for --put URLs")
				}
				u, err = objs.PresignGet(ctx, key, expires, host.PresignOptions{})
			}
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), u)
			}
			if g.output != "table" && g.output != "" {
				return fmt.Errorf("unknown --output %q: want table or json", g.output)
			}
			fmt.Fprintln(cmd.OutOrStdout(), u.URL)
			fmt.Fprintf(cmd.ErrOrStderr(), "%s URL, valid until %s\n", u.Method, timeCell(u.ExpiresAt))
			for k, v := range u.Headers {
				fmt.Fprintf(cmd.ErrOrStderr(), "the request must send the header %s: %s\n", k, v)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&put, "put", false, "a URL that uploads the object (PUT) instead of reading it (GET)")
	f.DurationVar(&expires, "expires", 15*time.Minute, "how long the URL stays valid")
	f.StringVar(&contentType, "content-type", "", "with --put: the Content-Type the upload must send")
	return cmd
}

// byteSize is a flag of a byte count: 1048576, 16MiB, 16M, 512KiB, 2GiB
// (binary units, whichever spelling).
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (*byteSize) Type() string { return "bytes" }

func (b *byteSize) Set(s string) error {
	upper := strings.ToUpper(strings.TrimSpace(s))
	num := strings.TrimRight(upper, "KMGTIB ")
	unit := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(upper[len(num):]), "B"), "I")
	shift, ok := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n < 0 || n > (1<<62)>>shift {
		return fmt.Errorf("want a byte count such as 16MiB, 512KiB or 1048576")
	}
	*b = byteSize(n << shift)
	return nil
}
