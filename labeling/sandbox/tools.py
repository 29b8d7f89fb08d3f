"""What the machine must offer before any code is run: bubblewrap, prlimit, setpriv (when the
worker is root), the system-call filter and a runtime the sandbox user can read. `check_available`
says which is missing; `capabilities` says what confines submitted code here."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from courseproj.lib.sandbox_paths import closed_folder
from labeling.sandbox import memwatch, seccomp
from labeling.sandbox.contract import SandboxUnavailable
from labeling.sandbox.runtime import Runtime, load_runtime

# Where the tools are looked for (None: PATH, then /usr/bin and /bin). Tests point it elsewhere
# to see the scorer refuse to run without bubblewrap.
TOOL_PATH: str | None = None


def find_tool(name: str) -> str | None:
    path = TOOL_PATH if TOOL_PATH is not None else f"{os.environ.get('PATH', os.defpath)}:/usr/bin:/bin"
    return shutil.which(name, path=path)


def sandbox_ids() -> tuple[int, int]:
    """(uid, gid) the code runs as: SANDBOX_UID when the worker is root, else the worker's own."""
    if os.geteuid() == 0:
        return settings.SANDBOX_UID, settings.SANDBOX_UID
    return os.getuid(), os.getgid()


@dataclass(frozen=True)
class Tools:
    bwrap: str
    prlimit: str
    setpriv: str | None
    runtime: Runtime


def check_available() -> Tools:
    """The tools and runtime a run needs; SandboxUnavailable saying what is missing otherwise."""
    bwrap = find_tool("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed on the scoring worker, so submitted code cannot be run "
            "safely and nothing was run. Staff: install it (apt-get install bubblewrap), then rescore."
        )
    prlimit = find_tool("prlimit")
    if prlimit is None:
        raise SandboxUnavailable("prlimit (util-linux) is not installed on the scoring worker; nothing was run.")
    setpriv = None
    if os.geteuid() == 0:
        setpriv = find_tool("setpriv")
        if setpriv is None:
            raise SandboxUnavailable(
                "The scoring worker runs as root but setpriv (util-linux) is missing, so it cannot drop to an "
                "unprivileged user for the code; nothing was run."
            )
    try:
        seccomp.program()
    except seccomp.Unavailable as exc:
        raise SandboxUnavailable(f"The system-call filter cannot be built: {exc} Nothing was run.") from None
    runtime = load_runtime()
    uid, gid = sandbox_ids()
    for path in (runtime.root / "base", runtime.root / "venv", *map(Path, runtime.manifest["libdirs"])):
        blocked = closed_folder(path, uid, gid)
        if blocked is not None:
            raise SandboxUnavailable(
                f"The sandbox user (uid {uid}) cannot read {path} ({blocked} is closed to it); "
                "put SANDBOX_RUNTIME_DIR where every user can read it. Nothing was run."
            )
    return Tools(bwrap=bwrap, prlimit=prlimit, setpriv=setpriv, runtime=runtime)


def capabilities() -> dict:
    """What confines submitted code on this machine (docs/sandbox.md), for a management command
    and the staff page: the system-call filter, nested user namespaces, and which memory
    accounting is in force (rlimits and the worker's count of the run; cgroups are not used)."""
    try:
        instructions = len(seccomp.program()) // 8
        syscalls = {"in_force": True, "instructions": instructions, "denied": list(seccomp.DENIED)}
    except seccomp.Unavailable as exc:
        syscalls = {"in_force": False, "why": str(exc)}
    cgroup_available, cgroup_why = memwatch.cgroup_v2_memory()
    return {
        "seccomp": syscalls,
        "nested_user_namespaces": "refused (bwrap --disable-userns, and unshare/clone with CLONE_NEWUSER)",
        "memory": {
            "in_force": "rlimits and the worker's count of the whole run (no cgroup)",
            "per_process": "RLIMIT_AS: the challenge's memory limit of address space",
            "whole_run": f"PSS of all the run's processes, added up by the worker every {memwatch.WATCH_EVERY_S} s",
            "cgroup_v2_memory_controller": cgroup_available,
            "cgroup_v2": cgroup_why,
        },
    }
