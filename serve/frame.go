package serve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// DefaultMaxFrameBytes bounds a request frame: the Java producer's default
// max.request.size (1 MiB) plus room for headers. Kafka's own bound,
// socket.request.max.bytes, is 100 MiB; a smaller one keeps what a decode
// may allocate small (kmsg bounds every array count by the bytes left, one
// byte per element, and an element may take ~60 bytes in memory).
const DefaultMaxFrameBytes = 1<<20 + 64<<10

// header is a request header (Kafka's RequestHeader v1 and v2).
type header struct {
	key      int16
	version  int16
	corr     int32
	clientID string
}

// errFrame is a frame that cannot be a Kafka request: the connection is
// closed, as Kafka's SocketServer does with an InvalidReceiveException.
var errFrame = errors.New("bad frame")

// readFrame reads one size-prefixed frame of at most max bytes into buf
// (grown as needed) and returns it. io.EOF is a clean end between frames.
func readFrame(r io.Reader, buf []byte, max int32) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 8 || n > max { // a header has at least key, version and correlation id
		return nil, fmt.Errorf("%w: size %d outside [8, %d]", errFrame, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("frame of %d bytes: %w", n, err)
	}
	return buf, nil
}

// parseHeader reads the fixed part of a request header: key, version,
// correlation id and client id (header v1). The tagged fields of header v2
// follow for flexible requests; skipTags reads them.
func parseHeader(b []byte) (header, []byte, error) {
	if len(b) < 10 {
		return header{}, nil, fmt.Errorf("%w: header needs 10 bytes, frame has %d", errFrame, len(b))
	}
	h := header{key: int16(binary.BigEndian.Uint16(b)), version: int16(binary.BigEndian.Uint16(b[2:])),
		corr: int32(binary.BigEndian.Uint32(b[4:]))}
	n := int(int16(binary.BigEndian.Uint16(b[8:])))
	b = b[10:]
	if n > len(b) {
		return h, nil, fmt.Errorf("%w: client id of %d bytes, %d left", errFrame, n, len(b))
	}
	if n > 0 {
		h.clientID, b = string(b[:n]), b[n:]
	}
	return h, b, nil
}

// skipTags skips a tagged-field section (an unsigned varint count, then
// per field a varint tag, a varint size and the bytes), bounded by b.
func skipTags(b []byte) ([]byte, error) {
	count, b, err := uvarint(b)
	if err != nil {
		return nil, err
	}
	if count > uint64(len(b)) {
		return nil, fmt.Errorf("%w: %d tagged fields in %d bytes", errFrame, count, len(b))
	}
	for range count {
		if _, b, err = uvarint(b); err != nil {
			return nil, err
		}
		var size uint64
		if size, b, err = uvarint(b); err != nil {
			return nil, err
		}
		if size > uint64(len(b)) {
			return nil, fmt.Errorf("%w: tagged field of %d bytes, %d left", errFrame, size, len(b))
		}
		b = b[size:]
	}
	return b, nil
}

func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad varint in the header", errFrame)
	}
	return v, b[n:], nil
}

// flexibleRequest reports whether a request of this key and version uses
// the flexible header (v2), as kmsg's message definitions say.
func flexibleRequest(key, version int16) bool {
	req := kmsg.RequestForKey(key)
	if req == nil {
		return false
	}
	req.SetVersion(version)
	return req.IsFlexible()
}

// appendResponse appends a response frame: size, correlation id, the
// response header's tagged fields when the response is flexible (never for
// ApiVersions, whose response header is always v0: KIP-511), and the body.
func appendResponse(dst []byte, corr int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(corr))
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
