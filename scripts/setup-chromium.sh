#!/usr/bin/env bash
# Idempotent: makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (e2e/) and
# `npm run bench:widget` (playwright-core drives it; no browser download). About 40 s the first time.
set -euo pipefail
if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! $SUDO apt-get install -y -qq chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "chromium: installed $(/usr/bin/chromium --version 2>/dev/null)"
