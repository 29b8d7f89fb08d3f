"""One run in a bubblewrap sandbox of its own. What it allows and forbids, and why: docs/sandbox.md.

A fresh scratch directory (the code and the challenge's inputs, nothing else) becomes the working
directory of `python runner.py` inside bubblewrap, with

- new user, PID, IPC, UTS, network, mount and cgroup namespaces; no nested user namespaces;
  a new session; the environment cleared;
- a read-only root holding only the runtime built by scripts/build_sandbox_runtime.sh (the
  interpreter, its standard library, numpy/pandas/scipy/scikit-learn) and the system
  libraries they load; /proc of the new PID namespace, a minimal /dev, size-limited tmpfs
  /tmp and /dev/shm; the scratch directory read-write;
- an unprivileged uid: SANDBOX_UID when the worker is root (dropped with setpriv before
  bubblewrap starts), the worker's own uid otherwise; no capabilities;
- rlimits on CPU time, address space, file size, open files and core dumps (set with prlimit
  on the whole tree, and again with the process count by the runner inside the sandbox);
- a wall-clock limit, a cap on what the run writes to the scratch directory, and the end of
  the whole process tree: killing the sandbox's PID 1 makes the kernel kill every process in
  its PID namespace, and --die-with-parent does the same if the worker dies.

stdout and stderr are read as they come and only their last bytes are kept. Nothing inside the
sandbox is trusted: the scorer reads the exit status and, through labeling.scoring, the output file.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Iterable

from labeling.sandbox import command, seccomp
from labeling.sandbox.contract import Limits, Result
from labeling.sandbox.scratch import Scratch
from labeling.sandbox.supervisor import Supervisor
from labeling.sandbox.tools import Tools, check_available

KILL_OUTER_AFTER_S = 2  # after PID 1 was killed, when the outer bubblewrap is killed too


def run(
    scratch: Scratch,
    *,
    code: str,
    output: str,
    inputs: Iterable[str],
    limits: Limits,
    heartbeat: Callable[[], bool] | None = None,
    heartbeat_every: float = 10.0,
    tools: Tools | None = None,
) -> Result:
    """Run `python code` in the sandbox with `scratch` as its working directory; return when
    every process of the run is gone. `heartbeat` is called every `heartbeat_every` seconds;
    if it returns False the run is stopped (killed="abandoned")."""
    tools = tools or check_available()
    runner_fd = command.runner_memfd()
    status_r, status_w = os.pipe2(os.O_CLOEXEC)
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)  # the runner writes one byte before the submission runs
    config = {
        "code": code,
        "output": output,
        "inputs": list(inputs),
        "limits": limits.runner_rlimits(),
        "ready_fd": ready_w,
    }
    seccomp_fd = seccomp.filter_fd()
    result = Result()
    proc = None
    try:
        line = command.command(tools, scratch, limits, status_w, runner_fd, config, seccomp_fd=seccomp_fd)
        started = time.monotonic()
        proc = subprocess.Popen(
            line,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_w, runner_fd, ready_w, seccomp_fd),
            env=command.OUTER_ENV,
            cwd="/",
            start_new_session=True,
        )
        for fd in (status_w, runner_fd, ready_w, seccomp_fd):
            os.close(fd)
        status_w = runner_fd = ready_w = seccomp_fd = None
        supervisor = ColdSupervisor(
            proc,
            status_r,
            ready_r,
            scratch=scratch,
            limits=limits,
            result=result,
            heartbeat=heartbeat,
            heartbeat_every=heartbeat_every,
            started=started,
        )
        supervisor.supervise()
        supervisor.read_outcome()
    finally:
        # Kills only on an exception in the supervision itself: never leave the sandbox behind.
        command.end(proc, status_w, runner_fd, ready_w, seccomp_fd, status_r, ready_r)
    return result


class ColdSupervisor(Supervisor):
    """The run is bubblewrap's tree: it has ended when the outer bubblewrap exits (it waits for the
    sandbox's PID 1, and every process of the run is in that PID namespace). bubblewrap's status
    pipe names PID 1, which a kill is sent to; the runner's ready pipe says the submission started."""

    def __init__(self, proc: subprocess.Popen, status_r: int, ready_r: int, **kwargs):
        super().__init__(**kwargs)
        self.proc = proc
        self.status = bytearray()
        self.inner_pidfd: int | None = None  # the sandbox's PID 1: when it is gone, every process of the run is gone
        self.kill_outer_at: float | None = None
        self.watch_output(proc.stdout, proc.stderr)
        self.watch(status_r, self.on_status)
        self.watch(ready_r, self.on_ready_byte)

    def on_status(self, data: bytes) -> None:
        if len(self.status) < 65536:
            self.status += data
        if self.inner_pidfd is None:
            self.inner_pidfd = command.open_inner(self.status)

    def on_ready_byte(self, _data: bytes) -> None:
        self.result.started = True

    def memory_pidfd(self) -> int | None:
        return self.inner_pidfd

    def on_limit(self, reason: str, now: float) -> None:
        # SIGKILL to the sandbox's PID 1 takes every process of the run with it; the outer
        # bubblewrap then reaps it and exits. Killing the outer one first would orphan PID 1.
        if self.result.killed is None:
            self.result.killed = reason
        if self.inner_pidfd is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.inner_pidfd, signal.SIGKILL)
            self.kill_outer_at = time.monotonic() + KILL_OUTER_AFTER_S
        else:
            self.kill_outer()

    def kill_outer(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def on_tick(self, now: float) -> None:
        if self.exited_at is None:
            if self.kill_outer_at is not None and now >= self.kill_outer_at:
                self.kill_outer()
                self.kill_outer_at = None
            pid, wait_status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(wait_status)
                self.exited(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
        # After the exit, drain what is left in the pipes, but never wait on them for long.
        if self.exited_at is not None and self.drained(time.monotonic(), self.exited_at):
            self.done = True

    def on_close(self) -> None:
        if self.inner_pidfd is not None:
            # SIGKILL to PID 1 of the namespace if anything is left, then wait until it is gone.
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.inner_pidfd, signal.SIGKILL)
            select.select([self.inner_pidfd], [], [], 10)
            os.close(self.inner_pidfd)
            self.inner_pidfd = None

    def read_outcome(self) -> None:
        """The result from bubblewrap's exit status: a setup error (nothing of the submission
        ran), a signal, or the program's exit code."""
        result, code = self.result, self.proc.returncode
        started_child = b'"child-pid"' in self.status
        if not started_child or (
            code == 1 and not result.stdout_bytes and result.stderr.startswith(b"bwrap: ") and result.killed is None
        ):
            result.setup_error = result.stderr.decode("utf-8", errors="replace").strip() or f"exit status {code}"
            return
        if not result.started and result.killed != "abandoned":
            # The loader or the interpreter failed (a library it cannot find, a broken standard
            # library, limits too small for Python itself): nothing of the submission ran.
            tail = result.stderr.decode("utf-8", errors="replace").strip()[-500:]
            how = f"killed ({result.killed})" if result.killed else f"exit status {code}"
            result.setup_error = f"the sandbox's Python stopped before the submission started ({how}): {tail}"
            return
        # bubblewrap reports a child killed by signal N as exit status 128 + N.
        if code is not None and code > 128 and code - 128 < signal.NSIG:
            result.signal = code - 128
        elif code is not None and code < 0:
            result.signal = -code
        else:
            result.exit_code = code
