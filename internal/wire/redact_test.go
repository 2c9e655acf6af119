package wire

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name string
		in   proto.Message
		want proto.Message
	}{
		{
			name: "secret map cleared entirely, plain map kept",
			in: &pb.ConfigureRequest{
				Settings: map[string]string{"region": "eu-1"},
				Secrets:  map[string]string{"token": "s3cret"},
			},
			want: &pb.ConfigureRequest{Settings: map[string]string{"region": "eu-1"}},
		},
		{
			name: "secret string field",
			in:   &pb.KeyPair{Id: "kp-1", Name: "kp", Material: "-----BEGIN PRIVATE KEY-----"},
			want: &pb.KeyPair{Id: "kp-1", Name: "kp"},
		},
		{
			name: "list of messages",
			in: &pb.ListKeyPairsResponse{
				KeyPairs:      []*pb.KeyPair{{Id: "a", Material: "x"}, {Id: "b"}, {Id: "c", Material: "y"}},
				NextPageToken: "t",
			},
			want: &pb.ListKeyPairsResponse{
				KeyPairs:      []*pb.KeyPair{{Id: "a"}, {Id: "b"}, {Id: "c"}},
				NextPageToken: "t",
			},
		},
		{
			name: "no secrets",
			in:   &pb.CreateInstanceRequest{Label: "web-1", UserData: []byte("#!/bin/sh")},
			want: &pb.CreateInstanceRequest{Label: "web-1", UserData: []byte("#!/bin/sh")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := proto.Clone(tt.in)
			got := Redact(tt.in)
			if !proto.Equal(got, tt.want) {
				t.Errorf("Redact(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !proto.Equal(tt.in, before) {
				t.Errorf("Redact changed its argument: %v, was %v", tt.in, before)
			}
		})
	}
	if Redact(nil) != nil {
		t.Error("Redact(nil) != nil")
	}
}

// TestRedactNested uses a message built at run time, since the contract has no
// map of messages or singular message field holding a secret yet:
//
//	message Holder {
//	  map<string, cloudbridge.v1.KeyPair> pairs = 1;
//	  cloudbridge.v1.KeyPair one = 2;
//	  string token = 3 [(cloudbridge.v1.secret) = true];
//	  string note = 4;
//	}
func TestRedactNested(t *testing.T) {
	holder := holderDescriptor(t)
	kp := func(id, material string) protoreflect.Value {
		return protoreflect.ValueOfMessage((&pb.KeyPair{Id: id, Material: material}).ProtoReflect())
	}
	fields := holder.Fields()
	m := dynamicpb.NewMessage(holder)
	pairs := m.Mutable(fields.ByName("pairs")).Map()
	pairs.Set(protoreflect.ValueOfString("a").MapKey(), kp("a", "secret-a"))
	pairs.Set(protoreflect.ValueOfString("b").MapKey(), kp("b", "secret-b"))
	m.Set(fields.ByName("one"), kp("one", "secret-one"))
	m.Set(fields.ByName("token"), protoreflect.ValueOfString("secret-token"))
	m.Set(fields.ByName("note"), protoreflect.ValueOfString("kept"))

	got := Redact(m).ProtoReflect()

	if got.Has(fields.ByName("token")) {
		t.Error("secret field token kept")
	}
	if got.Get(fields.ByName("note")).String() != "kept" {
		t.Error("plain field note lost")
	}
	material := func(v protoreflect.Value) string {
		return v.Message().Get(v.Message().Descriptor().Fields().ByName("material")).String()
	}
	if s := material(got.Get(fields.ByName("one"))); s != "" {
		t.Errorf("one.material = %q, want it cleared", s)
	}
	gotPairs := got.Get(fields.ByName("pairs")).Map()
	if gotPairs.Len() != 2 {
		t.Fatalf("pairs has %d entries, want 2", gotPairs.Len())
	}
	gotPairs.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		if s := material(v); s != "" {
			t.Errorf("pairs[%s].material = %q, want it cleared", k, s)
		}
		return true
	})
	if s := material(m.Get(fields.ByName("one"))); s != "secret-one" {
		t.Errorf("the original was changed: one.material = %q", s)
	}
}

func holderDescriptor(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	secret := &descriptorpb.FieldOptions{}
	proto.SetExtension(secret, pb.E_Secret, true)
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	fd := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("redact_test.proto"),
		Package:    proto.String("redacttest"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"cloudbridge/v1/security.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Holder"),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("pairs"), Number: proto.Int32(1), Label: &rep, Type: &msg, TypeName: proto.String(".redacttest.Holder.PairsEntry"), JsonName: proto.String("pairs")},
				{Name: proto.String("one"), Number: proto.Int32(2), Label: &opt, Type: &msg, TypeName: proto.String(".cloudbridge.v1.KeyPair"), JsonName: proto.String("one")},
				{Name: proto.String("token"), Number: proto.Int32(3), Label: &opt, Type: &str, Options: secret, JsonName: proto.String("token")},
				{Name: proto.String("note"), Number: proto.Int32(4), Label: &opt, Type: &str, JsonName: proto.String("note")},
			},
			NestedType: []*descriptorpb.DescriptorProto{{
				Name:    proto.String("PairsEntry"),
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: proto.String("key"), Number: proto.Int32(1), Label: &opt, Type: &str, JsonName: proto.String("key")},
					{Name: proto.String("value"), Number: proto.Int32(2), Label: &opt, Type: &msg, TypeName: proto.String(".cloudbridge.v1.KeyPair"), JsonName: proto.String("value")},
				},
			}},
		}},
	}
	file, err := protodesc.NewFile(fd, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return file.Messages().ByName("Holder")
}
