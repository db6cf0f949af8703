// snare-web's WireGuard page in headless Chromium: the tab is there in
// WireGuard mode, the client configuration is shown with its QR code.
// Environment: WEB_URL (the start-up line's address with the token), SHOTS,
// CHROMIUM (see page.test.js).  Leaves the QR code alone in
// SHOTS/web-wireguard-qr.png and the shown text in SHOTS/web-wireguard.conf.  Prints "ok NAME" / "not ok NAME: why".
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const { WEB_URL, SHOTS } = process.env;
let failed = 0;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-proxy-server'],
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
  page.setDefaultTimeout(15000);
  try {
    await page.goto(WEB_URL);
    await page.waitForSelector('#tab-wireguard:not([hidden])');
    await page.click('#tab-wireguard');
    const img = page.locator('#wireguard img.qr').first();
    await img.waitFor();
    await page.waitForFunction(() => {
      const i = document.querySelector('#wireguard img.qr');
      return i && i.complete && i.naturalWidth > 0;
    });
    const box = await img.boundingBox();
    const text = await page.textContent('#wireguard pre.wg-text');
    if (!/\[Interface\][\s\S]*PrivateKey[\s\S]*\[Peer\][\s\S]*Endpoint/.test(text)) throw new Error(`config: ${text.slice(0, 80)}`);
    if (!box || box.width < 100) throw new Error(`QR code ${JSON.stringify(box)}`);
    // For the shell test to decode (zbarimg) and compare with the text.
    await img.screenshot({ path: path.join(SHOTS, 'web-wireguard-qr.png') });
    fs.writeFileSync(path.join(SHOTS, 'web-wireguard.conf'), text);
    console.log('ok web-wireguard-qr-page');
  } catch (e) {
    failed++;
    console.log(`not ok web-wireguard-qr-page: ${String(e.message).split('\n')[0]}`);
  }
  await page.screenshot({ path: path.join(SHOTS, 'web-wireguard.png') });
  await browser.close();
}

main().then(() => process.exit(failed ? 1 : 0), (e) => { console.log(`not ok web-wireguard: ${e.message}`); process.exit(1); });
