'use strict';
// Misbehaving or misconfigured socket.io clients for sioproxy's fault
// scenarios (e2e/faults_*_test.go). Unlike client.js, a connect_error is an
// expected outcome here: every scenario prints one line
//   {"result":{...}}
// and exits 0; the Go test decides whether that outcome was the right one.
//
//   node fault-client.js '{"url":"http://127.0.0.1:8080","scenario":"connect","transports":["polling"]}'
//
// Scenarios:
//   connect  a v4 client (socket.io-client 4.8); on connect it sends one
//            event with an ack, optionally waits for the upgrade, then
//            disconnects and waits for the engine to close. Result:
//            {connected, sid, transport, ack} or {connect_error:{message,
//            description, data}, sid}.
//   v2       the same handshake with socket.io-client 2.5 (Engine.IO v3).
//   big      connects, then emits a `size`-byte string: over a server's
//            maxHttpBufferSize it must be refused (413 or close 1009).
//            Result: {sid, transport, disconnect}.
//   nopong   connects, then never answers the server's pings (its pongs
//            are dropped before they reach the transport). Result: {sid,
//            disconnect}.
// Options: url, scenario, nsp ("/"), path ("/socket.io"), transports, auth,
// extraHeaders, withCredentials, upgrade (wait for the WebSocket upgrade),
// pings (stay connected until that many server pings were answered), size,
// timeout (ms, default 60000).

const cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));
  else {
    process.stderr.write(`fault-client.js: unexpected argument ${JSON.stringify(a)}\n`);
    process.exit(2);
  }
}
if (!cfg.url || !cfg.scenario) {
  process.stderr.write('fault-client.js: url and scenario are required\n');
  process.exit(2);
}
const TIMEOUT = Number(cfg.timeout) || 60000;
let step = 'start';

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function opts(extra) {
  const o = { path: cfg.path || '/socket.io', reconnection: false, forceNew: true, timeout: TIMEOUT };
  for (const k of ['transports', 'auth', 'extraHeaders', 'withCredentials']) {
    if (cfg[k] !== undefined) o[k] = cfg[k];
  }
  return Object.assign(o, extra || {});
}

function errInfo(err) {
  const d = err && err.description;
  return {
    message: err && err.message,
    // TransportError: the HTTP status, or a WebSocket/Node error event.
    description: typeof d === 'number' || typeof d === 'string' ? d : (d && d.message) || undefined,
    data: err && err.data,
  };
}

// connectV4 resolves with {socket} on connect, {socket, error} on
// connect_error.
// The sid is taken at open: a refused socket's engine forgets it on close.
function connectV4() {
  const { io } = require('socket.io-client');
  const socket = io(cfg.url + (cfg.nsp || '/'), opts());
  let sid;
  socket.io.on('open', () => { sid = socket.io.engine.id; });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, sid }));
    socket.once('connect_error', (err) => resolve({ socket, sid: sid || (socket.io.engine && socket.io.engine.id) || undefined, error: errInfo(err) }));
  });
}

function engineClosed(engine) {
  if (!engine || engine.readyState === 'closed') return Promise.resolve();
  return new Promise((r) => engine.once('close', r));
}

function waitUpgrade(engine) {
  if (engine.transport && engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve) => engine.once('upgrade', () => resolve()));
}

function ack(socket, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(TIMEOUT).emit(...args, (err, ...res) => (err ? reject(err) : resolve(res)));
  });
}

function disconnected(socket) {
  return new Promise((resolve) => socket.once('disconnect', (reason, details) => {
    resolve({ reason, description: details && details.description !== undefined ? String(details.description && details.description.message || details.description) : undefined });
  }));
}

const scenarios = {
  async connect() {
    const { socket, sid, error } = await connectV4();
    const engine = socket.io.engine;
    if (error) {
      socket.close();
      return { connect_error: error, sid };
    }
    step = 'ack';
    const res = await ack(socket, 'hello', { from: 'fault-client' });
    if (cfg.upgrade) {
      step = 'upgrade';
      await waitUpgrade(engine);
    }
    if (cfg.pings) {
      step = 'heartbeats';
      await new Promise((resolve) => {
        let n = 0;
        engine.on('ping', () => { if (++n === Number(cfg.pings)) resolve(); });
      });
    }
    const transport = engine.transport.name;
    const closed = engineClosed(engine);
    socket.disconnect();
    await closed;
    return { connected: true, sid, transport, ack: res[0] };
  },

  async v2() {
    const io = require('socket.io-client-v2');
    const socket = io(cfg.url + (cfg.nsp || '/'), opts());
    let sid;
    socket.io.on('open', () => { sid = socket.io.engine.id; });
    const r = await new Promise((resolve) => {
      socket.once('connect', () => resolve({ connected: true }));
      socket.once('connect_error', (err) => resolve({ connect_error: errInfo(err) }));
      socket.once('error', (err) => resolve({ connect_error: { message: typeof err === 'string' ? err : errInfo(err).message, data: err } }));
    });
    r.sid = sid || (socket.io.engine && socket.io.engine.id) || undefined;
    socket.close();
    return r;
  },

  async big() {
    const { socket, error } = await connectV4();
    if (error) throw new Error(`connect_error: ${JSON.stringify(error)}`);
    const engine = socket.io.engine;
    const sid = engine.id;
    const transport = engine.transport.name;
    step = 'sending the big payload';
    const gone = disconnected(socket);
    socket.emit('echo', 'x'.repeat(Number(cfg.size) || 10000));
    return { sid, transport, disconnect: await gone };
  },

  async nopong() {
    const { socket, error } = await connectV4();
    if (error) throw new Error(`connect_error: ${JSON.stringify(error)}`);
    const engine = socket.io.engine;
    const sid = engine.id;
    // Drop pongs where the engine queues them, so the transport never
    // carries one: to the server this client looks frozen.
    const send = engine._sendPacket;
    engine._sendPacket = function dropPong(type, ...rest) {
      if (type === 'pong') return undefined;
      return send.call(this, type, ...rest);
    };
    step = 'waiting for the server to give up';
    return { sid, transport: engine.transport.name, disconnect: await disconnected(socket) };
  },
};

async function main() {
  const fn = scenarios[cfg.scenario];
  if (!fn) {
    process.stderr.write(`fault-client.js: unknown scenario ${JSON.stringify(cfg.scenario)}\n`);
    process.exit(2);
  }
  const timer = setTimeout(() => {
    process.stderr.write(`fault-client.js: timeout after ${TIMEOUT} ms in ${cfg.scenario} at step ${JSON.stringify(step)}\n`);
    process.exit(3);
  }, TIMEOUT);
  let result;
  try {
    result = await fn();
  } catch (err) {
    process.stderr.write(`fault-client.js: ${cfg.scenario} failed at step ${JSON.stringify(step)}: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
  clearTimeout(timer);
  out({ result });
  if (!result.connected) process.exit(0); // a refused client may leave a request hanging
  // A clean run exits on its own once the last request (the close POST)
  // is done, so the proxy sees a complete session.
  setTimeout(() => {
    process.stderr.write('fault-client.js: still running 20 s after the scenario ended\n');
    process.exit(4);
  }, 20000).unref();
}

main();
