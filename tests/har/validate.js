// Validates HAR files against the HAR 1.2 schema with the npm package
// har-validator (tests/integration/test_filter_cli.sh).
// Usage: node validate.js FILE...   prints "valid FILE" or the schema errors;
// exits 1 when a file is invalid or unreadable.
'use strict';
const fs = require('fs');
const validator = require('har-validator');

async function check(file) {
	const har = JSON.parse(fs.readFileSync(file, 'utf8'));
	try {
		await validator.har(har);
		console.log(`valid ${file}`);
		return true;
	} catch (e) {
		console.log(`invalid ${file}: ${JSON.stringify(e.errors || e.message)}`);
		return false;
	}
}

(async () => {
	let ok = process.argv.length > 2;
	for (const f of process.argv.slice(2)) {
		try {
			ok = (await check(f)) && ok;
		} catch (e) {
			console.log(`invalid ${f}: ${e.message}`);
			ok = false;
		}
	}
	process.exit(ok ? 0 : 1);
})();
