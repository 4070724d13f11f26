package obs

import "net/http"

// baseSize approximates an observation's fixed cost: the Obs, its variant
// struct and their strings.
const baseSize = 256

// Size approximates the memory o holds, for queues bounded by bytes: the
// payloads and headers, which dominate, plus a fixed overhead.
func (o Obs) Size() int {
	n := baseSize
	switch {
	case o.HTTP != nil:
		n += len(o.HTTP.ReqBody) + len(o.HTTP.RespBody) + headerSize(o.HTTP.ReqHeader) + headerSize(o.HTTP.RespHeader)
	case o.WSMsg != nil:
		n += len(o.WSMsg.Data)
	case o.WSOpen != nil:
		n += headerSize(o.WSOpen.ReqHeader) + headerSize(o.WSOpen.RespHeader)
	}
	return n
}

func headerSize(h http.Header) int {
	n := 0
	for k, vv := range h {
		n += len(k) + 16
		for _, v := range vv {
			n += len(v) + 16
		}
	}
	return n
}
