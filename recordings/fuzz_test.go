package recordings

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// FuzzReadRecording feeds arbitrary bytes to the reader, which must answer
// with observations or an error, never a panic or a hang.
func FuzzReadRecording(f *testing.F) {
	// Seeds stay small: the engine minimises every new interesting input,
	// which costs about n² runs for n bytes.
	f.Add([]byte("{\"sioproxy\":1}\n{\"kind\":\"http\",\"id\":1,\"req_headers\":{\"A\":[\"b\"]},\"req_body\":\"AP8=\",\"req_enc\":\"base64\"}\n" +
		"{\"kind\":\"ws.msg\",\"conn\":5,\"dir\":\"s2c\",\"ts\":\"2025-03-14T09:26:53Z\",\"opcode\":1,\"len\":2,\"data\":\"42\"}\n{\"kind\":\"ws.cl"))
	f.Add([]byte(`{"log":{"_sioproxy":{"sioproxy":1},"entries":[{"startedDateTime":"2025-03-14T09:26:53Z","request":{"url":"ws://h/"},` +
		`"_webSocketMessages":[{"type":"send","time":1741944413.8,"opcode":2,"data":"A+g="}],"_webSocketClose":{"code":1000}}]}}`))
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("{\"sioproxy\":1}\n{\"kind\":\"drop\",\"count\":1}\n"))
	zw.Close()
	f.Add(z.Bytes())
	f.Add([]byte("{\"sioproxy\":1}\n{\"kind\":\"ws.msg\",\"dir\":\"c2s\",\"data\":\"\",\"enc\":\"base64\"}\n"))
	f.Add([]byte(`{"log":{"entries":[{"startedDateTime":"2025-01-01T00:00:00Z","request":{"url":"ws://a/"},"_webSocketMessages":[{"type":"send","time":1e300,"opcode":1,"data":"x"}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for i := 0; i < 1<<16; i++ {
			o, err := r.Next()
			if err != nil {
				return
			}
			// Whatever was read must be writable again.
			if _, err := marshalLine(o); err != nil && o.Time.Year() < 10000 && o.Time.Year() >= 0 {
				t.Fatalf("read an observation that cannot be written: %v", err)
			}
		}
		t.Fatal("reader did not end")
	})
}
