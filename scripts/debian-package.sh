#!/usr/bin/env bash
# Installs a Debian package with apt where what it provides is missing.
#   scripts/debian-package.sh COMMAND-OR-PATH PACKAGE "WHAT NEEDS IT"
# The browser tests drive Debian's Chromium (Playwright's own download does not work here); the
# HTTP benchmarks load the server with wrk.
set -euo pipefail
provides=$1 package=$2 purpose=$3
if [ -x "$provides" ] || command -v "$provides" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$purpose need $provides (apt-get is not available to install $package)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing $package for $purpose" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null
