package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cloudbridge-go/cloudbridge/internal/pb/cloudbridge/v1"
	"github.com/cloudbridge-go/cloudbridge/internal/wire"
	"github.com/cloudbridge-go/cloudbridge/sdk"
)

// ---- harness ----

// dial starts an in-memory gRPC server with the given services and returns a
// Client connected to it.
func dial(t *testing.T, register ...func(*grpc.Server)) (*Client, *grpc.ClientConn) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(wire.MaxMessageSize), grpc.MaxSendMsgSize(wire.MaxMessageSize))
	for _, r := range register {
		r(srv)
	}
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
	})
	return NewClient(conn), conn
}

// receive waits for a value from a fake server, failing the test rather than
// hanging if it never comes.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the fake server")
		panic("unreachable")
	}
}

// sdkError asserts that err is an *sdk.Error and returns it.
func sdkError(t *testing.T, err error) *sdk.Error {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *sdk.Error", err, err)
	}
	return e
}

// assertAllSet fails for every field of m left at its zero value, so that a
// fixture (or a conversion) that misses a field added to the contract is noticed.
func assertAllSet(t *testing.T, m proto.Message) {
	t.Helper()
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); !r.Has(f) {
			t.Errorf("%s.%s is not set", r.Descriptor().Name(), f.Name())
		}
	}
}

// assertNonZero fails for every zero field of the struct v.
func assertNonZero(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Errorf("%s.%s is zero", rv.Type().Name(), rv.Type().Field(i).Name)
		}
	}
}

// ---- fakes ----

type fakeCompute struct {
	pb.UnimplementedComputeServer
	getInstance    func(context.Context, *pb.GetInstanceRequest) (*pb.Instance, error)
	createInstance func(context.Context, *pb.CreateInstanceRequest) (*pb.Instance, error)
	updates        chan *pb.UpdateInstanceRequest
}

func (f *fakeCompute) GetInstance(ctx context.Context, req *pb.GetInstanceRequest) (*pb.Instance, error) {
	return f.getInstance(ctx, req)
}

func (f *fakeCompute) CreateInstance(ctx context.Context, req *pb.CreateInstanceRequest) (*pb.Instance, error) {
	return f.createInstance(ctx, req)
}

func (f *fakeCompute) UpdateInstance(_ context.Context, req *pb.UpdateInstanceRequest) (*pb.Instance, error) {
	f.updates <- req
	return &pb.Instance{Id: req.GetId(), Label: req.GetLabel()}, nil
}

type fakeStorage struct {
	pb.UnimplementedStorageServer
	volumes map[string]*pb.Volume
	updates chan *pb.UpdateVolumeRequest
}

func (f *fakeStorage) GetVolume(_ context.Context, req *pb.GetVolumeRequest) (*pb.Volume, error) {
	v, ok := f.volumes[req.GetId()]
	if !ok {
		return nil, wire.Status(wire.Error{Code: "NotFound", Message: "no volume " + req.GetId()}).Err()
	}
	return v, nil
}

func (f *fakeStorage) UpdateVolume(_ context.Context, req *pb.UpdateVolumeRequest) (*pb.Volume, error) {
	f.updates <- req
	return &pb.Volume{Id: req.GetId()}, nil
}

type putResult struct {
	header *pb.PutObjectHeader
	bytes  int64
	clean  bool  // the stream ended with a half-close, as a finished upload does
	ctxErr error // the server stream's context error when it did not
}

type fakeObjects struct {
	pb.UnimplementedObjectStoreServer
	blob     []byte
	getReqs  chan *pb.GetObjectRequest
	abandons chan error // the endless stream's context error once it stopped
	puts     chan putResult
	parts    chan *pb.UploadPartHeader
}

func newFakeObjects() *fakeObjects {
	blob := make([]byte, 3*wire.ChunkSize+12345)
	for i := range blob {
		blob[i] = byte(i*7 + i>>11)
	}
	return &fakeObjects{
		blob:     blob,
		getReqs:  make(chan *pb.GetObjectRequest, 8),
		abandons: make(chan error, 1),
		puts:     make(chan putResult, 1),
		parts:    make(chan *pb.UploadPartHeader, 1),
	}
}

func (f *fakeObjects) info(key string, size int64) *pb.ObjectInfo {
	return &pb.ObjectInfo{Bucket: "b", Key: key, Size: size, ContentType: "application/octet-stream"}
}

func (f *fakeObjects) GetObject(req *pb.GetObjectRequest, stream pb.ObjectStore_GetObjectServer) error {
	f.getReqs <- req
	switch req.GetKey() {
	case "blob":
		data := f.blob[req.GetOffset():]
		if req.Length != nil && req.GetLength() >= 0 {
			data = data[:min(int64(len(data)), req.GetLength())]
		}
		if err := stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Info{Info: f.info("blob", int64(len(f.blob)))}}); err != nil {
			return err
		}
		for len(data) > 0 {
			n := min(len(data), wire.ChunkSize)
			if err := stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Chunk{Chunk: data[:n]}}); err != nil {
				return err
			}
			data = data[n:]
		}
		return nil
	case "endless":
		// Sends until the client goes away: only a canceled stream ends it.
		if err := stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Info{Info: f.info("endless", -1)}}); err != nil {
			return err
		}
		chunk := bytes.Repeat([]byte{'x'}, wire.ChunkSize)
		for {
			if err := stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Chunk{Chunk: chunk}}); err != nil {
				select {
				case <-stream.Context().Done():
				case <-time.After(5 * time.Second):
				}
				f.abandons <- stream.Context().Err()
				return err
			}
		}
	case "chunk-first":
		return stream.Send(&pb.GetObjectResponse{Part: &pb.GetObjectResponse_Chunk{Chunk: []byte("oops")}})
	}
	return wire.Status(wire.Error{Code: "NotFound", Message: "no object " + req.GetKey()}).Err()
}

func (f *fakeObjects) PutObject(stream pb.ObjectStore_PutObjectServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	res := putResult{header: first.GetHeader()}
	h := sha256.New()
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			res.clean = true
			f.puts <- res
			return stream.SendAndClose(&pb.ObjectInfo{
				Bucket: res.header.GetBucket(), Key: res.header.GetKey(), Size: res.bytes,
				Sha256: hex.EncodeToString(h.Sum(nil)),
			})
		}
		if err != nil {
			select {
			case <-stream.Context().Done():
			case <-time.After(5 * time.Second):
			}
			res.ctxErr = stream.Context().Err()
			f.puts <- res
			return err
		}
		h.Write(m.GetChunk())
		res.bytes += int64(len(m.GetChunk()))
	}
}

func (f *fakeObjects) UploadPart(stream pb.ObjectStore_UploadPartServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	var n int64
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			f.parts <- first.GetHeader()
			return stream.SendAndClose(&pb.UploadedPart{PartNumber: first.GetHeader().GetPartNumber(), Etag: "etag-1", Size: n})
		}
		if err != nil {
			return err
		}
		n += int64(len(m.GetChunk()))
	}
}

type fakeIdentity struct {
	pb.UnimplementedIdentityServer
	ready bool
}

func (f *fakeIdentity) GetPluginInfo(context.Context, *pb.GetPluginInfoRequest) (*pb.GetPluginInfoResponse, error) {
	return &pb.GetPluginInfoResponse{
		Name: "fake", Version: "1.2.3", SdkVersion: "0.1.0", ProtocolVersion: 1,
		Settings: []*pb.SettingSpec{{Name: "token", Description: "API token", Secret: true, Required: true, DefaultValue: "d", Env: []string{"FAKE_TOKEN"}}},
	}, nil
}

func (f *fakeIdentity) GetCapabilities(context.Context, *pb.GetCapabilitiesRequest) (*pb.GetCapabilitiesResponse, error) {
	return &pb.GetCapabilitiesResponse{Capabilities: []string{sdk.CapCompute, sdk.CapInstances}}, nil
}

func (f *fakeIdentity) Configure(_ context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	if req.GetSecrets()["token"] != "s3cret" || req.GetSettings()["region"] != "r1" {
		return nil, wire.Status(wire.Error{Code: "Unauthenticated", Message: "bad token"}).Err()
	}
	return &pb.ConfigureResponse{Region: "r1", Zone: "r1a"}, nil
}

func (f *fakeIdentity) Probe(context.Context, *pb.ProbeRequest) (*pb.ProbeResponse, error) {
	return &pb.ProbeResponse{Ready: f.ready, Message: "endpoint unreachable"}, nil
}

// ---- errors ----

func TestErrorMapping(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()

	tests := []struct {
		name  string
		ctx   context.Context
		fail  error
		is    []error
		check func(t *testing.T, e *sdk.Error)
	}{
		{
			name: "status with ErrorInfo",
			fail: wire.Status(wire.Error{Code: "NotFound", Message: "instance i-1 not found", Param: "id", ProviderCode: "InvalidInstanceID.NotFound"}).Err(),
			is:   []error{sdk.ErrNotFound},
			check: func(t *testing.T, e *sdk.Error) {
				if e.Code != sdk.CodeNotFound || e.Message != "instance i-1 not found" || e.Param != "id" ||
					e.ProviderCode != "InvalidInstanceID.NotFound" || e.Retryable {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name: "throttling with retry-after",
			fail: wire.Status(wire.Error{Code: "ResourceExhausted", Message: "slow down", Retryable: true, RetryAfter: 3 * time.Second}).Err(),
			is:   []error{sdk.ErrResourceExhausted},
			check: func(t *testing.T, e *sdk.Error) {
				if !e.Retryable || e.RetryAfter != 3*time.Second {
					t.Errorf("Retryable %v RetryAfter %v, want true 3s", e.Retryable, e.RetryAfter)
				}
			},
		},
		{
			name: "plain Unimplemented is Unsupported",
			fail: status.Error(codes.Unimplemented, "method GetInstance not implemented"),
			is:   []error{sdk.ErrUnsupported},
		},
		{
			name: "plain Unavailable is retryable",
			fail: status.Error(codes.Unavailable, "connection refused"),
			is:   []error{sdk.ErrUnavailable},
			check: func(t *testing.T, e *sdk.Error) {
				if !e.Retryable {
					t.Error("a bare Unavailable status should be retryable")
				}
			},
		},
		{
			name: "plugin answers Canceled",
			fail: wire.Status(wire.Error{Code: "Canceled", Message: "canceled"}).Err(),
			is:   []error{sdk.ErrCanceled, context.Canceled},
		},
		{
			name: "caller's context canceled",
			ctx:  canceled,
			is:   []error{sdk.ErrCanceled, context.Canceled},
		},
		{
			name: "caller's deadline passed",
			ctx:  expired,
			is:   []error{sdk.ErrDeadlineExceeded, context.DeadlineExceeded},
		},
		{
			name: "unknown code name is Internal",
			fail: wire.Status(wire.Error{Code: "Bogus", Message: "?"}).Err(),
			is:   []error{sdk.ErrInternal},
		},
	}
	// GetInstance answers the failure of the case named by the id.
	failures := map[string]error{}
	for _, tt := range tests {
		failures[tt.name] = tt.fail
	}
	fake := &fakeCompute{getInstance: func(_ context.Context, req *pb.GetInstanceRequest) (*pb.Instance, error) {
		return nil, failures[req.GetId()]
	}}
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterComputeServer(s, fake) })
	instances := c.Services().Compute.Instances

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := instances.Get(ctx, tt.name)
			e := sdkError(t, err)
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestErrorLocal(t *testing.T) {
	already := sdk.NotFound("volume", "v-1")
	tests := []struct {
		name string
		err  error
		code sdk.Code
		is   []error
	}{
		{"connection lost", io.ErrUnexpectedEOF, sdk.CodeUnavailable, []error{io.ErrUnexpectedEOF, sdk.ErrUnavailable}},
		{"context canceled", context.Canceled, sdk.CodeCanceled, []error{context.Canceled}},
		{"deadline", context.DeadlineExceeded, sdk.CodeDeadlineExceeded, []error{context.DeadlineExceeded}},
		{"anything else", errors.New("boom"), sdk.CodeInternal, []error{sdk.ErrInternal}},
		{"already an sdk error", already, sdk.CodeNotFound, []error{already}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Error(tt.err)
			if e := sdkError(t, err); e.Code != tt.code {
				t.Errorf("code %s, want %s", e.Code, tt.code)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
		})
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

// TestEveryMethodUnsupported calls every method of every driver Services returns
// against a plugin that lacks the service, and against one that registers it
// without implementing anything: each must fail with Unsupported.
func TestEveryMethodUnsupported(t *testing.T) {
	servers := map[string]func(*grpc.Server){
		"unregistered": func(*grpc.Server) {},
		"unimplemented": func(s *grpc.Server) {
			pb.RegisterComputeServer(s, pb.UnimplementedComputeServer{})
			pb.RegisterStorageServer(s, pb.UnimplementedStorageServer{})
			pb.RegisterObjectStoreServer(s, pb.UnimplementedObjectStoreServer{})
			pb.RegisterNetworkServer(s, pb.UnimplementedNetworkServer{})
			pb.RegisterSecurityServer(s, pb.UnimplementedSecurityServer{})
			pb.RegisterDNSServer(s, pb.UnimplementedDNSServer{})
		},
	}
	ctxType := reflect.TypeFor[context.Context]()
	readerType := reflect.TypeFor[io.Reader]()
	for name, register := range servers {
		t.Run(name, func(t *testing.T) {
			c, _ := dial(t, register)
			p := reflect.ValueOf(c.Services())
			calls := 0
			for i := range p.NumField() {
				family := p.Field(i)
				if family.Kind() != reflect.Pointer {
					continue
				}
				if family.IsNil() {
					t.Errorf("family %s is nil", p.Type().Field(i).Name)
					continue
				}
				for j := range family.Elem().NumField() {
					svcName := family.Elem().Type().Name() + "." + family.Elem().Type().Field(j).Name
					svc := family.Elem().Field(j)
					if svc.IsNil() {
						t.Errorf("%s is nil", svcName)
						continue
					}
					impl := svc.Elem()
					for m := range impl.NumMethod() {
						method := impl.Method(m)
						mt := method.Type()
						if mt.NumIn() == 0 || mt.In(0) != ctxType {
							continue
						}
						args := []reflect.Value{reflect.ValueOf(context.Background())}
						for a := 1; a < mt.NumIn(); a++ {
							if mt.In(a) == readerType {
								args = append(args, reflect.ValueOf(io.Reader(strings.NewReader("data"))))
							} else {
								args = append(args, reflect.Zero(mt.In(a)))
							}
						}
						out := method.Call(args)
						err, _ := out[len(out)-1].Interface().(error)
						if !errors.Is(err, sdk.ErrUnsupported) {
							t.Errorf("%s.%s: got %v, want Unsupported", svcName, impl.Type().Method(m).Name, err)
						}
						calls++
					}
				}
			}
			if calls < 80 {
				t.Errorf("only %d methods called; did the reflection walk miss drivers?", calls)
			}
		})
	}
}

// ---- conversions ----

func TestInstanceRoundTrip(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)
	spec := sdk.InstanceSpec{
		Label:         "web-1",
		ImageID:       "img-1",
		VMTypeID:      "m5.large",
		SubnetID:      "sn-1",
		KeyPairID:     "kp-1",
		VMFirewallIDs: []string{"fw-1", "fw-2"},
		UserData:      []byte("#!/bin/sh\necho hi\n"),
		BlockDevices: []sdk.BlockDevice{{
			Source: sdk.SourceSnapshot, SourceID: "snap-1", IsRoot: true, SizeGB: 20,
			DeleteOnTerminate: true, Device: "/dev/sda1", VolumeID: "vol-1",
		}},
		Zone:             "us-east-1a",
		IdempotencyToken: "tok-1",
	}
	wantReq := &pb.CreateInstanceRequest{
		Label: "web-1", ImageId: "img-1", VmTypeId: "m5.large", SubnetId: "sn-1", KeyPairId: "kp-1",
		VmFirewallIds: []string{"fw-1", "fw-2"}, UserData: []byte("#!/bin/sh\necho hi\n"),
		BlockDevices: []*pb.BlockDevice{{
			Source: pb.BlockDeviceSource_BLOCK_DEVICE_SOURCE_SNAPSHOT, SourceId: "snap-1", IsRoot: true, SizeGb: 20,
			DeleteOnTerminate: true, Device: "/dev/sda1", VolumeId: "vol-1",
		}},
		Zone: "us-east-1a", IdempotencyToken: "tok-1",
	}
	answer := &pb.Instance{
		Id: "i-1", Name: "web-1-name", Label: "web-1", State: pb.InstanceState_INSTANCE_STATE_RUNNING,
		VmTypeId: "m5.large", ImageId: "img-1", Zone: "us-east-1a", SubnetId: "sn-1",
		PublicIps: []string{"203.0.113.5"}, PrivateIps: []string{"10.0.0.5"}, KeyPairId: "kp-1",
		VmFirewallIds: []string{"fw-1", "fw-2"}, CreateTime: timestamppb.New(created),
		BlockDevices: wantReq.BlockDevices,
		Extra:        map[string]string{"ami-launch-index": "0"},
	}
	want := sdk.Instance{
		ID: "i-1", Name: "web-1-name", Label: "web-1", State: sdk.InstanceRunning,
		VMTypeID: "m5.large", ImageID: "img-1", Zone: "us-east-1a", SubnetID: "sn-1",
		PublicIPs: []string{"203.0.113.5"}, PrivateIPs: []string{"10.0.0.5"}, KeyPairID: "kp-1",
		VMFirewallIDs: []string{"fw-1", "fw-2"}, CreateTime: created,
		BlockDevices: spec.BlockDevices,
		Extra:        map[string]string{"ami-launch-index": "0"},
	}
	// The fixtures must use every field, or a field added later would go untested.
	assertNonZero(t, spec)
	assertNonZero(t, spec.BlockDevices[0])
	assertAllSet(t, answer)

	reqs := make(chan *pb.CreateInstanceRequest, 1)
	fake := &fakeCompute{createInstance: func(_ context.Context, req *pb.CreateInstanceRequest) (*pb.Instance, error) {
		reqs <- req
		return answer, nil
	}}
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterComputeServer(s, fake) })

	got, err := c.Services().Compute.Instances.Create(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	req := receive(t, reqs)
	assertAllSet(t, req)
	assertAllSet(t, req.GetBlockDevices()[0])
	if !proto.Equal(req, wantReq) {
		t.Errorf("request\n got %v\nwant %v", req, wantReq)
	}
	assertNonZero(t, got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("instance\n got %+v\nwant %+v", got, want)
	}
}

func TestVolumeConversion(t *testing.T) {
	created := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	full := &pb.Volume{
		Id: "vol-1", Name: "data", Label: "data-1", Description: "scratch",
		State: pb.VolumeState_VOLUME_STATE_IN_USE, SizeGb: 10, Zone: "z1",
		Source:     &pb.ResourceRef{Kind: "snapshot", Id: "snap-1"},
		Attachment: &pb.VolumeAttachment{InstanceId: "i-1", Device: "/dev/sdh"},
		CreateTime: timestamppb.New(created), VolumeType: "gp3", Iops: 3000,
		Extra: map[string]string{"encrypted": "true"},
	}
	assertAllSet(t, full)
	fake := &fakeStorage{volumes: map[string]*pb.Volume{
		"vol-1":     full,
		"blank":     {Id: "blank", State: pb.VolumeState_VOLUME_STATE_AVAILABLE},
		"kind-none": {Id: "kind-none", Source: &pb.ResourceRef{}},
	}}
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterStorageServer(s, fake) })
	volumes := c.Services().Storage.Volumes

	tests := []struct {
		id   string
		want sdk.Volume
	}{
		{"vol-1", sdk.Volume{
			ID: "vol-1", Name: "data", Label: "data-1", Description: "scratch",
			State: sdk.VolumeInUse, SizeGB: 10, Zone: "z1",
			Source:     &sdk.ResourceRef{Kind: "snapshot", ID: "snap-1"},
			Attachment: &sdk.VolumeAttachment{InstanceID: "i-1", Device: "/dev/sdh"},
			CreateTime: created, VolumeType: "gp3", IOPS: 3000,
			Extra: map[string]string{"encrypted": "true"},
		}},
		{"blank", sdk.Volume{ID: "blank", State: sdk.VolumeAvailable}},
		{"kind-none", sdk.Volume{ID: "kind-none", State: sdk.VolumeUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := volumes.Get(context.Background(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if got := string(tests[0].want.State); got != "in-use" {
		t.Errorf("VolumeInUse is %q, want CloudBridge's in-use", got)
	}
}

func TestUpdateLeavesNilFieldsUnset(t *testing.T) {
	compute := &fakeCompute{updates: make(chan *pb.UpdateInstanceRequest, 1)}
	storage := &fakeStorage{updates: make(chan *pb.UpdateVolumeRequest, 1)}
	c, _ := dial(t,
		func(s *grpc.Server) { pb.RegisterComputeServer(s, compute) },
		func(s *grpc.Server) { pb.RegisterStorageServer(s, storage) },
	)
	p := c.Services()
	ctx := context.Background()

	if _, err := p.Compute.Instances.Update(ctx, "i-1", sdk.InstanceUpdate{}); err != nil {
		t.Fatal(err)
	}
	if req := receive(t, compute.updates); req.Label != nil {
		t.Errorf("nil label sent as %q", req.GetLabel())
	}

	empty := ""
	if _, err := p.Compute.Instances.Update(ctx, "i-1", sdk.InstanceUpdate{Label: &empty}); err != nil {
		t.Fatal(err)
	}
	if req := receive(t, compute.updates); req.Label == nil || *req.Label != "" {
		t.Errorf("label set to \"\" arrived as %v", req.Label)
	}

	desc := "new description"
	if _, err := p.Storage.Volumes.Update(ctx, "vol-1", sdk.VolumeUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	req := receive(t, storage.updates)
	if req.Label != nil || req.GetDescription() != desc || req.Description == nil {
		t.Errorf("got label %v description %v, want unset and %q", req.Label, req.Description, desc)
	}
}

func TestEnumConversions(t *testing.T) {
	// Every value the contract defines maps to a distinct, known sdk value.
	states := []struct {
		enum    protoreflect.EnumDescriptor
		convert func(protoreflect.EnumNumber) string
	}{
		{pb.ImageState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(imageStateFromPB(pb.ImageState(n))) }},
		{pb.InstanceState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(instanceStateFromPB(pb.InstanceState(n))) }},
		{pb.VolumeState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(volumeStateFromPB(pb.VolumeState(n))) }},
		{pb.SnapshotState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(snapshotStateFromPB(pb.SnapshotState(n))) }},
		{pb.NetworkState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(networkStateFromPB(pb.NetworkState(n))) }},
		{pb.RouterState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(routerStateFromPB(pb.RouterState(n))) }},
		{pb.GatewayState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(gatewayStateFromPB(pb.GatewayState(n))) }},
		{pb.FloatingIPState(0).Descriptor(), func(n protoreflect.EnumNumber) string { return string(floatingIPStateFromPB(pb.FloatingIPState(n))) }},
		{pb.BlockDeviceSource(0).Descriptor(), func(n protoreflect.EnumNumber) string {
			return string(blockDeviceSourceFromPB(pb.BlockDeviceSource(n)))
		}},
		{pb.TrafficDirection(0).Descriptor(), func(n protoreflect.EnumNumber) string {
			return string(trafficDirectionFromPB(pb.TrafficDirection(n)))
		}},
	}
	for _, s := range states {
		t.Run(string(s.enum.Name()), func(t *testing.T) {
			zero := s.convert(0)
			seen := map[string]bool{zero: true}
			values := s.enum.Values()
			for i := range values.Len() {
				v := values.Get(i)
				if v.Number() == 0 {
					continue
				}
				got := s.convert(v.Number())
				if seen[got] {
					t.Errorf("%s maps to %q, which another value also maps to", v.Name(), got)
				}
				seen[got] = true
			}
		})
	}

	if got := floatingIPStateFromPB(pb.FloatingIPState_FLOATING_IP_STATE_IN_USE); got != "in_use" {
		t.Errorf("FLOATING_IP_STATE_IN_USE is %q, want CloudBridge's in_use", got)
	}
	for _, src := range []sdk.BlockDeviceSource{sdk.SourceBlank, sdk.SourceVolume, sdk.SourceSnapshot, sdk.SourceImage, sdk.SourceEphemeral} {
		if got := blockDeviceSourceFromPB(blockDeviceSourceToPB(src)); got != src {
			t.Errorf("block device source %q came back as %q", src, got)
		}
	}
	for _, d := range []sdk.TrafficDirection{sdk.Inbound, sdk.Outbound} {
		if got := trafficDirectionFromPB(trafficDirectionToPB(d)); got != d {
			t.Errorf("direction %q came back as %q", d, got)
		}
	}
	if trafficDirectionToPB("sideways") != pb.TrafficDirection_TRAFFIC_DIRECTION_UNSPECIFIED {
		t.Error("an unknown direction must go out UNSPECIFIED for the plugin to reject")
	}
}

// ---- objects ----

func TestObjectGetStreams(t *testing.T) {
	fake := newFakeObjects()
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterObjectStoreServer(s, fake) })
	objects := c.Services().ObjectStore.Objects

	tests := []struct {
		name   string
		req    sdk.GetObjectRequest
		length *int64 // what the plugin should see
		want   []byte
	}{
		{"whole object", sdk.GetObjectRequest{Bucket: "b", Key: "blob", Length: -1}, nil, fake.blob},
		{"range", sdk.GetObjectRequest{Bucket: "b", Key: "blob", Offset: 10, Length: wire.ChunkSize + 5}, proto.Int64(wire.ChunkSize + 5), fake.blob[10 : 10+wire.ChunkSize+5]},
		{"empty range", sdk.GetObjectRequest{Bucket: "b", Key: "blob", Offset: 3, Length: 0}, proto.Int64(0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, body, err := objects.Get(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			if info.Key != "blob" || info.Size != int64(len(fake.blob)) {
				t.Errorf("info %+v", info)
			}
			req := receive(t, fake.getReqs)
			if req.GetOffset() != tt.req.Offset || (req.Length == nil) != (tt.length == nil) ||
				(tt.length != nil && *req.Length != *tt.length) {
				t.Errorf("plugin got offset %d length %v", req.GetOffset(), req.Length)
			}
			// Read with an odd buffer size so reads straddle chunk boundaries.
			var got bytes.Buffer
			buf := make([]byte, 4097)
			for {
				n, err := body.Read(buf)
				got.Write(buf[:n])
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got.Bytes(), tt.want) {
				t.Errorf("read %d bytes, want %d (or contents differ)", got.Len(), len(tt.want))
			}
		})
	}
}

func TestObjectGetCloseCancelsStream(t *testing.T) {
	fake := newFakeObjects()
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterObjectStoreServer(s, fake) })
	objects := c.Services().ObjectStore.Objects

	_, body, err := objects.Get(context.Background(), sdk.GetObjectRequest{Bucket: "b", Key: "endless", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, body, 2*wire.ChunkSize+wire.ChunkSize/2); err != nil {
		t.Fatal(err)
	}
	if err := body.Close(); err != nil {
		t.Fatal(err)
	}
	if ctxErr := receive(t, fake.abandons); !errors.Is(ctxErr, context.Canceled) {
		t.Errorf("server stream ended with context error %v, want canceled", ctxErr)
	}
	// Reading past Close fails instead of hanging, once buffered data is drained.
	var readErr error
	for readErr == nil {
		_, readErr = body.Read(make([]byte, wire.ChunkSize))
	}
	if !errors.Is(readErr, sdk.ErrCanceled) {
		t.Errorf("read after close: %v, want Canceled", readErr)
	}
}

func TestObjectGetErrors(t *testing.T) {
	fake := newFakeObjects()
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterObjectStoreServer(s, fake) })
	objects := c.Services().ObjectStore.Objects

	tests := []struct {
		key  string
		want error
	}{
		{"missing", sdk.ErrNotFound},
		{"chunk-first", sdk.ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, body, err := objects.Get(context.Background(), sdk.GetObjectRequest{Bucket: "b", Key: tt.key, Length: -1})
			if !errors.Is(err, tt.want) || body != nil {
				t.Errorf("got %v, %v; want %v and no body", body, err, tt.want)
			}
		})
	}
}

func TestObjectPut(t *testing.T) {
	fake := newFakeObjects()
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterObjectStoreServer(s, fake) })
	objects := c.Services().ObjectStore.Objects

	data := fake.blob[:2*wire.ChunkSize+99]
	sum := sha256.Sum256(data)
	req := sdk.PutObjectRequest{
		Bucket: "b", Key: "k", ContentType: "text/plain", Metadata: map[string]string{"a": "1"},
		Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
	}
	info, err := objects.Put(context.Background(), req, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	res := receive(t, fake.puts)
	wantHeader := &pb.PutObjectHeader{
		Bucket: "b", Key: "k", ContentType: "text/plain", Metadata: map[string]string{"a": "1"},
		Size: int64(len(data)), Sha256: req.SHA256,
	}
	assertAllSet(t, wantHeader)
	if !proto.Equal(res.header, wantHeader) {
		t.Errorf("header\n got %v\nwant %v", res.header, wantHeader)
	}
	if !res.clean || res.bytes != int64(len(data)) {
		t.Errorf("server saw clean=%v bytes=%d", res.clean, res.bytes)
	}
	if info.Size != int64(len(data)) || info.SHA256 != req.SHA256 {
		t.Errorf("info %+v", info)
	}
}

// failingBody yields r's bytes, then err instead of EOF.
type failingBody struct {
	r   io.Reader
	err error
}

func (f *failingBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

func TestObjectPutFailingBodyCancelsStream(t *testing.T) {
	diskErr := errors.New("disk on fire")
	tests := []struct {
		name    string
		bodyErr error
		is      []error
	}{
		{"io error", diskErr, []error{diskErr, sdk.ErrInternal}},
		{"canceled", context.Canceled, []error{context.Canceled, sdk.ErrCanceled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeObjects()
			c, _ := dial(t, func(s *grpc.Server) { pb.RegisterObjectStoreServer(s, fake) })
			objects := c.Services().ObjectStore.Objects

			body := &failingBody{r: bytes.NewReader(fake.blob[:wire.ChunkSize+wire.ChunkSize/2]), err: tt.bodyErr}
			_, err := objects.Put(context.Background(), sdk.PutObjectRequest{Bucket: "b", Key: "k", Size: -1}, body)
			e := sdkError(t, err)
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			if e.Retryable {
				t.Error("a failed body is not retryable: it has been consumed")
			}
			res := receive(t, fake.puts)
			if res.clean {
				t.Fatal("the plugin saw a clean end of stream: it would store a truncated object")
			}
			if !errors.Is(res.ctxErr, context.Canceled) {
				t.Errorf("server stream context error %v, want canceled", res.ctxErr)
			}
		})
	}
}

func TestObjectUploadPart(t *testing.T) {
	fake := newFakeObjects()
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterObjectStoreServer(s, fake) })
	mu, ok := c.Services().ObjectStore.Objects.(sdk.MultipartUploader)
	if !ok {
		t.Fatal("Objects does not implement sdk.MultipartUploader")
	}
	if _, ok := c.Services().ObjectStore.Objects.(sdk.URLSigner); !ok {
		t.Error("Objects does not implement sdk.URLSigner")
	}
	data := fake.blob[:wire.ChunkSize+1]
	part, err := mu.UploadPart(context.Background(),
		sdk.UploadPartRequest{Bucket: "b", Key: "k", UploadID: "u-1", PartNumber: 7, Size: int64(len(data))},
		bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.UploadedPart{PartNumber: 7, ETag: "etag-1", Size: int64(len(data))}
	if part != want {
		t.Errorf("part %+v, want %+v", part, want)
	}
	wantHeader := &pb.UploadPartHeader{Bucket: "b", Key: "k", UploadId: "u-1", PartNumber: 7, Size: int64(len(data))}
	if h := receive(t, fake.parts); !proto.Equal(h, wantHeader) {
		t.Errorf("header\n got %v\nwant %v", h, wantHeader)
	}
}

// ---- identity and go-plugin glue ----

func TestIdentity(t *testing.T) {
	fake := &fakeIdentity{}
	c, _ := dial(t, func(s *grpc.Server) { pb.RegisterIdentityServer(s, fake) })
	ctx := context.Background()

	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantInfo := Info{
		Name: "fake", Version: "1.2.3", SDKVersion: "0.1.0", ProtocolVersion: 1,
		Settings: []sdk.SettingSpec{{Name: "token", Description: "API token", Secret: true, Required: true, Default: "d", Env: []string{"FAKE_TOKEN"}}},
	}
	if !reflect.DeepEqual(info, wantInfo) {
		t.Errorf("info\n got %+v\nwant %+v", info, wantInfo)
	}
	caps, err := c.Capabilities(ctx)
	if err != nil || !reflect.DeepEqual(caps, []string{sdk.CapCompute, sdk.CapInstances}) {
		t.Errorf("capabilities %v, %v", caps, err)
	}
	if _, err := c.Configure(ctx, map[string]string{"region": "r1"}, map[string]string{"token": "wrong"}); !errors.Is(err, sdk.ErrUnauthenticated) {
		t.Errorf("configure with a bad token: %v", err)
	}
	loc, err := c.Services().Configure(ctx, sdk.Config{Settings: map[string]string{"region": "r1"}, Secrets: map[string]string{"token": "s3cret"}})
	if err != nil || loc != (sdk.Location{Region: "r1", Zone: "r1a"}) {
		t.Errorf("configure: %v, %v", loc, err)
	}

	err = c.Probe(ctx)
	if e := sdkError(t, err); e.Code != sdk.CodeUnavailable || e.Message != "endpoint unreachable" {
		t.Errorf("probe of an unready plugin: %v", err)
	}
	fake.ready = true
	if err := c.Probe(ctx); err != nil {
		t.Errorf("probe of a ready plugin: %v", err)
	}
}

func TestPluginSets(t *testing.T) {
	p, ok := PluginSets()[wire.ProtocolVersion][wire.PluginName].(*GRPCPlugin)
	if !ok {
		t.Fatalf("PluginSets has no *GRPCPlugin for protocol %d", wire.ProtocolVersion)
	}
	if err := p.GRPCServer(nil, nil); err == nil {
		t.Error("GRPCServer succeeded on the host side")
	}
	_, conn := dial(t)
	raw, err := p.GRPCClient(context.Background(), nil, conn)
	if _, ok := raw.(*Client); !ok || err != nil {
		t.Errorf("GRPCClient returned %T, %v", raw, err)
	}
}
