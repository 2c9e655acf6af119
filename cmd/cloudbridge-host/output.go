package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table is rows of cells printed as aligned columns or as JSON objects.
type table struct {
	header []string
	rows   [][]string
	values []any
}

func (t *table) add(value any, cells ...string) {
	t.rows = append(t.rows, cells)
	t.values = append(t.values, value)
}

// print writes the table in the chosen format: "table" (aligned columns) or
// "json" (the full values, one array).
func (t *table) print(w io.Writer, format string) error {
	switch format {
	case "json":
		return printJSON(w, t.values)
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.header, "\t"))
		for _, r := range t.rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		return tw.Flush()
	default:
		return fmt.Errorf("unknown --output %q: want table or json", format)
	}
}

func printJSON(w io.Writer, v any) error {
	if v == nil {
		v = []any{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
