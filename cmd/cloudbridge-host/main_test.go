package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudbridge-go/cloudbridge/host"
)

// mockPlugin is the mock plugin binary TestMain builds; every test drives the
// command line in process against it, each command starting and stopping a
// real plugin process.
var mockPlugin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cloudbridge-host-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	mockPlugin = filepath.Join(dir, "cloudbridge-plugin-mock")
	build := exec.Command("go", "build", "-o", mockPlugin, "../../plugins/mock/cmd/cloudbridge-plugin-mock")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the mock plugin: %v\n%s", err, out)
		return 1
	}
	// No profile of the user's config file may creep in.
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	return m.Run()
}

// cli runs cloudbridge-host commands against the mock, sharing one state file
// so that commands build on each other.
type cli struct {
	t     *testing.T
	state string
}

func newCLI(t *testing.T) *cli {
	t.Parallel()
	return &cli{t: t, state: filepath.Join(t.TempDir(), "state.json")}
}

// run runs one command line and returns its stdout, stderr and exit status.
func (c *cli) run(args ...string) (stdout, stderr string, status int) {
	c.t.Helper()
	full := append([]string{"-p", "mock", "--plugin-path", mockPlugin, "--set", "state_file=" + c.state}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	status = execute(ctx, full, &out, &errOut)
	return out.String(), errOut.String(), status
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, _ := c.succeed(args...)
	return out
}

// succeed runs a command that must succeed and returns its stdout and stderr.
func (c *cli) succeed(args ...string) (stdout, stderr string) {
	c.t.Helper()
	out, errOut, status := c.run(args...)
	if status != 0 {
		c.t.Fatalf("%s: exit status %d\nstderr: %s", strings.Join(args, " "), status, errOut)
	}
	return out, errOut
}

// fails runs a command that must fail with exit status 1 and print nothing on
// stdout, and returns its stderr.
func (c *cli) fails(args ...string) string {
	c.t.Helper()
	out, errOut, status := c.run(args...)
	if status != 1 || out != "" || !strings.HasPrefix(errOut, "error: ") {
		c.t.Fatalf("%s: exit status %d, stdout %q, stderr %q; want status 1, no stdout, an error on stderr",
			strings.Join(args, " "), status, out, errOut)
	}
	return errOut
}

// object runs a command with -o json that prints one resource, checks that
// every key of its JSON is snake_case, and returns it.
func (c *cli) object(args ...string) map[string]any {
	c.t.Helper()
	var v map[string]any
	c.decode(&v, args...)
	return v
}

// list runs a list command with -o json and returns its items.
func (c *cli) list(args ...string) []map[string]any {
	c.t.Helper()
	var v []map[string]any
	c.decode(&v, args...)
	return v
}

// waited runs a create command with --wait and -o json, checks that it said
// on stderr that the new resource (of kind) reached the state it prints and
// how long that took, and returns the resource.
func (c *cli) waited(kind string, args ...string) map[string]any {
	c.t.Helper()
	var v map[string]any
	errOut := c.decode(&v, append(args, "--wait")...)
	want := fmt.Sprintf("%s %s is %s after ", kind, v["id"], v["state"])
	if !strings.HasPrefix(errOut, want) {
		c.t.Errorf("%s: stderr %q, want it to start %q", strings.Join(args, " "), errOut, want)
	}
	return v
}

// decode runs a command with -o json, decodes its stdout into v, checks that
// every key is snake_case, and returns its stderr.
func (c *cli) decode(v any, args ...string) string {
	c.t.Helper()
	out, errOut := c.succeed(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("%s: output is not the JSON wanted: %v\n%s", strings.Join(args, " "), err, out)
	}
	var raw any
	_ = json.Unmarshal([]byte(out), &raw)
	checkSnakeCase(c.t, strings.Join(args, " "), raw)
	return errOut
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkSnakeCase fails the test for a JSON object key (outside "extra" and
// "metadata", whose keys are the cloud's) that is not snake_case.
func checkSnakeCase(t *testing.T, what string, v any) {
	t.Helper()
	switch v := v.(type) {
	case []any:
		for _, item := range v {
			checkSnakeCase(t, what, item)
		}
	case map[string]any:
		for k, item := range v {
			if !snakeCase.MatchString(k) {
				t.Errorf("%s: JSON key %q is not snake_case", what, k)
			}
			// Free-form maps keep their own keys (HTTP header names, user metadata).
			if k != "extra" && k != "metadata" && k != "headers" {
				checkSnakeCase(t, what, item)
			}
		}
	}
}

// ids returns the "id" of each item.
func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, item := range items {
		out[i], _ = item["id"].(string)
	}
	return out
}

func wantField(t *testing.T, what string, v map[string]any, key string, want any) {
	t.Helper()
	if got := v[key]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: %s = %v, want %v (all: %v)", what, key, got, want, v)
	}
}

func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: %q does not contain %q", what, s, sub)
		}
	}
}

// A session that builds a network as CloudBridge's default-network flow does
// (network, subnet, router, internet gateway, floating IP on an instance) and
// takes it apart again, checking what each command prints.
func TestNetworkSession(t *testing.T) {
	c := newCLI(t)
	net := c.waited("network", "networks", "create", "--label", "net-one", "--cidr-block", "10.1.0.0/16")["id"].(string)
	nets := c.list("networks", "list")
	if got := ids(nets); len(got) != 1 || got[0] != net {
		t.Fatalf("networks list: %v, want [%s]", got, net)
	}
	wantField(t, "networks list", nets[0], "cidr_block", "10.1.0.0/16")
	wantField(t, "networks list", nets[0], "label", "net-one")
	if _, ok := nets[0]["Gateways"]; ok {
		t.Errorf("networks list JSON shows the host's service field Gateways: %v", nets[0])
	}
	wantField(t, "networks get", c.object("networks", "get", net), "state", "available")

	sub := c.waited("subnet", "subnets", "create", "--label", "sub-one", "--network", net, "--cidr-block", "10.1.1.0/24")
	subID := sub["id"].(string)
	wantField(t, "subnets create", sub, "cidr_block", "10.1.1.0/24")
	wantField(t, "subnets create", sub, "network_id", net)
	wantField(t, "subnets create --wait", sub, "state", "available")
	wantContains(t, "subnets list --network", c.ok("subnets", "list", "--network", net), subID, "10.1.1.0/24", "CIDR_BLOCK")
	if got := ids(c.list("subnets", "list")); len(got) != 1 || got[0] != subID {
		t.Errorf("subnets list = %v, want [%s]", got, subID)
	}
	// A subnet outside the network's range is refused, naming the range.
	wantContains(t, "subnet outside its network", c.fails("subnets", "create", "--label", "sub-two", "--network", net, "--cidr-block", "10.2.0.0/24"),
		"InvalidArgument", "cidr_block", "10.2.0.0/24", "10.1.0.0/16")

	router := c.object("routers", "create", "--label", "rt-one", "--network", net)
	routerID := router["id"].(string)
	gw := c.waited("gateway", "gateways", "get-or-create", "--network", net)
	gwID := gw["id"].(string)
	wantField(t, "gateways get-or-create", gw, "state", "available")
	if again := c.object("gateways", "get-or-create", "--network", net); again["id"] != gwID {
		t.Errorf("second gateways get-or-create = %v, want the same gateway %s", again["id"], gwID)
	}
	c.ok("routers", "attach-subnet", routerID, subID)
	router = c.object("routers", "attach-gateway", routerID, gwID)
	wantField(t, "routers attach-gateway", router, "gateway_id", gwID)
	wantField(t, "routers attach-gateway", router, "subnet_ids", []any{subID})

	fip := c.object("floating-ips", "create", "--network", net)
	fipID := fip["id"].(string)
	wantField(t, "floating-ips create", fip, "gateway_id", gwID)
	wantField(t, "floating-ips create", fip, "state", "available")
	inst := c.waited("instance", "instances", "create", "--label", "vm-one", "--image", "img-cirros-06", "--vm-type", "m.tiny", "--subnet", subID)
	instID := inst["id"].(string)
	fip = c.object("floating-ips", "associate", fipID, "--instance", instID, "--network", net, "--gateway", gwID)
	wantField(t, "floating-ips associate", fip, "state", "in_use")
	wantField(t, "floating-ips associate", fip, "instance_id", instID)
	wantContains(t, "instances get after associate", c.ok("instances", "get", instID), fip["public_ip"].(string))
	fip = c.object("floating-ips", "disassociate", fipID, "--network", net)
	wantField(t, "floating-ips disassociate", fip, "state", "available")

	// Nothing is deleted out of order: the network still has its subnet.
	wantContains(t, "delete a network with a subnet", c.fails("networks", "delete", net), "FailedPrecondition", net)
	c.ok("floating-ips", "delete", fipID, "--network", net)
	if fips := c.list("floating-ips", "list", "--network", net); len(fips) != 0 {
		t.Errorf("floating-ips list after delete = %v", fips)
	}
	c.ok("instances", "delete", instID)
	c.ok("routers", "detach-gateway", routerID, gwID)
	c.ok("routers", "detach-subnet", routerID, subID)
	c.ok("routers", "delete", routerID)
	c.ok("gateways", "delete", gwID, "--network", net)
	if gws := c.list("gateways", "list", "--network", net); len(gws) != 0 {
		t.Errorf("gateways list after delete = %v", gws)
	}
	c.ok("subnets", "delete", subID)
	c.ok("networks", "delete", net)
	if nets := c.list("networks", "list"); len(nets) != 0 {
		t.Errorf("networks list after delete = %v", nets)
	}
	wantContains(t, "floating-ips of a deleted network", c.fails("floating-ips", "list", "--network", net), "NotFound", net)
}

// Volumes from blank and from a snapshot, attached to an instance and
// detached; buckets, and deleting a bucket that holds an object.
func TestStorageSession(t *testing.T) {
	c := newCLI(t)
	vol := c.waited("volume", "volumes", "create", "--label", "vol-one", "--size-gb", "2", "--description", "data")["id"].(string)
	vols := c.list("volumes", "list")
	if got := ids(vols); len(got) != 1 || got[0] != vol {
		t.Fatalf("volumes list = %v, want [%s]", got, vol)
	}
	wantField(t, "volumes list", vols[0], "size_gb", 2)
	wantField(t, "volumes list", vols[0], "state", "available")

	snap := c.waited("snapshot", "snapshots", "create", "--label", "snap-one", "--volume", vol)
	snapID := snap["id"].(string)
	wantField(t, "snapshots create --wait", snap, "state", "available")
	wantField(t, "snapshots create", snap, "volume_id", vol)
	wantField(t, "snapshots get", c.object("snapshots", "get", snapID), "size_gb", 2)
	fromSnap := c.waited("volume", "volumes", "create", "--label", "vol-two", "--snapshot", snapID)
	wantField(t, "volume from a snapshot", fromSnap, "source", map[string]any{"kind": "snapshot", "id": snapID})
	wantField(t, "volume from a snapshot", fromSnap, "size_gb", 2)

	inst := c.waited("instance", "instances", "create", "--label", "vm-one", "--image", "img-cirros-06", "--vm-type", "m.tiny")
	instID := inst["id"].(string)
	attached := c.object("volumes", "attach", vol, "--instance", instID, "--device", "/dev/sdf")
	wantField(t, "volumes attach", attached, "state", "in-use")
	wantField(t, "volumes attach", attached, "attachment", map[string]any{"instance_id": instID, "device": "/dev/sdf"})
	wantContains(t, "volumes get (table)", c.ok("volumes", "get", vol), "in-use", instID, "/dev/sdf")
	wantContains(t, "delete an attached volume", c.fails("volumes", "delete", vol), "FailedPrecondition")
	wantContains(t, "attach with a bad device", c.fails("volumes", "attach", fromSnap["id"].(string), "--instance", instID, "--device", "sdf"),
		"InvalidArgument", "device", `"sdf"`)
	wantField(t, "volumes detach", c.object("volumes", "detach", vol), "state", "available")

	c.ok("instances", "delete", instID)
	c.ok("volumes", "delete", fromSnap["id"].(string))
	c.ok("snapshots", "delete", snapID)
	c.ok("volumes", "delete", vol)
	if v, s := c.list("volumes", "list"), c.list("snapshots", "list"); len(v) != 0 || len(s) != 0 {
		t.Errorf("after deletes: volumes %v, snapshots %v", v, s)
	}
	wantContains(t, "volumes get of a deleted volume", c.fails("volumes", "get", vol), "NotFound", vol)

	bucket := c.object("buckets", "create", "cli-test-bucket")
	wantField(t, "buckets create", bucket, "name", "cli-test-bucket")
	wantField(t, "buckets create", bucket, "location", "mock-east-1")
	wantContains(t, "buckets create of an existing name", c.fails("buckets", "create", "cli-test-bucket"), "AlreadyExists")
	wantContains(t, "buckets create of a bad name", c.fails("buckets", "create", "Bad_Bucket"), "InvalidArgument", "Bad_Bucket")
	if got := c.list("buckets", "list"); len(got) != 1 || got[0]["name"] != "cli-test-bucket" {
		t.Errorf("buckets list = %v", got)
	} else if _, ok := got[0]["Objects"]; ok {
		t.Errorf("buckets list JSON shows the host's service field Objects: %v", got[0])
	}
	putObject(t, c.state, "cli-test-bucket", "docs/readme.txt", "hello")
	wantContains(t, "delete a bucket that holds an object", c.fails("buckets", "delete", "cli-test-bucket"), "FailedPrecondition")
	c.ok("buckets", "delete", "cli-test-bucket", "--delete-contents")
	if got := c.list("buckets", "list"); len(got) != 0 {
		t.Errorf("buckets list after delete = %v", got)
	}
}

// putObject writes an object through the host API into the mock cloud the
// state file keeps (the object commands are not the subject here).
func putObject(t *testing.T, stateFile, bucket, key, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := host.OpenWith(ctx, "mock", host.Settings{"state_file": stateFile}, host.Options{Path: mockPlugin})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b, err := p.Storage.Buckets.Get(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Objects.Put(ctx, key, strings.NewReader(body), host.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A zone with records of several types, a record refused, and everything
// deleted.
func TestDNSSession(t *testing.T) {
	c := newCLI(t)
	zone := c.object("dns", "zones", "create", "Example.COM", "--admin-email", "admin@example.com", "--description", "test zone")
	zoneID := zone["id"].(string)
	wantField(t, "dns zones create", zone, "name", "example.com.")
	wantField(t, "dns zones create", zone, "admin_email", "admin@example.com")
	if zones := c.list("dns", "zones", "list"); len(zones) != 1 || zones[0]["id"] != zoneID {
		t.Errorf("dns zones list = %v", zones)
	} else if _, ok := zones[0]["Records"]; ok {
		t.Errorf("dns zones list JSON shows the host's service field Records: %v", zones[0])
	}

	a := c.object("dns", "records", "create", "--zone", zoneID, "--name", "www.example.com", "--type", "a",
		"--data", "192.0.2.10", "--data", "192.0.2.11", "--ttl", "300")
	wantField(t, "A record", a, "name", "www.example.com.")
	wantField(t, "A record", a, "type", "A")
	wantField(t, "A record", a, "ttl", 300)
	wantField(t, "A record", a, "data", []any{"192.0.2.10", "192.0.2.11"})
	wantField(t, "A record", a, "zone_id", zoneID)
	mx := c.object("dns", "records", "create", "--zone", zoneID, "--name", "example.com", "--type", "MX", "--data", "10 mail.example.com")
	wantField(t, "MX record", mx, "data", []any{"10 mail.example.com."})
	wild := c.object("dns", "records", "create", "--zone", zoneID, "--name", "*.example.com", "--type", "CNAME", "--data", "www.example.com")
	wantField(t, "wildcard CNAME", wild, "name", "*.example.com.")

	wantContains(t, "record of an unknown type", c.fails("dns", "records", "create", "--zone", zoneID, "--name", "x.example.com", "--type", "BOGUS", "--data", "1"),
		"InvalidArgument", "type", "BOGUS")
	wantContains(t, "records without --zone", c.fails("dns", "records", "list"), `"zone"`)
	table := c.ok("dns", "records", "list", "--zone", zoneID)
	wantContains(t, "dns records list", table, "www.example.com.", "192.0.2.10", "MX", "*.example.com.")
	if got := c.list("dns", "records", "list", "--zone", zoneID); len(got) != 3 {
		t.Errorf("dns records list = %v, want 3 records", got)
	}
	for _, id := range []string{a["id"].(string), mx["id"].(string), wild["id"].(string)} {
		c.ok("dns", "records", "delete", id, "--zone", zoneID)
	}
	if got := c.list("dns", "records", "list", "--zone", zoneID); len(got) != 0 {
		t.Errorf("dns records list after deletes = %v", got)
	}
	c.ok("dns", "zones", "delete", zoneID)
	wantContains(t, "records of a deleted zone", c.fails("dns", "records", "list", "--zone", zoneID), "NotFound", zoneID)
}

// A bad argument ends the command with status 1 and a message that names what
// was wrong, and nothing on stdout.
func TestBadArgumentsFailClearly(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"volumes", "get"}, []string{"accepts 1 arg(s), received 0"}},
		{[]string{"volumes", "create", "--label", "vol-one", "--size-gb", "-1"}, []string{"InvalidArgument", "size_gb", `"-1"`}},
		{[]string{"volumes", "create", "--label", "x", "--size-gb", "1"}, []string{"InvalidArgument", "label", `"x"`}},
		{[]string{"volumes", "create", "--label", "vol-one", "--size-gb", "ten"}, []string{`invalid argument "ten"`, "--size-gb"}},
		{[]string{"volumes", "attach", "vol-nope"}, []string{`required flag(s) "instance" not set`}},
		{[]string{"snapshots", "create", "--label", "snap-one"}, []string{`required flag(s) "volume" not set`}},
		{[]string{"networks", "create", "--label", "net-one", "--cidr-block", "10.0.0.0/33"}, []string{"InvalidArgument", "cidr_block", "10.0.0.0/33"}},
		{[]string{"networks", "get", "vpc-nope"}, []string{"NotFound", "vpc-nope"}},
		{[]string{"networks", "list", "--bogus"}, []string{"unknown flag: --bogus"}},
		{[]string{"networks", "list", "-o", "yaml"}, []string{`unknown --output "yaml"`}},
		{[]string{"gateways", "list"}, []string{`required flag(s) "network" not set`}},
		{[]string{"routers", "attach-subnet", "rtb-only"}, []string{"accepts 2 arg(s), received 1"}},
		{[]string{"floating-ips", "create", "--network", "vpc-nope"}, []string{"NotFound", "vpc-nope"}},
		{[]string{"dns", "zones", "create", "example.com", "--admin-email", "not-an-email"}, []string{"InvalidArgument", "admin_email", "not-an-email"}},
		{[]string{"--set", "region=mars-1", "networks", "list"}, []string{"InvalidArgument", "region", "mars-1"}},
	} {
		errOut := c.fails(tc.args...)
		wantContains(t, strings.Join(tc.args, " "), errOut, tc.want...)
	}
	// Nothing was made by the failed creates.
	if v, n := c.list("volumes", "list"), c.list("networks", "list"); len(v) != 0 || len(n) != 0 {
		t.Errorf("after failed creates: volumes %v, networks %v", v, n)
	}
}
