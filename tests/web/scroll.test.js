// snare-web's page with 200,000 flows (snare -r of a generated flow file):
// the list says so, holds about a screen of rows, and shows the right rows
// wherever it is scrolled; sorting and filtering still answer, and a header
// filter shows its first rows before its count.  Times are
// printed as information, never asserted.
// Environment: WEB_URL, SHOTS, CHROMIUM (see page.test.js), FLOWS (how many).
'use strict';
const path = require('path');
const { open, step, must, run } = require('./lib');

const { SHOTS } = process.env;
const FLOWS = +process.env.FLOWS;

async function main() {
  const { browser, page } = await open(1280, 800, 60000);
  await step('web-big-list-total', async () => {
    await page.waitForFunction((n) => parseInt(document.getElementById('list-count').textContent, 10) === n, FLOWS);
  });
  await step('web-big-list-scrolls', async () => {
    const times = [];
    for (const frac of [0.5, 0.01, 0.999, 0.25, 0.75]) {
      const t0 = Date.now();
      const want = await page.evaluate((fr) => {
        const sc = document.getElementById('list-scroll');
        sc.scrollTop = Math.floor(fr * (sc.scrollHeight - sc.clientHeight));
        return Math.floor(sc.scrollTop / 22);
      }, frac);
      // gen_flows.py: flow i is /item/i, and seq order is file order.
      const row = page.locator(`#list-rows .row[data-index="${want}"][data-seq="${want + 1}"]`);
      await row.waitFor();
      must((await row.textContent()).includes(`/item/${want}?`), await row.textContent());
      times.push(`${want}: ${Date.now() - t0} ms`);
      const rows = await page.$$eval('#list-rows .row', (r) => r.length);
      must(rows <= 40, `${rows} rows in the DOM`);
    }
    console.log(`# scrolled to rows ${times.join(', ')}`);
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-200k.png') });
  await step('web-big-list-sort-and-filter', async () => {
    let t0 = Date.now();
    await page.click('#list-head [data-sort="url"]');
    await page.waitForFunction(() => /^\d+ flows/.test(document.getElementById('list-count').textContent) &&
      document.querySelector('#list-head .sorted')?.dataset.sort === 'url');
    const sortMs = Date.now() - t0;
    t0 = Date.now();
    await page.fill('#filter', '~d h7\\.example\\.com & ~c 200');
    await page.waitForFunction(() => /flows? match/.test(document.getElementById('list-count').textContent));
    const n = parseInt(await page.textContent('#list-count'), 10);
    must(n > 0 && n < FLOWS, `${n} flows match`);
    console.log(`# ${FLOWS} flows: sorted by URL in ${sortMs} ms, filtered to ${n} in ${Date.now() - t0} ms ` +
      '(page and server, with the 250 ms typing pause; information only)');
  });
  // A header filter reads every flow back from the spill file: the first
  // screen of matches shows before the count is known ("filtering… N found
  // in S flows"), then the count.  Times from the page's /api/flows request
  // (after the filter box's 250 ms typing pause) are printed, not asserted.
  await step('web-big-header-filter-first-rows', async () => {
    await page.click('#list-head [data-sort="seq"]');
    await page.waitForFunction(() => /^\d+ flows match/.test(document.getElementById('list-count').textContent) &&
      document.querySelector('#list-head .sorted')?.dataset.sort === 'seq');
    // The page's own clock: when it asked, when flow 1's row showed (and the
    // count beside it), when the count was complete.
    await page.evaluate(() => {
      const seen = window.hqSeen = {};
      const origFetch = window.fetch;
      window.fetch = (u, o) => {
        if (!seen.asked && String(u).includes('/api/flows?') && decodeURIComponent(String(u)).includes('~hq User-Agent'))
          seen.asked = performance.now();
        return origFetch(u, o);
      };
      new MutationObserver(() => {
        const r = document.querySelector('#list-rows .row[data-index="0"][data-seq="1"]');
        if (seen.asked && !seen.rows && r && r.textContent.includes('/item/0?')) {
          seen.rows = performance.now();
          seen.count = document.getElementById('list-count').textContent;
        }
      }).observe(document.getElementById('list-rows'), { childList: true });
    });
    await page.fill('#filter', '~hq User-Agent');
    await page.waitForFunction((n) => document.getElementById('list-count').textContent.startsWith(`${n} flows match`), FLOWS);
    const seen = await page.evaluate(() => ({ ...window.hqSeen, done: performance.now() }));
    must(seen.rows, 'flow 1 never showed in row 0');
    console.log(`# ~hq User-Agent on ${FLOWS} flows: first rows ${Math.round(seen.rows - seen.asked)} ms after the ` +
      `list request (count then: "${seen.count}"), all ${FLOWS} counted after ${Math.round(seen.done - seen.asked)} ms ` +
      '(information only)');
  });
  await browser.close();
}

run('web-big-list', main);
