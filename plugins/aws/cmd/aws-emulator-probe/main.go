// Command aws-emulator-probe asks an AWS emulator, action by action, which of
// the calls the conformance suite needs it implements, and writes the
// conformance tests to skip as a --skip-file for `cloudbridge-host
// conformance`: a YAML map from test or subtest name regexp to the reason,
// "emulator lacks <Action>" or the behaviour it gets wrong. Nothing is
// assumed about the emulator: each entry comes from an answer it gave in
// this run. Which tests need which action is a fact about our tests, kept in
// the tables below.
//
//	aws-emulator-probe -ec2 http://127.0.0.1:PORT -route53 http://127.0.0.1:PORT \
//	    -s3 http://127.0.0.1:PORT2 [-want-signatures] -out skips.yaml
//
// With -want-signatures it fails unless the S3 emulator refuses a request
// signed with a wrong secret, a presigned URL whose signature was edited, and
// an expired one: the run that relies on those checks must not pass by
// skipping them. It also prints the image and VM type ids the emulator
// accepts for a launch, as "image=ID vm_type=ID", for the conformance --image
// and --vm-type flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Tests that boot an instance (or check a launch) need the test image and VM
// type looked up.
const instanceTests = `^(compute/instances/(crud|paging|properties|reboot|start-stop|add-remove-firewall|wait-deadline|missing-references|launch-config-validation)|storage/launch-config/.*|storage/volumes/attach-.*|network/subnets/delete-with-instance-refused|compute/instances/floating-ips)$`

// probe is one question to the emulator and the tests that need a yes.
type probe struct {
	// what names the action or behaviour, for the reason.
	what string
	// gap is the reason's wording: "lacks" for an action answered as unknown,
	// or a phrase of its own for a behaviour.
	gap   string
	tests []string
	run   func(ctx context.Context) error
	// signing marks a probe of signature or expiry checks (see -want-signatures).
	signing bool
}

// errGap is returned by a behaviour probe whose answer shows the gap.
var errGap = errors.New("gap")

func main() {
	var ec2URL, r53URL, s3URL, out, region, ak, sk string
	flag.StringVar(&ec2URL, "ec2", "", "EC2 endpoint of the emulator (\"\" to skip the EC2 probes)")
	flag.StringVar(&r53URL, "route53", "", "Route 53 endpoint (unused: every Route 53 call the suite makes is needed, and checked by it)")
	flag.StringVar(&s3URL, "s3", "", "S3 endpoint (\"\" to skip the S3 probes)")
	flag.StringVar(&out, "out", "", "write the skip file here (default stdout)")
	flag.StringVar(&region, "region", "us-east-1", "region")
	flag.StringVar(&ak, "access-key", "AKIAEXAMPLE", "access key")
	flag.StringVar(&sk, "secret-key", "secretexample", "secret key")
	wantSignatures := false
	flag.BoolVar(&wantSignatures, "want-signatures", false, "fail unless the S3 emulator checks the signatures and expiry of requests and presigned URLs")
	flag.Parse()
	_ = r53URL
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The SDK's retries (3 attempts) ride out a connection the emulator
	// dropped; an error that is still not an answer ends the probe.
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
		RetryMaxAttempts: 3}

	skips := map[string][]string{}
	var image, vmType string
	if ec2URL != "" {
		c := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(ec2URL) })
		image, vmType = launchable(ctx, c)
		runProbes(ctx, ec2Probes(c, image, vmType), skips)
	}
	if s3URL != "" {
		c := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(s3URL), true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		})
		forged := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(s3URL), true
			o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk+"-forged", "")
			o.RetryMaxAttempts = 1
		})
		for _, p := range runProbes(ctx, s3Probes(c, forged, s3URL), skips) {
			if wantSignatures && p.signing {
				fmt.Fprintf(os.Stderr, "FAIL  -want-signatures: the emulator %s\n", p.gap)
				os.Exit(1)
			}
		}
	}

	var b strings.Builder
	b.WriteString("# Written by aws-emulator-probe from the emulator's answers in this run.\n")
	patterns := make([]string, 0, len(skips))
	for p := range skips {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		fmt.Fprintf(&b, "%q: %q\n", p, strings.Join(slices.Compact(skips[p]), "; "))
	}
	if len(patterns) == 0 {
		b.WriteString("{}\n")
	}
	if out == "" {
		fmt.Print(b.String())
	} else if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("image=%s vm_type=%s\n", image, vmType)
}

// runProbes runs probes, adds the tests each gap it finds needs to skips, and
// returns the probes that found a gap.
func runProbes(ctx context.Context, probes []probe, skips map[string][]string) (gapped []probe) {
	for _, p := range probes {
		err := p.run(ctx)
		if err == nil {
			fmt.Fprintf(os.Stderr, "ok    %s\n", p.what)
			continue
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			// The emulator broke on the call: it cannot serve it.
			reason := fmt.Sprintf("emulator fails on %s (HTTP %d)", p.what, re.HTTPStatusCode())
			if re.HTTPStatusCode() == http.StatusNotImplemented {
				reason = "emulator lacks " + p.what
			}
			fmt.Fprintf(os.Stderr, "GAP   %s\n", reason)
			for _, t := range p.tests {
				skips[t] = append(skips[t], reason)
			}
			gapped = append(gapped, p)
			continue
		}
		if !errors.Is(err, errGap) && !unknownAction(err) {
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				// No answer (a dropped connection, a timeout): neither a
				// gap nor its absence can be told, so the run stops here.
				fmt.Fprintf(os.Stderr, "FAIL  %s: the emulator gave no answer: %v\n", p.what, err)
				os.Exit(1)
			}
			fmt.Fprintf(os.Stderr, "?     %s: %v (answered, so not a gap)\n", p.what, err)
			continue
		}
		reason := "emulator lacks " + p.what
		if p.gap != "" {
			reason = "emulator " + p.gap
		}
		fmt.Fprintf(os.Stderr, "GAP   %s\n", reason)
		for _, t := range p.tests {
			skips[t] = append(skips[t], reason)
		}
		gapped = append(gapped, p)
	}
	return gapped
}

// unknownAction reports whether an answer says the action is not
// implemented: an error code no AWS service gives for a known action.
func unknownAction(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "UnknownError", "InvalidAction", "NotImplemented", "UnsupportedOperation", "UnknownOperationException", "InternalFailure":
		return true
	}
	return false
}

// launchable finds an image and VM type the emulator launches: its own
// first image and smallest type when it lists them, else ids shaped as EC2's.
func launchable(ctx context.Context, c *ec2.Client) (image, vmType string) {
	image, vmType = "ami-12345678", "t2.micro"
	if out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{MaxResults: aws.Int32(5)}); err == nil && len(out.Images) > 0 {
		image = aws.ToString(out.Images[0].ImageId)
	}
	if out, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{"t2.micro"}}); err == nil && len(out.InstanceTypes) == 0 {
		vmType = "t3.micro"
	}
	return image, vmType
}

func ec2Probes(c *ec2.Client, image, vmType string) []probe {
	regionTests := []string{`^compute/regions/`, `^contract/region-and-zone$`, `^contract/advertised-works-unadvertised-unsupported$`}
	call := func(f func(context.Context) error) func(context.Context) error { return f }
	return []probe{
		{what: "DescribeRegions", tests: regionTests, run: call(func(ctx context.Context) error {
			_, err := c.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		})},
		{what: "DescribeAvailabilityZones", tests: regionTests, run: call(func(ctx context.Context) error {
			_, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
			return err
		})},
		{what: "DescribeInstanceTypes", tests: []string{`^compute/vm-types/`, instanceTests, `^compute/images/crud$`,
			`^contract/advertised-works-unadvertised-unsupported$`}, run: call(func(ctx context.Context) error {
			_, err := c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(5)})
			return err
		})},
		{what: "DescribeImages", tests: []string{`^compute/images/`, instanceTests, `^contract/advertised-works-unadvertised-unsupported$`},
			run: call(func(ctx context.Context) error {
				_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{MaxResults: aws.Int32(5)})
				return err
			})},
		{what: "CreateImage", tests: []string{`^compute/images/crud$`}, run: call(func(ctx context.Context) error {
			_, err := c.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String("i-0123456789abcdef0"), Name: aws.String("cbprobe")})
			return err
		})},
		{what: "RebootInstances", tests: []string{`^compute/instances/reboot$`}, run: call(func(ctx context.Context) error {
			_, err := c.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		})},
		{what: "ImportKeyPair", tests: []string{`^security/key-pairs/import$`}, run: call(func(ctx context.Context) error {
			name := "cbprobe-import-" + suffix()
			_, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String(name), PublicKeyMaterial: []byte(probeKey)})
			if err == nil {
				_, _ = c.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(name)})
			}
			return err
		})},
		{what: "key pair tags", gap: "drops the tags of CreateKeyPair (TagSpecifications), where retried creates are found",
			tests: []string{`^security/key-pairs/idempotent-create$`}, run: call(func(ctx context.Context) error {
				name := "cbprobe-tags-" + suffix()
				_, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(name), TagSpecifications: []ec2types.TagSpecification{{
					ResourceType: ec2types.ResourceTypeKeyPair, Tags: []ec2types.Tag{{Key: aws.String("cbprobe"), Value: aws.String("1")}}}}})
				if err != nil {
					return err
				}
				defer c.DeleteKeyPair(context.WithoutCancel(ctx), &ec2.DeleteKeyPairInput{KeyName: aws.String(name)})
				out, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{name}})
				if err != nil {
					return err
				}
				for _, k := range out.KeyPairs {
					for _, t := range k.Tags {
						if aws.ToString(t.Key) == "cbprobe" {
							return nil
						}
					}
				}
				return errGap
			})},
		{what: "group rules", gap: "drops security group rules that name another group (UserIdGroupPairs)",
			tests: []string{`^security/rules/group-rule$`}, run: call(func(ctx context.Context) error {
				var ids []string
				defer func() {
					for _, id := range ids {
						_, _ = c.DeleteSecurityGroup(context.WithoutCancel(ctx), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
					}
				}()
				for i := range 2 {
					g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("cbprobe-%d-%s", i, suffix())), Description: aws.String("probe")})
					if err != nil {
						return err
					}
					ids = append([]string{aws.ToString(g.GroupId)}, ids...)
				}
				_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(ids[0]), IpPermissions: []ec2types.IpPermission{{
					IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(2), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(ids[1])}}}}})
				if err != nil {
					return err
				}
				out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{ids[0]}})
				if err != nil {
					return err
				}
				for _, g := range out.SecurityGroups {
					for _, p := range g.IpPermissions {
						for _, pair := range p.UserIdGroupPairs {
							if aws.ToString(pair.GroupId) == ids[1] {
								_, _ = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(ids[0]), IpPermissions: []ec2types.IpPermission{p}})
								return nil
							}
						}
					}
				}
				return errGap
			})},
		{what: "RunInstances with a missing image", gap: "launches instances of an image that does not exist (EC2: InvalidAMIID.NotFound)",
			tests: []string{`^compute/instances/missing-references/image$`}, run: call(func(ctx context.Context) error {
				return refusedLaunch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String("ami-0cb0000000000dead"), InstanceType: ec2types.InstanceType(vmType)})
			})},
		{what: "RunInstances with a missing VM type", gap: "launches instances of a VM type that does not exist (EC2: InvalidParameterValue)",
			tests: []string{`^compute/instances/missing-references/vm-type$`}, run: call(func(ctx context.Context) error {
				return refusedLaunch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: "cbprobe.nosuchtype"})
			})},
		{what: "RunInstances with a missing key pair", gap: "launches instances with a key pair that does not exist (EC2: InvalidKeyPair.NotFound)",
			tests: []string{`^compute/instances/missing-references/key-pair$`}, run: call(func(ctx context.Context) error {
				return refusedLaunch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: ec2types.InstanceType(vmType),
					KeyName: aws.String("cbprobe-no-such-key-" + suffix())})
			})},
		{what: "RunInstances with a missing snapshot", gap: "launches (or refuses, but still makes) an instance whose block devices name a snapshot that does not exist (EC2: InvalidSnapshot.NotFound, nothing made)",
			tests: []string{`^storage/launch-config/missing-sources/snapshot$`}, run: call(func(ctx context.Context) error {
				return refusedLaunch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: ec2types.InstanceType(vmType),
					BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String("/dev/sdf"),
						Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-0cb0000000000dead"), DeleteOnTermination: aws.Bool(true)}}}})
			})},
		{what: "CreateVolume in a missing zone", gap: "makes volumes in an availability zone the region does not have (EC2: InvalidZone.NotFound)",
			tests: []string{`^storage/volumes/unknown-zone$`}, run: call(func(ctx context.Context) error {
				out, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("cbprobe-nowhere-1z"), Size: aws.Int32(1)})
				if err != nil {
					return refusal(err)
				}
				_, _ = c.DeleteVolume(context.WithoutCancel(ctx), &ec2.DeleteVolumeInput{VolumeId: out.VolumeId})
				return errGap
			})},
		{what: "DeleteSubnet with an instance", gap: "deletes a subnet that has an instance in it (EC2: DependencyViolation)",
			tests: []string{`^network/subnets/delete-with-instance-refused$`}, run: call(func(ctx context.Context) error {
				return withSubnet(ctx, c, func(subnetID string) error {
					id, err := launch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: ec2types.InstanceType(vmType), SubnetId: aws.String(subnetID)})
					if err != nil {
						return err
					}
					defer terminate(ctx, c, id)
					if _, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)}); err != nil {
						return refusal(err)
					}
					return errGap
				})
			})},
		{what: "default security group", gap: "puts an instance launched without security groups in none (EC2: its VPC's default group)",
			tests: []string{`^compute/instances/add-remove-firewall$`}, run: call(func(ctx context.Context) error {
				return withSubnet(ctx, c, func(subnetID string) error {
					id, err := launch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: ec2types.InstanceType(vmType), SubnetId: aws.String(subnetID)})
					if err != nil {
						return err
					}
					defer terminate(ctx, c, id)
					i, err := describeInstance(ctx, c, id)
					if err != nil {
						return err
					}
					if len(i.SecurityGroups) == 0 {
						return errGap
					}
					return nil
				})
			})},
		{what: "Elastic IP freed by terminate", gap: "keeps an Elastic IP associated with an instance after the instance is terminated (EC2 disassociates it)",
			tests: []string{`^compute/instances/floating-ips/freed-by-instance-delete$`}, run: call(func(ctx context.Context) error {
				return withSubnet(ctx, c, func(subnetID string) error {
					id, err := launch(ctx, c, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: ec2types.InstanceType(vmType), SubnetId: aws.String(subnetID)})
					if err != nil {
						return err
					}
					terminated := false
					defer func() {
						if !terminated {
							terminate(ctx, c, id)
						}
					}()
					eip, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
					if err != nil {
						return err
					}
					defer c.ReleaseAddress(context.WithoutCancel(ctx), &ec2.ReleaseAddressInput{AllocationId: eip.AllocationId})
					if _, err := c.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: eip.AllocationId, InstanceId: aws.String(id)}); err != nil {
						return err
					}
					terminated = true
					if err := terminate(ctx, c, id); err != nil {
						return err
					}
					// EC2 lets go of the address as the instance shuts down.
					for range 50 {
						out, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(eip.AllocationId)}})
						if err != nil {
							return err
						}
						if len(out.Addresses) == 1 && aws.ToString(out.Addresses[0].AssociationId) == "" {
							return nil
						}
						time.Sleep(100 * time.Millisecond)
					}
					if a, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(eip.AllocationId)}}); err == nil && len(a.Addresses) == 1 {
						_, _ = c.DisassociateAddress(context.WithoutCancel(ctx), &ec2.DisassociateAddressInput{AssociationId: a.Addresses[0].AssociationId})
					}
					return errGap
				})
			})},
		{what: "instance tags", gap: "drops the tags of RunInstances (TagSpecifications), where an instance's label is",
			tests: []string{`^compute/instances/(crud|properties)$`}, run: call(func(ctx context.Context) error {
				out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(image), InstanceType: ec2types.InstanceType(vmType),
					MinCount: aws.Int32(1), MaxCount: aws.Int32(1), TagSpecifications: []ec2types.TagSpecification{{
						ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("cbprobe")}}}}})
				if err != nil {
					return err
				}
				id := aws.ToString(out.Instances[0].InstanceId)
				defer c.TerminateInstances(context.WithoutCancel(ctx), &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
				d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
				if err != nil {
					return err
				}
				for _, r := range d.Reservations {
					for _, i := range r.Instances {
						for _, t := range i.Tags {
							if aws.ToString(i.InstanceId) == id && aws.ToString(t.Key) == "Name" {
								return nil
							}
						}
					}
				}
				return errGap
			})},
	}
}

// refusedLaunch launches with in, which EC2 refuses: nil when the emulator
// refuses it too and launches nothing, errGap (after terminating what it
// made) when it launches, or refuses but leaves an instance behind.
func refusedLaunch(ctx context.Context, c *ec2.Client, in *ec2.RunInstancesInput) error {
	tag := "cbprobe-refused-" + suffix()
	in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
		Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(tag)}}}}
	id, err := launch(ctx, c, in)
	if err == nil {
		terminate(ctx, c, id)
		return errGap
	}
	if err := refusal(err); err != nil {
		return err
	}
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Name"), Values: []string{tag}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}}})
	if err != nil {
		return err
	}
	var left error
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			terminate(ctx, c, aws.ToString(i.InstanceId))
			left = errGap
		}
	}
	return left
}

// refusal is the answer to a call EC2 refuses: a refusal (an API error that
// is not "unknown action") is what EC2 does, so nil; anything else is
// returned.
func refusal(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && !unknownAction(err) {
		return nil
	}
	return err
}

func launch(ctx context.Context, c *ec2.Client, in *ec2.RunInstancesInput) (string, error) {
	in.MinCount, in.MaxCount = aws.Int32(1), aws.Int32(1)
	out, err := c.RunInstances(ctx, in)
	if err != nil {
		return "", err
	}
	if len(out.Instances) == 0 {
		return "", errors.New("RunInstances answered no instance")
	}
	return aws.ToString(out.Instances[0].InstanceId), nil
}

func terminate(ctx context.Context, c *ec2.Client, id string) error {
	_, err := c.TerminateInstances(context.WithoutCancel(ctx), &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	return err
}

func describeInstance(ctx context.Context, c *ec2.Client, id string) (ec2types.Instance, error) {
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return ec2types.Instance{}, err
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.InstanceId) == id {
				return i, nil
			}
		}
	}
	return ec2types.Instance{}, fmt.Errorf("instance %s is not described", id)
}

// withSubnet runs f with a subnet of a new VPC (with an internet gateway), and
// deletes them after, once the instances f made are gone.
func withSubnet(ctx context.Context, c *ec2.Client, f func(subnetID string) error) error {
	bg := context.WithoutCancel(ctx)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.99.0.0/16")})
	if err != nil {
		return err
	}
	vpcID := vpc.Vpc.VpcId
	defer c.DeleteVpc(bg, &ec2.DeleteVpcInput{VpcId: vpcID})
	igw, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		return err
	}
	defer c.DeleteInternetGateway(bg, &ec2.DeleteInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId})
	if _, err := c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID}); err != nil {
		return err
	}
	defer c.DetachInternetGateway(bg, &ec2.DetachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID})
	sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String("10.99.1.0/24")})
	if err != nil {
		return err
	}
	defer func() {
		// Wait for the instances of the subnet to be gone, as EC2 needs.
		for range 100 {
			out, err := c.DescribeInstances(bg, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
				{Name: aws.String("subnet-id"), Values: []string{aws.ToString(sn.Subnet.SubnetId)}},
				{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "shutting-down", "stopping", "stopped"}}}})
			if err != nil || len(out.Reservations) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		_, _ = c.DeleteSubnet(bg, &ec2.DeleteSubnetInput{SubnetId: sn.Subnet.SubnetId})
	}()
	return f(aws.ToString(sn.Subnet.SubnetId))
}

// s3Probes asks c's emulator the S3 questions; forged is a client of the
// same emulator whose secret key is wrong.
func s3Probes(c, forged *s3.Client, endpoint string) []probe {
	bucket := "cbprobe-" + suffix()
	return []probe{
		{what: "bucket names", gap: "refuses valid bucket names with a one-character label (like \"a.1\")",
			tests: []string{`^objectstore/buckets/names/dots-and-digits$`}, run: func(ctx context.Context) error {
				name := "cbprobe-" + suffix() + ".1"
				if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
					var ae smithy.APIError
					if errors.As(err, &ae) && ae.ErrorCode() == "InvalidBucketName" {
						return errGap
					}
					return err
				}
				_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
				return nil
			}},
		{what: "setup", run: func(ctx context.Context) error {
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				return err
			}
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v")})
			return err
		}},
		{what: "request signatures", signing: true, gap: "does not check the SigV4 signature of requests",
			run: func(ctx context.Context) error {
				_, err := forged.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
				if err == nil {
					return errGap
				}
				return refusal(err)
			}},
		{what: "presigned URL signatures", signing: true, gap: "does not check the signature of presigned URLs",
			tests: []string{`^objectstore/presigned-urls/tampered$`}, run: func(ctx context.Context) error {
				u, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
				if err != nil {
					return err
				}
				return refusedURL(ctx, strings.Replace(u.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1))
			}},
		{what: "presigned URL expiry", signing: true, gap: "serves presigned URLs after they expire",
			tests: []string{`^objectstore/presigned-urls/expired$`}, run: func(ctx context.Context) error {
				u, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")},
					s3.WithPresignExpires(time.Second))
				if err != nil {
					return err
				}
				time.Sleep(2500 * time.Millisecond) // the expiry and a second for X-Amz-Date's resolution
				return refusedURL(ctx, u.URL)
			}},
		{what: "replaced parts", gap: "lists a multipart part uploaded twice once per upload in ListParts (S3 keeps the last)",
			tests: []string{`^objectstore/multipart/replace-part$`}, run: func(ctx context.Context) error {
				return replacedPartListedOnce(ctx, c, bucket)
			}},
		{what: "keys with dot segments", gap: "refuses object keys with \"..\" segments (S3 takes any UTF-8 key)",
			tests: []string{`^objectstore/objects/keys/(dot-dot-slash|all-listed)$`}, run: func(ctx context.Context) error {
				key := "../outside/../dots"
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("v")}); err != nil {
					var ae smithy.APIError
					if errors.As(err, &ae) && !unknownAction(err) {
						return errGap
					}
					return err
				}
				_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				return err
			}},
		{what: "ListMultipartUploads", tests: []string{`^objectstore/multipart/list-uploads$`,
			`^objectstore/objects/(canceled-upload|failed-body|size-mismatch|sha256)$`, `^objectstore/buckets/delete-non-empty$`},
			run: func(ctx context.Context) error {
				_, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
				var ae smithy.APIError
				if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload" {
					return nil // answered, if oddly
				}
				return err
			}},
		{what: "short bodies", gap: "stores a PUT whose body ends before its Content-Length",
			tests: []string{`^objectstore/objects/(size-mismatch|sha256|canceled-upload|failed-body)$`}, run: func(ctx context.Context) error {
				req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint+"/"+bucket+"/short", &failing{data: []byte("12345")})
				if err != nil {
					return err
				}
				req.ContentLength = 10
				// Signed requests would need the SDK; an emulator that checks
				// signatures refuses this one, which proves nothing, so it is
				// sent through the SDK's presigner.
				u, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("short")})
				if err == nil {
					req, _ = http.NewRequestWithContext(ctx, http.MethodPut, u.URL, &failing{data: []byte("12345")})
					req.ContentLength = 10
				}
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				time.Sleep(200 * time.Millisecond)
				if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("short")}); err == nil {
					return errGap
				}
				return nil
			}},
		{what: "cleanup", run: func(ctx context.Context) error {
			for _, k := range []string{"k", "short"} {
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			}
			_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			return nil
		}},
	}
}

// refusedURL gets url with plain HTTP: errGap if it is served, nil if refused.
func refusedURL(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return errGap
	}
	return nil
}

// replacedPartListedOnce uploads part 1 twice and returns errGap if ListParts
// then lists part 1 more than once.
func replacedPartListedOnce(ctx context.Context, c *s3.Client, bucket string) error {
	key := aws.String("replaced")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: key})
	if err != nil {
		return err
	}
	defer c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: key, UploadId: up.UploadId})
	for _, body := range []string{"first", "second"} {
		if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: key, UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader(body)}); err != nil {
			return err
		}
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: key, UploadId: up.UploadId})
	if err != nil {
		return err
	}
	if len(parts.Parts) > 1 {
		return errGap
	}
	return nil
}

// failing yields its data, then fails, as a client that goes away does.
type failing struct {
	data []byte
	done bool
}

func (f *failing) Read(p []byte) (int, error) {
	if !f.done {
		f.done = true
		return copy(p, f.data), nil
	}
	return 0, errors.New("client went away")
}

func suffix() string { return fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffffff) }

// probeKey is a public key for ImportKeyPair (an Ed25519 key made for this
// probe; its private half was never kept).
const probeKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHjcMqOaMdtMn2MbbC4A6wGOYcgxFgp4Q5J2MRDQ56Pg cbprobe"
