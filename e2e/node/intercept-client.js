'use strict';
// An interactive socket.io client for sioproxy's intercept tests: it
// connects, then reads one JSON command per stdin line and prints one JSON
// line per outcome, so a Go test can drive it step by step.
//
//   node intercept-client.js '{"url":"http://127.0.0.1:8080","transports":["websocket"],"version":4}'
//
// Options: url, transports, version (4 default, or 2 for socket.io-client
// 2.5.0 / EIO3), parser ("msgpack"), perMessageDeflate (Node ws offers it
// when true).
// Output: {"connected":"<engine sid>"} once connected; {"recv_packet":TYPE,"id":ID}
// for every packet decoded; {"got":EVENT,"args":[…]}
// for every event received (binary as {"_binary":"<base64>"}); an event
// received with an ack callback is acked with {"client_ack":EVENT}.
// Commands: {"tag":"t1","emit":"chat","args":[…],"ack":true,"timeout":ms}
// prints {"tag":"t1","ack":[…]} or {"tag":"t1","ack_timeout":true}.

const readline = require('readline');
const { emitLine, encode } = require('./wirelog');

const cfg = JSON.parse(process.argv[2] || '{}');
const opts = { transports: cfg.transports || ['polling', 'websocket'], reconnection: false, forceNew: true };
if (cfg.perMessageDeflate !== undefined) opts.perMessageDeflate = cfg.perMessageDeflate;
let socket;
if (cfg.version === 2) {
  socket = require('socket.io-client-v2')(cfg.url, opts);
} else {
  if (cfg.parser === 'msgpack') opts.parser = require('socket.io-msgpack-parser');
  socket = require('socket.io-client').io(cfg.url, opts);
}

function engineId() {
  const eng = socket.io.engine;
  return eng && eng.id;
}

function onEvent(event, ...args) {
  const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
  emitLine({ got: event, args: encode(args) });
  if (cb) cb({ client_ack: event });
}

if (cfg.version === 2) {
  // socket.io-client 2 has no onAny: take over onevent (no handler is
  // registered by name here anyway).
  socket.onevent = function (packet) {
    const args = (packet.data || []).slice();
    if (packet.id != null) args.push(this.ack(packet.id));
    onEvent(...args);
  };
} else {
  socket.onAny(onEvent);
}

// Every packet the client's parser decoded, so a test can tell that an
// ACK sioproxy consumed never arrived: {"recv_packet":TYPE,"id":ID}.
socket.io.on('packet', (p) => emitLine({ recv_packet: p.type, id: p.id === undefined ? null : p.id, nsp: p.nsp }));

socket.on('connect', () => emitLine({ connected: engineId(), transport: socket.io.engine.transport.name }));
socket.io.engine && socket.io.engine.on && socket.io.engine.on('upgrade', (t) => emitLine({ upgraded: t.name }));
socket.on('connect_error', (err) => emitLine({ connect_error: String(err && err.message) }));
socket.on('disconnect', (reason) => emitLine({ disconnected: reason }));

function decodeArgs(args) {
  return (args || []).map((a) => (a && typeof a === 'object' && typeof a._binary === 'string' ? Buffer.from(a._binary, 'base64') : a));
}

readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (!l.trim()) return;
  const cmd = JSON.parse(l);
  const args = decodeArgs(cmd.args);
  if (!cmd.ack) {
    socket.emit(cmd.emit, ...args);
    emitLine({ tag: cmd.tag, sent: true });
    return;
  }
  let done = false;
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    emitLine({ tag: cmd.tag, ack_timeout: true });
  }, cmd.timeout || 5000);
  socket.emit(cmd.emit, ...args, (...reply) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    emitLine({ tag: cmd.tag, ack: encode(reply) });
  });
}).on('close', () => process.exit(0));
