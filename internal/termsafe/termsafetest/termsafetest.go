// Package termsafetest helps tests prove that wire text cannot reach a
// terminal raw: it fills every string of a value with a hostile payload
// and audits what would be written to the terminal.
package termsafetest

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/sioproxy/sioproxy/internal/termsafe"
)

// Payload sets the window title, writes the clipboard (OSC 52), clears the
// screen, moves the cursor with a C1 CSI, reverses the text with a bidi
// override and ends with bytes that are not UTF-8.
const Payload = "/x\x1b]2;PWNED\x07\x1b]52;c;UFdORUQ=\x07\x1b[2J\u009b2J\u202eevil\u2066\xff\xfe\r\n\t"

// Visible is how Payload's start must show after escaping.
const Visible = `\x1b]2;PWNED`

// Fill sets every string, every []string element and every []byte
// (json.RawMessage args included, as a JSON array holding Payload) reachable from
// ptr, through pointers and nested structs, to Payload.
func Fill(ptr any) { fill(reflect.ValueOf(ptr).Elem()) }

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(Payload)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			fill(v.Elem())
		}
	case reflect.Slice:
		switch v.Type().Elem().Kind() {
		case reflect.String:
			v.Set(reflect.ValueOf([]string{Payload, Payload}).Convert(v.Type()))
		case reflect.Uint8:
			// Raw C1, bidi and non-UTF-8 bytes are legal inside a JSON
			// string; C0 is not, so it travels escaped as JSON does.
			v.SetBytes([]byte("[\"\u009b2J\u202eevil\xff\",\"\\u001b]2;PWNED\\u0007\"]"))
		}
	}
}

// Audit returns an error naming the first thing in out that a terminal
// would interpret and that is not a Select Graphic Rendition sequence
// (ESC [ digits ; m), the only kind sioproxy's own styling writes; newline
// is allowed between lines.
func Audit(out string) error {
	for i := 0; i < len(out); {
		c := out[i]
		if c == 0x1b {
			j := i + 1
			if j < len(out) && out[j] == '[' {
				j++
				for j < len(out) && (out[j] >= '0' && out[j] <= '9' || out[j] == ';') {
					j++
				}
				if j < len(out) && out[j] == 'm' {
					i = j + 1
					continue
				}
			}
			return fmt.Errorf("raw ESC that is not SGR at byte %d: %q", i, context(out, i))
		}
		if c == '\n' {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(out[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("byte 0x%02x that is not UTF-8 at byte %d: %q", c, i, context(out, i))
		}
		if termsafe.Unsafe(r) {
			return fmt.Errorf("raw %U at byte %d: %q", r, i, context(out, i))
		}
		i += n
	}
	return nil
}

func context(s string, i int) string {
	return s[max(0, i-40):min(len(s), i+40)]
}
