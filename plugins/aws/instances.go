package aws

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// maxUserData is EC2's limit on user data, before base64.
const maxUserData = 16 << 10

// instances implements sdk.Instances and sdk.InstanceStartStopper over EC2
// instances. The label is the Name tag.
type instances struct{ c *Cloud }

var _ sdk.InstanceStartStopper = (*instances)(nil)

// instanceState maps EC2's states as CloudBridge does: the in-between states
// of stopping and terminating are "configuring".
func instanceState(s *ec2types.InstanceState) sdk.InstanceState {
	if s == nil {
		return sdk.InstanceUnknown
	}
	switch s.Name {
	case ec2types.InstanceStateNamePending:
		return sdk.InstancePending
	case ec2types.InstanceStateNameRunning:
		return sdk.InstanceRunning
	case ec2types.InstanceStateNameShuttingDown, ec2types.InstanceStateNameStopping:
		return sdk.InstanceConfiguring
	case ec2types.InstanceStateNameTerminated:
		return sdk.InstanceDeleted
	case ec2types.InstanceStateNameStopped:
		return sdk.InstanceStopped
	}
	return sdk.InstanceUnknown
}

func instanceFromEC2(i ec2types.Instance) sdk.Instance {
	in := sdk.Instance{
		ID:         aws.ToString(i.InstanceId),
		Name:       aws.ToString(i.InstanceId),
		Label:      tagValue(i.Tags, tagName),
		State:      instanceState(i.State),
		VMTypeID:   string(i.InstanceType),
		ImageID:    aws.ToString(i.ImageId),
		SubnetID:   aws.ToString(i.SubnetId),
		KeyPairID:  aws.ToString(i.KeyName),
		CreateTime: aws.ToTime(i.LaunchTime),
		Extra: extraTags(map[string]string{
			"vpc_id": aws.ToString(i.VpcId), "architecture": string(i.Architecture),
			"private_dns_name": aws.ToString(i.PrivateDnsName), "public_dns_name": aws.ToString(i.PublicDnsName),
			"root_device_name": aws.ToString(i.RootDeviceName),
		}, i.Tags),
	}
	if i.Placement != nil {
		in.Zone = aws.ToString(i.Placement.AvailabilityZone)
	}
	if i.StateReason != nil {
		in.Extra["state_reason"] = aws.ToString(i.StateReason.Message)
	}
	if ip := aws.ToString(i.PublicIpAddress); ip != "" {
		in.PublicIPs = []string{ip}
	}
	if ip := aws.ToString(i.PrivateIpAddress); ip != "" {
		in.PrivateIPs = []string{ip}
	}
	for _, ni := range i.NetworkInterfaces {
		for _, a := range ni.PrivateIpAddresses {
			if ip := aws.ToString(a.PrivateIpAddress); ip != "" && !slices.Contains(in.PrivateIPs, ip) {
				in.PrivateIPs = append(in.PrivateIPs, ip)
			}
		}
	}
	for _, g := range i.SecurityGroups {
		in.VMFirewallIDs = append(in.VMFirewallIDs, aws.ToString(g.GroupId))
	}
	for _, bd := range i.BlockDeviceMappings {
		d := sdk.BlockDevice{Source: sdk.SourceVolume, Device: aws.ToString(bd.DeviceName),
			IsRoot: aws.ToString(bd.DeviceName) == aws.ToString(i.RootDeviceName)}
		if bd.Ebs != nil {
			d.VolumeID = aws.ToString(bd.Ebs.VolumeId)
			d.SourceID = d.VolumeID
			d.DeleteOnTerminate = aws.ToBool(bd.Ebs.DeleteOnTermination)
		}
		in.BlockDevices = append(in.BlockDevices, d)
	}
	return in
}

func (s *instances) List(ctx context.Context, opts sdk.ListOptions) (sdk.Page[sdk.Instance], error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Page[sdk.Instance]{}, err
	}
	return serverPage(ctx, cl, opts, "DescribeInstances", 5, 1000, func(i sdk.Instance) string { return i.ID }, func(ctx context.Context, token string, max int32) ([]sdk.Instance, string, error) {
		out, err := ec2.NewDescribeInstancesPaginator(cl.ec2, &ec2.DescribeInstancesInput{NextToken: optString(token), MaxResults: aws.Int32(max)}).NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		var ins []sdk.Instance
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				ins = append(ins, instanceFromEC2(i))
			}
		}
		return ins, aws.ToString(out.NextToken), nil
	})
}

func (s *instances) Get(ctx context.Context, id string) (sdk.Instance, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Instance{}, err
	}
	i, err := instance(ctx, cl, id)
	if err != nil {
		return sdk.Instance{}, err
	}
	return instanceFromEC2(i), nil
}

// instance describes one instance; a missing or malformed id is NotFound.
func instance(ctx context.Context, cl *clients, id string) (ec2types.Instance, error) {
	if id == "" {
		return ec2types.Instance{}, sdk.NotFound("instance", id)
	}
	out, err := cl.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return ec2types.Instance{}, cl.lookupError(err, "instance", id)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.InstanceId) == id {
				return i, nil
			}
		}
	}
	return ec2types.Instance{}, sdk.NotFound("instance", id)
}

// clientToken makes an EC2 ClientToken (at most 64 ASCII characters) of an
// idempotency token.
func clientToken(token string) *string {
	if token == "" {
		return nil
	}
	if len(token) <= 64 {
		return aws.String(token)
	}
	sum := sha256.Sum256([]byte(token))
	return aws.String(hex.EncodeToString(sum[:]))
}

// Create launches one instance (RunInstances). The idempotency token is
// EC2's ClientToken, so a retried launch answers the instance of the first;
// it is also the instance's token tag, where a retry looks first.
//
// EC2 cannot attach an existing volume at launch: a launch config with
// volume devices is checked first (each volume available, in the instance's
// zone), then the instance is launched, waited for until it runs, and the
// volumes are attached. If that fails, the instance is terminated again.
func (s *instances) Create(ctx context.Context, spec sdk.InstanceSpec) (sdk.Instance, error) {
	if err := validateInstanceSpec(spec); err != nil {
		return sdk.Instance{}, err
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Instance{}, err
	}
	if spec.IdempotencyToken != "" {
		if i, ok, err := instanceWithToken(ctx, cl, spec.IdempotencyToken); ok || err != nil {
			return instanceFromEC2(i), err
		}
	}
	in := &ec2.RunInstancesInput{
		ImageId:           aws.String(spec.ImageID),
		InstanceType:      ec2types.InstanceType(spec.VMTypeID),
		MinCount:          aws.Int32(1),
		MaxCount:          aws.Int32(1),
		ClientToken:       clientToken(spec.IdempotencyToken),
		SubnetId:          optString(spec.SubnetID),
		KeyName:           optString(spec.KeyPairID),
		SecurityGroupIds:  spec.VMFirewallIDs,
		TagSpecifications: tagSpecs(ec2types.ResourceTypeInstance, spec.Label, "", spec.IdempotencyToken),
	}
	if len(spec.UserData) > 0 {
		in.UserData = aws.String(base64.StdEncoding.EncodeToString(spec.UserData))
	}
	// A subnet fixes the zone; without one the zone is the placement's.
	zone := spec.Zone
	if zone == "" {
		zone = cl.zone
	}
	if spec.SubnetID == "" {
		in.Placement = &ec2types.Placement{AvailabilityZone: aws.String(zone)}
	}
	var attach []volumeDevice
	if len(spec.BlockDevices) > 0 {
		if in.BlockDeviceMappings, attach, err = blockDeviceMappings(ctx, cl, spec); err != nil {
			return sdk.Instance{}, err
		}
	}
	if len(attach) > 0 {
		if spec.SubnetID != "" {
			sn, err := subnetRef(ctx, cl, spec.SubnetID)
			if err != nil {
				return sdk.Instance{}, err
			}
			zone = aws.ToString(sn.AvailabilityZone)
		}
		if err := checkLaunchVolumes(ctx, cl, attach, zone); err != nil {
			return sdk.Instance{}, err
		}
	}
	out, err := cl.ec2.RunInstances(ctx, in)
	if err != nil {
		return sdk.Instance{}, wrapf(launchRefError(idempotencyError(cl.mapError(err))), "launch instance %q", spec.Label)
	}
	if len(out.Instances) == 0 {
		return sdk.Instance{}, sdk.Errorf(sdk.CodeInternal, "RunInstances answered no instance")
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	if len(attach) > 0 {
		if err := attachLaunchVolumes(ctx, cl, id, attach); err != nil {
			if _, terr := cl.ec2.TerminateInstances(context.WithoutCancel(ctx), &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); terr != nil {
				cl.log.Warn("could not terminate the instance whose volumes failed to attach", "instance", id, "error", terr)
			}
			return sdk.Instance{}, wrapf(err, "instance %s was launched, and terminated again because", id)
		}
	}
	if i, err := instance(ctx, cl, id); err == nil {
		return instanceFromEC2(i), nil
	}
	// Eventual consistency: RunInstances' own answer describes the instance.
	return instanceFromEC2(out.Instances[0]), nil
}

// instanceWithToken finds the instance a launch with the idempotency token
// made, ignoring terminated ones.
func instanceWithToken(ctx context.Context, cl *clients, token string) (ec2types.Instance, bool, error) {
	p := ec2.NewDescribeInstancesPaginator(cl.ec2, &ec2.DescribeInstancesInput{Filters: tokenFilter(token)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return ec2types.Instance{}, false, cl.mapError(err)
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				if hasTag(i.Tags, tagToken, token) && instanceState(i.State) != sdk.InstanceDeleted {
					return i, true, nil
				}
			}
		}
	}
	return ec2types.Instance{}, false, nil
}

// volumeDevice is an existing volume a launch config attaches.
type volumeDevice struct {
	index             int // in the launch config
	volumeID, device  string
	deleteOnTerminate bool
}

// checkLaunchVolumes checks, before the launch, that the volumes to attach
// exist, are free and are in the instance's zone.
func checkLaunchVolumes(ctx context.Context, cl *clients, attach []volumeDevice, zone string) error {
	for _, a := range attach {
		param := fmt.Sprintf("block_devices[%d].source_id", a.index)
		v, err := volume(ctx, cl, a.volumeID)
		if err != nil {
			return withParam(err, param)
		}
		switch view := volumeFromEC2(v); {
		case view.State != sdk.VolumeAvailable:
			return &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: param,
				Message: fmt.Sprintf("volume %s is %s, not available", a.volumeID, view.State)}
		case view.Zone != zone:
			return sdk.InvalidArgument(param, a.volumeID, fmt.Sprintf("the volume is in zone %s, the instance will be in %s", view.Zone, zone))
		}
	}
	return nil
}

// attachLaunchVolumes waits for a new instance to run (EC2 attaches volumes
// to running or stopped instances only), then attaches the volumes of its
// launch config, and marks those to be deleted with the instance.
func attachLaunchVolumes(ctx context.Context, cl *clients, instanceID string, attach []volumeDevice) error {
	if err := waitInstanceRunning(ctx, cl, instanceID); err != nil {
		return err
	}
	var deleteOnTerminate []ec2types.InstanceBlockDeviceMappingSpecification
	for _, a := range attach {
		if err := attachVolume(ctx, cl, a.volumeID, instanceID, a.device); err != nil {
			return withParam(err, fmt.Sprintf("block_devices[%d].source_id", a.index))
		}
		if a.deleteOnTerminate {
			deleteOnTerminate = append(deleteOnTerminate, ec2types.InstanceBlockDeviceMappingSpecification{
				DeviceName: aws.String(a.device), Ebs: &ec2types.EbsInstanceBlockDeviceSpecification{DeleteOnTermination: aws.Bool(true)},
			})
		}
	}
	if len(deleteOnTerminate) == 0 {
		return nil
	}
	ids := make([]string, len(attach))
	for i, a := range attach {
		ids[i] = a.volumeID
	}
	// DeleteOnTermination can be set once the volume is attached.
	if err := ec2.NewVolumeInUseWaiter(cl.ec2).Wait(ctx, &ec2.DescribeVolumesInput{VolumeIds: ids}, launchWait); err != nil {
		return waitError(ctx, cl, err, "the attached volumes to be in use")
	}
	_, err := cl.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(instanceID), BlockDeviceMappings: deleteOnTerminate})
	return wrapf(cl.mapError(err), "mark the attached volumes of instance %s to be deleted with it", instanceID)
}

// launchWait bounds the waits of a launch (the caller's context may end them
// sooner).
const launchWait = 10 * time.Minute

// waitInstanceRunning waits with EC2's InstanceRunning waiter.
func waitInstanceRunning(ctx context.Context, cl *clients, id string) error {
	err := ec2.NewInstanceRunningWaiter(cl.ec2).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, launchWait)
	return waitError(ctx, cl, err, "instance "+id+" to run")
}

// waitError maps the error of an SDK waiter: the context's end, an AWS error,
// or the waiter's own "exceeded max wait time" / failure state.
func waitError(ctx context.Context, cl *clients, err error, what string) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return wrapf(mapError(ctx.Err()), "waiting for %s", what)
	}
	var e *sdk.Error
	if mapped := cl.mapError(err); errors.As(mapped, &e) && e.ProviderCode != "" {
		return wrapf(mapped, "waiting for %s", what)
	}
	return &sdk.Error{Code: sdk.CodeFailedPrecondition, Message: fmt.Sprintf("waiting for %s: %v", what, err), Err: err}
}

// launchRefError names the parameter of a launch that referred to something
// missing.
func launchRefError(err error) error {
	e, ok := err.(*sdk.Error)
	if !ok {
		return err
	}
	params := map[string]string{
		"InvalidAMIID.NotFound": "image_id", "InvalidAMIID.Malformed": "image_id", "InvalidAMIID.Unavailable": "image_id",
		"InvalidKeyPair.NotFound": "key_pair_id", "InvalidGroup.NotFound": "vm_firewall_ids",
		"InvalidGroupId.Malformed": "vm_firewall_ids", "InvalidSubnetID.NotFound": "subnet_id",
		"InvalidSubnetID.Malformed": "subnet_id", "InvalidInstanceType": "vm_type_id",
		"InvalidSnapshot.NotFound": "block_devices", "InvalidSnapshotID.Malformed": "block_devices",
	}
	if p, ok := params[e.ProviderCode]; ok && e.Param == "" {
		e.Param = p
	}
	if e.ProviderCode == "InvalidParameterValue" && e.Param == "" && (strings.Contains(strings.ToLower(e.Message), "instance type") || strings.Contains(strings.ToLower(e.Message), "instancetype")) {
		e.Param = "vm_type_id"
	}
	return e
}

// validateInstanceSpec checks what needs no call: the label, the required
// references, the size of the user data and CloudBridge's launch-config
// rules.
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
	if len(spec.UserData) > maxUserData {
		return sdk.InvalidArgument("user_data", fmt.Sprintf("%d bytes", len(spec.UserData)),
			fmt.Sprintf("must be at most %d bytes (EC2's limit)", maxUserData))
	}
	return sdk.ValidateBlockDevices(spec.BlockDevices)
}

// blockDeviceMappings turns a launch config into EC2 block device mappings,
// and the existing volumes to attach once the instance runs (EC2 cannot
// attach one at launch). The root device is the image's root device,
// resized; other devices get the next free /dev/sdX name unless they name
// one.
func blockDeviceMappings(ctx context.Context, cl *clients, spec sdk.InstanceSpec) ([]ec2types.BlockDeviceMapping, []volumeDevice, error) {
	used := map[string]bool{}
	rootName := ""
	for _, d := range spec.BlockDevices {
		if d.Device != "" {
			used[d.Device] = true
		}
		if d.IsRoot && rootName == "" {
			im, err := image(ctx, cl, spec.ImageID)
			if err != nil {
				return nil, nil, withParam(err, "image_id")
			}
			rootName = aws.ToString(im.RootDeviceName)
			used[rootName] = true
		}
	}
	next := 'b'
	freeName := func() string {
		for ; next <= 'z'; next++ {
			if name := "/dev/sd" + string(next); !used[name] {
				used[name] = true
				return name
			}
		}
		return ""
	}
	ephemeral := 0
	var out []ec2types.BlockDeviceMapping
	var attach []volumeDevice
	for i, d := range spec.BlockDevices {
		param := func(field string) string { return fmt.Sprintf("block_devices[%d].%s", i, field) }
		name := d.Device
		switch {
		case d.IsRoot:
			name = rootName
		case name == "":
			name = freeName()
		}
		if name == "" {
			return nil, nil, sdk.InvalidArgument(param("device"), "", "no device name is left from /dev/sdb to /dev/sdz")
		}
		if d.Source == sdk.SourceVolume {
			if d.IsRoot {
				return nil, nil, sdk.InvalidArgument(param("is_root"), true, "EC2 boots from the image; an existing volume can only be attached beside the root")
			}
			attach = append(attach, volumeDevice{index: i, volumeID: d.SourceID, device: name, deleteOnTerminate: d.DeleteOnTerminate})
			continue
		}
		m := ec2types.BlockDeviceMapping{DeviceName: aws.String(name)}
		ebs := &ec2types.EbsBlockDevice{DeleteOnTermination: aws.Bool(d.DeleteOnTerminate)}
		if d.SizeGB > 0 {
			ebs.VolumeSize = aws.Int32(int32(d.SizeGB))
		}
		switch d.Source {
		case sdk.SourceBlank:
			m.Ebs = ebs
		case sdk.SourceSnapshot:
			ebs.SnapshotId = aws.String(d.SourceID)
			m.Ebs = ebs
		case sdk.SourceImage:
			if !d.IsRoot || d.SourceID != spec.ImageID {
				return nil, nil, sdk.InvalidArgument(param("source_id"), d.SourceID,
					"on AWS an image device can only be the root device of the image launched")
			}
			m.Ebs = ebs
		case sdk.SourceEphemeral:
			m.VirtualName = aws.String(fmt.Sprintf("ephemeral%d", ephemeral))
			ephemeral++
		}
		out = append(out, m)
	}
	return out, attach, nil
}

func (s *instances) Update(ctx context.Context, id string, u sdk.InstanceUpdate) (sdk.Instance, error) {
	if u.Label != nil {
		if err := sdk.ValidateLabel(*u.Label); err != nil {
			return sdk.Instance{}, err
		}
	}
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Instance{}, err
	}
	if _, err := instance(ctx, cl, id); err != nil {
		return sdk.Instance{}, err
	}
	if u.Label != nil {
		if err := setTag(ctx, cl, id, tagName, *u.Label); err != nil {
			return sdk.Instance{}, cl.lookupError(err, "instance", id)
		}
	}
	return s.Get(ctx, id)
}

// Delete terminates the instance. It stays visible as "deleted" for a while,
// as EC2 keeps terminated instances.
func (s *instances) Delete(ctx context.Context, id string) error {
	cl, err := s.c.clients()
	if err != nil {
		return err
	}
	if id == "" {
		return sdk.NotFound("instance", id)
	}
	_, err = cl.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	return cl.lookupError(err, "instance", id)
}

func (s *instances) Reboot(ctx context.Context, id string) (sdk.Instance, error) {
	return s.act(ctx, id, func(ctx context.Context, cl *clients) error {
		_, err := cl.ec2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{id}})
		return err
	})
}

func (s *instances) Start(ctx context.Context, id string) (sdk.Instance, error) {
	return s.act(ctx, id, func(ctx context.Context, cl *clients) error {
		_, err := cl.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
		return err
	})
}

func (s *instances) Stop(ctx context.Context, id string) (sdk.Instance, error) {
	return s.act(ctx, id, func(ctx context.Context, cl *clients) error {
		_, err := cl.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
		return err
	})
}

// act runs an action on an instance and answers the instance after it.
func (s *instances) act(ctx context.Context, id string, fn func(context.Context, *clients) error) (sdk.Instance, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Instance{}, err
	}
	if id == "" {
		return sdk.Instance{}, sdk.NotFound("instance", id)
	}
	if err := fn(ctx, cl); err != nil {
		return sdk.Instance{}, cl.lookupError(err, "instance", id)
	}
	return s.Get(ctx, id)
}

func (s *instances) AddVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return s.setFirewalls(ctx, instanceID, firewallID, func(ids []string) []string {
		if slices.Contains(ids, firewallID) {
			return nil
		}
		return append(ids, firewallID)
	})
}

func (s *instances) RemoveVMFirewall(ctx context.Context, instanceID, firewallID string) (sdk.Instance, error) {
	return s.setFirewalls(ctx, instanceID, firewallID, func(ids []string) []string {
		if !slices.Contains(ids, firewallID) {
			return nil
		}
		return slices.DeleteFunc(ids, func(id string) bool { return id == firewallID })
	})
}

// setFirewalls replaces the instance's security groups with change(current);
// change answers nil when nothing is to change.
func (s *instances) setFirewalls(ctx context.Context, instanceID, firewallID string, change func([]string) []string) (sdk.Instance, error) {
	cl, err := s.c.clients()
	if err != nil {
		return sdk.Instance{}, err
	}
	i, err := instance(ctx, cl, instanceID)
	if err != nil {
		return sdk.Instance{}, err
	}
	if _, err := securityGroup(ctx, cl, firewallID); err != nil {
		e := err.(*sdk.Error)
		e.Param = "firewall_id"
		return sdk.Instance{}, e
	}
	var current []string
	for _, g := range i.SecurityGroups {
		current = append(current, aws.ToString(g.GroupId))
	}
	groups := change(current)
	if groups == nil {
		return instanceFromEC2(i), nil
	}
	if len(groups) == 0 {
		return sdk.Instance{}, &sdk.Error{Code: sdk.CodeFailedPrecondition, Param: "firewall_id",
			Message: fmt.Sprintf("vm firewall %s is the last one of instance %s; an EC2 instance needs at least one", firewallID, instanceID)}
	}
	_, err = cl.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(instanceID), Groups: groups})
	if err != nil {
		return sdk.Instance{}, cl.lookupError(err, "instance", instanceID)
	}
	return s.Get(ctx, instanceID)
}
