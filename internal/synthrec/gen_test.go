package synthrec

import (
	"bufio"
	"os"
	"testing"
)

func TestGenBig(t *testing.T) {
	out := os.Getenv("SYNTH_OUT")
	if out == "" {
		t.Skip()
	}
	f, _ := os.Create(out)
	bw := bufio.NewWriterSize(f, 1<<20)
	st, err := Write(bw, Options{Sessions: 100, Messages: 250, Payload: 3800, Names: []string{"chat message", "typing", "cursor", "save", "load"}})
	bw.Flush()
	f.Close()
	t.Log(st, err)
}
