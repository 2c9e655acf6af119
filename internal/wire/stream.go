package wire

import (
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// ChunkSize is the size of the data chunks of object streams: large enough to
// amortise per-message cost, small enough to keep memory per stream bounded.
const ChunkSize = 1 << 20

// MaxMessageSize is the gRPC message limit both ends set: a chunk plus headroom.
const MaxMessageSize = 4*ChunkSize + 1<<16

var chunkPool = sync.Pool{New: func() any { b := make([]byte, ChunkSize); return &b }}

// SendChunks reads r to EOF and calls send with each chunk of at most ChunkSize
// bytes. The slice passed to send is reused after send returns, so send must not
// keep it (gRPC's SendMsg serializes before returning). It returns the number of
// bytes sent.
func SendChunks(r io.Reader, send func([]byte) error) (int64, error) {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if serr := send(buf[:n]); serr != nil {
				return total, serr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// ChunkReader is an io.Reader over a stream of chunks. recv returns the next
// chunk, or io.EOF at the end of the stream.
type ChunkReader struct {
	recv func() ([]byte, error)
	buf  []byte
	err  error
}

// NewChunkReader returns a reader of the chunks recv yields.
func NewChunkReader(recv func() ([]byte, error)) *ChunkReader {
	return &ChunkReader{recv: recv}
}

func (c *ChunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.buf, c.err = c.recv()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// Timestamp converts a time to a protobuf timestamp; the zero time is nil.
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Time converts a protobuf timestamp to a time; nil is the zero time.
func Time(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// CopyMap returns a copy of m, nil when m is empty, so that callers never share
// a map with a protobuf message.
func CopyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
