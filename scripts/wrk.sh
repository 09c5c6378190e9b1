#!/usr/bin/env bash
# The HTTP benchmarks load the server with wrk (Debian's package): installs it with apt where it
# is missing.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "the HTTP benchmarks need wrk (apt-get is not available to install it)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing wrk for the benchmarks" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
