// A headless Chromium page attached to snare-web for the benchmark's case w1
// (bench/web.sh): it opens WEB_URL (the start-up line's address with the
// token, so it logs in), keeps the flow list open in follow mode so it takes
// every live push, and counts the WebSocket messages it receives.  It prints
// "ready page" once the list is live; on SIGUSR2 it prints
//   pushes FLOWS events EVENTS dropped N coord C frames F list COUNT_TEXT
// (N = the sum of the "dropped" messages the page heard, C = the views the
// coordinator dropped on the way to the ui, from /api/state; F = the "flows"
// batches the FLOWS came in) and exits.  (Not on
// SIGTERM: playwright closes the browser on that before we could read it.)
// Trusts nothing from the page beyond JSON it parses; uses the browser tests'
// playwright-core (tests/web/install.sh installs it).
'use strict';
const { launch } = require('../tests/web/lib');

async function main() {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30000);
  let flows = 0, events = 0, dropped = 0, frames = 0;
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    let m;
    try { m = JSON.parse(f.payload); } catch (_) { return; }
    if (m.type === 'flow') flows++;
    else if (m.type === 'flows') { flows += (m.new || []).length + (m.flows || []).length; frames++; }
    else if (m.type === 'event') events++;
    else if (m.type === 'dropped') dropped += m.count;
  }));
  await page.goto(process.env.WEB_URL);
  await page.waitForSelector('#list-scroll');
  await page.waitForFunction(() => /live/.test(document.getElementById('status').textContent));
  console.log('ready page');
  const done = async () => {
    const text = await page.textContent('#list-count').catch(() => '?');
    const coord = await page.evaluate(() => fetch('/api/state').then((r) => r.json()))
      .then((s) => s.dropped, () => '?');
    console.log(`pushes ${flows} events ${events} dropped ${dropped} coord ${coord} frames ${frames} list ${text}`);
    await browser.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGUSR2', done);
}

main().catch((e) => { console.log(`error ${String(e.message || e).split('\n')[0]}`); process.exit(1); });
