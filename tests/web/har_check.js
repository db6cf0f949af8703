// A large HAR download checked against HAR 1.2 (har-validator) without
// validating every entry: the document with a sample of its entries (the
// first, the last and every STEP-th), and the entry count.
//   node har_check.js FILE COUNT
// Prints "ok N entries, S sampled" or "invalid: why" (exit 1).  Trusts
// nothing in FILE beyond JSON.parse.
'use strict';
const fs = require('fs');
const har = require('har-validator');

async function main() {
  const [file, want] = process.argv.slice(2);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const all = doc.log.entries;
  if (all.length !== +want) throw new Error(`${all.length} entries, expected ${want}`);
  const step = Math.max(1, Math.floor(all.length / 200));
  doc.log.entries = all.filter((_, i) => i % step === 0 || i === all.length - 1);
  try { await har.har(doc); } catch (e) {
    throw new Error(JSON.stringify(e.errors || e.message).slice(0, 500));
  }
  console.log(`ok ${all.length} entries, ${doc.log.entries.length} sampled`);
}

main().catch((e) => { console.log(`invalid: ${e.message || e}`); process.exit(1); });
