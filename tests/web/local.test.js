// snare-web in local capture mode: a curl run while the page is open shows
// up with its process name and pid in the list's Process column (and the
// column is shown only because such a flow is there).
// Environment: WEB_URL, SHOTS, CHROMIUM (see page.test.js); CURL, the
// captured curl copy (its file name is the process name snare captures);
// TARGET, the URL it fetches (answers "hello").
'use strict';
const path = require('path');
const { spawn } = require('child_process');
const { open, step, must, run } = require('./lib');

const { SHOTS, CURL, TARGET } = process.env;

// curl: runs CURL on TARGET; resolves with its pid and output.
function curl() {
  return new Promise((resolve, reject) => {
    const p = spawn(CURL, ['-sS', '--max-time', '10', TARGET], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve({ pid: p.pid, out }) : reject(new Error(`curl: ${code} ${out}`))));
  });
}

async function main() {
  const { browser, page } = await open(1280, 800, 30000);
  await page.waitForFunction(() => /live/.test(document.getElementById('status').textContent));
  const hidden = await page.locator('#list-head .c-proc').isHidden();
  let run1;
  await step('web-local-curl-captured', async () => {
    run1 = await curl();
    must(run1.out.trim() === 'hello', run1.out);
  });
  await step('web-local-process-column', async () => {
    const name = path.basename(CURL);
    const row = page.locator('#list-rows .row', { hasText: '/hello' }).first();
    await row.waitFor();
    const cell = (await row.locator('.c-proc').textContent()).trim();
    must(cell === `${name} (${run1.pid})`, `Process column "${cell}", expected "${name} (${run1.pid})"`);
    must(hidden && await row.locator('.c-proc').isVisible(), 'the column was not hidden before, or is not shown now');
    const cut = await row.locator('.c-proc').evaluate((e) => e.scrollWidth > e.clientWidth);
    must(!cut, 'the Process column cuts the name and pid');
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-local.png') });
  await browser.close();
}

run('web-local', main);
