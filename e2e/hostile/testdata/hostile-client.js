'use strict';
// A socket.io-client 4.8 user with hostile strings:
//   node hostile-client.js URL '{"nsp":"...","event":"...","arg":"..."}'
// It connects to the namespace (the server refuses it), then on "/" emits
// the event with an ack and prints {"acked": [...]} once answered.
const { io, Manager } = require('socket.io-client');

const url = process.argv[2];
const p = JSON.parse(process.argv[3]);
let pending = 2;
const done = () => { if (--pending === 0) process.exit(0); };

// Manager.socket takes the namespace as it is; io(url + nsp) would run it
// through the URL parser, whose IPv6 bracket handling mangles "[" and "]".
const evil = new Manager(url, { reconnection: false, transports: ['polling'] }).socket(p.nsp);
evil.on('connect', () => { console.log(JSON.stringify({ nsp: 'connected' })); evil.close(); done(); });
evil.on('connect_error', (e) => { console.log(JSON.stringify({ nsp: e.message })); evil.close(); done(); });

const s = io(url, { reconnection: false });
s.on('connect', async () => {
  try {
    const r = await s.timeout(20000).emitWithAck(p.event, p.arg, { [p.arg]: [p.arg] });
    console.log(JSON.stringify({ acked: r }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e) }));
  }
  s.close();
  done();
});
s.on('connect_error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
