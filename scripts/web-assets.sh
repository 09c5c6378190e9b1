#!/usr/bin/env bash
# Installs the web app's browser packages from the npm registry (pinned by package-lock.json) and
# copies the files Pixie serves into its static folder. Nothing here is committed: the static
# vendor folder is rebuilt from the lock file on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed to install the web app's assets (htmx); install Node.js and npm" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
vendor=src/pixie/web/static/vendor
mkdir -p "$vendor"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
cp node_modules/htmx-ext-sse/dist/sse.min.js "$vendor/htmx-sse.min.js"
cp node_modules/blurhash/dist/index.mjs "$vendor/blurhash.mjs"
