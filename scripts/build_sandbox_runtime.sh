#!/usr/bin/env bash
# Build the Python runtime that submitted code runs with inside the scoring sandbox
# (docs/sandbox.md): a copy of the interpreter and its standard library, plus a venv holding
# only numpy, pandas, scipy and scikit-learn (and what they need) at the versions pinned in
# requirements.txt. The runtime lives in SANDBOX_RUNTIME_DIR (default .sandbox-runtime/).
#
# Idempotent and fast when nothing changed: the build is keyed by this script, the interpreter
# and the pins; an existing build with the same key is kept and the script returns at once.
# A new build is made beside the old one and switched to with an atomic rename, so a worker
# never sees a half-built runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNTIME_DIR=${SANDBOX_RUNTIME_DIR:-$ROOT/.sandbox-runtime}
PACKAGES="numpy pandas scipy scikit-learn"

die() { echo "build_sandbox_runtime: $*" >&2; exit 1; }

# The same interpreter as the project's venv (PYTHON or python3.11 when there is no venv yet).
if [ -x .venv/bin/python ]; then
  base_py=$(.venv/bin/python -c 'import sys; print(sys._base_executable)')
else
  base_py=$(command -v "${PYTHON:-python3.11}") || die "no ${PYTHON:-python3.11} on PATH; set PYTHON"
fi
base_py=$("$base_py" -c 'import os, sys; print(os.path.realpath(sys.executable))')
py_info=$("$base_py" -c 'import sys; print(sys.base_prefix, "%d.%d" % sys.version_info[:2], sys.version.split()[0])')
read -r prefix short version <<<"$py_info"

pins=""
for name in $PACKAGES; do
  line=$(grep -iE "^${name}==[^[:space:]]+" requirements.txt | head -n1 | tr -d '[:space:]') ||
    die "requirements.txt has no pinned line for $name"
  pins="$pins $line"
done
# Their dependencies at the versions the project itself uses, when the project's venv exists.
constraints=""
if [ -x .venv/bin/python ]; then
  constraints=$(.venv/bin/python -m pip freeze --exclude-editable 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+==' || true)
fi

key=$(printf '%s\n' "$(sha256sum "$0")" "$base_py" "$version" "$pins" "$constraints" | sha256sum | cut -c1-16)
current="$RUNTIME_DIR/current"
if [ -f "$current/manifest.json" ] && [ "$(cat "$current/KEY" 2>/dev/null)" = "$key" ]; then
  echo "Sandbox runtime is up to date ($RUNTIME_DIR, Python $version,$pins)."
  exit 0
fi

mkdir -p "$RUNTIME_DIR/builds"
exec 9>"$RUNTIME_DIR/.lock"
flock 9
# Another build may have finished while we waited for the lock.
if [ -f "$current/manifest.json" ] && [ "$(cat "$current/KEY" 2>/dev/null)" = "$key" ]; then
  echo "Sandbox runtime is up to date ($RUNTIME_DIR)."
  exit 0
fi

echo "Building the sandbox runtime in $RUNTIME_DIR (Python $version,$pins)..."
umask 022
build="$RUNTIME_DIR/builds/$key"
tmp="$build.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/base/bin" "$tmp/base/lib"
trap 'rm -rf "$tmp"' EXIT

# 1. The interpreter and its standard library, without the base install's site-packages (the
#    sandbox must import nothing else), its test suite, build files and GUI modules.
cp -p "$prefix/bin/python$short" "$tmp/base/bin/python$short"
for lib in "$prefix"/lib/libpython"$short"*.so*; do
  [ -e "$lib" ] && cp -pP "$lib" "$tmp/base/lib/"
done
(cd "$prefix/lib" && tar -cf - \
  --exclude="python$short/site-packages" --exclude="python$short/test" --exclude="python$short/config-*" \
  --exclude="python$short/idlelib" --exclude="python$short/tkinter" --exclude="python$short/turtledemo" \
  --exclude="python$short/ensurepip" --exclude="python$short/lib2to3/tests" "python$short") |
  (cd "$tmp/base/lib" && tar -xf -)
mkdir -p "$tmp/base/lib/python$short/site-packages"

# 2. A venv on that interpreter with only the four packages; pip itself is removed afterwards.
"$base_py" -m venv "$tmp/venv"
printf '%s\n' "$constraints" >"$tmp/constraints.txt"
# shellcheck disable=SC2086
"$tmp/venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
  -c "$tmp/constraints.txt" $pins
"$tmp/venv/bin/python" -m pip uninstall --quiet --yes pip setuptools >/dev/null 2>&1 || true
find "$tmp/venv/bin" -mindepth 1 -not -name 'python*' -delete
rm -f "$tmp/constraints.txt"

# 3. The manifest the scorer reads: where to mount what, which system libraries the
#    interpreter and the packages' extension modules load, and the package versions.
"$tmp/venv/bin/python" -I - "$tmp" "$prefix" "$short" "$key" <<'PY'
import importlib.metadata as md
import json
import os
import subprocess
import sys

build, prefix, short, key = sys.argv[1:5]
import numpy, pandas, scipy, sklearn  # noqa: E401,F401  (the build fails here if one is broken)

packages = {}
for dist in md.distributions():
    name = dist.metadata["Name"]
    if name and name.lower() not in ("pip", "setuptools"):
        packages[name] = dist.version

objects = [os.path.join(build, "base", "bin", "python" + short)]
for top in (os.path.join(build, "base", "lib"), os.path.join(build, "venv", "lib")):
    for folder, _, files in os.walk(top):
        objects += [os.path.join(folder, f) for f in files if ".so" in f]
libdirs, interpreter = set(), None
for start in range(0, len(objects), 200):
    out = subprocess.run(["ldd", *objects[start : start + 200]], capture_output=True, text=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if "=>" in line:
            path = line.split("=>", 1)[1].split("(")[0].strip()
        elif line.startswith("/") and "(" in line:
            path = line.split("(")[0].strip()
            if "ld-linux" in path or "ld64" in path:
                interpreter = path
        else:
            continue
        if not path.startswith("/") or path.startswith((build, prefix)):
            continue
        libdirs.add(os.path.dirname(os.path.realpath(path)))
if interpreter is None:
    sys.exit("could not find the dynamic loader of the interpreter with ldd")

manifest = {
    "key": key,
    "python": sys.version.split()[0],
    "base_prefix": prefix,  # where the copied interpreter must appear (its RUNPATH points there)
    "python_bin": f"bin/python{short}",
    "stdlib": f"lib/python{short}",
    "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
    "libdirs": sorted(libdirs),
    "loader": interpreter,
    "loader_real": os.path.realpath(interpreter),
}
with open(os.path.join(build, "manifest.json"), "w") as out:
    json.dump(manifest, out, indent=2)
    out.write("\n")
PY
echo "$key" >"$tmp/KEY"
chmod -R u+rwX,go+rX,go-w "$tmp"

rm -rf "$build"
mv "$tmp" "$build"
trap - EXIT
ln -sfn "builds/$key" "$RUNTIME_DIR/current.new"
mv -T "$RUNTIME_DIR/current.new" "$current"
# Keep the newest previous build (a sandbox may still be running from it); drop older ones.
mapfile -t old < <(cd "$RUNTIME_DIR/builds" && ls -1t | grep -v -x -e "$key" | tail -n +2)
for dir in "${old[@]}"; do rm -rf "${RUNTIME_DIR:?}/builds/$dir"; done
chmod go+rx "$RUNTIME_DIR" "$RUNTIME_DIR/builds"
echo "Sandbox runtime ready: $current -> builds/$key"
