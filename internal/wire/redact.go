package wire

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
)

// Redact returns a copy of m fit for a log: every field marked with the
// (cloudbridge.v1.secret) option is cleared, in m and in every message it holds,
// through lists and maps of messages. A map field marked secret (as
// ConfigureRequest.secrets) is cleared entirely. m itself is not changed; nil
// gives nil.
func Redact(m proto.Message) proto.Message {
	if m == nil {
		return nil
	}
	c := proto.Clone(m)
	redact(c.ProtoReflect())
	return c
}

func redact(m protoreflect.Message) {
	var secret []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case isSecret(fd):
			secret = append(secret, fd)
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				redact(l.Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				redact(mv.Message())
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			redact(v.Message())
		}
		return true
	})
	// Cleared after the walk: changing a message while ranging over it is
	// undefined.
	for _, fd := range secret {
		m.Clear(fd)
	}
}

func isSecret(fd protoreflect.FieldDescriptor) bool {
	opts, ok := fd.Options().(*descriptorpb.FieldOptions)
	if !ok || opts == nil {
		return false
	}
	secret, _ := proto.GetExtension(opts, pb.E_Secret).(bool)
	return secret
}
