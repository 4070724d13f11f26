'use strict';
// A configurable socket.io 4.8 server for sioproxy's end-to-end tests.
//
//   node server.js '{"port":0,"allowEIO3":true,"namespaces":[{"name":"/admin","token":"secret"}]}'
//
// The first stdout line is {"listening":PORT}. Every Socket.IO packet the
// server sends or receives is then logged as one JSON line (see wirelog.js).
// Behaviour is deterministic so that a run through sioproxy and a direct run
// give the same results:
//   - any event with an ack callback is acked with ({ok:true,event}, ...args);
//   - "burst" {count, binary}     → emits count "burst-item" events in one tick;
//   - "ask" {question}            → emitWithAck("question", question), then
//                                   emits "answer" with the client's reply;
//   - "send-binary"               → emits "binary" with nested buffers;
//   - "disconnect-me"             → the server closes the socket;
//   - "never-ack"                 → never acked (a handler that forgets its callback);
//   - "broadcast" arg             → emits "news" arg to every socket of the namespace.
// Options (all optional): port, host, path, cors, cookie, allowEIO3, perMessageDeflate,
// transports, namespaces [{name, token}], maxHttpBufferSize, pingInterval,
// pingTimeout, connectTimeout, upgradeTimeout, connectionStateRecovery, welcome (emit "welcome" on connection),
// static (a directory served at /), refuseRequests, parser ("msgpack"),
// version (4 default, or 2 for socket.io@2.5.1, which logs no packets).

const http = require('http');
const fs = require('fs');
const path = require('path');
const { line, emitLine } = require('./wirelog');

function parseConfig(argv) {
  const cfg = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));
    else if (a === '--config') Object.assign(cfg, JSON.parse(argv[++i]));
    else if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      cfg[k] = v === undefined ? true : (/^\d+$/.test(v) ? Number(v) : v);
    } else throw new Error(`server.js: unexpected argument ${JSON.stringify(a)}`);
  }
  return cfg;
}

const cfg = parseConfig(process.argv.slice(2));

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

function staticHandler(req, res) {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  if (cfg.static) {
    const root = path.resolve(cfg.static);
    const file = path.resolve(root, '.' + (url.pathname === '/' ? '/index.html' : url.pathname));
    if (file.startsWith(root + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
}

function installPacketLog(Client) {
  const origPacket = Client.prototype._packet;
  Client.prototype._packet = function loggedPacket(packet, opts = {}) {
    // Mirrors Client._packet: packets written to a closed conn are dropped.
    if (this.conn.readyState === 'open' && !opts.preEncoded) {
      emitLine(line('server', 'sent', this.conn.id, packet, { eio: this.conn.protocol }));
    }
    return origPacket.call(this, packet, opts);
  };
  const origDecoded = Client.prototype.ondecoded;
  Client.prototype.ondecoded = function loggedDecoded(packet) {
    emitLine(line('server', 'recv', this.conn.id, packet, { eio: this.conn.protocol }));
    return origDecoded.call(this, packet);
  };
}

function ackValue(event, args) {
  return [{ ok: true, event }, ...args];
}

function onSocket(socket) {
  const nsp = socket.nsp.name;
  if (cfg.welcome) socket.emit('welcome', { nsp });
  socket.onAny((event, ...args) => {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const arg = args[0] || {};
    switch (event) {
      case 'burst': {
        const count = Math.min(Number(arg.count) || 1, 1000);
        for (let i = 0; i < count; i++) {
          if (arg.binary) socket.emit('burst-item', { i }, Buffer.from([i & 255, 1, 2, 3]));
          else socket.emit('burst-item', { i, text: arg.text || 'x' });
        }
        break;
      }
      case 'ask':
        socket.timeout(Number(arg.timeout) || 20000).emitWithAck('question', arg.question)
          .then((reply) => socket.emit('answer', { reply }))
          .catch((err) => socket.emit('answer', { error: String(err && err.message) }));
        break;
      case 'send-binary':
        socket.emit('binary', { a: Buffer.from('hello'), list: [Buffer.from([0, 1, 2, 255]), 'x', { deep: Buffer.alloc(0) }] }, Buffer.from('second'));
        break;
      case 'disconnect-me':
        setImmediate(() => socket.disconnect(true));
        break;
      case 'never-ack':
        return; // a handler that never calls back (sioproxy: ack_timeout)
      case 'broadcast':
        socket.nsp.emit('news', arg);
        break;
      default:
        break;
    }
    if (cb) cb(...ackValue(event, args));
  });
}

function setupNamespaces(io) {
  const list = [{ name: '/' }].concat((cfg.namespaces || []).filter((n) => n.name !== '/'));
  for (const def of list) {
    const nsp = io.of(def.name);
    if (def.token !== undefined) {
      nsp.use((socket, next) => {
        const auth = socket.handshake.auth || {};
        const token = auth.token !== undefined ? auth.token : socket.handshake.query.token;
        if (token === def.token) return next();
        const err = new Error('unauthorized');
        err.data = { reason: 'bad token' };
        return next(err);
      });
    }
    nsp.on('connection', onSocket);
  }
}

function main() {
  const httpServer = http.createServer(staticHandler);
  const opts = {
    path: cfg.path || '/socket.io',
    allowEIO3: !!cfg.allowEIO3,
  };
  if (cfg.cors !== undefined) opts.cors = cfg.cors;
  if (cfg.cookie !== undefined) opts.cookie = cfg.cookie;
  if (cfg.perMessageDeflate !== undefined) opts.perMessageDeflate = cfg.perMessageDeflate;
  if (cfg.transports) opts.transports = cfg.transports;
  if (cfg.maxHttpBufferSize) opts.maxHttpBufferSize = cfg.maxHttpBufferSize;
  if (cfg.pingInterval) opts.pingInterval = cfg.pingInterval;
  if (cfg.pingTimeout) opts.pingTimeout = cfg.pingTimeout;
  if (cfg.connectTimeout) opts.connectTimeout = cfg.connectTimeout;
  if (cfg.connectionStateRecovery) opts.connectionStateRecovery = cfg.connectionStateRecovery;
  if (cfg.upgradeTimeout) opts.upgradeTimeout = cfg.upgradeTimeout;
  if (cfg.refuseRequests) opts.allowRequest = (req, cb) => cb('refused by allowRequest', false);
  if (cfg.parser === 'msgpack') opts.parser = require('socket.io-msgpack-parser');

  if (cfg.version === 2) {
    // socket.io@2 has no hook points like v4's Client; it only serves.
    const io2 = require('socket.io-v2')(httpServer, { path: opts.path, transports: opts.transports });
    io2.on('connection', onSocket2);
  } else {
    // The package exports only its entry point; Client sits beside it.
    installPacketLog(require(path.join(path.dirname(require.resolve('socket.io')), 'client.js')).Client);
    const { Server } = require('socket.io');
    const io = new Server(httpServer, opts);
    setupNamespaces(io);
  }

  httpServer.listen(Number(cfg.port) || 0, cfg.host || '127.0.0.1', () => {
    emitLine({ listening: httpServer.address().port });
  });
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The harness holds stdin open; when it goes away, so does the server.
  process.stdin.on('end', stop);
  process.stdin.resume();
}

function onSocket2(socket) {
  socket.on('echo', (...args) => {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (cb) cb(...ackValue('echo', args));
  });
}

main();
