package proxy

import (
	"net/http/httputil"
	"sync"
)

// proxyBufSize is the copy buffer size ReverseProxy would allocate per
// response without a pool.
const proxyBufSize = 32 << 10

var proxyBufs = sync.Pool{New: func() any { b := make([]byte, proxyBufSize); return &b }}

// copyBufPool lends ReverseProxy its copy buffers. httputil.BufferPool
// trades bare slices, so Put allocates a slice header to pool them: a few
// bytes instead of 32 KiB per response.
type copyBufPool struct{}

func (copyBufPool) Get() []byte { return *proxyBufs.Get().(*[]byte) }

func (copyBufPool) Put(b []byte) {
	if cap(b) != proxyBufSize {
		return
	}
	b = b[:proxyBufSize]
	proxyBufs.Put(&b)
}

var _ httputil.BufferPool = copyBufPool{}
