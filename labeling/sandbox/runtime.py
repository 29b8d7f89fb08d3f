"""The Python the sandbox runs: the runtime scripts/build_sandbox_runtime.sh builds (an
interpreter, its standard library and a venv with numpy, pandas, scipy and scikit-learn), found
under SANDBOX_RUNTIME_DIR and refused when it is missing, of an older layout or stale."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from labeling.sandbox.contract import SandboxUnavailable

RUNTIME_LAYOUT = 2  # scripts/build_sandbox_runtime.sh's LAYOUT
RUNTIME_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn")


@dataclass(frozen=True)
class Runtime:
    root: Path  # the build directory (resolved)
    manifest: dict

    @property
    def packages(self) -> dict[str, str]:
        return dict(self.manifest.get("packages", {}))

    @property
    def python(self) -> str:
        return self.manifest["python"]


def load_runtime() -> Runtime:
    """The built runtime; SandboxUnavailable if it is missing, of an older layout, or built for
    other package versions than requirements.txt pins (stale: the worker was updated, not it)."""
    current = Path(settings.SANDBOX_RUNTIME_DIR) / "current"
    rebuild = "run scripts/build_sandbox_runtime.sh (or make sandbox) on the scoring worker, then restart it"
    try:
        root = current.resolve(strict=True)
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise SandboxUnavailable(
            f"The sandbox runtime is not built ({current}: {exc.__class__.__name__}); {rebuild}."
        ) from None
    if manifest.get("layout") != RUNTIME_LAYOUT:
        raise SandboxUnavailable(f"The sandbox runtime in {root} is of an older layout; {rebuild}.")
    for key in ("python_bin", "libdirs", "loader", "loader_real", "packages"):
        if key not in manifest:
            raise SandboxUnavailable(f"The sandbox runtime's manifest lacks {key!r}; {rebuild}.")
    runtime = Runtime(root=root, manifest=manifest)
    stale = stale_packages(runtime)
    if stale:
        raise SandboxUnavailable(f"The sandbox runtime in {root} is stale ({'; '.join(stale)}); {rebuild}.")
    for part in ("base", "venv"):
        if not (root / part).is_dir():
            raise SandboxUnavailable(f"The sandbox runtime in {root} is broken: {part}/ is missing; {rebuild}.")
    return runtime


def pinned_packages() -> dict[str, str]:
    """The versions requirements.txt pins for the runtime's packages (what the runtime must hold)."""
    pins = {}
    with contextlib.suppress(OSError):
        for line in (Path(settings.BASE_DIR) / "requirements.txt").read_text().splitlines():
            name, sep, version = line.strip().partition("==")
            if sep and name.lower() in RUNTIME_PACKAGES:
                pins[name.lower()] = version.split()[0]
    return pins


def stale_packages(runtime: Runtime) -> list[str]:
    have = {name.lower(): version for name, version in runtime.packages.items()}
    return [
        f"{name} {have.get(name, 'missing')}, requirements.txt pins {version}"
        for name, version in pinned_packages().items()
        if have.get(name) != version
    ]


def runtime_packages() -> dict[str, str]:
    """Name → version of what submitted code can import (empty if the runtime is not built)."""
    try:
        runtime = load_runtime()
    except SandboxUnavailable:
        return {}
    return {"python": runtime.python, **runtime.packages}
