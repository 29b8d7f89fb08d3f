"""The memory of a whole run, as the worker sees it from outside the sandbox (docs/sandbox.md,
"Memory").

RLIMIT_AS bounds each process's address space, so threads (one address space) and mappings
(every mapping counts) are bounded by it, but four children of 700 MB each are not. The worker
therefore also adds up, every WATCH_EVERY_S seconds, the proportional set size (PSS: each page
shared by n processes counts 1/n to each, so the pages a fork shares with its parent count once)
of every process of the run, and stops the run once the total passes the limit. Memory a process
could hold without mapping it (System V shared memory and message queues, memfds) is refused by
the system-call filter (labeling/sandbox/seccomp.py); /tmp and /dev/shm are size-limited tmpfs.

A cgroup per run (memory.max, memory.events) would count every page exactly, with no sampling;
`cgroup_v2_memory()` says whether this machine offers it. It is not used yet: the machine this was
built and tested on has no cgroup v2 memory controller (docs/decisions.md).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

WATCH_EVERY_S = 0.25


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (not `pid` itself), from the kernel's children lists."""
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                with contextlib.suppress(OSError):
                    children = [int(c) for c in (task / "children").read_text().split()]
                    found += children
                    stack += children
    return found


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree_kb(pid: int, limit_kb: int | None = None) -> int:
    """PSS in kB of every process below `pid` (a process that is gone counts nothing). With
    `limit_kb`, the resident sizes are added up first (cheap; never less than PSS) and PSS is read
    (smaps_rollup walks the page tables: milliseconds) only when they pass the limit."""
    processes = descendants(pid)
    if limit_kb is not None:
        rss = 0
        for child in processes:
            with contextlib.suppress(OSError, ValueError, IndexError):
                rss += int(Path(f"/proc/{child}/statm").read_text().split()[1]) * PAGE_KB
        if rss <= limit_kb:
            return rss
    total = 0
    for child in processes:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{child}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
    return total


def pidfd_pid(pidfd: int) -> int | None:
    """The PID (in this namespace) of the process a pidfd refers to."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
            if line.startswith("Pid:"):
                pid = int(line.split()[1])
                return pid if pid > 0 else None
    return None


class Watch:
    """When to look next: every WATCH_EVERY_S, or less often when looking is slow (many processes
    sharing pages make the worker read PSS), so that a run cannot spend the worker's CPU on it."""

    def __init__(self, started: float):
        self.next = started + WATCH_EVERY_S

    def due(self, now: float) -> bool:
        return now >= self.next

    def over_limit(self, pidfd: int | None, memory_mb: int) -> bool:
        """Whether the processes below the sandbox's PID 1 (the run; in a warm sandbox, the child
        and what it started) together hold more than `memory_mb`."""
        began = time.monotonic()
        pid = pidfd_pid(pidfd) if pidfd is not None else None
        over = pid is not None and tree_kb(pid, memory_mb * 1024) > memory_mb * 1024
        spent = time.monotonic() - began
        self.next = began + spent + max(WATCH_EVERY_S, 10 * spent)
        return over


def cgroup_v2_memory() -> tuple[bool, str]:
    """(available, why): whether a cgroup v2 hierarchy with the memory controller is mounted and
    writable by this process, which per-run memory.max / memory.events would need."""
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                mounts.append(fields[1])
    if not mounts:
        return False, "no cgroup v2 hierarchy is mounted"
    for mount in mounts:
        try:
            controllers = Path(mount, "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if "memory" in controllers:
            return True, f"cgroup v2 at {mount} has the memory controller"
        return False, (
            f"cgroup v2 at {mount} offers only {', '.join(controllers) or 'no controllers'}: the memory "
            "controller is bound to a cgroup v1 hierarchy (a hybrid setup)"
        )
    return False, "the cgroup v2 hierarchy cannot be read"
