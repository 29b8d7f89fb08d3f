#!/usr/bin/env bash
# Build the Python runtime that submitted code runs with inside the scoring sandbox
# (docs/sandbox.md): a copy of the interpreter and its standard library, plus a venv holding
# only numpy, pandas, scipy and scikit-learn (and what they need) at the versions pinned in
# requirements.txt. The runtime lives in SANDBOX_RUNTIME_DIR (default: .sandbox-runtime/ in the
# checkout, or a folder under /var/lib/courseproj when the sandbox user cannot reach the
# checkout; courseproj/lib/sandbox_paths.py has the rule).
#
# The interpreter is the project venv's own (or SANDBOX_PYTHON): a pyenv or python.org build, a
# python-build-standalone one, or the distribution's /usr/bin/python3.11 alike. The copy is
# relocated: inside the sandbox the interpreter is at /opt/python whatever its prefix was, finds
# its libpython in /opt/python/lib (LD_LIBRARY_PATH) and every other shared library at the path
# the loader found it at when the runtime was built (those folders are mounted read-only).
#
# Idempotent and fast when nothing changed: the build is keyed by this script, the interpreter
# and the pins; an existing build with the same key is kept and the script returns at once.
# A new build is made beside the old one and switched to with an atomic rename, so a worker
# never sees a half-built runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
umask 022  # every folder made here must be readable by the sandbox user
PACKAGES="numpy pandas scipy scikit-learn"
LAYOUT=2  # the layout sandbox.py expects (manifest "layout"); older builds are rebuilt

die() { echo "build_sandbox_runtime: $*" >&2; exit 1; }

[ -x .venv/bin/python ] || die "the project's venv (.venv) is missing; run make install first"
if [ -n "${SANDBOX_RUNTIME_DIR:-}" ]; then
  RUNTIME_DIR=$SANDBOX_RUNTIME_DIR
else
  RUNTIME_DIR=$(.venv/bin/python courseproj/lib/sandbox_paths.py "$ROOT")
  case "$RUNTIME_DIR" in
    "$ROOT"/*) ;;
    *) echo "The checkout ($ROOT) is closed to the sandbox user (uid ${SANDBOX_UID:-65534}), so the sandbox runtime goes to $RUNTIME_DIR." ;;
  esac
fi

# The interpreter: SANDBOX_PYTHON, else the one the project's venv was made from.
if [ -n "${SANDBOX_PYTHON:-}" ]; then
  base_py=$(command -v "$SANDBOX_PYTHON") || die "SANDBOX_PYTHON=$SANDBOX_PYTHON is not an interpreter on this machine"
else
  base_py=$(.venv/bin/python -c 'import sys; print(sys._base_executable)')
fi
base_py=$("$base_py" -c 'import os, sys; print(os.path.realpath(sys.executable))')
py_info=$("$base_py" -c 'import sys; print(sys.base_prefix, "%d.%d" % sys.version_info[:2], sys.version.split()[0])')
read -r prefix short version <<<"$py_info"
[ "$short" = "$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" ] ||
  die "$base_py is Python $short; the sandbox runtime must be the project's Python version"

pins=""
for name in $PACKAGES; do
  line=$(grep -iE "^${name}==[^[:space:]]+" requirements.txt | head -n1 | tr -d '[:space:]') ||
    die "requirements.txt has no pinned line for $name"
  pins="$pins $line"
done
# Their dependencies at the versions the project itself uses.
constraints=$(.venv/bin/python -m pip freeze --exclude-editable 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+==' || true)

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

echo "Building the sandbox runtime in $RUNTIME_DIR from $base_py (Python $version,$pins)..."
build="$RUNTIME_DIR/builds/$key"
tmp="$build.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/base/bin" "$tmp/base/lib"
trap 'rm -rf "$tmp"' EXIT

# 1. The interpreter and its standard library, without the base install's site-packages (the
#    sandbox must import nothing else), its test suite, build files and GUI modules, and without
#    a distribution's hooks (Debian's sitecustomize.py points into /etc). Its libpython, if it
#    loads one, wherever the loader finds it (pyenv: PREFIX/lib; Ubuntu: /usr/lib/<triplet>).
cp -pL "$base_py" "$tmp/base/bin/python$short"
ldd "$base_py" | awk '$1 ~ /^libpython/ && $3 ~ /^\// {print $1, $3}' | while read -r soname path; do
  cp -pL "$path" "$tmp/base/lib/$soname"
done
(cd "$prefix/lib" && tar -chf - \
  --exclude="python$short/site-packages" --exclude="python$short/dist-packages" --exclude="python$short/test" \
  --exclude="python$short/config-*" --exclude="python$short/idlelib" --exclude="python$short/tkinter" \
  --exclude="python$short/turtledemo" --exclude="python$short/ensurepip" --exclude="python$short/lib2to3/tests" \
  --exclude="python$short/sitecustomize.py" --exclude="python$short/EXTERNALLY-MANAGED" "python$short") |
  (cd "$tmp/base/lib" && tar -xf -)
mkdir -p "$tmp/base/lib/python$short/site-packages"

# 2. A venv on that interpreter with only the four packages, installed by the project's own pip
#    (so the interpreter needs no ensurepip: Debian ships that apart, as python3.11-venv).
"$base_py" -m venv --without-pip "$tmp/venv"
printf '%s\n' "$constraints" >"$tmp/constraints.txt"
# shellcheck disable=SC2086
.venv/bin/python -m pip --python "$tmp/venv/bin/python" install --quiet --no-input --disable-pip-version-check \
  -c "$tmp/constraints.txt" $pins
find "$tmp/venv/bin" -mindepth 1 -not -name 'python*' -delete
rm -f "$tmp/constraints.txt"

# 3. The manifest the scorer reads: where to mount what, which system libraries the
#    interpreter and the packages' extension modules load, and the package versions.
"$tmp/venv/bin/python" -I - "$tmp" "$short" "$key" "$base_py" "$LAYOUT" <<'PY'
import importlib.metadata as md
import json
import os
import subprocess
import sys

build, short, key, source, layout = sys.argv[1:6]
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
        # Libraries of the build itself, and libpython (copied into base/lib), are in the runtime.
        if not path.startswith("/") or path.startswith(build) or os.path.basename(path).startswith("libpython"):
            continue
        libdirs.add(os.path.dirname(os.path.realpath(path)))
if interpreter is None:
    sys.exit("could not find the dynamic loader of the interpreter with ldd")

manifest = {
    "layout": int(layout),
    "key": key,
    "python": sys.version.split()[0],
    "source": source,  # the interpreter the runtime was copied from
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
# 4. Relocate the venv to where the sandbox mounts the base: /opt/python.
sed -i -e "s|^home = .*|home = /opt/python/bin|" -e "s|^executable = .*|executable = /opt/python/bin/python$short|" \
  -e "/^command = /d" "$tmp/venv/pyvenv.cfg"
for name in python python3 "python$short"; do
  ln -sfn "/opt/python/bin/python$short" "$tmp/venv/bin/$name"
done
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
