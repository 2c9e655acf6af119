package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// The tests of this file check the request and response mapping of the EC2
// calls that no emulator run covers (see README.md, "What has been checked
// against what"): an httptest server answers each action with a response
// shaped as the examples of the EC2 API Reference (query protocol, API
// version 2016-11-15), and records the requests the plugin made.

// replay is an EC2 endpoint that answers from a script.
type replay struct {
	t *testing.T
	// answers gives, per action, the answers in order; the last one is
	// repeated.
	answers map[string][]answer

	mu       sync.Mutex
	requests []url.Values
}

// answer is one HTTP answer: status 0 is 200.
type answer struct {
	status int
	body   string
}

func ok(body string) answer { return answer{body: body} }

// ec2Error is an EC2 error response, as the API Reference's "Error codes"
// page shows it.
func ec2Error(code, message string) answer {
	return answer{status: http.StatusBadRequest, body: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>` + code + `</Code><Message>` + message + `</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`}
}

func (r *replay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil {
		r.t.Errorf("bad request: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := req.Form.Get("Action")
	r.mu.Lock()
	r.requests = append(r.requests, req.Form)
	n := 0
	for _, q := range r.requests {
		if q.Get("Action") == action {
			n++
		}
	}
	r.mu.Unlock()
	script, found := r.answers[action]
	if !found || len(script) == 0 {
		r.t.Errorf("unexpected call %s: %v", action, req.Form)
		a := ec2Error("InvalidAction", "The action "+action+" is not valid for this web service.")
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}
	a := script[min(n, len(script))-1]
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	if a.status != 0 {
		w.WriteHeader(a.status)
	}
	fmt.Fprint(w, a.body)
}

// calls returns the requests of action, in order.
func (r *replay) calls(action string) []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []url.Values
	for _, q := range r.requests {
		if q.Get("Action") == action {
			out = append(out, q)
		}
	}
	return out
}

// replayCloud configures a Cloud whose EC2 endpoint is a replay of answers.
func replayCloud(t *testing.T, answers map[string][]answer) (*Cloud, *replay) {
	t.Helper()
	r := &replay{t: t, answers: answers}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c := New()
	_, err := c.Configure(context.Background(), sdk.Config{
		Settings: map[string]string{"region": "us-east-1", "zone": "us-east-1a", "ec2_endpoint": srv.URL},
		Secrets:  map[string]string{"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

// wantErr checks an error's code and parameter.
func wantErr(t *testing.T, err error, code sdk.Code, param string) {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != code || e.Param != param {
		t.Fatalf("err = %v (%#v); want code %s naming %q", err, err, code, param)
	}
}

const noReservations = `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet/>
</DescribeInstancesResponse>`

// A refused launch is mapped to the error the contract wants, naming the
// parameter it is about: moto launches whatever it is given, so only these
// fixtures check EC2's refusals. The request carries the launch as EC2's
// reference describes it.
func TestRunInstancesRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refusal answer
		code    sdk.Code
		param   string
	}{
		{"missing image", ec2Error("InvalidAMIID.NotFound", "The image id '[ami-0abcdef1234567890]' does not exist"), sdk.CodeNotFound, "image_id"},
		{"malformed image", ec2Error("InvalidAMIID.Malformed", "Invalid id: \"cbconf-missing\" (expecting \"ami-...\")"), sdk.CodeInvalidArgument, "image_id"},
		{"missing key pair", ec2Error("InvalidKeyPair.NotFound", "The key pair 'my-key-pair' does not exist"), sdk.CodeNotFound, "key_pair_id"},
		{"missing group", ec2Error("InvalidGroup.NotFound", "The security group 'sg-1a2b3c4d' does not exist in VPC 'vpc-1a2b3c4d'"), sdk.CodeNotFound, "vm_firewall_ids"},
		{"missing snapshot", ec2Error("InvalidSnapshot.NotFound", "The snapshot 'snap-1234567890abcdef0' does not exist."), sdk.CodeNotFound, "block_devices"},
		{"unknown type", ec2Error("InvalidParameterValue", "Invalid value 'x1.nonesuch' for InstanceType."), sdk.CodeInvalidArgument, "vm_type_id"},
		{"reused token", ec2Error("IdempotentParameterMismatch", "The client token you have provided is associated with a resource that is already deleted."), sdk.CodeInvalidArgument, "idempotency_token"},
		{"throttled", ec2Error("RequestLimitExceeded", "Request limit exceeded."), sdk.CodeResourceExhausted, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, r := replayCloud(t, map[string][]answer{
				"DescribeInstances": {ok(noReservations)},
				"RunInstances":      {tc.refusal},
			})
			_, err := c.Plugin("test").Compute.Instances.Create(context.Background(), sdk.InstanceSpec{
				Label: "web-1", ImageID: "ami-0abcdef1234567890", VMTypeID: "t2.micro", KeyPairID: "my-key-pair",
				VMFirewallIDs: []string{"sg-1a2b3c4d"}, UserData: []byte("#!/bin/sh\necho hi\n"), IdempotencyToken: "tok-1",
				BlockDevices: []sdk.BlockDevice{{Source: sdk.SourceSnapshot, SourceID: "snap-1234567890abcdef0", DeleteOnTerminate: true}},
			})
			wantErr(t, err, tc.code, tc.param)
			if tc.code == sdk.CodeResourceExhausted && !errors.Is(err, sdk.ErrResourceExhausted) {
				t.Errorf("throttling is not ResourceExhausted: %v", err)
			}
			runs := r.calls("RunInstances")
			if len(runs) == 0 {
				t.Fatal("RunInstances was not called")
			}
			q := runs[0]
			for k, want := range map[string]string{
				"ImageId": "ami-0abcdef1234567890", "InstanceType": "t2.micro", "MinCount": "1", "MaxCount": "1",
				"KeyName": "my-key-pair", "SecurityGroupId.1": "sg-1a2b3c4d", "ClientToken": "tok-1",
				"UserData":                        "IyEvYmluL3NoCmVjaG8gaGkK",
				"Placement.AvailabilityZone":      "us-east-1a",
				"TagSpecification.1.ResourceType": "instance",
				"TagSpecification.1.Tag.1.Key":    "Name", "TagSpecification.1.Tag.1.Value": "web-1",
				"TagSpecification.1.Tag.2.Key": tagToken, "TagSpecification.1.Tag.2.Value": "tok-1",
				"BlockDeviceMapping.1.DeviceName":              "/dev/sdb",
				"BlockDeviceMapping.1.Ebs.SnapshotId":          "snap-1234567890abcdef0",
				"BlockDeviceMapping.1.Ebs.DeleteOnTermination": "true",
			} {
				if got := q.Get(k); got != want {
					t.Errorf("RunInstances %s = %q, want %q", k, got, want)
				}
			}
			// The retry looked for the token's instance first.
			if d := r.calls("DescribeInstances"); len(d) == 0 || d[0].Get("Filter.1.Name") != "tag:"+tagToken || d[0].Get("Filter.1.Value.1") != "tok-1" {
				t.Errorf("no lookup of the idempotency token before the launch: %v", d)
			}
		})
	}
}

// describeInstance is a DescribeInstances answer shaped as the reference's
// example, with the instance's security groups.
func describeInstance(id string, groups ...string) string {
	var g strings.Builder
	for _, id := range groups {
		fmt.Fprintf(&g, "<item><groupId>%s</groupId><groupName>%s</groupName></item>", id, id)
	}
	return `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>` + id + `</instanceId>
          <imageId>ami-bff32ccc</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>
          <dnsName>ec2-54-194-252-215.eu-west-1.compute.amazonaws.com</dnsName>
          <reason/>
          <keyName>my_keypair</keyName>
          <amiLaunchIndex>0</amiLaunchIndex>
          <productCodes/>
          <instanceType>t2.micro</instanceType>
          <launchTime>2018-05-08T16:46:19.000Z</launchTime>
          <placement><availabilityZone>eu-west-1c</availabilityZone><groupName/><tenancy>default</tenancy></placement>
          <monitoring><state>disabled</state></monitoring>
          <subnetId>subnet-56f5f633</subnetId>
          <vpcId>vpc-11112222</vpcId>
          <privateIpAddress>192.168.1.88</privateIpAddress>
          <ipAddress>54.194.252.215</ipAddress>
          <sourceDestCheck>true</sourceDestCheck>
          <groupSet>` + g.String() + `</groupSet>
          <architecture>x86_64</architecture>
          <rootDeviceType>ebs</rootDeviceType>
          <rootDeviceName>/dev/xvda</rootDeviceName>
          <blockDeviceMapping>
            <item>
              <deviceName>/dev/xvda</deviceName>
              <ebs><volumeId>vol-1234567890abcdef0</volumeId><status>attached</status><attachTime>2015-12-22T10:44:09.000Z</attachTime><deleteOnTermination>true</deleteOnTermination></ebs>
            </item>
          </blockDeviceMapping>
          <virtualizationType>hvm</virtualizationType>
          <clientToken>xMcwG14507example</clientToken>
          <tagSet><item><key>Name</key><value>Server_1</value></item></tagSet>
          <hypervisor>xen</hypervisor>
          <networkInterfaceSet/>
          <ebsOptimized>false</ebsOptimized>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>`
}

// Removing a firewall keeps the instance's other groups, such as the VPC's
// default group EC2 puts an instance in when it is launched with none (moto
// puts it in none, so the conformance test of this is skipped there).
func TestRemoveFirewallKeepsOtherGroups(t *testing.T) {
	c, r := replayCloud(t, map[string][]answer{
		"DescribeInstances": {ok(describeInstance("i-1234567890abcdef0", "sg-0default", "sg-903004f8")), ok(describeInstance("i-1234567890abcdef0", "sg-0default"))},
		"DescribeSecurityGroups": {ok(`<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <securityGroupInfo>
    <item>
      <ownerId>123456789012</ownerId>
      <groupId>sg-903004f8</groupId>
      <groupName>WebServers</groupName>
      <groupDescription>Web Servers</groupDescription>
      <vpcId>vpc-11112222</vpcId>
      <ipPermissions/>
      <ipPermissionsEgress/>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>`)},
		"ModifyInstanceAttribute": {ok(`<ModifyInstanceAttributeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <return>true</return>
</ModifyInstanceAttributeResponse>`)},
	})
	in, err := c.Plugin("test").Compute.Instances.RemoveVMFirewall(context.Background(), "i-1234567890abcdef0", "sg-903004f8")
	if err != nil {
		t.Fatal(err)
	}
	mods := r.calls("ModifyInstanceAttribute")
	if len(mods) != 1 || mods[0].Get("GroupId.1") != "sg-0default" || mods[0].Get("GroupId.2") != "" || mods[0].Get("InstanceId") != "i-1234567890abcdef0" {
		t.Fatalf("ModifyInstanceAttribute requests = %v; want the groups but sg-903004f8", mods)
	}
	if len(in.VMFirewallIDs) != 1 || in.VMFirewallIDs[0] != "sg-0default" {
		t.Errorf("instance firewalls = %v", in.VMFirewallIDs)
	}
	if in.PublicIPs[0] != "54.194.252.215" || in.PrivateIPs[0] != "192.168.1.88" || in.SubnetID != "subnet-56f5f633" ||
		in.Label != "Server_1" || in.KeyPairID != "my_keypair" || in.Zone != "eu-west-1c" || in.State != sdk.InstanceRunning {
		t.Errorf("instance = %+v", in)
	}
	if len(in.BlockDevices) != 1 || !in.BlockDevices[0].IsRoot || in.BlockDevices[0].VolumeID != "vol-1234567890abcdef0" {
		t.Errorf("block devices = %+v", in.BlockDevices)
	}
}

const oneSubnet = `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <subnetSet>
    <item>
      <subnetId>subnet-9d4a7b6c</subnetId>
      <subnetArn>arn:aws:ec2:us-east-1:111122223333:subnet/subnet-9d4a7b6c</subnetArn>
      <state>available</state>
      <ownerId>111122223333</ownerId>
      <vpcId>vpc-1a2b3c4d</vpcId>
      <cidrBlock>10.0.1.0/24</cidrBlock>
      <ipv6CidrBlockAssociationSet/>
      <availableIpAddressCount>251</availableIpAddressCount>
      <availabilityZone>us-east-1a</availabilityZone>
      <availabilityZoneId>use1-az2</availabilityZoneId>
      <defaultForAz>false</defaultForAz>
      <mapPublicIpOnLaunch>false</mapPublicIpOnLaunch>
      <assignIpv6AddressOnCreation>false</assignIpv6AddressOnCreation>
      <tagSet><item><key>Name</key><value>occupied</value></item></tagSet>
    </item>
  </subnetSet>
</DescribeSubnetsResponse>`

// A subnet with instances in it cannot be deleted (moto deletes it).
func TestDeleteSubnetInUse(t *testing.T) {
	c, r := replayCloud(t, map[string][]answer{
		"DescribeSubnets": {ok(oneSubnet)},
		"DeleteSubnet":    {ec2Error("DependencyViolation", "The subnet 'subnet-9d4a7b6c' has dependencies and cannot be deleted.")},
	})
	err := c.Plugin("test").Network.Subnets.Delete(context.Background(), "subnet-9d4a7b6c")
	wantErr(t, err, sdk.CodeFailedPrecondition, "")
	if !strings.Contains(err.Error(), "subnet-9d4a7b6c") {
		t.Errorf("error %q does not name the subnet", err)
	}
	if d := r.calls("DeleteSubnet"); len(d) != 1 || d[0].Get("SubnetId") != "subnet-9d4a7b6c" {
		t.Errorf("DeleteSubnet requests = %v", d)
	}
	sn, err := c.Plugin("test").Network.Subnets.Get(context.Background(), "subnet-9d4a7b6c")
	if err != nil || sn.NetworkID != "vpc-1a2b3c4d" || sn.CIDRBlock != "10.0.1.0/24" || sn.Zone != "us-east-1a" ||
		sn.Label != "occupied" || sn.State != sdk.NetworkAvailable || sn.Extra["available_ip_address_count"] != "251" {
		t.Errorf("subnet = %+v, %v", sn, err)
	}
}

// A volume in a zone the region lacks is refused naming the zone (moto makes
// it); the request carries the spec and a ClientToken.
func TestCreateVolumeUnknownZone(t *testing.T) {
	c, r := replayCloud(t, map[string][]answer{
		"DescribeVolumes": {ok(`<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <volumeSet/>
</DescribeVolumesResponse>`)},
		"CreateVolume": {ec2Error("InvalidZone.NotFound", "The zone 'us-east-1z' does not exist.")},
	})
	_, err := c.Plugin("test").Storage.Volumes.Create(context.Background(), sdk.VolumeSpec{
		Label: "data-1", SizeGB: 80, Zone: "us-east-1z", VolumeType: "gp3", Description: "scratch space", IdempotencyToken: "tok-2",
	})
	wantErr(t, err, sdk.CodeInvalidArgument, "zone")
	q := r.calls("CreateVolume")[0]
	for k, want := range map[string]string{
		"AvailabilityZone": "us-east-1z", "Size": "80", "VolumeType": "gp3", "ClientToken": "tok-2",
		"TagSpecification.1.ResourceType": "volume",
		"TagSpecification.1.Tag.1.Key":    "Name", "TagSpecification.1.Tag.1.Value": "data-1",
		"TagSpecification.1.Tag.2.Key": "Description", "TagSpecification.1.Tag.2.Value": "scratch space",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("CreateVolume %s = %q, want %q", k, got, want)
		}
	}
}

// describeAddress is a DescribeAddresses answer shaped as the reference's
// example: associated when instance is not "".
func describeAddress(instance string) string {
	assoc := ""
	if instance != "" {
		assoc = `<instanceId>` + instance + `</instanceId>
      <associationId>eipassoc-f0229899</associationId>
      <networkInterfaceId>eni-ef229886</networkInterfaceId>
      <networkInterfaceOwnerId>053230519467</networkInterfaceOwnerId>
      <privateIpAddress>10.0.0.228</privateIpAddress>`
	}
	return `<DescribeAddressesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>f7de5e98-491a-4c19-a92d-908d6EXAMPLE</requestId>
  <addressesSet>
    <item>
      <publicIp>203.0.113.41</publicIp>
      <allocationId>eipalloc-08229861</allocationId>
      <domain>vpc</domain>
      ` + assoc + `
      <tagSet><item><key>` + tagGateway + `</key><value>igw-eaad4883</value></item></tagSet>
      <publicIpv4Pool>amazon</publicIpv4Pool>
      <networkBorderGroup>us-east-1</networkBorderGroup>
    </item>
  </addressesSet>
</DescribeAddressesResponse>`
}

const describeGateway = `<DescribeInternetGatewaysResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <internetGatewaySet>
    <item>
      <internetGatewayId>igw-eaad4883</internetGatewayId>
      <ownerId>111122223333</ownerId>
      <attachmentSet>
        <item><vpcId>vpc-11ad4878</vpcId><state>available</state></item>
      </attachmentSet>
      <tagSet/>
    </item>
  </internetGatewaySet>
</DescribeInternetGatewaysResponse>`

// An Elastic IP maps both ways: in use with the instance and private address
// of its association, available (and unmapped) once EC2 has let go of it, as
// when its instance is terminated (moto keeps the association).
func TestFloatingIPMapping(t *testing.T) {
	c, r := replayCloud(t, map[string][]answer{
		"DescribeAddresses":        {ok(describeAddress("i-0598c7d356eba48d7")), ok(describeAddress(""))},
		"DescribeInternetGateways": {ok(describeGateway)},
	})
	fips := c.Plugin("test").Network.FloatingIPs
	got, err := fips.Get(context.Background(), "igw-eaad4883", "eipalloc-08229861")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != sdk.FloatingIPInUse || got.InstanceID != "i-0598c7d356eba48d7" || got.PrivateIP != "10.0.0.228" ||
		got.PublicIP != "203.0.113.41" || got.GatewayID != "igw-eaad4883" || got.Extra["association_id"] != "eipassoc-f0229899" {
		t.Errorf("associated address = %+v", got)
	}
	if _, hidden := got.Extra["tag:"+tagGateway]; hidden {
		t.Errorf("the gateway tag is in Extra: %v", got.Extra)
	}
	page, err := fips.List(context.Background(), "igw-eaad4883", sdk.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].State != sdk.FloatingIPAvailable || page.Items[0].InstanceID != "" || page.Items[0].PrivateIP != "" {
		t.Errorf("freed address = %+v", page.Items)
	}
	if q := r.calls("DescribeAddresses")[1]; q.Get("Filter.1.Name") != "tag:"+tagGateway || q.Get("Filter.1.Value.1") != "igw-eaad4883" {
		t.Errorf("the gateway's addresses are not asked for by its tag: %v", q)
	}
}

// describeTypes is one page of DescribeInstanceTypes, as the reference's
// example, with a nextToken when next is not "".
func describeTypes(next string, types ...string) string {
	var b strings.Builder
	for i, typ := range types {
		fmt.Fprintf(&b, `<item>
      <instanceType>%s</instanceType>
      <currentGeneration>true</currentGeneration>
      <freeTierEligible>false</freeTierEligible>
      <supportedUsageClasses><item>on-demand</item><item>spot</item></supportedUsageClasses>
      <bareMetal>false</bareMetal>
      <processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures><sustainedClockSpeedInGhz>2.5</sustainedClockSpeedInGhz></processorInfo>
      <vCpuInfo><defaultVCpus>%d</defaultVCpus><defaultCores>1</defaultCores><defaultThreadsPerCore>2</defaultThreadsPerCore></vCpuInfo>
      <memoryInfo><sizeInMiB>%d</sizeInMiB></memoryInfo>
      <instanceStorageSupported>true</instanceStorageSupported>
      <instanceStorageInfo><totalSizeInGB>%d</totalSizeInGB><disks><item><sizeInGB>%d</sizeInGB><count>2</count><type>ssd</type></item></disks><nvmeSupport>required</nvmeSupport></instanceStorageInfo>
      <networkInfo><networkPerformance>Up to 10 Gigabit</networkPerformance></networkInfo>
    </item>`, typ, 2*(i+1), 4096*(i+1), 150*(i+1), 75*(i+1))
	}
	token := ""
	if next != "" {
		token = "<nextToken>" + next + "</nextToken>"
	}
	return `<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>1b6f2b2d-3f3e-4f7d-9a8e-example</requestId>
  <instanceTypeSet>` + b.String() + `</instanceTypeSet>` + token + `
</DescribeInstanceTypesResponse>`
}

// VM types are read through every page the SDK's paginator follows (moto
// answers everything in one page, whatever MaxResults says), and kept.
func TestVMTypesFollowPages(t *testing.T) {
	c, r := replayCloud(t, map[string][]answer{
		"DescribeInstanceTypes": {ok(describeTypes("page-2", "m5d.large", "c5d.large")), ok(describeTypes("", "r5d.large"))},
	})
	vms := c.Plugin("test").Compute.VMTypes
	page, err := vms.List(context.Background(), sdk.ListOptions{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].ID != "c5d.large" || page.NextPageToken == "" {
		t.Fatalf("first page = %+v", page)
	}
	next, err := vms.List(context.Background(), sdk.ListOptions{PageSize: 2, PageToken: page.NextPageToken})
	if err != nil || len(next.Items) != 1 || next.Items[0].ID != "r5d.large" || next.NextPageToken != "" {
		t.Fatalf("second page = %+v, %v", next, err)
	}
	calls := r.calls("DescribeInstanceTypes")
	if len(calls) != 2 || calls[0].Get("MaxResults") != "100" || calls[1].Get("NextToken") != "page-2" {
		t.Errorf("DescribeInstanceTypes requests = %v; want two, the second with the first's nextToken", calls)
	}
	vt, err := vms.Get(context.Background(), "m5d.large")
	if err != nil || vt.VCPUs != 2 || vt.RAMMiB != 4096 || vt.NumEphemeralDisks != 2 || vt.SizeEphemeralDisksGB != 150 ||
		vt.Family != "m5d" || vt.Extra["architectures"] != "x86_64" {
		t.Errorf("m5d.large = %+v, %v", vt, err)
	}
	if len(r.calls("DescribeInstanceTypes")) != 2 {
		t.Errorf("the types were read again; they are kept for the process")
	}
}

// describeImages is one page of DescribeImages, shaped as the reference's
// example, with a nextToken when next is not "".
func describeImages(next string, ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, `<item>
      <imageId>%s</imageId>
      <imageLocation>123456789012/my-web-server</imageLocation>
      <imageState>available</imageState>
      <imageOwnerId>123456789012</imageOwnerId>
      <creationDate>2017-11-13T10:50:12.000Z</creationDate>
      <isPublic>false</isPublic>
      <architecture>x86_64</architecture>
      <imageType>machine</imageType>
      <name>my-web-server-%s</name>
      <rootDeviceType>ebs</rootDeviceType>
      <rootDeviceName>/dev/xvda</rootDeviceName>
      <blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-1234567890abcdef0</snapshotId><volumeSize>8</volumeSize><deleteOnTermination>true</deleteOnTermination><volumeType>gp2</volumeType></ebs></item></blockDeviceMapping>
      <virtualizationType>hvm</virtualizationType>
      <hypervisor>xen</hypervisor>
      <enaSupport>true</enaSupport>
    </item>`, id, id)
	}
	token := ""
	if next != "" {
		token = "<nextToken>" + next + "</nextToken>"
	}
	return `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <imagesSet>` + b.String() + `</imagesSet>` + token + `
</DescribeImagesResponse>`
}

// Pages smaller than EC2's minimum of 5 are cut from one EC2 page, read once;
// EC2's nextToken is followed to the next EC2 page (moto ignores MaxResults
// and answers every image at once, so only this checks the tokens).
func TestImagesPageThroughNextToken(t *testing.T) {
	c, r := replayCloud(t, map[string][]answer{
		"DescribeImages": {ok(describeImages("tok-b", "ami-5", "ami-4", "ami-3", "ami-2", "ami-1")), ok(describeImages("", "ami-6"))},
	})
	imgs := c.Plugin("test").Compute.Images
	var seen []string
	opts := sdk.ImageListOptions{OwnedOnly: true, ListOptions: sdk.ListOptions{PageSize: 2}}
	for range 10 {
		page, err := imgs.List(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 2 {
			t.Fatalf("page of %d images; asked for 2", len(page.Items))
		}
		for _, im := range page.Items {
			seen = append(seen, im.ID)
			if im.MinDiskGB != 8 || im.Owner != "123456789012" || im.State != sdk.ImageAvailable {
				t.Errorf("image = %+v", im)
			}
		}
		if opts.PageToken = page.NextPageToken; opts.PageToken == "" {
			break
		}
	}
	if strings.Join(seen, ",") != "ami-1,ami-2,ami-3,ami-4,ami-5,ami-6" {
		t.Errorf("images seen = %v", seen)
	}
	calls := r.calls("DescribeImages")
	if len(calls) != 2 {
		t.Fatalf("%d DescribeImages calls; want 2 (one per EC2 page)", len(calls))
	}
	if calls[0].Get("MaxResults") != "5" || calls[0].Get("Owner.1") != "self" || calls[1].Get("NextToken") != "tok-b" {
		t.Errorf("DescribeImages requests = %v", calls)
	}
	// A token EC2 refuses is InvalidArgument naming page_token.
	c2, _ := replayCloud(t, map[string][]answer{"DescribeImages": {ec2Error("InvalidPaginationToken", "The pagination token is invalid.")}})
	_, err := c2.Plugin("test").Compute.Images.List(context.Background(), sdk.ImageListOptions{ListOptions: sdk.ListOptions{PageToken: pageToken{AWS: "expired"}.encode()}})
	wantErr(t, err, sdk.CodeInvalidArgument, "page_token")
}

// Route 53 answers a change PENDING, and the plugin waits with GetChange
// until it is INSYNC (moto answers INSYNC at once, so only this checks the
// wait). The answers are shaped as the Route 53 API Reference's examples.
func TestRoute53WaitsForInSync(t *testing.T) {
	const ns = `xmlns="https://route53.amazonaws.com/doc/2013-04-01/"`
	var mu sync.Mutex
	var calls []string
	getChanges := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		switch p := r.URL.Path; {
		case r.Method == http.MethodGet && p == "/2013-04-01/hostedzone/Z1D633PJN98FT9":
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><GetHostedZoneResponse `+ns+`><HostedZone><Id>/hostedzone/Z1D633PJN98FT9</Id><Name>example.com.</Name><CallerReference>2017-03-01T11:22:14Z</CallerReference><Config><Comment>admin_email=admin@example.com</Comment><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone><DelegationSet><NameServers><NameServer>ns-2048.awsdns-64.com</NameServer></NameServers></DelegationSet></GetHostedZoneResponse>`)
		case r.Method == http.MethodGet && p == "/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset":
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListResourceRecordSetsResponse `+ns+`><ResourceRecordSets><ResourceRecordSet><Name>example.com.</Name><Type>SOA</Type><TTL>900</TTL><ResourceRecords><ResourceRecord><Value>ns-2048.awsdns-64.net. hostmaster.awsdns.com. 1 7200 900 1209600 86400</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>10</MaxItems></ListResourceRecordSetsResponse>`)
		case r.Method == http.MethodPost && p == "/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset":
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsResponse `+ns+`><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status><SubmittedAt>2017-03-10T01:36:41.958Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`)
		case r.Method == http.MethodGet && p == "/2013-04-01/change/C2682N5HXP0BZ4":
			mu.Lock()
			getChanges++
			status := "PENDING"
			if getChanges >= 2 {
				status = "INSYNC"
			}
			mu.Unlock()
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><GetChangeResponse `+ns+`><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>`+status+`</Status><SubmittedAt>2017-03-10T01:36:41.958Z</SubmittedAt></ChangeInfo></GetChangeResponse>`)
		default:
			t.Errorf("unexpected Route 53 call %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c := New()
	if _, err := c.Configure(context.Background(), sdk.Config{
		Settings: map[string]string{"region": "us-east-1", "zone": "us-east-1a", "route53_endpoint": srv.URL},
		Secrets:  map[string]string{"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	}); err != nil {
		t.Fatal(err)
	}
	rec, err := c.Plugin("test").DNS.Records.Create(context.Background(), sdk.DNSRecordSpec{
		ZoneID: "Z1D633PJN98FT9", Name: "www.example.com.", Type: sdk.RecordA, Data: []string{"192.0.2.44"}, TTL: 60,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != "www.example.com.:A" || rec.TTL != 60 || len(rec.Data) != 1 || rec.Data[0] != "192.0.2.44" {
		t.Errorf("record = %+v", rec)
	}
	mu.Lock()
	defer mu.Unlock()
	if getChanges != 2 {
		t.Errorf("GetChange was called %d times; want until INSYNC, 2 (calls: %v)", getChanges, calls)
	}
}
