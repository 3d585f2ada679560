#!/usr/bin/env bash
# Debian packages the tests need: Chromium for the real-browser tests, Inter for the labels, and
# Droid Sans Fallback so CJK model names render on labels (Inter has no CJK glyphs).
# (Playwright's own browser download does not work offline; it drives Debian's Chromium instead.)
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Inter" || missing+=(fonts-inter)
fc-list :lang=ja 2>/dev/null | grep -q . || missing+=(fonts-droid-fallback)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "installing ${missing[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
