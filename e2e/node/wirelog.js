'use strict';
// Shared by server.js and client.js: one JSON line per Socket.IO packet sent
// or received, in the shape sioproxy's --json packet lines use, so the Go
// test can compare them field by field.

const TYPES = ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR', 'BINARY_EVENT', 'BINARY_ACK'];

function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function hasBinary(v, depth = 0) {
  if (depth > 64 || v === null || typeof v !== 'object') return false;
  if (isBinary(v)) return true;
  if (typeof v.toJSON === 'function' && !Array.isArray(v)) return hasBinary(v.toJSON(), depth + 1);
  for (const k of Object.keys(v)) if (hasBinary(v[k], depth + 1)) return true;
  return false;
}

// jsonable turns a packet's data into what its JSON on the wire means: buffers
// become {"_binary":"<base64>"} (sioproxy's attachment encoding), undefined in
// arrays becomes null, like JSON.stringify does.
function jsonable(v) {
  return JSON.parse(JSON.stringify(v, function replacer(key, val) {
    const raw = this[key];
    if (isBinary(raw)) return { _binary: toBuffer(raw).toString('base64') };
    return val;
  }));
}

// encodeForResults is jsonable for values the app observed (results lines).
function encode(v) {
  return v === undefined ? null : jsonable(v);
}

// line describes one parser-level packet; the type is what the encoder puts
// on the wire (EVENT/ACK with buffers become BINARY_EVENT/BINARY_ACK).
function line(side, dir, sid, packet, extra) {
  let type = packet.type;
  if ((type === 2 || type === 3) && hasBinary(packet.data)) type += 3;
  const out = { side, dir, sid, type: TYPES[type] || String(type), nsp: packet.nsp || '/' };
  if (packet.id !== undefined && packet.id !== null) out.id = packet.id;
  out.ack = packet.id !== undefined && packet.id !== null && (type === 2 || type === 5);
  if (packet.data !== undefined) {
    const data = jsonable(packet.data);
    if ((type === 2 || type === 5) && Array.isArray(data)) {
      out.event = data[0];
      out.args = data.slice(1);
    } else {
      out.args = data;
    }
  }
  return Object.assign(out, extra || {});
}

function emitLine(obj) {
  // stdout is a pipe in the tests: writes are synchronous on Linux, so no line
  // is lost when the process exits right after.
  process.stdout.write(JSON.stringify(obj) + '\n');
}

module.exports = { line, emitLine, encode, hasBinary, isBinary };
