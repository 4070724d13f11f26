'use strict';
// A socket.io-client 4.8 client that reaches its server through an HTTP
// proxy (sioproxy --mode forward) with https-proxy-agent, as an app that
// cannot be repointed would. The proxy's CA is trusted through
// NODE_EXTRA_CA_CERTS (set by the Go test), exactly as a user would.
//
//   node forward-client.js '{"url":"https://127.0.0.1:P","proxy":"http://127.0.0.1:Q"}'
//
// On connect it emits "hello" with an ack, optionally waits for the
// WebSocket upgrade, then disconnects. One line is printed:
//   {"result":{"connected":true,"sid":"…","transport":"websocket","ack":[…]}}
// or {"result":{"connect_error":{"message":…,"description":…}}}; exit 0.
// Options: url, proxy, transports, upgrade (wait for websocket), timeout.

const { io } = require('socket.io-client');
const { HttpsProxyAgent } = require('https-proxy-agent');

const cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));
}
const TIMEOUT = Number(cfg.timeout) || 60000;

function out(result) {
  process.stdout.write(JSON.stringify({ result }) + '\n');
}

const agent = new HttpsProxyAgent(cfg.proxy);
const socket = io(cfg.url, {
  agent,
  reconnection: false,
  forceNew: true,
  timeout: TIMEOUT,
  transports: cfg.transports || ['polling', 'websocket'],
});

const timer = setTimeout(() => {
  out({ error: 'timeout' });
  process.exit(1);
}, TIMEOUT);

function finish(result) {
  clearTimeout(timer);
  out(result);
  socket.close();
  // Give the close packet time to leave before the agent's sockets go.
  setTimeout(() => process.exit(0), 300);
}

socket.on('connect_error', (err) => {
  const d = err && err.description;
  finish({
    connect_error: {
      message: err && err.message,
      description: typeof d === 'number' || typeof d === 'string' ? d : (d && (d.message || d.code)) || undefined,
    },
  });
});

socket.on('connect', () => {
  const sid = socket.io.engine.id;
  const send = () => {
    socket.timeout(TIMEOUT).emit('hello', { via: 'forward proxy' }, (err, ...ack) => {
      if (err) return finish({ connected: true, sid, error: String(err) });
      finish({ connected: true, sid, transport: socket.io.engine.transport.name, ack });
    });
  };
  if (cfg.upgrade && socket.io.engine.transport.name !== 'websocket') {
    socket.io.engine.once('upgrade', send);
  } else {
    send();
  }
});
