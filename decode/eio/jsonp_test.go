package eio

import (
	"bytes"
	"strings"
	"testing"
)

func TestUnwrapJSONP(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		payload string
		index   string
	}{
		{"22 vector", `___eio[0]("6:4hello");`, "6:4hello", "0"},
		{"v4 separators", `___eio[12]("4a\u001e2");`, "4a\x1e2", "12"},
		{"line separators", `___eio[3]("4\u2028\u2029");`, "4\u2028\u2029", "3"},
		{"escapes", `___eio[0]("4\"\\\/\b\f\n\r\t");`, "4\"\\/\b\f\n\r\t", "0"},
		{"surrogate pair", `___eio[0]("4\ud83d\ude00");`, "4😀", "0"},
		{"lone surrogate", `___eio[0]("4\ud83dx");`, "4\ufffdx", "0"},
		{"raw UTF-8", `___eio[0]("5:4héé");`, "5:4héé", "0"},
		{"no semicolon, trailing newline", "___eio[0](\"2\")\n", "2", "0"},
		{"empty index", `___eio[]("2");`, "2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, idx, err := UnwrapJSONP([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if string(p) != tc.payload || idx != tc.index {
				t.Fatalf("got %q [%q], want %q [%q]", p, idx, tc.payload, tc.index)
			}
		})
	}
	for _, bad := range []string{``, `___eio[0]`, `___eio[0]("abc`, `___eio[0]("a\q");`, `___eio[0]("a\u12");`, `___eio[x]("a");`, `___eio[0](6);`, `___eio[0]("a") + 1;`, "___eio[0](\"a\nb\");", `foo[0]("a");`} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, _, err := UnwrapJSONP([]byte(bad)); err == nil {
				t.Fatalf("UnwrapJSONP(%q) succeeded", bad)
			}
		})
	}
}

func TestEncodeJSONP(t *testing.T) {
	tests := []struct {
		index   string
		payload string
		want    string
	}{
		{"0", "6:4hello", `___eio[0]("6:4hello");`},
		{"7", "4a\u2028\x1e2\u2029", `___eio[7]("4a\u2028\u001e2\u2029");`},
		{"1", "4\"\\\n\t\x01\x7f", `___eio[1]("4\"\\\n\t\u0001` + "\x7f" + `");`},
		{"1<script>", "2", `___eio[1]("2");`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got := EncodeJSONP(tc.index, []byte(tc.payload))
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			p, _, err := UnwrapJSONP(got)
			if err != nil || string(p) != tc.payload {
				t.Fatalf("round trip = %q, %v", p, err)
			}
		})
	}
}

func TestUnwrapForm(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"plain", "d=6%3A4hello", "6:4hello"},
		{"plus is space", "d=7:4a+b+c", "7:4a b c"},
		{"escaped newline becomes newline", `d=4a%5Cnb`, "4a\nb"},
		{"double-escaped stays escaped", `d=4a%5C%5Cnb`, `4a\nb`},
		{"other fields ignored", "x=1&d=1%3A2&y=2", "1:2"},
		{"v4 separator", "d=4a%1E2", "4a\x1e2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UnwrapForm([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "x=1", "d=%", "d=%zz", "d=1&d=2"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := UnwrapForm([]byte(bad)); err == nil {
				t.Fatalf("UnwrapForm(%q) succeeded", bad)
			}
		})
	}
	for _, p := range []string{"6:4hello", "4a\nb", `4a\nb`, `4a\\nb`, "4a\n\nb", "4 + & = %"} {
		t.Run("round trip "+strings.ReplaceAll(p, "\n", "NL"), func(t *testing.T) {
			enc := EncodeForm([]byte(p))
			if bytes.ContainsAny(enc, "\n&") {
				t.Fatalf("form body %q carries a raw newline or &", enc)
			}
			got, err := UnwrapForm(enc)
			if err != nil || string(got) != p {
				t.Fatalf("round trip via %q = %q, %v", enc, got, err)
			}
		})
	}
}
