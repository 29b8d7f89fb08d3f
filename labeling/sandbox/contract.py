"""What a run is given and what it gives back, the same for a sandbox of its own and the warm one."""

from __future__ import annotations

from dataclasses import dataclass, field

TAIL_BYTES = 8 * 1024  # how much of stdout and of stderr is kept (the last bytes)
# The runner's own exit codes (labeling/sandbox/runner.py).
EXIT_MEMORY = 86
EXIT_AGGREGATE = 87


class SandboxUnavailable(Exception):
    """The scorer cannot run code safely on this machine; nothing was run."""


@dataclass(frozen=True)
class Limits:
    time_s: float  # wall clock, for everything the program starts
    memory_mb: int  # address space of each process
    nproc: int = 64  # processes and threads inside the sandbox
    file_mb: int = 64  # largest file the program may write
    nofile: int = 256  # open files per process
    scratch_mb: int = 256  # everything written to the working directory
    scratch_entries: int = 10_000  # files and folders in the working directory
    tmp_mb: int = 64  # the tmpfs /tmp (memory, not disk)
    shm_mb: int = 16  # the tmpfs /dev/shm

    @classmethod
    def for_challenge(cls, challenge) -> Limits:
        return cls(time_s=float(challenge.time_limit_s), memory_mb=int(challenge.memory_limit_mb))

    def rlimits(self) -> dict[str, tuple[int, int]]:
        cpu = int(self.time_s) + 1
        mb = 1024 * 1024
        return {
            "cpu": (cpu, cpu + 1),
            "as": (self.memory_mb * mb, self.memory_mb * mb),
            "fsize": (self.file_mb * mb, self.file_mb * mb),
            "nofile": (self.nofile, self.nofile),
            "core": (0, 0),
        }

    def runner_rlimits(self) -> dict[str, tuple[int, int]]:
        """The limits the runner sets inside the sandbox: those set from outside, the process
        count (see docs/sandbox.md) and no POSIX message queues (they would outlive the run)."""
        return {**self.rlimits(), "nproc": (self.nproc, self.nproc), "msgqueue": (0, 0)}


@dataclass
class Result:
    exit_code: int | None = None  # the program's exit status; None if a signal ended it
    signal: int | None = None
    killed: str | None = None  # why the scorer stopped it: "time", "disk", "memory", "abandoned"
    setup_error: str | None = None  # the sandbox or its Python did not start: nothing of the submission ran
    started: bool = False  # the runner reached the submission's first line
    runtime_s: float = 0.0
    cpu_s: float | None = None
    max_rss_mb: float | None = None
    stdout: bytes = b""  # the last TAIL_BYTES
    stderr: bytes = b""
    stdout_bytes: int = 0  # everything written
    stderr_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def log_tail(self) -> str:
        parts = []
        for name, tail, total in (
            ("stdout", self.stdout, self.stdout_bytes),
            ("stderr", self.stderr, self.stderr_bytes),
        ):
            if not total:
                continue
            head = f"--- {name}"
            if total > len(tail):
                head += f" (last {len(tail):,} of {total:,} bytes)"
            parts.append(f"{head} ---\n{tail.decode('utf-8', errors='replace')}")
        return "\n".join(parts)
