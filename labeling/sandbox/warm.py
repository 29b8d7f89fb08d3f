"""A warm sandbox that serves one submission after another: a fork server (docs/sandbox.md).

One bubblewrap sandbox, started as `labeling.sandbox.run` starts one (cold.py: the same namespaces,
mounts, uid, environment, limits and runtime), whose PID 1 is the runner in its serving mode: it
imports numpy and pandas once and then, for each submission, forks a child that runs the code.
A submission so pays neither for bubblewrap's setup nor for the imports, in a deadline burst as
much as alone (docs/performance.md).

What keeps one submission from the next, when they share a sandbox:

- the child gets its own stdout and stderr (pipes of this run, passed over the socket) and no
  other descriptor of the server; its resource limits are set afresh (the CPU time of a new
  process starts at zero);
- the server is PID 1 of the sandbox's PID namespace and has no signal handler, so nothing in the
  namespace can signal it, and it is not dumpable, so nothing of the same uid can ptrace it or
  open its /proc files: a child cannot touch the server or, through it, the next child;
- after the child exits the server kills every other process of the namespace and waits until
  /proc shows none, empties /tmp and /dev/shm, removes System V IPC objects (POSIX message queues
  are refused by RLIMIT_MSGQUEUE=0), and only then reports itself clean; the worker then empties
  the scratch directory and restores its mode. A failure at any of these steps retires the whole
  sandbox, as does a run killed for time, disk or heartbeat (killing PID 1 ends the namespace).

Only trusted code runs before the first submission, and the server never holds anything secret:
the gold labels are never in a sandbox, and the scorer reads only the wait status the server
reports and the output file, through labeling.scoring.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator

from labeling.sandbox import command, seccomp
from labeling.sandbox import scratch as scratch_folders
from labeling.sandbox.contract import Limits, Result
from labeling.sandbox.scratch import Scratch
from labeling.sandbox.supervisor import Supervisor
from labeling.sandbox.tools import Tools, sandbox_ids

# CPU seconds the server itself may use over its life on top of one run's limit (its imports and
# the clean-ups between runs; each child sets its own limit).
SERVER_CPU_S = 120
# How many submissions one server serves before it is replaced.
MAX_RUNS = 200
READY_TIMEOUT_S = 60
CLEAN_TIMEOUT_S = 10
# What the server imports once, before any submission.
PRELOAD = ("numpy", "pandas")


def current_settings() -> tuple:
    """What a server started earlier must still match to be used: where scratch folders go, the
    uid, and the runner's code."""
    return (scratch_folders.SCRATCH_PARENT, sandbox_ids(), command.RUNNER_SOURCE.read_bytes())


class ForkServer:
    """Start with `ForkServer(tools, limits)`; the imports go on in the background. Per submission:

        with server.job() as scratch:   # the (empty) scratch directory to fill
            scratch.add_bytes(...)
            result = server.run(code=..., output=..., inputs=..., heartbeat=...)
            ... read the output through scratch.fd ...

    and `close()` when done. `usable_for(tools, limits)` says whether it can take the next one.
    """

    def __init__(self, tools: Tools, limits: Limits):
        self.tools, self.limits = tools, limits
        self.settings = current_settings()
        self.scratch = Scratch().__enter__()
        self.runs = 0
        self.unfinished = False  # a run was handed over and the server has not reported itself clean since
        self.broken: str | None = None
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.status_r: int | None = None
        self.inner: int | None = None  # pidfd of the server, the sandbox's PID 1
        self.ready = False
        runner_fd = status_w = theirs = seccomp_fd = None
        try:
            runner_fd = command.runner_memfd()
            seccomp_fd = seccomp.filter_fd()  # on the server, so on every child it forks
            self.status_r, status_w = os.pipe2(os.O_CLOEXEC)
            self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            config = {"serve_fd": theirs.fileno(), "preload": list(PRELOAD)}
            line = command.command(
                tools,
                self.scratch,
                limits,
                status_w,
                runner_fd,
                config,
                extra_cpu_s=SERVER_CPU_S,
                as_pid_1=True,
                seccomp_fd=seccomp_fd,
            )
            self.proc = subprocess.Popen(
                line,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(status_w, runner_fd, seccomp_fd, theirs.fileno()),
                env=command.OUTER_ENV,
                cwd="/",
                start_new_session=True,
            )
        except BaseException:
            self.close()
            raise
        finally:
            for fd in (runner_fd, status_w, seccomp_fd):
                if fd is not None:
                    os.close(fd)
            if theirs is not None:
                theirs.close()

    def usable_for(self, tools: Tools, limits: Limits) -> bool:
        """Alive, clean, and started for exactly this kind of run."""
        return (
            self.broken is None
            and self.proc is not None
            and self.proc.poll() is None
            and self.runs < MAX_RUNS
            and (self.tools, self.limits) == (tools, limits)
            and self.settings == current_settings()
        )

    @contextlib.contextmanager
    def job(self) -> Iterator[Scratch]:
        """The scratch directory for one run, emptied afterwards (or the server retired)."""
        try:
            yield self.scratch
        finally:
            if self.unfinished:
                # The run did not end cleanly (an exception while it ran): nothing of it may go on.
                self.retire("a run did not finish")
                self.kill()
            try:
                self.scratch.clear()
            except OSError as exc:
                self.retire(f"the scratch directory could not be emptied: {exc}")
                self.kill()

    def run(
        self,
        *,
        code: str,
        output: str,
        inputs: Iterable[str],
        heartbeat: Callable[[], bool] | None = None,
        heartbeat_every: float = 10.0,
    ) -> Result:
        """Run `python code` (already in the scratch directory) as `labeling.sandbox.run` would."""
        result = Result()
        if self.broken is not None or not self._wait_ready():
            result.setup_error = f"the warm sandbox did not start ({self.broken})"
            return result
        job = {
            "seq": self.runs + 1,
            "code": code,
            "output": output,
            "inputs": list(inputs),
            "limits": self.limits.runner_rlimits(),
        }
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        try:
            try:
                socket.send_fds(self.sock, [json.dumps(job).encode()], [out_w, err_w])
            except OSError as exc:
                self.retire(f"the warm sandbox is gone ({exc})")
                result.setup_error = self.broken
                return result
            finally:
                os.close(out_w)
                os.close(err_w)
            self.runs += 1
            self.unfinished = True
            result.started = True  # the server forks the child from a working interpreter
            try:
                WarmSupervisor(
                    self,
                    out_r,
                    err_r,
                    scratch=self.scratch,
                    limits=self.limits,
                    result=result,
                    heartbeat=heartbeat,
                    heartbeat_every=heartbeat_every,
                ).supervise()
            except BaseException:
                self.retire("a run was interrupted")
                self.kill()
                raise
        finally:
            os.close(out_r)
            os.close(err_r)
        return result

    def receive(self) -> dict | None:
        """The server's next message; None (and the server retired) if it is gone or talks nonsense."""
        try:
            data = self.sock.recv(65536)
            message = json.loads(data) if data else None
        except (OSError, ValueError) as exc:
            message, data = None, repr(exc).encode()
        if not isinstance(message, dict):
            self.retire(f"it stopped ({self._stderr_tail() or 'no message'})")
            return None
        return message

    def _wait_ready(self) -> bool:
        """Wait for the imports to be done (only the first run waits) and learn the server's PID."""
        if self.ready:
            return True
        if self.broken is not None:
            return False
        if not select.select([self.sock], [], [], READY_TIMEOUT_S)[0]:
            self.retire(f"it was not ready within {READY_TIMEOUT_S} s")
            self.kill()
            return False
        message = self.receive()
        if message is None or not message.get("ready"):
            self.kill()
            return False
        status = bytearray()
        while b"\n" not in status and select.select([self.status_r], [], [], 5)[0]:
            chunk = os.read(self.status_r, 65536)
            if not chunk:
                break
            status += chunk
        self.inner = command.open_inner(status)
        if self.inner is None:
            self.retire("its PID could not be read from bubblewrap's status")
            self.kill()
            return False
        self.ready = True
        return True

    def retire(self, why: str) -> None:
        if self.broken is None:
            self.broken = why

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        data = b""
        with contextlib.suppress(OSError):
            while select.select([self.proc.stderr], [], [], 0.2)[0]:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk:
                    break
                data = (data + chunk)[-2000:]
        return data.decode("utf-8", errors="replace").strip()

    def kill(self) -> None:
        """SIGKILL to the server (the sandbox's PID 1: every process in it goes) and wait for it."""
        if self.inner is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.inner, signal.SIGKILL)
            select.select([self.inner], [], [], 10)
        elif self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)

    def close(self) -> None:
        """Stop the server and remove its scratch directory.

        Closing the socket ends the server once its imports are done; it is killed only when it
        is known to be running (its PID read), never while bubblewrap may still be setting up (a
        PID 1 whose outer bubblewrap died during the setup would wait forever)."""
        self.retire("closed")
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(READY_TIMEOUT_S if self.inner is None else 5)
            if self.proc.returncode is None:
                self.kill()
        if self.inner is not None:
            os.close(self.inner)
            self.inner = None
        status_r, self.status_r = self.status_r, None
        command.end(self.proc, status_r)
        self.scratch.__exit__(None, None, None)


class WarmSupervisor(Supervisor):
    """The run is a child of the server: it has ended when the server reports the child's exit
    status, and is over when the server then reports itself clean. A limit reached, a message
    out of turn or no report in time retire the server and kill it (killing the sandbox's PID 1
    ends every process in it: the run, and the server)."""

    def __init__(self, server: ForkServer, out_r: int, err_r: int, **kwargs):
        super().__init__(**kwargs)
        self.server = server
        self.clean_at: float | None = None
        self.watch_output(out_r, err_r)
        self.watch(server.sock, on_ready=self.on_message)

    def memory_pidfd(self) -> int | None:
        return self.server.inner  # what the server's children started, not the server

    def on_limit(self, reason: str, now: float) -> None:
        self.result.killed = reason
        self.result.signal = signal.SIGKILL
        self.result.runtime_s = round(now - self.started, 3)
        self.stop(f"a run was stopped ({reason})")

    def stop(self, why: str) -> None:
        self.server.retire(why)
        self.server.kill()
        self.done = True

    def on_tick(self, now: float) -> None:
        if self.exited_at is not None and self.clean_at is None and now - self.exited_at > CLEAN_TIMEOUT_S:
            self.stop("it did not report itself clean after a run")
        elif self.clean_at is not None and self.drained(now, self.clean_at):
            self.done = True  # the run's pipes are drained (or nobody holds them open: all processes are gone)

    def on_message(self) -> None:
        server, result = self.server, self.result
        message = server.receive()
        if message is None or message.get("seq") != server.runs:
            server.retire(f"it answered out of turn: {message}")
            if self.exited_at is None:
                result.setup_error = f"the warm sandbox stopped during the run ({server.broken})"
            self.stop(server.broken)
        elif "exit" in message:
            code = os.waitstatus_to_exitcode(int(message["exit"]))
            result.exit_code, result.signal = (code, None) if code >= 0 else (None, -code)
            self.exited(float(message["cpu"]), int(message["maxrss"]))
        elif message.get("clean"):
            self.clean_at = time.monotonic()
            server.unfinished = False
            if message.get("retire"):
                server.retire("it used half of its own CPU limit")
        else:
            self.stop(f"it could not clean up after a run: {message.get('dirty')}")
