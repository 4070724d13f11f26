package main

import (
	"errors"
	"flag"

	"github.com/sioproxy/sioproxy/decode/sio"
)

const binaryUsage = `  --binary STYLE        attachments in --json and --no-tui: summary (size,
                        sha256 prefix, first 32 bytes as hex; the default),
                        full (base64 of every byte) or none (size only);
                        recordings always keep the bytes
`

// binaryFlag is --binary full|summary|none.
type binaryFlag struct{ st *sio.BinaryStyle }

func (f binaryFlag) String() string {
	if f.st == nil {
		return ""
	}
	return f.st.String()
}

func (f binaryFlag) Set(s string) error {
	st, err := sio.ParseBinaryStyle(s)
	if err != nil {
		return errors.New("want full, summary or none")
	}
	*f.st = st
	return nil
}

// registerBinary adds --binary to fs with the default a jq user wants: a
// summary, not 87 KB of base64 per 64 KiB attachment.
func (c *config) registerBinary(fs *flag.FlagSet) {
	c.Binary = sio.BinarySummary
	fs.Var(binaryFlag{&c.Binary}, "binary", "")
}
