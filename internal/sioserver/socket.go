package sioserver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sioproxy/sioproxy/decode/sio"
)

// Socket is one client's membership of a namespace.
type Socket struct {
	ID  string
	Nsp string

	sess *session
	ns   *Namespace

	mu     sync.Mutex
	nextID int64
	acks   map[int64]chan *sio.Packet
}

// Sid is the Engine.IO session id the socket rides on.
func (s *Socket) Sid() string { return s.sess.sid }

// Done is closed when the underlying session ends.
func (s *Socket) Done() <-chan struct{} { return s.sess.done }

// Emit sends an event; []byte arguments become binary attachments.
func (s *Socket) Emit(event string, args ...any) {
	s.sess.sendSIO(sio.EncodeEvent(s.Nsp, nil, append([]any{event}, args...)...))
}

// EmitWithAck sends an event and waits for the client's ack.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (*sio.Packet, error) {
	s.mu.Lock()
	id := s.nextID
	s.nextID++
	ch := make(chan *sio.Packet, 1)
	s.acks[id] = ch
	s.mu.Unlock()
	s.sess.sendSIO(sio.EncodeEvent(s.Nsp, &id, append([]any{event}, args...)...))
	select {
	case p := <-ch:
		return p, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sioserver: no ack for %q: %w", event, ctx.Err())
	case <-s.sess.done:
		return nil, errors.New("sioserver: session closed")
	}
}

// Disconnect sends DISCONNECT for the namespace ("server namespace
// disconnect" on the client).
func (s *Socket) Disconnect() {
	text, _ := sio.Encode(sio.Packet{Type: sio.Disconnect, Nsp: s.Nsp})
	s.sess.sendSIO(text, nil)
	s.sess.mu.Lock()
	delete(s.sess.sockets, s.Nsp)
	s.sess.mu.Unlock()
}

// CloseSession ends the whole Engine.IO session from the server side.
func (s *Socket) CloseSession() { s.sess.close("forced server close", true) }

func (s *Socket) resolve(p *sio.Packet) {
	s.mu.Lock()
	ch := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if ch != nil {
		ch <- p
	}
}
