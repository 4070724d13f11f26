package active

import "testing"

type named string

func (n named) Name() string { return string(n) }

type msgActor struct{ named }

func (msgActor) OnMessage(*Conn, *Message) {}

func TestRegister(t *testing.T) {
	e := New(Options{})
	if _, err := e.Register(named("nothing")); err == nil {
		t.Fatal("an actor with no hook was accepted")
	}
	if e.WantsMessages() {
		t.Fatal("WantsMessages with no actor")
	}
	un, err := e.Register(msgActor{"m"})
	if err != nil {
		t.Fatal(err)
	}
	if !e.WantsMessages() || !e.WantsExchanges() {
		t.Fatal("a MessageHook did not switch message mode on")
	}
	if got := e.Actors(); len(got) != 1 || got[0] != "m" {
		t.Fatalf("Actors() = %q", got)
	}
	un()
	un()
	if e.WantsMessages() {
		t.Fatal("WantsMessages after unregister")
	}
}
