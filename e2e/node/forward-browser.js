'use strict';
// Loads one page in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) with sioproxy as its HTTP proxy, for the forward-mode
// end-to-end test. Chromium trusts sioproxy's CA by its SPKI hash, which is
// how a throwaway profile is told to trust one CA (`sioproxy ca` prints it).
//
//   node forward-browser.js '{"executable":"/usr/bin/chromium","proxy":"http://127.0.0.1:Q",
//                             "spki":"base64","url":"https://127.0.0.1:P/","timeout":60000}'
//
// The page sets window.__result; the answer is one line
//   {"result":{...},"text":"<body text>","console":[...],"failed":[...]}
// or {"error":"..."}.

const { chromium } = require('playwright-core');

let cfg = {};
for (const a of process.argv.slice(2)) {
  if (a.startsWith('{')) cfg = Object.assign(cfg, JSON.parse(a));
}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main() {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--proxy-server=${cfg.proxy}`,
    // Chromium never proxies loopback unless told to; the test servers
    // listen on 127.0.0.1.
    '--proxy-bypass-list=<-loopback>'];
  if (cfg.spki) args.push(`--ignore-certificate-errors-spki-list=${cfg.spki}`);
  // Playwright makes a fresh temporary profile (--user-data-dir), which
  // the SPKI flag requires, and adds --headless itself.
  const browser = await chromium.launch({
    executablePath: cfg.executable || '/usr/bin/chromium', headless: true, args, timeout: 120000,
  });
  const timeout = Number(cfg.timeout) || 60000;
  const consoleLines = [];
  const failed = [];
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure() && r.failure().errorText}`));
    try {
      await page.goto(cfg.url, { timeout });
    } catch (e) {
      out({ error: String(e && e.message || e), console: consoleLines, failed });
      return;
    }
    await page.waitForFunction(() => window.__result !== undefined && window.__result !== null, null, { timeout, polling: 100 });
    const result = await page.evaluate(() => window.__result);
    await page.waitForFunction(() => window.__settled === true, null, { timeout, polling: 100 });
    const text = await page.textContent('body');
    out({ result, text, console: consoleLines, failed });
    await context.close();
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  out({ error: String(e && e.stack || e), console: [], failed: [] });
  process.exit(1);
});
