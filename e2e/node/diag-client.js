'use strict';
// socket.io-client 4.8 scenarios for sioproxy's correlation rules (issue
// 16, e2e/diag_test.go): reconnect loops, connection state recovery,
// duplicate sessions, acks that never come. Each prints one line
//   {"result":{...}}
// and exits 0; the Go test checks the result and sioproxy's faults.
//
//   node diag-client.js '{"url":"http://127.0.0.1:8080","scenario":"retry","errors":6}'
//
// Scenarios:
//   retry   a client with reconnection on (reconnectionDelay,
//           reconnectionDelayMax, randomizationFactor, transports from the
//           options) until `errors` connect_errors or `connects` connects.
//           Result: {errors, connects, sids}.
//   csr     connects, optionally asks for `news` broadcasts first (so it
//           holds an offset), then drops the transport (engine.close()) or
//           waits for the server to go away (`waitDrop`), reconnects by
//           itself and reports {recovered, ids: [before, after]}.
//   two     two managers (forceNew) with the same auth on one namespace,
//           like a component that calls io() twice; waits `pings` server
//           pings, asks for a broadcast and reports {news: [n1, n2]}.
//   noack   emits "never-ack" with a callback (the server never calls it),
//           waits `wait` ms, emits "hello" with an ack, then disconnects.
// Options: url, scenario, transports, auth, timeout (ms).

const { io } = require('socket.io-client');

const cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));
  else {
    process.stderr.write(`diag-client.js: unexpected argument ${JSON.stringify(a)}\n`);
    process.exit(2);
  }
}
if (!cfg.url || !cfg.scenario) {
  process.stderr.write('diag-client.js: url and scenario are required\n');
  process.exit(2);
}
const TIMEOUT = Number(cfg.timeout) || 60000;

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function opts(extra) {
  const o = { forceNew: true, timeout: 20000 };
  for (const k of ['transports', 'auth', 'reconnectionDelay', 'reconnectionDelayMax', 'randomizationFactor']) {
    if (cfg[k] !== undefined) o[k] = cfg[k];
  }
  return Object.assign(o, extra || {});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function once(emitter, ev) {
  return new Promise((resolve) => emitter.once(ev, (...a) => resolve(a)));
}

const scenarios = {
  async retry() {
    const socket = io(cfg.url, opts({ reconnection: true }));
    const res = { errors: 0, connects: 0, sids: [] };
    await new Promise((resolve) => {
      socket.on('connect_error', () => {
        if (++res.errors >= (cfg.errors || Infinity)) resolve();
      });
      socket.on('connect', () => {
        res.sids.push(socket.io.engine.id);
        if (++res.connects >= (cfg.connects || Infinity)) resolve();
      });
    });
    socket.close();
    return res;
  },

  async csr() {
    const socket = io(cfg.url, opts({ reconnection: true, reconnectionDelay: cfg.reconnectionDelay || 200 }));
    await once(socket, 'connect');
    const before = socket.id;
    const sid = socket.io.engine.id;
    for (let i = 0; i < (cfg.news || 0); i++) {
      const got = once(socket, 'news');
      socket.emit('broadcast', { i });
      await got;
    }
    // 'disconnect' fires inside engine.close(): listen first.
    const dropped = once(socket, 'disconnect');
    if (cfg.waitDrop) out({ ready: true, sid });
    else socket.io.engine.close();
    await dropped;
    await once(socket, 'connect');
    const res = { recovered: socket.recovered, ids: [before, socket.id], sids: [sid, socket.io.engine.id] };
    socket.disconnect();
    await sleep(100);
    return res;
  },

  async two() {
    const a = io(cfg.url, opts({ reconnection: false }));
    const b = io(cfg.url, opts({ reconnection: false }));
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    const news = [0, 0];
    a.on('news', () => news[0]++);
    b.on('news', () => news[1]++);
    for (let i = 0; i < (cfg.pings || 2); i++) await once(a.io.engine, 'ping');
    for (let i = 0; i < 3; i++) {
      a.emit('broadcast', { i });
      await sleep(50);
    }
    while (news[0] < 3 || news[1] < 3) await sleep(20);
    for (let i = 0; i < 2; i++) await once(a.io.engine, 'ping');
    const res = { sids: [a.io.engine.id, b.io.engine.id], news };
    a.disconnect();
    b.disconnect();
    await sleep(100);
    return res;
  },

  async noack() {
    const socket = io(cfg.url, opts({ reconnection: false }));
    await once(socket, 'connect');
    const sid = socket.io.engine.id;
    let called = false;
    socket.emit('never-ack', { x: 1 }, () => { called = true; });
    await sleep(Number(cfg.wait) || 2500);
    const ack = await socket.timeout(TIMEOUT).emitWithAck('hello', { y: 2 });
    socket.disconnect();
    await sleep(100);
    return { sid, called, ack };
  },
};

const run = scenarios[cfg.scenario];
if (!run) {
  process.stderr.write(`diag-client.js: unknown scenario ${JSON.stringify(cfg.scenario)}\n`);
  process.exit(2);
}
const timer = setTimeout(() => {
  process.stderr.write(`diag-client.js: ${cfg.scenario} timed out after ${TIMEOUT} ms\n`);
  process.exit(3);
}, TIMEOUT);
run().then((result) => {
  out({ result });
  clearTimeout(timer);
  process.exit(0);
}, (err) => {
  process.stderr.write(`diag-client.js: ${cfg.scenario}: ${err && err.stack || err}\n`);
  process.exit(1);
});
