// snare-web's intercept controls in headless Chromium: the intercept filter
// is typed into the page's box, a curl request through the proxy (started by
// the shell test when the file $GO appears) shows up held in the list, the
// page's editor adds a header, Resume sends it on.  The shell test checks
// that curl completed and that the origin saw the header.
// Environment: WEB_URL, SHOTS, CHROMIUM (see lib.js), GO (a file to create
// once the filter is set), DONE (a file the shell test creates once curl
// has its answer).  Prints "ok NAME" / "not ok NAME: why".
'use strict';
const fs = require('fs');
const path = require('path');
const { open, step, must, run } = require('./lib');

const { SHOTS, GO, DONE } = process.env;

async function main() {
  const { browser, page } = await open(1280, 800, 20000);
  await step('web-icpt-filter-set', async () => {
    await page.fill('#intercept', '~q & ~u /headers');
    await page.press('#intercept', 'Enter');
    await page.waitForSelector('#intercept.active');
    const st = await page.evaluate(async () => (await fetch('/api/state')).json());
    must(st.intercept === '~q & ~u /headers', `state: ${JSON.stringify(st)}`);
  });
  fs.writeFileSync(GO, '');
  await step('web-icpt-row-held', async () => {
    const row = page.locator('#list-rows .row.intercepted').first();
    await row.waitFor();
    await row.click();
    await page.waitForSelector('#act-resume:not([hidden])');
    const banner = await page.textContent('.held-banner');
    must(/request waits/.test(banner), `banner: ${banner}`);
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-intercept-held.png') });
  // An edit the page and the ui pass but the worker refuses (its new head has
  // more header fields than max_headers): the editor shows the reason, the
  // flow stays held and unchanged.
  await step('web-icpt-refused-edit-shown', async () => {
    await page.click('#act-edit');
    await page.waitForSelector('#edit-headers');
    const h = await page.inputValue('#edit-headers');
    const many = Array.from({ length: 150 }, (_, i) => `X-Many-${i}: v`).join('\n');
    await page.fill('#edit-headers', `${h}\n${many}`);
    await page.click('#edit-save');
    await page.waitForSelector('#edit-error:not([hidden])');
    const msg = await page.textContent('#edit-error');
    must(/max_headers/.test(msg), `error: ${msg}`);
    must(await page.isVisible('#edit-headers'), 'the editor closed');
    const id = await page.evaluate(() => detailFlow.id);
    const f = await page.evaluate(async (i) => (await fetch(`/api/flows/${i}`)).json(), id);
    must(f.intercepted === 'request', `no longer held: ${f.intercepted}`);
    must(!f.request.headers.some(([k]) => k.startsWith('X-Many-')), 'the refused headers are in the flow');
    must(await page.locator('#list-rows .row.intercepted').count() === 1, 'the row is not held');
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-intercept-refused.png') });
  await page.click('#edit-cancel');
  await step('web-icpt-edit-header', async () => {
    await page.click('#act-edit');
    await page.waitForSelector('#edit-headers');
    const h = await page.inputValue('#edit-headers');
    await page.fill('#edit-headers', `${h}\nX-From-Page: edited in the browser`);
    await page.click('#edit-save');
    // The saved flow shows the header in the detail view.
    await page.waitForFunction(() => [...document.querySelectorAll('#detail-body table.headers th')]
      .some((th) => th.textContent === 'X-From-Page'));
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-intercept-edited.png') });
  await step('web-icpt-resume', async () => {
    await page.click('#act-resume');
    await page.waitForSelector('#act-resume', { state: 'hidden' });
    for (let i = 0; i < 200 && !fs.existsSync(DONE); i++) await page.waitForTimeout(100);
    must(fs.existsSync(DONE), 'curl did not complete after Resume');
    await page.waitForSelector('#list-rows .row.intercepted', { state: 'detached' });
  });
  await browser.close();
}

run('web-icpt', main);
