'use strict';
// The benchmark's upstream: a socket.io 4.8 echo server. Every "echo" event
// is acked with its own arguments, binary included; every "tick" with
// nothing.
const { Server } = require('socket.io');
const http = require('http');
const srv = http.createServer();
const io = new Server(srv, { maxHttpBufferSize: 1e8, perMessageDeflate: false, pingInterval: 25000, pingTimeout: 20000 });
io.on('connection', (socket) => {
  socket.on('echo', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack(...args);
  });
  // The many-connections run's cheaper event: acked with nothing, so the
  // server does the least a socket.io handler can per message.
  socket.on('tick', (...args) => {
    const ack = args.pop();
    if (typeof ack === 'function') ack();
  });
});
srv.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: srv.address().port }) + '\n');
});
