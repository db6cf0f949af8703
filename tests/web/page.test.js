// snare-web's page in headless Chromium, driven by playwright-core: live rows,
// reload, sorting, filter and highlight, the detail view of a gzip JSON
// response, copy as curl and raw messages, HAR export (validated against HAR
// 1.2 by har-validator), flow file export and import, the event log.
// tests/integration/test_web_page.sh starts snare and the origin, then runs
//   node page.test.js
// with these in the environment:
//   WEB_URL   the start-up line's http://HOST:PORT/?token=T
//   PROXY     snare's proxy, http://127.0.0.1:PORT (curl sends through it)
//   ORIGIN    the test origin, http://127.0.0.1:PORT (serves /data.json gzip'ed)
//   SHOTS     the folder for screenshots and downloads
//   WS_ORIGIN, WSCLIENT  an echoing WebSocket origin (HOST:PORT) and tests/integration/wsclient.py
//   TCP_ECHO  HOST:PORT of an echo server snare relays as raw TCP
//   DNS_PORT  snare's DNS mode (it answers localhost from the hosts file)
//   SNARE_PID  snare's pid: a SIGHUP makes it log an error (its configuration is bad)
//   IMPORT_FILE  a flow file with one flow (GET /hello?from=file) made by another snare
//   CHROMIUM  the browser (default /usr/bin/chromium)
// It prints "ok NAME" / "not ok NAME: why" lines like the shell tests.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const har = require('har-validator');
const { launch, step, must, run } = require('./lib');
const net = require('net');

const { WEB_URL, PROXY, ORIGIN, SHOTS } = process.env;
const TIMEOUT = 15000;
function curl(urlPath) {
  return execFileSync('curl', ['-sS', '--max-time', '20', '--compressed', '-x', PROXY, ORIGIN + urlPath],
    { encoding: 'latin1' });
}

// tcpEcho: through the proxy with CONNECT, sends TEXT raw and waits for it back.
function tcpEcho(text) {
  const proxy = new URL(PROXY);
  return new Promise((resolve, reject) => {
    const sock = net.connect(+proxy.port, proxy.hostname);
    let buf = '', open = false;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`tcp echo: ${buf}`)); }, 15000);
    sock.on('connect', () => sock.write(`CONNECT ${process.env.TCP_ECHO} HTTP/1.1\r\nHost: ${process.env.TCP_ECHO}\r\n\r\n`));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (!open && buf.includes('\r\n\r\n')) {
        if (!/^HTTP\/1\.[01] 200/.test(buf)) { clearTimeout(timer); sock.destroy(); reject(new Error(buf)); return; }
        open = true;
        buf = '';
        sock.write(text);
      } else if (open && buf.includes(text)) {
        clearTimeout(timer);
        sock.end();
        resolve();
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `web-${name}.png`) });
const rowFor = (page, text) => page.locator('#list-rows .row', { hasText: text });
// harValid: resolves for a valid HAR 1.2 document; rejects with every schema error.
async function harValid(doc) {
  try { await har.har(doc); } catch (e) {
    throw new Error(`invalid HAR: ${JSON.stringify(e.errors || e.message)}`);
  }
}
const count = async (page) => parseInt(await page.textContent('#list-count'), 10);

// modal: clicks BUTTON, waits for the dialog titled TITLE, returns its text, closes it.
async function modal(page, button, title) {
  await page.click(button);
  await page.waitForSelector(`#modal[open] #modal-title:text-is("${title}")`);
  const t = await page.inputValue('#modal-text');
  await page.click('#modal button[value=close]');
  await page.waitForSelector('#modal', { state: 'hidden' });
  return t;
}

async function download(page, linkId) {
  await page.click('#export-menu summary');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#${linkId}`)]);
  const file = path.join(SHOTS, `${linkId}-${dl.suggestedFilename()}`);
  try {
    await dl.saveAs(file);
  } catch (e) {
    // Say what the server answered instead of "canceled".
    const href = await page.getAttribute(`#${linkId}`, 'href');
    const why = await page.evaluate(async (h) => { const r = await fetch(h); return `${r.status} ${await r.text()}`; }, href);
    throw new Error(`${href}: ${why.slice(0, 160)}`);
  }
  return file;
}

async function main() {
  const browser = await launch();
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 860 }, acceptDownloads: true });
  ctx.setDefaultTimeout(TIMEOUT);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await step('page-loads-with-token', async () => {
    const resp = await page.goto(WEB_URL);
    must(resp.ok(), `status ${resp.status()}`);
    must(new URL(page.url()).search === '', `the token stays in the address: ${page.url()}`);
    await page.waitForSelector('#list-head .cell');
    await page.waitForFunction(() => /live/.test(document.getElementById('status').textContent));
  });

  await step('wrong-token-403-in-browser', async () => {
    const other = await browser.newContext();
    const p2 = await other.newPage();
    const bad = WEB_URL.replace(/token=([0-9a-f])/, (m, c) => `token=${c === '0' ? '1' : '0'}`);
    must(bad !== WEB_URL, 'could not change the token');
    const r = await p2.goto(bad);
    must(r.status() === 403, `status ${r.status()}`);
    const r2 = await p2.goto(new URL('/', WEB_URL).href);
    must(r2.status() === 403, `no cookie: status ${r2.status()}`);
    await other.close();
  });

  // Rows appear without a reload: a marker set in the page must survive.
  await page.evaluate(() => { window.__noReload = 1; });
  curl('/hello');
  curl('/data.json');
  curl('/headers');
  await step('rows-appear-live', async () => {
    await rowFor(page, '/data.json').first().waitFor();
    await rowFor(page, '/hello').first().waitFor();
    must(await page.evaluate(() => window.__noReload === 1), 'the page was reloaded');
  });
  await shot(page, 'live');

  await step('list-survives-reload', async () => {
    await page.reload();
    await rowFor(page, '/data.json').first().waitFor();
    must(await count(page) >= 3, `count ${await count(page)}`);
  });

  await step('sort-by-column', async () => {
    const seqs = async () => page.$$eval('#list-rows .row', (r) => r.map((x) => +x.dataset.seq));
    await page.click('#list-head [data-sort="seq"]');  // asc -> desc
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('#list-rows .row')].map((x) => +x.dataset.seq);
      return r.length > 1 && r[0] > r[r.length - 1];
    });
    const s = await seqs();
    must(s.every((v, i) => i === 0 || s[i - 1] > v), `not descending: ${s}`);
    // Every column sorts on the server without an error.
    const keys = await page.$$eval('#list-head [data-sort]', (h) => h.filter((x) => x.offsetParent).map((x) => x.dataset.sort));
    for (const k of keys.filter((x) => x !== 'seq')) {
      await page.click(`#list-head [data-sort="${k}"]`);
      await page.waitForFunction((key) => document.querySelector('#list-head .sorted')?.dataset.sort === key &&
        !/…/.test(document.getElementById('list-count').textContent), k);
      must(await page.isHidden('#filter-error'), `sort by ${k}: ${await page.textContent('#filter-error')}`);
    }
    await page.click('#list-head [data-sort="seq"]');  // back to seq, ascending
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('#list-rows .row')].map((x) => +x.dataset.seq);
      return r.length > 1 && r[0] < r[r.length - 1];
    });
  });

  await step('filter', async () => {
    must(await rowFor(page, '/hello').count() > 0, 'no /hello row before filtering');
    await page.fill('#filter', '~u data\\.json');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#list-rows .row')];
      return rows.length > 0 && rows.every((r) => r.textContent.includes('/data.json'));
    });
    must(await rowFor(page, '/hello').count() === 0, '/hello still listed');
    must(/match/.test(await page.textContent('#list-count')), 'count does not say match');
  });
  await shot(page, 'filtered');

  await step('filter-invalid-shows-error', async () => {
    await page.fill('#filter', '~u data & (');
    await page.waitForSelector('#filter-error:not([hidden])');
    const msg = await page.textContent('#filter-error');
    must(msg.trim().length > 8, `error text: ${msg}`);
    must(await page.$eval('#filter', (e) => e.classList.contains('invalid')), 'input not marked invalid');
    console.log(`# filter error shown: ${msg.trim()}`);
  });
  await shot(page, 'filter-error');
  await page.fill('#filter', '');
  await page.waitForSelector('#filter-error', { state: 'hidden' });
  await rowFor(page, '/hello').first().waitFor();

  await step('highlight', async () => {
    await page.fill('#highlight', '~u hello');
    await page.waitForSelector('#list-rows .row.highlighted');
    const hl = await page.$$eval('#list-rows .row.highlighted', (r) => r.map((x) => x.textContent));
    must(hl.every((t) => t.includes('/hello')), `highlighted: ${hl}`);
    must(await page.$$eval('#list-rows .row:not(.highlighted)', (r) => r.length) > 0, 'every row highlighted');
  });
  await shot(page, 'highlight');
  await page.fill('#highlight', '');

  await step('detail-gzip-json-pretty', async () => {
    await rowFor(page, '/data.json').first().click();
    await page.click('#detail-tabs [data-tab="response"]');
    const pre = page.locator('#detail-body pre.json');
    await pre.waitFor();
    const text = await pre.textContent();
    must(text.includes('\n  "snare": "web page test"'), `not pretty: ${text.slice(0, 80)}`);
    const enc = await page.textContent('#detail-body table.headers');
    must(/content-encoding\s*gzip/i.test(enc), 'the response headers do not say gzip');
  });
  await shot(page, 'detail-json');

  await step('detail-image', async () => {
    curl('/pixel.png');
    await rowFor(page, '/pixel.png').first().waitFor();
    await rowFor(page, '/pixel.png').first().click();
    await page.click('#detail-tabs [data-tab="response"]');
    await page.waitForFunction(() => {
      const i = document.querySelector('#detail-body img.body-img');
      return i && i.complete && i.naturalWidth === 4;
    });
    await page.selectOption('#detail-body .body-mode', 'hex');
    const hex = await page.textContent('#detail-body pre.hex');
    must(hex.startsWith('00000000  89 50 4e 47'), hex.slice(0, 60));
    await rowFor(page, '/data.json').first().click();
  });

  await step('detail-connection-and-timing', async () => {
    await page.click('#detail-tabs [data-tab="connection"]');
    const t = await page.textContent('#detail-body');
    must(t.includes('Client connection') && t.includes('127.0.0.1'), t.slice(0, 120));
    await page.click('#detail-tabs [data-tab="timing"]');
    must((await page.textContent('#detail-body')).includes('Request started'), 'no timing');
  });

  await step('mark', async () => {
    const id = await rowFor(page, '/data.json').first().getAttribute('data-id');
    await page.click('#act-mark');
    await page.waitForSelector(`#list-rows .row.marked[data-id="${id}"]`);
    await page.waitForSelector('#act-mark:text-is("Unmark")');
    await page.fill('#filter', '~marked');
    try {
      await page.waitForFunction(() => /flows? match/.test(document.getElementById('list-count').textContent));
      const ids = await page.$$eval('#list-rows .row', (r) => r.map((x) => x.dataset.id));
      must(ids.length === 1 && ids[0] === id, `~marked lists ${ids.length} rows`);
    } finally {
      await page.fill('#filter', '');
      await page.waitForFunction(() => /^\d+ flows?$/.test(document.getElementById('list-count').textContent));
    }
  });

  await step('copy-as-curl', async () => {
    const t = await modal(page, '#act-curl', 'Copy as curl');
    must(t.startsWith('curl ') && t.includes(`${ORIGIN}/data.json`), t);
  });

  await step('raw-response', async () => {
    const t = await modal(page, '#act-raw-resp', 'Raw response');
    must(/^HTTP\/1\.[01] 200/.test(t) && /content-encoding: gzip/i.test(t), t.slice(0, 80));
  });

  await step('raw-request', async () => {
    const t = await modal(page, '#act-raw-req', 'Raw request');
    must(/^GET \/data\.json HTTP\/1\.1\r?\n/.test(t), t.slice(0, 80));
  });

  await step('websocket-messages', async () => {
    const proxy = PROXY.replace(/^http:\/\//, '');
    execFileSync('python3', [process.env.WSCLIENT, '--proxy', proxy, '--url', `ws://${process.env.WS_ORIGIN}/ws`,
      '--send', 'ping-from-page-test'], { stdio: 'ignore', timeout: 30000 });
    const row = rowFor(page, `${process.env.WS_ORIGIN}/ws`).first();
    await row.waitFor();
    must((await row.textContent()).includes('websocket'), await row.textContent());
    await row.click();
    await page.click('#detail-tabs [data-tab="messages"]');
    await page.waitForSelector('#detail-body table.messages tr.from-server pre');
    const out = await page.$$eval('#detail-body table.messages tr.from-client', (r) => r.map((x) => x.textContent));
    const back = await page.$$eval('#detail-body table.messages tr.from-server', (r) => r.map((x) => x.textContent));
    must(out.some((t) => t.includes('→') && t.includes('ping-from-page-test')), `client side: ${out}`);
    must(back.some((t) => t.includes('←') && t.includes('ping-from-page-test')), `server side: ${back}`);
  });
  await shot(page, 'websocket');

  await step('tcp-messages', async () => {
    await tcpEcho('raw-tcp-from-page-test\n');
    const row = rowFor(page, process.env.TCP_ECHO).filter({ hasText: 'tcp' }).first();
    await row.waitFor();
    await row.click();
    await page.click('#detail-tabs [data-tab="messages"]');
    await page.waitForSelector('#detail-body table.messages tr.from-server pre');
    const t = await page.textContent('#detail-body table.messages');
    must(t.includes('→') && t.includes('←') && t.includes('raw-tcp-from-page-test'), t.slice(0, 200));
  });
  await shot(page, 'tcp');

  await step('dns-questions-and-answers', async () => {
    const out = execFileSync('dig', ['@127.0.0.1', '-p', process.env.DNS_PORT, '+time=3', '+tries=1', '+short',
      'localhost', 'A'], { encoding: 'utf8' });
    must(out.includes('127.0.0.1'), `dig: ${out}`);
    const row = rowFor(page, 'localhost').filter({ hasText: 'dns' }).first();
    await row.waitFor();
    await row.click();
    await page.click('#detail-tabs [data-tab="dns"]');
    await page.waitForSelector('#detail-body table.dns-a td');
    const q = (await page.$$eval('#detail-body table.dns-q td', (c) => c.map((x) => x.textContent))).join(' | ');
    const a = await page.$$eval('#detail-body table.dns-a', (t) => t.map((x) => x.textContent).join(' '));
    must(/localhost \| A\b/.test(q), `questions: ${q}`);
    must(a.includes('127.0.0.1'), `answers: ${a}`);
  });
  await shot(page, 'dns');

  let harEntries = 0;
  await step('export-har-valid', async () => {
    const file = await download(page, 'har-all');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    await harValid(doc);
    harEntries = doc.log.entries.length;
    must(harEntries >= 3, `${harEntries} entries`);
    must(doc.log.entries.some((e) => e.request.url.endsWith('/data.json')), 'no /data.json entry');
  });

  await step('export-har-selected', async () => {
    await rowFor(page, '/hello').first().click();
    const file = await download(page, 'har-selected');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    await harValid(doc);
    must(doc.log.entries.length === 1 && doc.log.entries[0].request.url.endsWith('/hello'),
      `${doc.log.entries.length} entries`);
  });

  await step('export-har-filtered', async () => {
    await page.fill('#filter', '~u headers');
    try {
      await page.waitForFunction(() => /match/.test(document.getElementById('list-count').textContent));
      const file = await download(page, 'har-filtered');
      const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      await harValid(doc);
      must(doc.log.entries.length >= 1 && doc.log.entries.every((e) => e.request.url.includes('/headers')),
        `${doc.log.entries.length} entries`);
    } finally {
      await page.fill('#filter', '');
      await page.waitForFunction(() => !/match/.test(document.getElementById('list-count').textContent));
    }
  });

  // The list's own flows come back with the same ids (they replace
  // themselves); IMPORT_FILE holds flows from another snare, which join.
  await step('export-flow-file', async () => {
    const file = await download(page, 'snare-all');
    must(fs.statSync(file).size > 0, 'empty flow file');
    await page.setInputFiles('#import-file', file);
    const t = await page.locator('.toast:has-text("Imported")').last().textContent();
    const n = await count(page);
    must(parseInt(t.replace(/\D+/, ''), 10) === n, `${t} with ${n} flows listed`);
  });

  await step('import-flow-file', async () => {
    const before = await count(page);
    must(await rowFor(page, 'from=file').count() === 0, 'the imported flow is there before the import');
    await page.setInputFiles('#import-file', process.env.IMPORT_FILE);
    await page.waitForSelector('.toast:has-text("Imported 1 flow from")');
    await page.waitForFunction((b) => parseInt(document.getElementById('list-count').textContent, 10) === b + 1, before);
    await rowFor(page, 'from=file').first().waitFor();
  });
  await shot(page, 'imported');

  // Virtual scrolling: 400 more flows, yet only about a screen of rows in the DOM.
  await step('virtual-scroll', async () => {
    execFileSync('curl', ['-sS', '--max-time', '120', '-x', PROXY, `${ORIGIN}/many?n=[1-400]`], { stdio: 'ignore' });
    await page.waitForFunction(() => parseInt(document.getElementById('list-count').textContent, 10) >= 400);
    const { rows, fit } = await page.evaluate(() => {
      const sc = document.getElementById('list-scroll');
      return { rows: document.querySelectorAll('#list-rows .row').length, fit: Math.ceil(sc.clientHeight / 22) + 1 };
    });
    must(rows <= fit, `${rows} rows in the DOM for ${fit} visible`);
    for (const frac of [0.5, 0.1, 0.9]) {
      const want = await page.evaluate((fr) => {
        const sc = document.getElementById('list-scroll');
        sc.scrollTop = Math.floor(fr * sc.scrollHeight);
        return Math.floor(sc.scrollTop / 22);
      }, frac);
      await page.waitForSelector(`#list-rows .row[data-seq][data-index="${want}"]`);
    }
    await shot(page, 'scrolled');
  });

  // Scrolled down, then back to rows still held while the rows further down
  // are being asked for (the answer held back until then): the late answer
  // must not leave the top showing placeholders.  Then straight to the end
  // and back.
  const listAt = (fr) => page.evaluate((f) => {
    const sc = document.getElementById('list-scroll');
    sc.scrollTop = Math.floor(f * sc.scrollHeight);
  }, fr);
  const first = '#list-rows .row[data-seq][data-index="0"]';
  await step('scroll-back-during-fetch', async () => {
    const re = /\/api\/flows\?/;
    await listAt(0);
    await page.waitForSelector(first);
    let release;
    const gate = new Promise((r) => { release = r; });
    await page.route(re, async (route) => { await gate; await route.continue(); });
    try {
      const asked = page.waitForRequest(re);
      await listAt(0.8);
      await asked;
      await listAt(0);
      await page.waitForSelector(first);
      // The late answer redraws the rows: count that before looking at them.
      await page.evaluate(() => {
        window.__redraws = 0;
        new MutationObserver(() => { window.__redraws++; })
          .observe(document.getElementById('list-rows'), { childList: true });
      });
      const late = page.waitForResponse(re);
      release();
      await late;
      await page.waitForFunction(() => window.__redraws > 0);
    } finally {
      release();
      await page.unroute(re);
    }
    await page.waitForSelector(first, { timeout: 5000 });
    must(await rowFor(page, '/data.json').count() > 0, 'the first rows are not shown');
  });
  await step('scroll-to-end', async () => {
    await listAt(0);
    await page.waitForSelector(first);
    const last = (await count(page)) - 1;
    await listAt(1);
    await page.waitForSelector(`#list-rows .row[data-seq][data-index="${last}"]`);
  });
  // At the end the list follows new rows; scrolled up, it stops following,
  // even when it is drawn (here: the Flows tab clicked) before the scroll's
  // event comes.
  await step('scroll-up-stops-following', async () => {
    await page.evaluate(() => {
      document.getElementById('list-scroll').scrollTop = 0;
      document.querySelector('#tabs [data-page="flows"]').click();
    });
    await page.waitForSelector(first);
    must(await page.evaluate(() => document.getElementById('list-scroll').scrollTop) === 0, 'taken back to the end');
  });

  // The shell made snare log one error (a failed reload); another SIGHUP
  // logs a second one, which must arrive live.
  await step('event-log-levels', async () => {
    await page.click('#tabs [data-page="events"]');
    await page.selectOption('#event-level', 'debug');
    await page.waitForSelector('#events .event.lvl-error');
    const all = await page.$$eval('#events .event', (r) => r.length);
    must(await page.$$eval('#events .event.lvl-info', (r) => r.length) > 0, 'no info events');
    await page.selectOption('#event-level', 'warn');
    await page.waitForFunction(() => {
      const ev = [...document.querySelectorAll('#events .event')];
      return ev.length > 0 && ev.every((e) => /lvl-(warn|error)/.test(e.className));
    });
    const some = await page.$$eval('#events .event', (r) => r.length);
    must(some < all, `${some} warn+ of ${all}`);
    process.kill(+process.env.SNARE_PID, 'SIGHUP');
    await page.waitForFunction((n) => document.querySelectorAll('#events .event.lvl-error').length > n, some);
    console.log(`# events: ${all} at debug, ${some} at warn, then one more pushed live`);
  });
  await shot(page, 'events');
  await page.selectOption('#event-level', 'info');
  await page.click('#tabs [data-page="flows"]');

  await step('no-page-errors', async () => must(errors.length === 0, errors.join('; ')));
  await page.evaluate(() => { document.getElementById('list-scroll').scrollTop = 0; });
  await rowFor(page, '/data.json').first().click();
  await page.click('#detail-tabs [data-tab="response"]');
  await page.locator('#detail-body pre.json').waitFor();
  await shot(page, 'overview');
  await browser.close();
}

run('page-test', main);
