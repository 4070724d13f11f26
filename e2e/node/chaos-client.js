'use strict';
// A socket.io-client 4.8 that keeps running and reports how it reacts to
// the faults sioproxy injects (e2e/inject_test.go): one JSON line per
// lifecycle event on stdout, e.g.
//   {"ev":"connect","sid":"…","transport":"polling"}
//   {"ev":"upgrade","transport":"websocket"}
//   {"ev":"upgradeError","message":"probe error"}
//   {"ev":"disconnect","reason":"ping timeout","description":"…"}
//   {"ev":"connect_error","message":"xhr poll error","description":"503"}
//   {"ev":"ack","n":3,"ms":12.5}
//
//   node chaos-client.js '{"url":"http://127.0.0.1:8080","transports":["websocket"]}'
//
// Options: url, transports, reconnection (default true, with a short
// delay), extraHeaders, chatter (ms between "tick" events with an ack,
// while connected), big (bytes of one "echo" string sent after the first
// connect), bigAfter (send it after that many acks instead).

const { io } = require('socket.io-client');

const cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));
  else {
    process.stderr.write(`chaos-client.js: unexpected argument ${JSON.stringify(a)}\n`);
    process.exit(2);
  }
}
if (!cfg.url) {
  process.stderr.write('chaos-client.js: url is required\n');
  process.exit(2);
}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function desc(d) {
  if (d === undefined || d === null) return undefined;
  if (typeof d === 'number' || typeof d === 'string') return String(d);
  if (d.description !== undefined) return desc(d.description);
  return d.message || String(d);
}

const opts = {
  reconnection: cfg.reconnection !== false,
  reconnectionDelay: 100,
  reconnectionDelayMax: 500,
  randomizationFactor: 0,
  timeout: 20000,
};
if (cfg.transports) opts.transports = cfg.transports;
if (cfg.extraHeaders) opts.extraHeaders = cfg.extraHeaders;

const socket = io(cfg.url, opts);
const manager = socket.io;

manager.on('open', () => {
  const engine = manager.engine;
  out({ ev: 'open', sid: engine.id, transport: engine.transport.name });
  engine.on('upgrade', (t) => out({ ev: 'upgrade', transport: t.name }));
  engine.on('upgradeError', (err) => out({ ev: 'upgradeError', message: err && err.message, description: desc(err && err.description) }));
});
manager.on('reconnect_attempt', (n) => out({ ev: 'reconnect_attempt', n }));

let acks = 0;
let bigSent = false;
let chatter = null;

function sendBig() {
  if (!cfg.big || bigSent) return;
  bigSent = true;
  out({ ev: 'big', size: cfg.big });
  socket.emit('echo', 'x'.repeat(Number(cfg.big)));
}

socket.on('connect', () => {
  const engine = manager.engine;
  out({ ev: 'connect', sid: engine.id, transport: engine.transport.name });
  if (cfg.big && !cfg.bigAfter) sendBig();
  if (cfg.chatter && !chatter) {
    chatter = setInterval(() => {
      if (!socket.connected) return;
      const t0 = process.hrtime.bigint();
      const size = Number(cfg.chatterSize) || 0;
      socket.emit('tick', { n: acks, pad: 'p'.repeat(size) }, () => {
        acks++;
        out({ ev: 'ack', n: acks, size, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        if (cfg.bigAfter && acks >= cfg.bigAfter) sendBig();
      });
    }, Number(cfg.chatter));
  }
});
socket.on('disconnect', (reason, details) => out({ ev: 'disconnect', reason, description: desc(details) }));
socket.on('connect_error', (err) => out({ ev: 'connect_error', message: err && err.message, description: desc(err && err.description) }));

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
