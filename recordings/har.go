package recordings

import "encoding/json"

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) with Chrome's
// WebSocket extension. Our own types, because the Go HAR libraries lack the
// WebSocket fields (DESIGN.md §4). Fields that some exporters fill with odd
// types (cache, _webSocketClose) are raw so one tool's quirk cannot make a
// whole entry unreadable.

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	Pageref         string          `json:"pageref,omitempty"`
	StartedDateTime string          `json:"startedDateTime"`
	Time            float64         `json:"time"`
	Request         harRequest      `json:"request"`
	Response        harResponse     `json:"response"`
	Cache           json.RawMessage `json:"cache"`
	Timings         harTimings      `json:"timings"`
	ServerIPAddress string          `json:"serverIPAddress,omitempty"`
	Connection      string          `json:"connection,omitempty"`
	Comment         string          `json:"comment,omitempty"`

	// Chrome's WebSocket extension, also written by HTTP Toolkit.
	ResourceType string         `json:"_resourceType,omitempty"`
	WSMessages   []harWSMessage `json:"_webSocketMessages,omitempty"`
	// HTTP Toolkit's close record: {code, reason, timestamp}.
	WSClose json.RawMessage `json:"_webSocketClose,omitempty"`

	// Sioproxy is the native line of the observation minus what the HAR
	// fields already hold, so that native → HAR → native is lossless.
	Sioproxy json.RawMessage `json:"_sioproxy,omitempty"`
	// SioproxyClose is the native ws.close line of a WebSocket entry.
	SioproxyClose json.RawMessage `json:"_sioproxyClose,omitempty"`
	// SioproxyRespRaw is the response body as sent (base64) when
	// content.text holds it decompressed.
	SioproxyRespRaw string `json:"_sioproxyRespRaw,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harCookie  `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int64        `json:"headersSize"`
	BodySize    int64        `json:"bodySize"`
}

// harCookie is kept loose: exporters disagree on expires and flags.
type harCookie = json.RawMessage

type harPostData struct {
	MimeType string            `json:"mimeType"`
	Params   []json.RawMessage `json:"params,omitempty"`
	Text     *string           `json:"text,omitempty"`
	// Encoding is not in HAR 1.2; some tools write it for binary bodies and
	// we write "_encoding".
	Encoding  string `json:"encoding,omitempty"`
	XEncoding string `json:"_encoding,omitempty"`
}

type harResponse struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []harCookie `json:"cookies"`
	Headers     []harNV     `json:"headers"`
	Content     harContent  `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int64       `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
	// Error is Chrome's reason for a failed request ("net::ERR_…").
	Error string `json:"_error,omitempty"`
}

type harContent struct {
	Size        int64   `json:"size"`
	Compression int64   `json:"compression,omitempty"`
	MimeType    string  `json:"mimeType"`
	Text        *string `json:"text,omitempty"`
	Encoding    string  `json:"encoding,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

// harWSMessage is one entry of _webSocketMessages. Time is wall-clock epoch
// seconds; Data is text for opcode 1 and base64 otherwise.
type harWSMessage struct {
	Type   string  `json:"type"` // "send", "receive" (Chrome also "error")
	Time   float64 `json:"time"`
	Opcode int     `json:"opcode"`
	Data   string  `json:"data"`
	// Sioproxy keeps what Chrome's format lacks.
	Sioproxy *harWSMsgExt `json:"_sioproxy,omitempty"`
}

type harWSMsgExt struct {
	TS         string `json:"ts,omitempty"` // exact time, RFC3339Nano
	Conn       uint64 `json:"conn,omitempty"`
	Compressed bool   `json:"compressed,omitempty"`
	WireLen    int    `json:"wire_len,omitempty"`
	Frames     int    `json:"frames,omitempty"`
	Enc        string `json:"enc,omitempty"` // "base64" for opcode 1 data that is not UTF-8
	CloseCode  int    `json:"close_code,omitempty"`
	CloseText  string `json:"close_text,omitempty"`
	Err        string `json:"err,omitempty"`
}

// harWSClose is HTTP Toolkit's _webSocketClose.
type harWSClose struct {
	Code      int     `json:"code"`
	Reason    string  `json:"reason"`
	Timestamp float64 `json:"timestamp"`
}
