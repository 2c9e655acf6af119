package aws

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Tags the plugin keeps on EC2 resources. The label is the Name tag, as the
// AWS console shows it and as CloudBridge stores it.
const (
	tagName = "Name"
	// tagDescription holds the description of resources whose AWS description
	// cannot be changed (security groups) or does not exist (VPCs...), as
	// CloudBridge does.
	tagDescription = "Description"
	// tagToken holds the idempotency token of a create that AWS offers no
	// ClientToken for: a retried create finds the resource by it.
	tagToken = "cloudbridge-idempotency-token"
)

// tagValue returns the value of tag key, "" when absent.
func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// hasTag reports whether tag key has value.
func hasTag(tags []ec2types.Tag, key, value string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == key && aws.ToString(t.Value) == value {
			return true
		}
	}
	return false
}

// tagSpecs makes the TagSpecifications of a create: the label as the Name
// tag, the description and idempotency token when given.
func tagSpecs(rt ec2types.ResourceType, label, description, token string) []ec2types.TagSpecification {
	var tags []ec2types.Tag
	if label != "" {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagName), Value: aws.String(label)})
	}
	if description != "" {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagDescription), Value: aws.String(description)})
	}
	if token != "" {
		tags = append(tags, ec2types.Tag{Key: aws.String(tagToken), Value: aws.String(token)})
	}
	if len(tags) == 0 {
		return nil
	}
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: tags}}
}

// tokenFilter selects the resources a create with token made.
func tokenFilter(token string) []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("tag:" + tagToken), Values: []string{token}}}
}

// setTag sets one tag of a resource (CreateTags overwrites).
func setTag(ctx context.Context, cl *clients, id, key, value string) error {
	_, err := cl.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{id},
		Tags:      []ec2types.Tag{{Key: aws.String(key), Value: aws.String(value)}},
	})
	return err
}

// extraTags puts the tags the portable type has no field for into Extra, as
// "tag:KEY".
func extraTags(extra map[string]string, tags []ec2types.Tag) map[string]string {
	if extra == nil {
		extra = map[string]string{}
	}
	for _, t := range tags {
		switch k := aws.ToString(t.Key); k {
		case tagName, tagDescription, tagToken:
		default:
			extra["tag:"+k] = aws.ToString(t.Value)
		}
	}
	return extra
}

// uniqueSuffix makes names AWS wants unique (security group names, AMI
// names) from a label, which need not be unique.
func uniqueSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
