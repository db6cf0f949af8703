// snare-web's WireGuard page in headless Chromium: the tab is there in
// WireGuard mode, the client configuration is shown with its QR code.
// Environment: WEB_URL (the start-up line's address with the token), SHOTS,
// CHROMIUM (see page.test.js).  Leaves the QR code alone in
// SHOTS/web-wireguard-qr.png and the shown text in SHOTS/web-wireguard.conf.  Prints "ok NAME" / "not ok NAME: why".
'use strict';
const fs = require('fs');
const path = require('path');
const { open, step, must, run } = require('./lib');

const { SHOTS } = process.env;

async function main() {
  const { browser, page } = await open(1000, 720, 15000);
  await step('web-wireguard-qr-page', async () => {
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
    must(/\[Interface\][\s\S]*PrivateKey[\s\S]*\[Peer\][\s\S]*Endpoint/.test(text), `config: ${text.slice(0, 80)}`);
    must(box && box.width >= 100, `QR code ${JSON.stringify(box)}`);
    // For the shell test to decode (zbarimg) and compare with the text.
    await img.screenshot({ path: path.join(SHOTS, 'web-wireguard-qr.png') });
    fs.writeFileSync(path.join(SHOTS, 'web-wireguard.conf'), text);
  });
  await page.screenshot({ path: path.join(SHOTS, 'web-wireguard.png') });
  await browser.close();
}

run('web-wireguard', main);
