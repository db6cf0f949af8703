// Shared by the browser tests in tests/web/: Debian's Chromium started by
// playwright-core, and the "ok NAME" / "not ok NAME: why" lines that
// tests/run.sh counts.
'use strict';
const { chromium } = require('playwright-core');

let failed = 0;

// launch: headless Chromium (CHROMIUM, default /usr/bin/chromium), no proxy.
function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-proxy-server'],
  });
}

// open WIDTH HEIGHT TIMEOUT_MS: a browser and a page showing WEB_URL.
async function open(width, height, timeout) {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width, height } });
  page.setDefaultTimeout(timeout);
  await page.goto(process.env.WEB_URL);
  return { browser, page };
}

const ok = (n) => console.log(`ok ${n}`);
// The first line of why is the reason; the rest (playwright's call log) follows as comments.
const notok = (n, why) => {
  const lines = String(why).split('\n');
  failed++;
  console.log(`not ok ${n}: ${lines[0]}`);
  for (const l of lines.slice(1, 40)) if (l.trim()) console.log(`# ${l}`);
};

// step NAME fn: runs fn; ok when it returns without throwing.
async function step(name, fn) {
  try { await fn(); ok(name); } catch (e) { notok(name, e.message || e); }
}
function must(cond, why) { if (!cond) throw new Error(why); }

// run main: exits 1 when a step failed or main threw (as NAME).
function run(name, main) {
  main().then(() => process.exit(failed ? 1 : 0), (e) => { notok(name, e.stack || e); process.exit(1); });
}

module.exports = { launch, open, ok, notok, step, must, run };
