package inject

import (
	"slices"
	"testing"
)

func mustParse(t *testing.T, s string) Rule {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The rules file's faults join the --inject ones, and each reload
// replaces them without undoing what the UI switched off.
func TestSetFile(t *testing.T) {
	s := NewSet([]Rule{mustParse(t, "strip-cors")})
	var changes []string
	s.OnChange(func(e *Entry, on bool) {
		changes = append(changes, e.Text+map[bool]string{true: " on", false: " off"}[on])
	})
	s.SetFile([]Rule{mustParse(t, "drop-pongs"), mustParse(t, "cut-ws=5s")})
	if len(s.Entries()) != len(Kinds) {
		t.Fatalf("%d entries, want one per kind (%d)", len(s.Entries()), len(Kinds))
	}
	if e := s.Get(DropPongs); e == nil || !e.Given || !e.File() || e.Text != "drop-pongs" {
		t.Fatalf("Get(drop-pongs) = %+v, want the file's rule, on", e)
	}
	if e := s.Get(CutWS); e == nil || e.Text != "cut-ws=5s" {
		t.Fatalf("Get(cut-ws) = %+v, want the file's cut-ws=5s instead of the example", e)
	}
	if s.Get(StripCORS) == nil {
		t.Fatal("the file's faults switched the --inject rule off")
	}
	if want := []string{"drop-pongs on", "cut-ws=5s on"}; !slices.Equal(changes, want) {
		t.Fatalf("changes %q, want %q", changes, want)
	}
	// The user switches drop-pongs off; a reload naming it again keeps it off.
	i := slices.IndexFunc(s.Entries(), func(e *Entry) bool { return e.Kind == DropPongs })
	s.Toggle(i)
	changes = nil
	s.SetFile([]Rule{mustParse(t, "drop-pongs"), mustParse(t, "no-upgrade")})
	if s.Get(DropPongs) != nil {
		t.Fatal("a reload switched back on a rule the UI had switched off")
	}
	if s.Get(NoUpgrade) == nil || s.Get(CutWS) != nil {
		t.Fatal("reload: no-upgrade not on, or the removed cut-ws=5s still on")
	}
	if e := s.Entries()[slices.IndexFunc(s.Entries(), func(e *Entry) bool { return e.Kind == CutWS })]; e.Text != "cut-ws=10s" || e.Given {
		t.Fatalf("cut-ws after its removal from the file: %+v, want the example back", e)
	}
	if want := []string{"no-upgrade on", "cut-ws=5s off"}; !slices.Equal(changes, want) {
		t.Fatalf("changes %q, want %q", changes, want)
	}
	s.SetFile(nil)
	if s.Get(NoUpgrade) != nil || s.Get(StripCORS) == nil || len(s.Entries()) != len(Kinds) {
		t.Fatalf("an empty file left its rules on or took the flag's: %d entries", len(s.Entries()))
	}
	var nilSet *Set
	nilSet.SetFile([]Rule{mustParse(t, "drop-pongs")})
}
