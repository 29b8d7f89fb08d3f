#!/usr/bin/env bash
# Make sure system packages are installed: `ensure_packages.sh PACKAGE[:COMMAND] ...` (Debian and
# Ubuntu package names). A package counts as there when COMMAND is found (a name on PATH or a
# path), or, with no COMMAND, when dpkg knows it installed. Missing ones are installed with
# apt-get when we are root; otherwise it stops at once with the one command to run.
set -euo pipefail
missing=()
for item in "$@"; do
  package=${item%%:*}
  command=${item#*:}
  if [ "$command" != "$item" ]; then
    { [ -x "$command" ] || command -v "$command" >/dev/null 2>&1; } && continue
  elif dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    continue
  fi
  missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
  exit 0
fi
echo "Missing: ${missing[*]}. Install with: sudo apt-get install ${missing[*]}" >&2
exit 1
