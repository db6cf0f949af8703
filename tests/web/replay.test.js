// snare-web's replay in headless Chromium: the Replay button of a flow's
// detail view and Replay selected above the list each send the request
// again (POST /api/flows/ID/replay with the page's CSRF token); the origin
// sees it (ORIGIN_LOG counts the requests) and the replayed flow comes back
// as a new row marked replay-request.  Environment: WEB_URL (the start-up
// line's address with the token), SHOTS, ORIGIN_LOG, PATH_MARK (the path of
// the one flow in the list), CHROMIUM (see page.test.js).  Prints "ok NAME"
// / "not ok NAME: why".
'use strict';
const fs = require('fs');
const path = require('path');
const { open, step, run } = require('./lib');

const { SHOTS, ORIGIN_LOG, PATH_MARK } = process.env;
const seen = () => fs.readFileSync(ORIGIN_LOG, 'utf8').split('\n').filter((l) => l.includes(PATH_MARK)).length;

async function waitFor(cond, what, ms) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

async function main() {
  const { browser, page } = await open(1200, 760, 15000);
  const rows = page.locator('#list-rows .row', { hasText: PATH_MARK });
  const replays = () => page.locator('#list-rows .row.replay-request').count();
  // n replay rows on the page (new rows arrive live)
  const replayRows = (n) => page.waitForFunction((k) =>
    document.querySelectorAll('#list-rows .row.replay-request').length === k, n);
  let marked;
  await step('web-replay-button', async () => {
    await rows.first().waitFor();
    marked = await replays();
    await rows.first().click();
    await page.waitForSelector('#act-replay:not([hidden])');
    const before = seen();
    await page.click('#act-replay');
    await waitFor(() => seen() === before + 1, `the origin got the request again (${seen()})`, 10000);
    await replayRows(marked + 1);
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-replay.png') });
  await step('web-replay-selected', async () => {
    const before = seen();
    await rows.first().click(); // selects this flow alone
    await page.click('#act-replay-selected');
    await waitFor(() => seen() === before + 1, `the origin got the request again (${seen()})`, 10000);
    await replayRows(marked + 2);
  });
  await browser.close();
}

run('web-replay', main);
