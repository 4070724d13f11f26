package inject

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, canon string
		check     func(Rule) bool
	}{
		{"no-upgrade", "no-upgrade", nil},
		{"swallow-probe", "swallow-probe", nil},
		{"strip-cors", "strip-cors", nil},
		{"drop-pongs", "drop-pongs", func(r Rule) bool { return r.Percent == 100 }},
		{"drop-pongs=30%", "drop-pongs=30%", func(r Rule) bool { return r.Percent == 30 }},
		{"drop-pings=2.5%", "drop-pings=2.5%", func(r Rule) bool { return r.Percent == 2.5 }},
		{"cut-ws=60s", "cut-ws=1m0s", func(r Rule) bool { return r.After == time.Minute && !r.Frame }},
		{"cut-ws=2500ms:close", "cut-ws=2.5s:close", func(r Rule) bool { return r.Frame }},
		{"cut-poll=10s:504", "cut-poll=10s:504", func(r Rule) bool { return r.Frame && r.After == 10*time.Second }},
		{"fail-polls=503/3", "fail-polls=503/3", func(r Rule) bool { return r.Status == 503 && r.Code == -1 && r.Every == 3 }},
		{"fail-polls=400:1/5", "fail-polls=400:1/5", func(r Rule) bool { return r.Status == 400 && r.Code == 1 && r.Every == 5 }},
		{"fail-polls=502", "fail-polls=502/3", func(r Rule) bool { return r.Every == 3 }},
		{"reroute-sid", "reroute-sid", func(r Rule) bool { return r.Every == 1 }},
		{"reroute-sid=4", "reroute-sid=4", func(r Rule) bool { return r.Every == 4 }},
		{"delay=s2c:300ms±100ms", "delay=s2c:300ms±100ms", func(r Rule) bool { return r.Dir == S2C && r.Jitter == 100*time.Millisecond }},
		{"delay=c2s:1s+-1s", "delay=c2s:1s±1s", func(r Rule) bool { return r.Dir == C2S }},
		{"delay=200ms", "delay=both:200ms", func(r Rule) bool { return r.Dir == Both }},
		{"delay=up:2s", "delay=c2s:2s", nil},
		{"bandwidth=56kbit", "bandwidth=7000B/s", func(r Rule) bool { return r.Rate == 7000 }},
		{"bandwidth=56kbps", "bandwidth=7000B/s", nil},
		{"bandwidth=1mbit/s", "bandwidth=125000B/s", nil},
		{"bandwidth=20KB", "bandwidth=20000B/s", nil},
		{"bandwidth=1MiB", "bandwidth=1048576B/s", nil},
		{"loss=5%", "loss=5%", nil},
		{"corrupt=100%", "corrupt=100%", nil},
		{"oversize", "oversize=1000", func(r Rule) bool { return r.Size == DefaultOversize }},
		{"oversize=64KB", "oversize=64000", nil},
		{"oversize=1MiB", "oversize=1048576", nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if r.Text != tc.canon {
				t.Errorf("Parse(%q).Text = %q, want %q", tc.in, r.Text, tc.canon)
			}
			if tc.check != nil && !tc.check(r) {
				t.Errorf("Parse(%q) = %+v", tc.in, r)
			}
			again, err := Parse(r.Text)
			if err != nil || again.Text != r.Text {
				t.Errorf("the canonical form %q does not parse back to itself: %v, %q", r.Text, err, again.Text)
			}
		})
	}
}

// Errors name the rule as given and say what is wrong with which value.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"bogus", `unknown rule "bogus"`},
		{"", `unknown rule ""`},
		{"no-upgrade=1", `no-upgrade takes no value, got "1"`},
		{"drop-pongs=30", `"30": want a percentage`},
		{"drop-pongs=0%", `above 0% and at most 100%`},
		{"corrupt=101%", `at most 100%`},
		{"corrupt", `corrupt needs a value`},
		{"loss=NaN%", `want a percentage`},
		{"cut-ws", `cut-ws needs a value`},
		{"cut-ws=-1s", `duration "-1s"`},
		{"cut-ws=10s:504", `option "504"`},
		{"cut-poll=10s:close", `option "close"`},
		{"fail-polls=200/3", `status "200"`},
		{"fail-polls=503/0", `N "0"`},
		{"fail-polls=400:9/2", `Engine.IO code "9"`},
		{"reroute-sid=x", `N "x"`},
		{"delay=sideways:1s", `direction "sideways"`},
		{"delay=s2c:1s±2s", `jitter 2s is larger than the delay 1s`},
		{"delay=s2c:fast", `duration "fast"`},
		{"bandwidth=fast", `rate "fast"`},
		{"bandwidth=1bit", `want 100 B/s to 10 GB/s`},
		{"oversize=0", `size "0"`},
		{"oversize=-5KB", `size "-5KB"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.in)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `--inject "`+tc.in+`": `) || !strings.Contains(msg, tc.want) {
				t.Errorf("Parse(%q) error %q, want it to name the rule and say %q", tc.in, msg, tc.want)
			}
		})
	}
}

// FuzzParse: any input parses or fails cleanly, and a parsed rule's
// canonical form parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"no-upgrade", "drop-pongs=30%", "cut-ws=60s:close", "fail-polls=400:1/5",
		"delay=s2c:300ms±100ms", "bandwidth=56kbit", "oversize=64KB", "reroute-sid=2", "loss=5%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(r.Text)
		if err != nil || again.Text != r.Text {
			t.Fatalf("%q → %q does not parse back: %v %q", s, r.Text, err, again.Text)
		}
	})
}

func TestSet(t *testing.T) {
	given, _ := Parse("drop-pongs=50%")
	s := NewSet([]Rule{given})
	if len(s.Entries()) != len(Kinds) {
		t.Fatalf("%d entries, want one per rule (%d)", len(s.Entries()), len(Kinds))
	}
	if e := s.Get(DropPongs); e == nil || e.Text != "drop-pongs=50%" || !e.Given {
		t.Fatalf("Get(drop-pongs) = %+v, want the given rule, on", e)
	}
	if s.Get(CutWS) != nil {
		t.Fatal("an example rule is on without being asked for")
	}
	var changes []string
	s.OnChange(func(e *Entry, on bool) {
		changes = append(changes, e.Text+map[bool]string{true: " on", false: " off"}[on])
	})
	i := -1
	for j, e := range s.Entries() {
		if e.Kind == CutWS {
			i = j
		}
	}
	if !s.Toggle(i) || s.Get(CutWS) == nil {
		t.Fatal("Toggle did not switch cut-ws on")
	}
	s.EnableOnly(NoUpgrade)
	if s.Get(CutWS) != nil || s.Get(DropPongs) != nil || s.Get(NoUpgrade) == nil {
		t.Fatal("EnableOnly(no-upgrade) left other rules on or did not switch it on")
	}
	s.EnableOnly("")
	if s.Any() {
		t.Fatal("EnableOnly(\"\") left a rule on")
	}
	if want := "cut-ws=10s on"; len(changes) == 0 || changes[0] != want {
		t.Errorf("changes %q, want first %q", changes, want)
	}
	var nilSet *Set
	if nilSet.Get(NoUpgrade) != nil || nilSet.Any() {
		t.Error("a nil Set has rules")
	}
}

func TestEntryNthAndRoll(t *testing.T) {
	r, _ := Parse("fail-polls=503/3")
	e := &Entry{Rule: r}
	var hits []int
	for i := 1; i <= 9; i++ {
		if e.Nth() {
			hits = append(hits, i)
		}
	}
	if len(hits) != 3 || hits[0] != 3 || hits[2] != 9 {
		t.Errorf("every 3rd of 9: %v", hits)
	}
	all, _ := Parse("drop-pongs")
	for range 100 {
		if !(&Entry{Rule: all}).Roll() {
			t.Fatal("100% rolled false")
		}
	}
	d, _ := Parse("delay=both:100ms±20ms")
	de := &Entry{Rule: d}
	for range 100 {
		if j := de.Jittered(); j < 80*time.Millisecond || j > 120*time.Millisecond {
			t.Fatalf("jittered delay %v outside 100ms±20ms", j)
		}
	}
}
