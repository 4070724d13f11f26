'use strict';
// Drives headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) for sioproxy's CORS fault scenarios, so that the browser
// itself enforces CORS and the test sees what a user would.
//
// One browser serves many pages: each stdin line is a job
//   {"id":"x","url":"http://127.0.0.1:P/","timeout":60000}
// opened in a fresh context (no shared cookies or cache). The page must set
// window.__result (see e2e/browser/page.html); the answer is one line
//   {"id":"x","result":{...},"console":["..."],"failed":["..."]}
// or {"id":"x","error":"..."}. The first line is {"ready":true,"version":…}.
//   node fault-browser.js '{"executable":"/usr/bin/chromium"}'

const readline = require('readline');
const { chromium } = require('playwright-core');

let cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) cfg = Object.assign(cfg, JSON.parse(a));
}

// Playwright makes a fresh temporary profile (--user-data-dir) per launch
// and adds --headless itself.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function runJob(browser, job) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleLines = [];
  const failed = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure() && r.failure().errorText}`));
  try {
    const timeout = Number(job.timeout) || 60000;
    await page.goto(job.url, { timeout });
    await page.waitForFunction(() => window.__result !== undefined && window.__result !== null, null, { timeout, polling: 100 });
    const result = await page.evaluate(() => window.__result);
    // Let the page finish what it started (a close POST) before the
    // context goes away.
    await page.waitForFunction(() => window.__settled === true, null, { timeout, polling: 100 });
    return { id: job.id, result, console: consoleLines, failed };
  } catch (e) {
    return { id: job.id, error: String((e && e.message) || e), console: consoleLines, failed };
  } finally {
    await context.close();
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: cfg.executable || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    timeout: 120000,
  });
  out({ ready: true, version: browser.version() });
  const rl = readline.createInterface({ input: process.stdin });
  const pending = new Set();
  rl.on('line', (l) => {
    if (!l.trim()) return;
    let job;
    try {
      job = JSON.parse(l);
    } catch (e) {
      out({ error: `bad job line ${JSON.stringify(l)}: ${e.message}` });
      return;
    }
    const p = runJob(browser, job)
      .then(out, (e) => out({ id: job.id, error: String(e && e.stack || e) }))
      .finally(() => pending.delete(p));
    pending.add(p);
  });
  rl.on('close', async () => {
    await Promise.allSettled([...pending]);
    await browser.close();
    process.exit(0);
  });
}

main().catch((e) => {
  process.stderr.write(`fault-browser.js: ${e && e.stack || e}\n`);
  process.exit(1);
});
