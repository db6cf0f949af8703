#!/bin/sh
# Installs the HAR validator the tests use (har-validator, pinned in
# package-lock.json) into tests/har/node_modules, which git ignores.
# Run by `scripts/deps.sh test`; needs node and npm.
set -eu
cd "$(dirname "$0")"
[ -f node_modules/har-validator/package.json ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
	echo "tests/har: npm is missing (scripts/deps.sh test installs it)" >&2
	exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
