#!/usr/bin/env bash
# Make sure bubblewrap (the scoring sandbox) is installed; install it with apt-get when we are root.
set -euo pipefail
if command -v bwrap >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing bubblewrap (the scoring sandbox)..."
  (apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; })
fi
command -v bwrap >/dev/null 2>&1
