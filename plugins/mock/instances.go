package mock

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// maxUserData is the largest user data accepted, EC2's limit (the strictest).
const maxUserData = 16 << 10

// instanceRecord is an instance as kept in the state.
type instanceRecord struct {
	sdk.Instance
	// Pending is the instance's next state change (boot, reboot) if one is under way.
	Pending transition[sdk.InstanceState] `json:"transition,omitzero"`
	// PublicIP is the instance's public address, shown while it runs; a stop
	// releases it and a start takes a new one, as on EC2.
	PublicIP string `json:"public_ip,omitempty"`
	// RootDiskGB is the size of the root disk, which an image made from the
	// instance needs at least.
	RootDiskGB int `json:"root_disk_gb"`
	// FloatingIPs are the public addresses of the floating IPs associated
	// with the instance (floatingips.go keeps them in step).
	FloatingIPs []string `json:"floating_ips,omitempty"`
}

// view is the instance as a caller sees it at time now; it shares no memory with
// the record.
func (r *instanceRecord) view(now time.Time) sdk.Instance {
	in := r.Instance
	in.State = r.Pending.apply(in.State, now)
	in.PrivateIPs = slices.Clone(in.PrivateIPs)
	in.VMFirewallIDs = slices.Clone(in.VMFirewallIDs)
	in.BlockDevices = slices.Clone(in.BlockDevices)
	in.Extra = maps.Clone(in.Extra)
	in.PublicIPs = nil
	if r.PublicIP != "" && (in.State == sdk.InstanceRunning || in.State == sdk.InstanceRebooting) {
		in.PublicIPs = []string{r.PublicIP}
	}
	in.PublicIPs = instancePublicIPs(r, in.PublicIPs)
	return in
}

// settle records the transitions that have happened by t.now, before a change.
func (r *instanceRecord) settle(now time.Time) { settle(&r.State, &r.Pending, now) }

// instances implements sdk.Instances and sdk.InstanceStartStopper.
type instances struct{ c *Cloud }

var _ sdk.InstanceStartStopper = (*instances)(nil)

func (s *instances) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Instance], error) {
	var all []sdk.Instance
	err := s.c.read(ctx, func(t *txn) error {
		for _, r := range t.Instances {
			all = append(all, r.view(t.now))
		}
		return nil
	})
	if err != nil {
		return sdk.Page[sdk.Instance]{}, err
	}
	return sdk.Paginate(all, opts, func(in sdk.Instance) string { return in.ID })
}

func (s *instances) Get(ctx context.Context, id string) (sdk.Instance, error) {
	var in sdk.Instance
	err := s.c.read(ctx, func(t *txn) error {
		r, ok := t.Instances[id]
		if !ok {
			return sdk.NotFound("instance", id)
		}
		in = r.view(t.now)
		return nil
	})
	return in, err
}

// Create launches an instance. It is pending for the boot_time setting, then
// running. In a subnet, it takes the subnet's zone and an address of its
// range (see placeInstance).
func (s *instances) Create(ctx context.Context, spec sdk.InstanceSpec) (sdk.Instance, error) {
	if err := validateInstanceSpec(spec); err != nil {
		return sdk.Instance{}, err
	}
	token := spec.IdempotencyToken
	spec.IdempotencyToken = ""
	digest := specDigest(spec)

	var in sdk.Instance
	err := s.c.write(ctx, func(t *txn) error {
		if rec, err := t.replay("instance", token, digest); err != nil || rec != nil {
			if rec != nil {
				in = t.Instances[rec.ID].view(t.now)
			}
			return err
		}
		r, err := t.newInstance(spec)
		if err != nil {
			return err
		}
		t.Instances[r.ID] = r
		t.remember("instance", token, digest, r.ID)
		in = r.view(t.now)
		return nil
	})
	return in, err
}

// validateInstanceSpec checks what needs no state: the label, the catalogue
// values, the size of the user data and the shape of the launch config.
func validateInstanceSpec(spec sdk.InstanceSpec) error {
	if err := sdk.ValidateLabel(spec.Label); err != nil {
		return err
	}
	if spec.ImageID == "" {
		return sdk.InvalidArgument("image_id", "", "required")
	}
	if spec.VMTypeID == "" {
		return sdk.InvalidArgument("vm_type_id", "", "required")
	}
	if vmTypeByID(spec.VMTypeID) == nil {
		return sdk.InvalidArgument("vm_type_id", spec.VMTypeID, "no such VM type; list them with VMTypes.List")
	}
	if len(spec.UserData) > maxUserData {
		return sdk.InvalidArgument("user_data", fmt.Sprintf("%d bytes", len(spec.UserData)),
			fmt.Sprintf("must be at most %d bytes", maxUserData))
	}
	// CloudBridge's LaunchConfig rules; planLaunch checks the sources.
	return sdk.ValidateBlockDevices(spec.BlockDevices)
}

// newInstance checks spec's references against the state and builds the record.
func (t *txn) newInstance(spec sdk.InstanceSpec) (*instanceRecord, error) {
	im, ok := t.image(spec.ImageID)
	if !ok {
		return nil, missing("image_id", "image", spec.ImageID)
	}
	if im.State != sdk.ImageAvailable {
		return nil, sdk.InvalidArgument("image_id", spec.ImageID, fmt.Sprintf("image is %s, not available", im.State))
	}
	zone := t.cfg.zone
	if spec.Zone != "" {
		r := regionByName(t.cfg.region)
		if !slices.ContainsFunc(r.Zones, func(z sdk.Zone) bool { return z.Name == spec.Zone }) {
			return nil, sdk.InvalidArgument("zone", spec.Zone, "not a zone of region "+t.cfg.region)
		}
		zone = spec.Zone
	}
	if spec.KeyPairID != "" {
		if _, ok := t.KeyPairs[spec.KeyPairID]; !ok {
			return nil, missing("key_pair_id", "key pair", spec.KeyPairID)
		}
	}
	var firewalls []string
	for _, fw := range spec.VMFirewallIDs {
		if _, ok := t.Firewalls[fw]; !ok {
			return nil, missing("vm_firewall_ids", "vm firewall", fw)
		}
		if !slices.Contains(firewalls, fw) {
			firewalls = append(firewalls, fw)
		}
	}
	zone, privateIP, err := t.placeInstance(spec, zone)
	if err != nil {
		return nil, err
	}
	plan, err := t.planLaunch(spec.BlockDevices, im, zone)
	if err != nil {
		return nil, err
	}
	id := newID("i-", t.Instances)
	// The launch config's volumes are made last, when nothing can fail any more.
	devices := plan.apply(t, id, spec.Label)
	return &instanceRecord{
		Instance: sdk.Instance{
			ID: id, Name: id, Label: spec.Label, State: sdk.InstancePending,
			VMTypeID: spec.VMTypeID, ImageID: spec.ImageID, Zone: zone, SubnetID: spec.SubnetID,
			PrivateIPs: []string{privateIP}, KeyPairID: spec.KeyPairID,
			VMFirewallIDs: firewalls, CreateTime: t.now, BlockDevices: devices,
		},
		Pending:    transition[sdk.InstanceState]{To: sdk.InstanceRunning, At: t.now.Add(t.cfg.bootTime)},
		PublicIP:   t.freeIP(publicIPs),
		RootDiskGB: cmp.Or(plan.rootGB, im.MinDiskGB),
	}, nil
}

// Address pools: private addresses from 10.0.0.0/8 (until subnets exist), public
// ones from 198.18.0.0/15, a range reserved for testing that no real host has.
var (
	privateIPs = netip.MustParsePrefix("10.0.0.0/8")
	publicIPs  = netip.MustParsePrefix("198.18.0.0/15")
)

// freeIP picks a random address of pool that no instance holds, avoiding the
// network and broadcast-like .0 and .255 addresses.
func (t *txn) freeIP(pool netip.Prefix) string {
	used := map[string]bool{}
	for _, r := range t.Instances {
		used[r.PublicIP] = true
		for _, ip := range r.PrivateIPs {
			used[ip] = true
		}
	}
	base := pool.Addr().As4()
	hostBits := 32 - pool.Bits()
	for {
		n := rand.Uint32N(1 << hostBits)
		a := [4]byte{base[0] | byte(n>>24), base[1] | byte(n>>16), base[2] | byte(n>>8), base[3] | byte(n)}
		if a[3] == 0 || a[3] == 255 {
			continue
		}
		if ip := netip.AddrFrom4(a).String(); !used[ip] {
			return ip
		}
	}
}

func (s *instances) Update(ctx context.Context, id string, u sdk.InstanceUpdate) (sdk.Instance, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Instance{}, err
		}
	}
	return s.change(ctx, id, func(t *txn, r *instanceRecord) error {
		if u.Label != nil {
			r.Label = *u.Label
		}
		return nil
	})
}

func (s *instances) Delete(ctx context.Context, id string) error {
	return s.c.write(ctx, func(t *txn) error {
		if _, ok := t.Instances[id]; !ok {
			return sdk.NotFound("instance", id)
		}
		t.releaseInstanceAddresses(id)
		t.releaseVolumes(id)
		delete(t.Instances, id)
		t.forget("instance", id)
		return nil
	})
}

// Reboot reboots a running instance: it is rebooting for the boot_time setting,
// then running again.
func (s *instances) Reboot(ctx context.Context, id string) (sdk.Instance, error) {
	return s.change(ctx, id, func(t *txn, r *instanceRecord) error {
		if r.State != sdk.InstanceRunning {
			return failedPrecondition("instance %s is %s; only a running instance can be rebooted", id, r.State)
		}
		r.State = sdk.InstanceRebooting
		r.Pending = transition[sdk.InstanceState]{To: sdk.InstanceRunning, At: t.now.Add(t.cfg.bootTime)}
		return nil
	})
}

// Stop stops a running (or rebooting) instance at once and releases its public
// address. Stopping a stopped instance does nothing; a pending one cannot be
// stopped yet.
func (s *instances) Stop(ctx context.Context, id string) (sdk.Instance, error) {
	return s.change(ctx, id, func(t *txn, r *instanceRecord) error {
		switch r.State {
		case sdk.InstanceStopped:
		case sdk.InstanceRunning, sdk.InstanceRebooting:
			r.State = sdk.InstanceStopped
			r.Pending = transition[sdk.InstanceState]{}
			r.PublicIP = ""
		default:
			return failedPrecondition("instance %s is %s; only a running instance can be stopped", id, r.State)
		}
		return nil
	})
}

// Start starts a stopped instance, which is pending for the boot_time setting
// and gets a new public address. Starting an instance that is running or on its
// way there does nothing.
func (s *instances) Start(ctx context.Context, id string) (sdk.Instance, error) {
	return s.change(ctx, id, func(t *txn, r *instanceRecord) error {
		switch r.State {
		case sdk.InstanceRunning, sdk.InstancePending, sdk.InstanceRebooting:
		case sdk.InstanceStopped:
			r.State = sdk.InstancePending
			r.Pending = transition[sdk.InstanceState]{To: sdk.InstanceRunning, At: t.now.Add(t.cfg.bootTime)}
			r.PublicIP = t.freeIP(publicIPs)
		default:
			return failedPrecondition("instance %s is %s; only a stopped instance can be started", id, r.State)
		}
		return nil
	})
}

// AddVMFirewall attaches a firewall; attaching one already attached does nothing.
func (s *instances) AddVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return s.change(ctx, instanceID, func(t *txn, r *instanceRecord) error {
		if _, ok := t.Firewalls[firewallID]; !ok {
			return missing("firewall_id", "vm firewall", firewallID)
		}
		if !slices.Contains(r.VMFirewallIDs, firewallID) {
			r.VMFirewallIDs = append(r.VMFirewallIDs, firewallID)
		}
		return nil
	})
}

// RemoveVMFirewall detaches a firewall; detaching one that exists but is not
// attached does nothing.
func (s *instances) RemoveVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return s.change(ctx, instanceID, func(t *txn, r *instanceRecord) error {
		i := slices.Index(r.VMFirewallIDs, firewallID)
		if i < 0 {
			if _, ok := t.Firewalls[firewallID]; !ok {
				return missing("firewall_id", "vm firewall", firewallID)
			}
			return nil
		}
		if r.VMFirewallIDs = slices.Delete(r.VMFirewallIDs, i, i+1); len(r.VMFirewallIDs) == 0 {
			r.VMFirewallIDs = nil
		}
		return nil
	})
}

// change applies fn to instance id, settled to the present, and returns the
// result. fn sees a copy: what it changes is kept only if it returns nil.
func (s *instances) change(ctx context.Context, id string, fn func(t *txn, r *instanceRecord) error) (sdk.Instance, error) {
	var in sdk.Instance
	err := s.c.write(ctx, func(t *txn) error {
		cur, ok := t.Instances[id]
		if !ok {
			return sdk.NotFound("instance", id)
		}
		r := *cur
		r.VMFirewallIDs = slices.Clone(cur.VMFirewallIDs)
		r.settle(t.now)
		if err := fn(t, &r); err != nil {
			return err
		}
		t.Instances[id] = &r
		in = r.view(t.now)
		return nil
	})
	return in, err
}
