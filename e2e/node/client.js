'use strict';
// Runs one named scenario against a socket.io server (directly or through
// sioproxy) and logs every Socket.IO packet it sent or received as JSON lines
// (see wirelog.js). The last line is {"done":true,"results":{...}}: what the
// app observed (acks, events, errors), with nothing that differs between runs
// (no ids), so a direct run and a proxied run must print equal results.
//
//   node client.js '{"url":"http://127.0.0.1:3000","scenario":"default"}'
//
// Options: url, scenario, path (default /socket.io), clients (for
// "concurrent"), timeout (ms, default 60000), extraHeaders.
// Exit status: 0 when the scenario completed; 1 on an unexpected
// connect_error or failure; 3 on timeout. Errors go to stderr.

const { line, emitLine, encode } = require('./wirelog');

const cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));
  else if (a.startsWith('--')) {
    const [k, v] = a.slice(2).split('=', 2);
    cfg[k] = v === undefined ? true : (/^\d+$/.test(v) ? Number(v) : v);
  } else {
    process.stderr.write(`client.js: unexpected argument ${JSON.stringify(a)}\n`);
    process.exit(2);
  }
}
if (!cfg.url || !cfg.scenario) {
  process.stderr.write('client.js: url and scenario are required\n');
  process.exit(2);
}
const PATH = cfg.path || '/socket.io';
const TIMEOUT = Number(cfg.timeout) || 60000;
let step = 'start';

// ---- packet logging hooks -------------------------------------------------

function hookV4(Manager) {
  const origPacket = Manager.prototype._packet;
  Manager.prototype._packet = function loggedPacket(packet) {
    emitLine(line('client', 'sent', this.engine && this.engine.id, packet, { eio: 4 }));
    return origPacket.call(this, packet);
  };
  const origDecoded = Manager.prototype.ondecoded;
  Manager.prototype.ondecoded = function loggedDecoded(packet) {
    emitLine(line('client', 'recv', this.engine && this.engine.id, packet, { eio: 4 }));
    return origDecoded.call(this, packet);
  };
}

function hookV2(Manager) {
  const origPacket = Manager.prototype.packet;
  Manager.prototype.packet = function loggedPacket(packet) {
    // v2's encoder swaps buffers for placeholders in place, so describe
    // the packet first; but it appends the query to a CONNECT's nsp inside
    // packet(), so take the nsp as sent from after the call.
    const out = line('client', 'sent', this.engine && this.engine.id, packet, { eio: 3 });
    const r = origPacket.call(this, packet);
    out.nsp = packet.nsp || '/';
    emitLine(out);
    return r;
  };
  const origDecoded = Manager.prototype.ondecoded;
  Manager.prototype.ondecoded = function loggedDecoded(packet) {
    emitLine(line('client', 'recv', this.engine && this.engine.id, packet, { eio: 3 }));
    return origDecoded.call(this, packet);
  };
}

let v4;
let v2;
function lib4() {
  if (!v4) {
    v4 = require('socket.io-client');
    hookV4(v4.Manager);
  }
  return v4;
}
function lib2() {
  if (!v2) {
    v2 = require('socket.io-client-v2');
    hookV2(v2.Manager);
  }
  return v2;
}

// ---- helpers ---------------------------------------------------------------

function baseOpts(extra) {
  return Object.assign({ path: PATH, reconnection: false, forceNew: true, extraHeaders: cfg.extraHeaders }, extra || {});
}

// connect opens a v4 socket and resolves once it is connected; a
// connect_error rejects (the scenario fails) unless expectError is set, in
// which case it resolves with the error.
function connect(nsp, opts, expectError) {
  const socket = opts && opts.manager
    ? opts.manager.socket(nsp, { auth: opts.auth })
    : lib4().io(cfg.url + nsp, baseOpts(opts));
  return waitConnect(socket, expectError);
}

function waitConnect(socket, expectError) {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => (expectError ? reject(new Error('connected, but a connect_error was expected')) : resolve(socket)));
    socket.once('connect_error', (err) => {
      if (expectError) resolve({ socket, error: { message: err.message, data: encode(err.data) } });
      else reject(new Error(`connect_error on ${socket.nsp}: ${err.message}${err.data ? ' ' + JSON.stringify(err.data) : ''}`));
    });
  });
}

function once(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args.map(encode))));
}

function collect(socket, event, n) {
  return new Promise((resolve) => {
    const got = [];
    socket.on(event, function onItem(...args) {
      got.push(args.map(encode));
      if (got.length === n) {
        socket.off(event, onItem);
        resolve(got);
      }
    });
  });
}

function waitUpgrade(engine) {
  if (engine.transport && engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve) => engine.once('upgrade', () => resolve()));
}

// answerQuestions makes the client ack the server's "question" events.
function answerQuestions(socket) {
  socket.on('question', (q, cb) => {
    if (q === 'bin') cb(Buffer.from('reply-bin'), { nested: [Buffer.from([9, 8, 7])] });
    else cb({ answer: `${q}!` });
  });
}

async function ask(socket, question) {
  const answer = once(socket, 'answer');
  socket.emit('ask', { question });
  return answer;
}

// emitAck emits with an ack callback and resolves with every ack argument.
function emitAck(socket, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(TIMEOUT).emit(...args, (err, ...res) => (err ? reject(err) : resolve(res.map(encode))));
  });
}

// closeAll disconnects and resolves when every engine has closed, so the
// process exits on its own once pending requests (the last POST) are done.
function closeAll(sockets) {
  const engines = new Set(sockets.map((s) => s.io.engine));
  const closed = [...engines].map((e) => (e.readyState === 'closed' ? null : new Promise((r) => e.once('close', r))));
  for (const s of sockets) s.disconnect();
  return Promise.all(closed);
}

// ---- scenarios ---------------------------------------------------------------

const scenarios = {
  // Polling first, then the upgrade to WebSocket, with traffic on both.
  async default() {
    const s = await connect('/', {});
    answerQuestions(s);
    const r = {};
    step = 'ack before upgrade';
    r.ack1 = await emitAck(s, 'hello', { n: 1 });
    step = 'upgrade';
    await waitUpgrade(s.io.engine);
    step = 'ack after upgrade';
    r.ack2 = await emitAck(s, 'hello', { n: 2 });
    r.answer = await ask(s, 'q1');
    r.transport = s.io.engine.transport.name;
    await closeAll([s]);
    return r;
  },

  // Polling only, with several emits per tick both ways so that payloads
  // carry several packets.
  async polling() {
    const s = await connect('/', { transports: ['polling'] });
    answerQuestions(s);
    const r = {};
    step = 'client burst';
    const items = collect(s, 'burst-item', 8);
    const acks = [];
    for (let i = 0; i < 6; i++) s.emit('tick', { i });
    for (let i = 0; i < 4; i++) acks.push(emitAck(s, 'tock', { i }));
    s.emit('burst', { count: 8 });
    r.acks = await Promise.all(acks);
    step = 'server burst';
    r.items = await items;
    r.answer = await ask(s, 'q-poll');
    r.transport = s.io.engine.transport.name;
    await closeAll([s]);
    return r;
  },

  async websocket() {
    const s = await connect('/', { transports: ['websocket'] });
    answerQuestions(s);
    const r = {};
    r.ack = await emitAck(s, 'hello', { ws: true });
    const items = collect(s, 'burst-item', 3);
    s.emit('burst', { count: 3 });
    r.items = await items;
    r.answer = await ask(s, 'q-ws');
    r.transport = s.io.engine.transport.name;
    await closeAll([s]);
    return r;
  },

  // Binary attachments, nested, both ways, acks included, on each transport.
  async binary() {
    const r = {};
    for (const transport of ['polling', 'websocket']) {
      step = `binary over ${transport}`;
      const s = await connect('/', { transports: [transport] });
      answerQuestions(s);
      const o = {};
      o.echo = await emitAck(s, 'echo', Buffer.from([1, 2, 3, 0, 255]), { nested: Buffer.from('x'), arr: [Buffer.alloc(0), 'y'] });
      const bin = once(s, 'binary');
      s.emit('send-binary');
      o.binary = await bin;
      const items = collect(s, 'burst-item', 3);
      s.emit('burst', { count: 3, binary: true });
      o.items = await items;
      o.answer = await ask(s, 'bin');
      o.transport = s.io.engine.transport.name;
      await closeAll([s]);
      r[transport] = o;
    }
    return r;
  },

  // Several namespaces multiplexed on one connection, one behind an auth
  // middleware; a wrong token and an unknown namespace are refused.
  async namespaces() {
    const r = {};
    const manager = new (lib4().Manager)(cfg.url, baseOpts({}));
    const root = await connect('/', { manager });
    const admin = await connect('/admin', { manager, auth: { token: 'secret' } });
    const chat = await connect('/chat', { manager });
    r.root = await emitAck(root, 'hello', { nsp: '/' });
    r.admin = await emitAck(admin, 'hello', { nsp: '/admin' });
    r.chat = await emitAck(chat, 'hello', { nsp: '/chat' });
    step = 'wrong token';
    const bad = await connect('/admin', { auth: { token: 'wrong' } }, true);
    r.badToken = bad.error;
    step = 'unknown namespace';
    const unknown = await connect('/nope', {}, true);
    r.unknown = unknown.error;
    await closeAll([root, admin, chat, bad.socket, unknown.socket]);
    return r;
  },

  // Acks both ways: client→server with several arguments and concurrently,
  // and server→client via emitWithAck.
  async acks() {
    const s = await connect('/', {});
    answerQuestions(s);
    const r = {};
    r.multi = await emitAck(s, 'ack-me', 1, 'two', { three: [3] }, null, true);
    r.empty = await emitAck(s, 'ack-me');
    r.concurrent = await Promise.all([0, 1, 2, 3, 4].map((i) => emitAck(s, 'ack-me', { i })));
    r.answers = [await ask(s, 'first'), await ask(s, 'second')];
    await closeAll([s]);
    return r;
  },

  async unicode() {
    const s = await connect('/', {});
    answerQuestions(s);
    const r = {};
    const texts = ['héllo wörld', '日本語のテキスト', '😀🎉 👩‍👩‍👧‍👦 🇫🇷', 'line\nbreak\ttab "quotes" \\ back', '\u2028\u2029\u001e\u0000', 'Ω≈ç√∫˜µ≤≥÷'];
    r.before = await emitAck(s, 'événement-😀', ...texts);
    await waitUpgrade(s.io.engine);
    r.after = await emitAck(s, '事件', { '键🔑': texts });
    r.answer = await ask(s, 'ça va? 🤔');
    await closeAll([s]);
    return r;
  },

  // permessage-deflate on every message (threshold 0 on both sides).
  async deflate() {
    const s = await connect('/', { transports: ['websocket'], perMessageDeflate: { threshold: 0 } });
    answerQuestions(s);
    const r = {};
    r.small = await emitAck(s, 'echo', 'a');
    r.big = await emitAck(s, 'echo', 'abcdefgh'.repeat(4000));
    r.bin = await emitAck(s, 'echo', Buffer.alloc(20000, 7));
    const items = collect(s, 'burst-item', 4);
    s.emit('burst', { count: 4, text: 'zz'.repeat(3000) });
    r.items = await items;
    await closeAll([s]);
    return r;
  },

  // An EIO3 client (socket.io-client 2.5.0) against allowEIO3, polling then
  // upgrade, with a namespace, binary and acks both ways.
  async eio3() {
    const ioV2 = lib2();
    const r = {};
    const open = (nsp, opts) => {
      const s = ioV2(cfg.url + nsp, Object.assign({ path: PATH, reconnection: false, forceNew: true }, opts || {}));
      return new Promise((resolve, reject) => {
        s.once('connect', () => resolve(s));
        s.once('error', (e) => reject(new Error(`error on ${nsp}: ${JSON.stringify(e)}`)));
        s.once('connect_error', (e) => reject(new Error(`connect_error on ${nsp}: ${e && e.message}`)));
      });
    };
    const ack = (s, ...args) => new Promise((resolve) => s.emit(...args, (...res) => resolve(res.map(encode))));
    const s = await open('/');
    s.on('question', (q, cb) => cb(q === 'bin' ? Buffer.from('reply-bin') : { answer: `${q}!` }));
    r.ack1 = await ack(s, 'hello', { eio: 3 });
    step = 'eio3 upgrade';
    await waitUpgrade(s.io.engine);
    r.ack2 = await ack(s, 'echo', Buffer.from([3, 2, 1]), 'ünïcode 😀');
    const answer = new Promise((resolve) => s.once('answer', (...a) => resolve(a.map(encode))));
    s.emit('ask', { question: 'bin' });
    r.answer = await answer;
    r.transport = s.io.engine.transport.name;
    step = 'eio3 namespace';
    const admin = s.io.socket('/admin', { query: { token: 'secret' } });
    await new Promise((resolve, reject) => {
      admin.once('connect', resolve);
      admin.once('error', (e) => reject(new Error(`error on /admin: ${JSON.stringify(e)}`)));
    });
    r.admin = await ack(admin, 'hello', { nsp: '/admin' });
    const closed = new Promise((resolve) => s.io.engine.once('close', resolve));
    admin.close();
    s.close();
    await closed;
    return r;
  },

  // Many clients at once, half starting on polling, half WebSocket-only.
  async concurrent() {
    const n = Number(cfg.clients) || 200;
    const sockets = await Promise.all(Array.from({ length: n }, (_, i) => connect('/', i % 2 ? { transports: ['websocket'] } : {})));
    step = 'concurrent acks';
    const acks = await Promise.all(sockets.map((s, i) => emitAck(s, 'hello', { i })));
    await closeAll(sockets);
    return { n, acks };
  },
};

// hang connects, exchanges one ack, prints {"ready":true,"sid":…} and then
// stays connected until it is killed (for the relay's teardown tests).
scenarios.hang = async function hang() {
  const s = await connect('/', { transports: cfg.transports || ['polling'] });
  answerQuestions(s);
  await emitAck(s, 'hello', { hang: true });
  emitLine({ ready: true, sid: s.io.engine.id, transport: s.io.engine.transport.name });
  step = 'hanging until killed';
  return new Promise(() => {});
};

async function main() {
  const fn = scenarios[cfg.scenario];
  if (!fn) {
    process.stderr.write(`client.js: unknown scenario ${JSON.stringify(cfg.scenario)}; known: ${Object.keys(scenarios).join(', ')}\n`);
    process.exit(2);
  }
  const timer = setTimeout(() => {
    process.stderr.write(`client.js: timeout after ${TIMEOUT} ms in scenario ${cfg.scenario} at step ${JSON.stringify(step)}\n`);
    process.exit(3);
  }, TIMEOUT);
  let results;
  try {
    results = await fn();
  } catch (err) {
    process.stderr.write(`client.js: scenario ${cfg.scenario} failed at step ${JSON.stringify(step)}: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  }
  clearTimeout(timer);
  emitLine({ done: true, results });
  // Let pending requests (a last POST) finish; exit on our own, or fail.
  setTimeout(() => {
    process.stderr.write('client.js: still running 20 s after the scenario ended\n');
    process.exit(4);
  }, 20000).unref();
}

main();
