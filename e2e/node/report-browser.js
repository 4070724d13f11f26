'use strict';
// Opens a sioproxy HTML report (a file:// URL) in headless Chromium through
// playwright-core, checks what a reader would see, and prints one JSON line:
//   {"console":[...],"requests":[...],"dom":{...},"search":{...}}
// or {"error":"..."}. Used by e2e/report_browser_test.go and by
// scripts/screenshots.sh (which only wants the screenshot).
//   node report-browser.js '{"url":"file:///tmp/r.html","screenshot":"/tmp/r.png","search":"hello"}'

const { chromium } = require('playwright-core');

const cfg = {};
for (const a of process.argv.slice(2)) if (a.startsWith('{')) Object.assign(cfg, JSON.parse(a));

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const consoleLines = [];

// A crashed browser can leave main() awaiting a promise that nothing will
// settle; Node then exits 0 having printed nothing. Say so instead.
let printed = false;
function printResult(obj) {
  printed = true;
  process.stdout.write(JSON.stringify(obj) + '\n');
}
process.on('exit', (code) => {
  if (!printed) {
    process.stdout.write(JSON.stringify({ error: 'node exited before a result (exit ' + code + '): the browser went away', noResult: true, console: consoleLines }) + '\n');
    process.exitCode = 1;
  }
});

async function main() {
  const browser = await chromium.launch({ executablePath: cfg.executable || '/usr/bin/chromium', headless: true, args: ARGS, timeout: 120000 });
  try {
    const context = await browser.newContext({ viewport: { width: cfg.width || 1400, height: cfg.height || 900 } });
    const page = await context.newPage();
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (r.url() !== cfg.url) requests.push(r.url()); });
    const timeout = Number(cfg.timeout) || 120000;
    const t0 = Date.now();
    await page.goto(cfg.url, { timeout, waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout, polling: 100 });
    const loadMs = Date.now() - t0;
    const dom = await page.evaluate(() => {
      const q = (s) => document.querySelectorAll(s);
      const text = (s) => (document.querySelector(s) || {}).textContent || '';
      return {
        sessionRows: q('#timeline-svg .session-row').length,
        segments: q('#timeline-svg .seg').length,
        websocketSegments: q('#timeline-svg .seg-websocket').length,
        closeMarks: q('#timeline-svg .mk-close').length,
        faultMarks: q('#timeline-svg .fault-mark').length,
        histograms: q('svg.histogram').length,
        histogramBars: [...q('svg.histogram')].map((s) => s.querySelectorAll('rect.bar').length),
        histogramTitles: [...q('.hist h4')].map((h) => h.textContent),
        miniHistograms: q('svg.mini-hist').length,
        eventRows: q('[data-table="events-table"] tbody tr').length,
        eventNames: [...q('[data-table="events-table"] tbody tr')].map((r) => r.children[0].textContent + ' ' + r.children[1].textContent),
        sessionTableRows: q('[data-table="sessions-table"] tbody tr').length,
        faultCards: [...q('#fault-list .fault')].map((f) => f.dataset.code),
        faultFixes: q('#fault-list .fault .fix').length,
        packetRows: q('#packet-list tbody tr').length,
        packetCount: text('#packet-count'),
        packetNote: text('#packet-note'),
        notes: [...q('#notes .note')].map((n) => n.textContent),
        cards: [...q('.card')].map((c) => c.textContent),
        scripts: q('script').length,
      };
    });
    // Sorting: a click on the events table's "count" header flips the order.
    const sort = await page.evaluate(() => {
      const th = [...document.querySelectorAll('[data-table="events-table"] th')].find((h) => h.textContent.startsWith('count'));
      if (!th) return null;
      const col = () => [...document.querySelectorAll('[data-table="events-table"] tbody tr')].map((r) => Number(r.children[2].textContent.replace(/,/g, '')));
      const before = col();
      th.click();
      const after = col();
      return { before, after };
    });
    let search = null;
    if (cfg.search !== undefined) {
      await page.fill('#search', cfg.search);
      await page.waitForFunction((s) => document.querySelector('#packet-count').textContent.includes('matching'), cfg.search, { timeout, polling: 50 });
      search = await page.evaluate(() => ({
        count: document.querySelector('#packet-count').textContent,
        rows: [...document.querySelectorAll('#packet-list tbody tr')].map((r) => r.textContent),
      }));
      if (!cfg.keepSearch) {
        await page.fill('#search', '');
        await page.waitForFunction(() => !document.querySelector('#packet-count').textContent.includes('matching'), null, { timeout, polling: 50 });
      }
    }
    // The screenshot is an artifact for a person, not a check: on a busy
    // machine a full-page capture of a large report can outlast Playwright's
    // 30 s default, so it gets the test's timeout and its failure is told,
    // not fatal.
    let screenshotError;
    if (cfg.screenshot) {
      try {
        await page.screenshot({ path: cfg.screenshot, fullPage: cfg.fullPage !== false, timeout });
      } catch (e) {
        screenshotError = String((e && e.message) || e);
      }
    }
    printResult({ console: consoleLines, requests, dom, sort, search, loadMs, screenshotError });
    await context.close();
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  printResult({ error: String((e && e.stack) || e), console: consoleLines });
  process.exit(1);
});
