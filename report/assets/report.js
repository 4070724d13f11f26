'use strict';
// Renders the report from the JSON block. Every string from the recording
// goes in through textContent or an attribute, never as markup.
(function () {
  const D = JSON.parse(document.getElementById('report-data').textContent);
  for (const k of ['sessions', 'faults', 'packets', 'global_marks', 'warnings']) D[k] = D[k] || [];
  D.stats.events = D.stats.events || [];
  D.stats.sessions = D.stats.sessions || [];
  D.stats.traffic = D.stats.traffic || [];
  const NS = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function tip(node, text) { node.append(sv('title', {}, text)); return node; }
  function $(id) { return document.getElementById(id); }

  const fmtN = (n) => (n === undefined || n === null ? '' : Number(n).toLocaleString('en-US'));
  function fmtBytes(n) {
    if (!n) return '0 B';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + u[i];
  }
  function fmtMs(v) {
    if (v === undefined || v === null) return '';
    if (v >= 10000) return (v / 1000).toFixed(1) + ' s';
    if (v >= 100) return v.toFixed(0) + ' ms';
    return v.toFixed(v >= 10 ? 1 : 2) + ' ms';
  }
  function fmtTime(t) {
    if (!t) return '';
    const d = new Date(t);
    return d.toISOString().replace('T', ' ').replace('Z', '');
  }
  function fmtClock(t) {
    if (!t) return '';
    return new Date(t).toISOString().slice(11, 23);
  }
  function fmtDur(ms) {
    if (ms < 1000) return ms.toFixed(0) + ' ms';
    const s = ms / 1000;
    if (s < 120) return s.toFixed(1) + ' s';
    const m = s / 60;
    if (m < 120) return m.toFixed(1) + ' min';
    return (m / 60).toFixed(1) + ' h';
  }
  const sum = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);

  // ---- header, cards, notes ------------------------------------------------

  function header() {
    const m = $('meta');
    const parts = [D.title];
    if (D.file && D.file !== D.title) parts.push(D.file);
    if (D.mode) parts.push('mode ' + D.mode);
    if (D.target) parts.push('target ' + D.target);
    if (D.source) parts.push('from ' + D.source);
    if (D.start) parts.push(fmtTime(D.start) + ' → ' + fmtTime(D.end) + ' (' + fmtDur(D.end - D.start) + ')');
    parts.push('generated ' + fmtTime(D.generated));
    m.textContent = parts.join(' · ');
  }

  function cards() {
    const S = D.stats;
    const hsOK = (S.handshakes || {}).ok || 0;
    const up = S.upgrades || {};
    const list = [
      ['Sessions', fmtN(sum(Object.fromEntries((S.session_kinds || []).map((k, i) => [i, k.opened]))))],
      ['Packets c2s / s2c', fmtN(S.packets[0]) + ' / ' + fmtN(S.packets[1])],
      ['Bytes c2s / s2c', fmtBytes(S.bytes[0]) + ' / ' + fmtBytes(S.bytes[1])],
      ['Handshakes ok / failed', fmtN(hsOK) + ' / ' + fmtN(sum(S.handshakes) - hsOK)],
      ['Upgrades ok / failed', fmtN(up.ok || 0) + ' / ' + fmtN(up.failed || 0)],
      ['Reconnects', fmtN(S.reconnects)],
      ['Ping RTT p50 / p90', S.ping_rtt.count ? fmtMs(S.ping_rtt.p50) + ' / ' + fmtMs(S.ping_rtt.p90) : '—'],
      ['Faults', fmtN(S.faults_total)],
      ['Unanswered acks', fmtN((S.events || []).reduce((a, e) => a + e.unanswered, 0))],
    ];
    for (const [k, v] of list) $('cards').append(el('div', { class: 'card' }, el('div', { class: 'v', text: v }), el('div', { class: 'k', text: k })));
  }

  function notes() {
    const n = $('notes');
    const note = (t) => n.append(el('div', { class: 'note', text: t }));
    if (D.redacted) note('Redacted: cookies, Authorization headers and CONNECT auth payloads are masked.');
    if (D.sampled) note('The packet list is a uniform random sample: ' + fmtN(D.packets.length) + ' of ' + fmtN(D.packets_total) + ' packets (limit ' + fmtN(D.packet_limit) + '). Stats, histograms and the timeline count every packet.');
    if (D.sessions_omitted) note('The timeline shows the first ' + fmtN(D.sessions.length) + ' sessions; ' + fmtN(D.sessions_omitted) + ' more are counted in the stats only.');
    if (D.faults_omitted) note(fmtN(D.faults_omitted) + ' more faults are counted in the stats only.');
    if (D.stats.names_full) note('Only the first ' + D.stats.max_names + ' event names have their own row; later names are counted as "(other)".');
    if (D.recording_drops) note('The recording itself lost ' + fmtN(D.recording_drops) + ' observations while it was made (its disk fell behind).');
    for (const w of D.warnings || []) note('Warning reading the recording: ' + w);
  }

  // ---- sparklines -------------------------------------------------------------

  function sparkline(title, values, widthMs, fmt, cls) {
    const W = 560, H = 70;
    const box = el('div', { class: 'hist' }, el('h4', { text: title }));
    const s = sv('svg', { width: W, height: H + 16, class: 'spark', 'data-kind': cls });
    const max = Math.max(1, ...values);
    const bw = W / Math.max(values.length, 1);
    values.forEach((v, i) => {
      const h = (v / max) * H;
      s.append(tip(sv('rect', { class: 'bar', x: (i * bw).toFixed(2), y: (H - h).toFixed(2), width: Math.max(bw - 0.5, 0.5).toFixed(2), height: h.toFixed(2) }),
        fmtClock(D.series.start + i * widthMs) + ': ' + fmt(v)));
    });
    s.append(sv('line', { class: 'axis', x1: 0, x2: W, y1: H, y2: H }));
    s.append(sv('text', { x: 0, y: H + 13 }, 'peak ' + fmt(max) + ' · one bar = ' + fmtDur(widthMs)));
    box.append(s);
    return box;
  }

  function rates() {
    const S = D.series;
    if (!S.packets || !S.packets.length) return;
    const perSec = (v) => v / (S.width_ms / 1000);
    const g = el('div', { class: 'hists' });
    g.append(sparkline('Packets/s over the recording', S.packets.map(perSec), S.width_ms, (v) => v.toFixed(1) + '/s', 'packets'));
    g.append(sparkline('Bytes/s over the recording', S.bytes.map(perSec), S.width_ms, (v) => fmtBytes(v) + '/s', 'bytes'));
    if (S.faults.some((v) => v > 0)) g.append(sparkline('Faults over time', S.faults, S.width_ms, (v) => v + ' faults', 'faults'));
    $('rates').append(g);
  }

  // ---- timeline ---------------------------------------------------------------

  function timeline() {
    const body = $('timeline-body');
    const rows = D.sessions;
    if (!rows.length) { body.append(el('p', { text: 'No Engine.IO session in this recording.' })); return; }
    let t0 = D.start, t1 = D.end;
    for (const s of rows) {
      for (const t of [s.handshake, s.open]) if (t && t < t0) t0 = t;
      for (const t of [s.close, s.upgrade]) if (t && t > t1) t1 = t;
    }
    if (t1 <= t0) t1 = t0 + 1;
    const L = 190, W = Math.max(900, Math.min(2400, body.clientWidth - 10 || 1100)), R = 20, RH = 18, TOP = 24;
    const H = TOP + rows.length * RH + 10 + (D.global_marks && D.global_marks.length ? RH : 0);
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const s = sv('svg', { width: W, height: H, id: 'timeline-svg' });
    // Time axis: 6 ticks.
    for (let i = 0; i <= 6; i++) {
      const t = t0 + ((t1 - t0) * i) / 6, xx = x(t);
      s.append(sv('line', { class: 'grid', x1: xx, x2: xx, y1: TOP - 6, y2: H }));
      s.append(sv('text', { x: Math.min(xx, W - 80), y: 12 }, fmtClock(t)));
    }
    rows.forEach((r, i) => {
      const y = TOP + i * RH;
      const g = sv('g', { class: 'session-row', 'data-sid': r.sid });
      g.append(tip(sv('text', { x: 4, y: y + 12 }, r.sid.length > 24 ? r.sid.slice(0, 23) + '…' : r.sid),
        r.sid + (r.client ? ' from ' + r.client : '') + (r.eio ? ' · EIO ' + r.eio : '')));
      const start = r.open || r.handshake || t0;
      const end = r.close || t1;
      const up = r.upgrade || 0;
      const first = r.first_transport || r.transport || 'polling';
      const seg = (a, b, tr) => {
        const w = Math.max(x(b) - x(a), 3);
        g.append(tip(sv('rect', { class: 'seg seg-' + tr, x: x(a), y: y + 4, width: w, height: 10, rx: 2 }),
          tr + ' ' + fmtClock(a) + ' → ' + (r.close || b !== end ? fmtClock(b) : 'end of recording') + ' (' + fmtDur(b - a) + ')'));
      };
      if (up && up > start && first === 'polling') { seg(start, up, 'polling'); seg(up, end, 'websocket'); } else seg(start, end, up ? 'websocket' : first);
      for (const p of r.polls || []) {
        g.append(tip(sv('rect', { class: 'poll', x: x(p.s), y: y + 15, width: Math.max(x(p.e) - x(p.s), 1), height: 2 }),
          p.m + ' ' + p.st + ' ' + fmtClock(p.s) + ' (' + fmtDur(p.e - p.s) + ')'));
      }
      if (r.polls_omitted) g.append(sv('text', { x: W - R - 70, y: y + 12 }, '+' + r.polls_omitted + ' polls'));
      if (r.handshake) g.append(tip(sv('text', { class: 'mk-hs', x: x(r.handshake) - 4, y: y + 13 }, '▲'), 'handshake ' + fmtClock(r.handshake)));
      if (up) g.append(tip(sv('text', { class: 'mk-up', x: x(up) - 4, y: y + 13, fill: '#1d4ed8' }, '◆'), 'upgrade to WebSocket ' + fmtClock(up)));
      if (r.close) g.append(tip(sv('rect', { class: 'mk-close', x: x(r.close) - 3, y: y + 5, width: 6, height: 8, fill: '#111827' }),
        'close ' + fmtClock(r.close) + ': ' + (r.reason || 'no reason') + (r.by ? ' (by ' + r.by + ')' : '') + (r.code ? ' code ' + r.code : '')));
      for (const m of r.marks || []) {
        g.append(tip(sv('circle', { class: 'fault-mark fault-' + m.severity, cx: x(m.t), cy: y + 9, r: 4.5 }), m.code + ': ' + m.summary));
      }
      s.append(g);
    });
    if (D.global_marks && D.global_marks.length) {
      const y = TOP + rows.length * RH;
      s.append(sv('text', { x: 4, y: y + 12 }, '(no session)'));
      for (const m of D.global_marks) s.append(tip(sv('circle', { class: 'fault-mark fault-' + m.severity, cx: x(m.t), cy: y + 9, r: 4.5 }), m.code + ': ' + m.summary));
    }
    body.append(s);
  }

  // ---- sortable tables ---------------------------------------------------------

  function table(target, cols, rows, opts) {
    opts = opts || {};
    const t = el('table', { class: 'sortable', 'data-table': target });
    const thead = el('thead'), tr = el('tr');
    const tbody = el('tbody');
    let sortCol = opts.sort === undefined ? -1 : opts.sort, desc = opts.desc !== false;
    const draw = () => {
      const rs = rows.slice();
      if (sortCol >= 0) {
        const c = cols[sortCol], key = c.sort || c.get;
        rs.sort((a, b) => { const va = key(a), vb = key(b); const r = va < vb ? -1 : va > vb ? 1 : 0; return desc ? -r : r; });
      }
      tbody.replaceChildren();
      for (const r of rs.slice(0, opts.limit || 1000)) {
        const row = el('tr');
        for (const c of cols) {
          const v = c.render ? c.render(r) : c.fmt ? c.fmt(c.get(r)) : c.get(r);
          row.append(el('td', { class: (c.num ? 'num ' : '') + (c.cls || '') }, v));
        }
        tbody.append(row);
      }
      [...tr.children].forEach((th, i) => { th.className = i === sortCol ? (desc ? 'sorted-desc' : 'sorted-asc') : ''; });
    };
    cols.forEach((c, i) => {
      const th = el('th', { text: c.label, title: 'sort by ' + c.label });
      th.addEventListener('click', () => { if (sortCol === i) desc = !desc; else { sortCol = i; desc = !!c.num; } draw(); });
      tr.append(th);
    });
    thead.append(tr);
    t.append(thead, tbody);
    draw();
    const box = $(target);
    if (!rows.length) box.append(el('p', { class: 'legend', text: 'none' })); else box.append(t);
    if (rows.length > (opts.limit || 1000)) box.append(el('p', { class: 'legend', text: 'showing ' + (opts.limit || 1000) + ' of ' + rows.length + ' rows' }));
  }

  function miniHist(d, unitFmt) {
    const W = 120, H = 22;
    const s = sv('svg', { width: W, height: H, class: 'mini-hist' });
    const bars = d.bars || [];
    const max = Math.max(1, ...bars.map((b) => b.n));
    const bw = W / Math.max(bars.length, 1);
    bars.forEach((b, i) => {
      const h = Math.max((b.n / max) * H, b.n ? 1 : 0);
      s.append(tip(sv('rect', { class: 'bar', x: i * bw, y: H - h, width: Math.max(bw - 1, 1), height: h }), unitFmt(b.lo) + '–' + unitFmt(b.hi) + ': ' + b.n));
    });
    return s;
  }

  function statsTables() {
    const S = D.stats;
    const num = true;
    table('events-table', [
      { label: 'event', get: (r) => r.name, cls: 'mono' },
      { label: 'dir', get: (r) => r.dir, cls: 'mono' },
      { label: 'count', get: (r) => r.count, num, fmt: fmtN },
      { label: 'bytes', get: (r) => r.bytes, num, fmt: fmtBytes },
      { label: 'size p50', get: (r) => r.size.p50, num, fmt: fmtBytes },
      { label: 'size max', get: (r) => r.size.max, num, fmt: fmtBytes },
      { label: 'acks', get: (r) => r.answered, num, fmt: fmtN },
      { label: 'ack p50', get: (r) => r.ack.p50, num, render: (r) => (r.ack.count ? fmtMs(r.ack.p50) : ''), sort: (r) => r.ack.p50 },
      { label: 'ack p90', get: (r) => r.ack.p90, num, render: (r) => (r.ack.count ? fmtMs(r.ack.p90) : ''), sort: (r) => r.ack.p90 },
      { label: 'ack p99', get: (r) => r.ack.p99, num, render: (r) => (r.ack.count ? fmtMs(r.ack.p99) : ''), sort: (r) => r.ack.p99 },
      { label: 'ack max', get: (r) => r.ack.max, num, render: (r) => (r.ack.count ? fmtMs(r.ack.max) : ''), sort: (r) => r.ack.max },
      { label: 'ack latency', get: (r) => r.ack.count, render: (r) => (r.ack.count ? miniHist(r.ack, fmtMs) : '') },
      { label: 'never acked', get: (r) => r.unanswered, num, fmt: fmtN },
      { label: 'pending at end', get: (r) => r.pending, num, fmt: fmtN },
    ], S.events || [], { sort: 2 });
    table('sessions-table', [
      { label: 'sid', get: (r) => r.sid, cls: 'mono' },
      { label: 'client', get: (r) => r.client || '', cls: 'mono' },
      { label: 'transport', get: (r) => r.transport + (r.upgraded ? ' (upgraded)' : '') },
      { label: 'EIO', get: (r) => r.eio, num },
      { label: 'packets c2s', get: (r) => r.packets[0], num, fmt: fmtN },
      { label: 'packets s2c', get: (r) => r.packets[1], num, fmt: fmtN },
      { label: 'bytes c2s', get: (r) => r.bytes[0], num, fmt: fmtBytes },
      { label: 'bytes s2c', get: (r) => r.bytes[1], num, fmt: fmtBytes },
      { label: 'ping RTT', get: (r) => r.rtt_ms, num, fmt: (v) => (v ? fmtMs(v) : '') },
      { label: 'faults', get: (r) => r.faults, num },
      { label: 'never acked', get: (r) => r.unanswered_acks, num },
      { label: 'reconnect', get: (r) => (r.reconnect ? 'yes' : '') },
      { label: 'close reason', get: (r) => r.reason || '' },
    ], S.sessions || [], { sort: 4 });
    table('traffic-table', [
      { label: 'dir', get: (r) => r.Dir, cls: 'mono' },
      { label: 'type', get: (r) => r.Type, cls: 'mono' },
      { label: 'namespace', get: (r) => r.Nsp, cls: 'mono' },
      { label: 'packets', get: (r) => r.Packets, num, fmt: fmtN },
      { label: 'bytes', get: (r) => r.Bytes, num, fmt: fmtBytes },
    ], S.traffic || [], { sort: 3 });
    table('kinds-table', [
      { label: 'transport', get: (r) => r.transport },
      { label: 'EIO', get: (r) => r.eio, num },
      { label: 'sessions', get: (r) => r.opened, num, fmt: fmtN },
    ], S.session_kinds || []);
    const kv = (m, label) => Object.entries(m || {}).map(([k, v]) => ({ k: label ? label + k : k, v }));
    table('hs-table', [{ label: 'what', get: (r) => r.k }, { label: 'count', get: (r) => r.v, num, fmt: fmtN }],
      [...kv(S.handshakes, 'handshake '), ...kv(S.upgrades, 'upgrade '), { k: 'reconnects', v: S.reconnects }]);
    table('close-table', [{ label: 'reason', get: (r) => r.k }, { label: 'count', get: (r) => r.v, num, fmt: fmtN }], kv(S.close_reasons), { sort: 1 });
    table('faultcodes-table', [{ label: 'code', get: (r) => r.k, cls: 'mono' }, { label: 'count', get: (r) => r.v, num, fmt: fmtN }], kv(S.faults), { sort: 1 });
    table('errors-table', [{ label: 'what', get: (r) => r.k }, { label: 'count', get: (r) => r.v, num, fmt: fmtN }],
      [...kv(S.relay_errors, 'relay error: '), ...kv(S.drops, 'dropped by '), { k: 'decode errors', v: S.decode_errors }]);
  }

  // ---- histograms ------------------------------------------------------------

  function bigHist(title, d, unitFmt) {
    const W = 360, H = 110;
    const box = el('div', { class: 'hist' }, el('h4', { text: title }));
    box.append(el('div', { class: 'q', text: 'n=' + fmtN(d.count) + ' · p50 ' + unitFmt(d.p50) + ' · p90 ' + unitFmt(d.p90) + ' · p99 ' + unitFmt(d.p99) + ' · max ' + unitFmt(d.max) }));
    const s = sv('svg', { width: W, height: H + 18, class: 'histogram' });
    const bars = d.bars || [];
    const max = Math.max(1, ...bars.map((b) => b.n));
    const bw = W / Math.max(bars.length, 1);
    bars.forEach((b, i) => {
      const h = (b.n / max) * H;
      s.append(tip(sv('rect', { class: 'bar', x: i * bw, y: H - h, width: Math.max(bw - 1, 1), height: h }), unitFmt(b.lo) + ' – ' + unitFmt(b.hi) + ': ' + fmtN(b.n)));
    });
    s.append(sv('line', { class: 'axis', x1: 0, x2: W, y1: H, y2: H }));
    if (bars.length) {
      s.append(sv('text', { x: 0, y: H + 13 }, unitFmt(bars[0].lo)));
      s.append(sv('text', { x: W - 70, y: H + 13 }, unitFmt(bars[bars.length - 1].hi)));
    }
    box.append(s);
    return box;
  }

  function histograms() {
    const S = D.stats;
    const box = $('hists');
    if (S.ping_rtt.count) box.append(bigHist('Ping RTT (all sessions)', S.ping_rtt, fmtMs));
    const acked = (S.events || []).filter((e) => e.ack.count).sort((a, b) => b.ack.count - a.ack.count).slice(0, 8);
    for (const e of acked) box.append(bigHist('Ack latency: ' + e.name + ' (' + e.dir + ')', e.ack, fmtMs));
    const sized = (S.events || []).slice(0, 4);
    for (const e of sized) box.append(bigHist('Message size: ' + e.name + ' (' + e.dir + ')', e.size, fmtBytes));
    if (!box.children.length) box.append(el('p', { class: 'legend', text: 'No acks, heartbeats or events to plot.' }));
  }

  // ---- faults ---------------------------------------------------------------

  function faults() {
    const box = $('fault-list');
    if (!D.faults.length) { box.append(el('p', { text: 'No fault diagnosed.' })); return; }
    for (const f of D.faults) {
      const c = el('div', { class: 'fault ' + f.severity, 'data-code': f.code });
      c.append(el('div', { class: 'head', text: f.severity.toUpperCase() + ' · ' + f.code + ' (' + f.catalog + ')' }));
      c.append(el('div', { class: 'sub', text: (f.sid ? 'session ' + f.sid + ' · ' : '') + '×' + f.count + ' · first ' + fmtTime(f.first) + ' · last ' + fmtTime(f.last) }));
      c.append(el('p', { text: f.summary }));
      if (f.evidence && f.evidence.length) {
        const ul = el('ul', { class: 'mono' });
        for (const e of f.evidence) ul.append(el('li', { text: e }));
        c.append(el('div', { class: 'sub', text: 'Evidence' }), ul);
      }
      c.append(el('div', { class: 'fix' }, el('b', { text: 'Fix: ' }), f.fix));
      box.append(c);
    }
  }

  // ---- packets --------------------------------------------------------------

  const SHOW = 500;
  const packetText = D.packets.map((p) => [p.sid, p.dir, p.tr, p.eng, p.type, p.nsp, p.ev, p.id, p.args].filter((v) => v !== undefined && v !== null).join(' ').toLowerCase());

  function packets() {
    $('packet-note').textContent = D.sampled
      ? 'Sampled: a uniform random sample of ' + fmtN(D.packets.length) + ' of the ' + fmtN(D.packets_total) + ' packets (limit ' + fmtN(D.packet_limit) + '), in recorded order; # is the position among all packets.'
      : 'All ' + fmtN(D.packets_total) + ' packets.';
    const search = $('search');
    let timer = 0;
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => drawPackets(search.value), 120); });
    drawPackets('');
  }

  function drawPackets(q) {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const hits = [];
    for (let i = 0; i < D.packets.length; i++) {
      if (words.every((w) => packetText[i].includes(w))) hits.push(i);
    }
    $('packet-count').textContent = (words.length ? fmtN(hits.length) + ' matching packets' : fmtN(hits.length) + ' packets') + (hits.length > SHOW ? ' (showing the first ' + SHOW + ')' : '');
    const t = el('table', { id: 'packet-list' });
    t.append(el('thead', {}, el('tr', {}, ...['#', 'time', 'session', 'dir', 'transport', 'packet', 'nsp', 'event', 'id', 'size', 'args / data', 'ack / rtt'].map((h) => el('th', { text: h })))));
    const tb = el('tbody');
    for (const i of hits.slice(0, SHOW)) {
      const p = D.packets[i];
      const extra = p.ack_ms !== undefined ? 'ack ' + fmtMs(p.ack_ms) : p.rtt_ms !== undefined ? 'rtt ' + fmtMs(p.rtt_ms) : '';
      tb.append(el('tr', { class: 'pkt' },
        el('td', { class: 'num', text: p.n }), el('td', { class: 'mono', text: fmtClock(p.t) }), el('td', { class: 'mono', text: p.sid || '' }),
        el('td', { class: 'mono ' + p.dir, text: p.dir }), el('td', { text: p.tr || '' }), el('td', { class: 'mono', text: p.type || p.eng || '' }),
        el('td', { class: 'mono', text: p.nsp || '' }), el('td', { class: 'mono', text: p.ev || '' }), el('td', { class: 'num', text: p.id === undefined ? '' : p.id }),
        el('td', { class: 'num', text: fmtN(p.size) }), el('td', { class: 'mono args', text: p.args || '' }), el('td', { class: 'num', text: extra })));
    }
    t.append(tb);
    $('packet-table').replaceChildren(t);
  }

  header();
  cards();
  notes();
  rates();
  timeline();
  statsTables();
  histograms();
  faults();
  packets();
  document.body.dataset.ready = '1';
})();
