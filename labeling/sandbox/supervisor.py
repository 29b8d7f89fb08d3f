"""Watching one run from outside the sandbox, until it is over (docs/sandbox.md).

The worker enforces what the kernel's limits cannot: the wall clock, the heartbeat (the
submission still wanted), the disk the run fills in its scratch directory and the memory of
the whole run; and it reads stdout and stderr as they come, keeping only their last bytes.
`Supervisor` does all of that for both kinds of run; how a run ends, and how it is stopped,
differ, and are the methods a subclass gives: cold.py's (a sandbox of its own, ended when its
bubblewrap exits) and warm.py's (a child of the warm sandbox's server, ended when the server
reports the child's exit and itself clean again).
"""

from __future__ import annotations

import os
import selectors
import time
from collections.abc import Callable

from labeling.sandbox import memwatch
from labeling.sandbox.contract import TAIL_BYTES, Limits, Result
from labeling.sandbox.scratch import Scratch

DISK_EVERY_S = 0.5  # how often the scratch directory is measured
DRAIN_S = 2  # how long the run's pipes are still read once it has ended


class Tail:
    """The last `keep` bytes of a stream, and how many it had in all."""

    def __init__(self, keep: int = TAIL_BYTES):
        self.keep = keep
        self.buffer = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        self.buffer += data
        if len(self.buffer) > 2 * self.keep:
            del self.buffer[: -self.keep]

    def value(self) -> bytes:
        return bytes(self.buffer[-self.keep :])


class Supervisor:
    """One run's watch: call `supervise()` once; it returns when the run is over and its output read.

    A subclass says how the run ends and how it is stopped, with a method per event:

    - `on_limit(reason, now)`: a limit was reached ("time", "abandoned", "disk", "memory"): stop the run;
    - `on_tick(now)`: once a turn, after the limits: notice that the run ended (`exited`) and
      set `done` once nothing more is to come (`drained`);
    - `memory_pidfd()`: the process below which every process is the run's;
    - `on_close()`: after the watch, whatever happened: nothing of the run may be left running.

    and registers the descriptors it reads besides stdout and stderr with `watch`.
    """

    def __init__(
        self,
        *,
        scratch: Scratch,
        limits: Limits,
        result: Result,
        heartbeat: Callable[[], bool] | None,
        heartbeat_every: float,
        started: float | None = None,
    ):
        self.scratch, self.limits, self.result = scratch, limits, result
        self.heartbeat, self.heartbeat_every = heartbeat, heartbeat_every
        self.started = time.monotonic() if started is None else started
        self.deadline = self.started + limits.time_s
        self.next_beat = self.started + heartbeat_every
        self.next_disk = self.started + DISK_EVERY_S
        self.memory = memwatch.Watch(self.started)
        self.out, self.err = Tail(), Tail()
        self.selector = selectors.DefaultSelector()
        self.pipes = 0  # descriptors of the run still open (the warm server's socket is not one)
        self.exited_at: float | None = None  # when the program ended
        self.done = False

    # --- What a subclass gives -------------------------------------------------------------

    def on_limit(self, reason: str, now: float) -> None:
        raise NotImplementedError

    def on_tick(self, now: float) -> None:
        raise NotImplementedError

    def memory_pidfd(self) -> int | None:
        raise NotImplementedError

    def on_close(self) -> None:
        """Nothing to do unless the subclass holds something of the run."""

    # --- Shared -----------------------------------------------------------------------------

    def watch(
        self,
        fileobj,
        on_data: Callable[[bytes], None] | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """Read `fileobj` as it becomes readable: `on_data` with each chunk of a pipe of the run
        (unwatched at its end), or `on_ready` to read it itself (the warm server's socket)."""
        if on_ready is None:
            self.pipes += 1
        self.selector.register(fileobj, selectors.EVENT_READ, (on_data, on_ready))

    def watch_output(self, stdout, stderr) -> None:
        self.watch(stdout, self.out.add)
        self.watch(stderr, self.err.add)

    def limit_reached(self, now: float) -> str | None:
        """The limit the run has reached, checking at most one of the costly ones per turn."""
        if now >= self.deadline:
            return "time"
        if self.heartbeat is not None and now >= self.next_beat:
            self.next_beat = now + self.heartbeat_every
            return None if self.heartbeat() else "abandoned"
        if now >= self.next_disk:
            self.next_disk = now + DISK_EVERY_S
            used, entries = self.scratch.usage(self.limits.scratch_entries)
            if used > self.limits.scratch_mb * 1024 * 1024 or entries > self.limits.scratch_entries:
                return "disk"
            return None
        if self.memory.due(now) and self.memory.over_limit(self.memory_pidfd(), self.limits.memory_mb):
            return "memory"
        return None

    def exited(self, cpu_s: float, maxrss_kb: int) -> None:
        """The program ended (its exit status is the subclass's to read)."""
        self.exited_at = time.monotonic()
        self.result.runtime_s = round(self.exited_at - self.started, 3)
        self.result.cpu_s = round(cpu_s, 3)
        self.result.max_rss_mb = round(maxrss_kb / 1024, 1)

    def drained(self, now: float, since: float) -> bool:
        """Every pipe of the run is at its end, or `since` is long enough ago not to wait for them."""
        return self.pipes == 0 or now - since > DRAIN_S

    def supervise(self) -> None:
        try:
            while not self.done:
                now = time.monotonic()
                if self.exited_at is None and self.result.killed is None:
                    reason = self.limit_reached(now)
                    if reason is not None:
                        self.on_limit(reason, now)
                if not self.done:
                    self.on_tick(now)
                if self.done:
                    break
                if self.exited_at is not None or self.result.killed is not None:
                    timeout = 0.05
                else:
                    timeout = max(0.0, min(0.25, self.deadline - time.monotonic()))
                for key, _ in self.selector.select(timeout):
                    on_data, on_ready = key.data
                    if on_ready is not None:
                        on_ready()
                        if self.done:
                            break
                        continue
                    data = os.read(key.fd, 65536)
                    if data:
                        on_data(data)
                    else:
                        self.selector.unregister(key.fileobj)
                        self.pipes -= 1
        finally:
            self.selector.close()
            self.result.stdout, self.result.stdout_bytes = self.out.value(), self.out.total
            self.result.stderr, self.result.stderr_bytes = self.err.value(), self.err.total
            self.on_close()
