#!/usr/bin/env python3
"""Writes the context-takeover permessage-deflate fixtures for decode/ws.

The compressed bytes come from zlib (raw deflate, wbits=-15, Z_SYNC_FLUSH,
trailing 00 00 ff ff stripped), an implementation independent of Go's
compress/flate, so the golden test checks the parser against a second
deflate encoder. Each direction uses one compressor for the whole stream
(context takeover). Run from this directory:  python3 gen_deflate_fixture.py
Outputs, per direction: deflate_takeover_<dir>.bin (the raw TCP bytes) and
deflate_takeover_<dir>.golden.jsonl (one expected message per line).
"""
import json
import random
import struct
import zlib


def frame(op, fin, rsv1, payload, mask):
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | op
    m = 0x80 if mask else 0
    n = len(payload)
    if n <= 125:
        hdr = bytes([b0, m | n])
    elif n <= 0xFFFF:
        hdr = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if mask:
        hdr += mask
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return hdr + payload


def main():
    rnd = random.Random(7)
    texts = [
        b'0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
        b'40{"sid":"Q2Iu3Pq8VYcvDfxyAAAB"}',
        b'42["chat",{"user":"ann","text":"hello there"}]',
        b'42["chat",{"user":"bob","text":"hello there, ann"}]',
        b'42["chat",{"user":"ann","text":"hello there"}]',
        '42["chat",{"user":"zoë","text":"grüße ✓"}]'.encode(),
        b'',
        b'451-["upload",{"_placeholder":true,"num":0}]',
        bytes(rnd.choice(b"abcdefgh") for _ in range(40000)),  # crosses the 32 KiB window
        b'42["chat",{"user":"ann","text":"hello there"}]',
        b'2',
        b'3',
        b'42["chat",{"user":"bob","text":"hello there, ann"}]',
    ]
    for dirname, masked in (("c2s", True), ("s2c", False)):
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        wire = bytearray()
        golden = []
        for i, t in enumerate(texts):
            mask = bytes(rnd.randrange(256) for _ in range(4)) if masked else None
            if i == 7:
                # Not compressed: must not enter the window.
                wire += frame(1, True, False, t, mask)
                golden.append({"op": 1, "compressed": False, "frames": 1, "data": t.hex()})
                continue
            c = comp.compress(t) + comp.flush(zlib.Z_SYNC_FLUSH)
            assert c.endswith(b"\x00\x00\xff\xff")
            c = c[:-4]
            op = 2 if i == 8 else 1
            if i in (3, 8) and len(c) > 4:
                # Fragmented, with a ping between the fragments.
                h = len(c) // 2
                wire += frame(op, False, True, c[:h], mask)
                wire += frame(9, True, False, b"hb", mask)
                wire += frame(0, True, False, c[h:], mask)
                golden.append({"op": 9, "compressed": False, "frames": 1, "data": b"hb".hex()})
                golden.append({"op": op, "compressed": True, "frames": 2, "data": t.hex()})
                continue
            wire += frame(op, True, True, c, mask)
            golden.append({"op": op, "compressed": True, "frames": 1, "data": t.hex()})
        close = struct.pack(">H", 1000) + b"bye"
        wire += frame(8, True, False, close, bytes([1, 2, 3, 4]) if masked else None)
        golden.append({"op": 8, "compressed": False, "frames": 1, "data": close.hex(),
                       "close_code": 1000, "close_reason": "bye"})
        with open(f"deflate_takeover_{dirname}.bin", "wb") as f:
            f.write(wire)
        with open(f"deflate_takeover_{dirname}.golden.jsonl", "w") as f:
            for g in golden:
                f.write(json.dumps(g, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
