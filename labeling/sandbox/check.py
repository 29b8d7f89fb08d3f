"""Is the scoring sandbox usable on this machine? The worker's start-up check (`self_test`, a tiny
known program in a fresh sandbox) and the operator's `manage.py check_sandbox` (`diagnose`, each
part on its own line: bubblewrap, user namespaces, the sandbox user, the runtime, a trivial run)."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from labeling.sandbox import cold
from labeling.sandbox.contract import Limits, SandboxUnavailable
from labeling.sandbox.runtime import load_runtime
from labeling.sandbox.scratch import Scratch
from labeling.sandbox.tools import Tools, capabilities, check_available, find_tool, sandbox_ids

# Imports what submissions use and reports the versions it sees; writes its output file as a
# submission must. Nothing else: a check of the sandbox, not of the machine's speed.
SELF_TEST_CODE = b"""import json, sys
from importlib import metadata, util
import numpy, pandas
versions = {"python": sys.version.split()[0], "numpy": numpy.__version__, "pandas": pandas.__version__}
for name, module in (("scipy", "scipy"), ("scikit-learn", "sklearn")):
    versions[name] = metadata.version(name) if util.find_spec(module) else "missing"
pandas.DataFrame({"python": [versions["python"]]}).to_json("out.json")
print(json.dumps(versions))
"""
SELF_TEST_LIMITS = Limits(time_s=60, memory_mb=2048)


@dataclass(frozen=True)
class SelfTest:
    seconds: float  # wall-clock time of the run, sandbox set-up included
    python: str
    versions: dict


def self_test(tools: Tools | None = None) -> SelfTest:
    """Run SELF_TEST_CODE cold; SandboxUnavailable saying what failed, else what it saw."""
    tools = tools or check_available()
    started = time.monotonic()
    with Scratch() as scratch:
        scratch.add_bytes("check.py", SELF_TEST_CODE)
        result = cold.run(scratch, code="check.py", output="out.json", inputs=[], limits=SELF_TEST_LIMITS, tools=tools)
    seconds = round(time.monotonic() - started, 3)
    if result.setup_error:
        raise SandboxUnavailable(f"the sandbox could not run a trivial program: {result.setup_error[:600]}")
    if result.exit_code != 0 or result.killed:
        tail = result.stderr.decode("utf-8", errors="replace").strip()[-600:]
        how = (
            f"killed ({result.killed})" if result.killed else f"exit status {result.exit_code}, signal {result.signal}"
        )
        raise SandboxUnavailable(f"a trivial program failed in the sandbox ({how}): {tail}")
    try:
        versions = json.loads(result.stdout)
    except ValueError:
        raise SandboxUnavailable("a trivial program in the sandbox printed no report") from None
    expected = {name: version for name, version in tools.runtime.packages.items() if name in versions}
    wrong = {name: (versions[name], version) for name, version in expected.items() if versions[name] != version}
    if wrong:
        raise SandboxUnavailable(f"the sandbox imports other package versions than its manifest: {wrong}")
    return SelfTest(seconds=seconds, python=versions.get("python", "?"), versions=versions)


@dataclass
class Line:
    name: str
    ok: bool
    detail: str


@dataclass
class Diagnosis:
    lines: list[Line] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.lines.append(Line(name, ok, detail))
        return ok


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc.__class__.__name__})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else ""


def _userns_settings() -> str:
    parts = []
    for path in ("/proc/sys/user/max_user_namespaces", "/proc/sys/kernel/unprivileged_userns_clone"):
        try:
            parts.append(f"{Path(path).name}={Path(path).read_text().strip()}")
        except OSError:
            continue
    return ", ".join(parts) or "no sysctl to read"


def diagnose() -> Diagnosis:
    """Each part of the sandbox on its own line, stopping at the first part later ones need."""
    report = Diagnosis()
    bwrap = find_tool("bwrap")
    if not report.add(
        "bubblewrap",
        bwrap is not None,
        f"{bwrap}, {_first_line([bwrap, '--version'])}" if bwrap else "not installed: apt-get install bubblewrap",
    ):
        return report
    facts = capabilities()
    filtered = facts["seccomp"]
    report.add(
        "system-call filter",
        filtered["in_force"],
        f"seccomp, {filtered['instructions']} BPF instructions, denies {len(filtered['denied'])} calls"
        if filtered["in_force"]
        else filtered["why"],
    )
    memory = facts["memory"]
    report.add("memory accounting", True, f"{memory['in_force']}; cgroup v2: {memory['cgroup_v2']}")
    uid, gid = sandbox_ids()
    as_user = []
    if uid != 0 and find_tool("setpriv"):
        as_user = [find_tool("setpriv"), f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]
    # As the sandbox user, as every run is: root may create namespaces where that user may not.
    trial = subprocess.run(
        [*as_user, bwrap, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, text=True, timeout=30
    )
    report.add(
        "user namespaces",
        trial.returncode == 0,
        _userns_settings()
        + ("" if trial.returncode == 0 else f"; bwrap refused: {trial.stderr.strip()[:300]} (allow user namespaces)"),
    )
    report.add("sandbox user", True, f"uid {uid}, gid {gid}" + (" (the worker is root)" if uid != 0 else ""))
    try:
        runtime = load_runtime()
    except SandboxUnavailable as exc:
        report.add("runtime", False, str(exc))
        return report
    manifest = runtime.manifest
    report.add(
        "runtime",
        True,
        f"{settings.SANDBOX_RUNTIME_DIR} -> {runtime.root.name} (key {manifest.get('key')}), Python {runtime.python} "
        f"from {manifest.get('source', '?')}, libraries from {', '.join(manifest['libdirs']) or 'nowhere else'}",
    )
    packages = runtime.packages
    report.add("packages", True, ", ".join(f"{name} {packages[name]}" for name in sorted(packages, key=str.lower)))
    try:
        tools = check_available()
        test = self_test(tools)
    except SandboxUnavailable as exc:
        report.add("trivial submission", False, str(exc))
        return report
    report.add(
        "trivial submission",
        True,
        f"ran in {test.seconds:.2f} s (imports numpy and pandas, finds scipy and scikit-learn)",
    )
    return report
