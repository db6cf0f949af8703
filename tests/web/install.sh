#!/bin/sh
# Installs the browser tests' npm packages (playwright-core, har-validator,
# pinned by package-lock.json) into tests/web/node_modules, which git ignores.
# scripts/deps.sh test runs it; it does nothing when they are already there.
# Node.js and npm come from Debian (nodejs, npm) when they are missing.
set -eu
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "snare: the browser tests need Node.js and npm: sudo apt-get install -y nodejs npm" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends nodejs npm >/dev/null ||
		{ apt-get update -qq && apt-get install -y --no-install-recommends nodejs npm >/dev/null; }
fi
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ -d node_modules/playwright-core ] &&
	[ -d node_modules/har-validator ]; then
	exit 0
fi
echo "snare: installing the browser tests' npm packages into tests/web/node_modules" >&2
npm ci --no-audit --no-fund --loglevel=error >/dev/null
