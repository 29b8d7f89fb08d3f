"""A warm sandbox that serves one submission after another: a fork server (docs/sandbox.md).

One bubblewrap sandbox, started as `labeling.sandbox.run` starts one (the same namespaces,
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
import selectors
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator

from labeling import memwatch, sandbox, seccomp
from labeling.sandbox import Limits, Result, Scratch, Tools

# CPU seconds the server itself may use over its life on top of one run's limit (its imports and
# the clean-ups between runs; each child sets its own limit).
SERVER_CPU_S = 120
# How many submissions one server serves before it is replaced.
MAX_RUNS = 200
READY_TIMEOUT_S = 60
CLEAN_TIMEOUT_S = 10


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
        self.settings = sandbox.current_settings()
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
            runner_fd = sandbox._runner_memfd()
            seccomp_fd = seccomp.filter_fd()  # on the server, so on every child it forks
            self.status_r, status_w = os.pipe2(os.O_CLOEXEC)
            self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            config = {"serve_fd": theirs.fileno(), "preload": list(sandbox.PRELOAD)}
            command = sandbox._command(
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
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(status_w, runner_fd, seccomp_fd, theirs.fileno()),
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
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
            and self.settings == sandbox.current_settings()
        )

    @contextlib.contextmanager
    def job(self) -> Iterator[Scratch]:
        """The scratch directory for one run, emptied afterwards (or the server retired)."""
        try:
            yield self.scratch
        finally:
            if self.unfinished:
                # The run did not end cleanly (an exception while it ran): nothing of it may go on.
                self._retire("a run did not finish")
                self._kill()
            try:
                self.scratch.clear()
            except OSError as exc:
                self._retire(f"the scratch directory could not be emptied: {exc}")
                self._kill()

    def run(
        self,
        *,
        code: str,
        output: str,
        inputs: Iterable[str],
        heartbeat: Callable[[], bool] | None = None,
        heartbeat_every: float = 10.0,
    ) -> Result:
        """Run `python code` (already in the scratch directory) as `sandbox.run` would."""
        result = Result()
        if self.broken is not None or not self._wait_ready():
            result.setup_error = f"the warm sandbox did not start ({self.broken})"
            return result
        job = {
            "seq": self.runs + 1,
            "code": code,
            "output": output,
            "inputs": list(inputs),
            "limits": sandbox._runner_limits(self.limits),
        }
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        try:
            try:
                socket.send_fds(self.sock, [json.dumps(job).encode()], [out_w, err_w])
            except OSError as exc:
                self._retire(f"the warm sandbox is gone ({exc})")
                result.setup_error = self.broken
                return result
            finally:
                os.close(out_w)
                os.close(err_w)
            self.runs += 1
            self.unfinished = True
            result.started = True  # the server forks the child from a working interpreter
            try:
                self._supervise(out_r, err_r, heartbeat, heartbeat_every, result)
            except BaseException:
                self._retire("a run was interrupted")
                self._kill()
                raise
        finally:
            os.close(out_r)
            os.close(err_r)
        return result

    def _supervise(self, out_r, err_r, heartbeat, heartbeat_every, result: Result) -> None:
        limits = self.limits
        out, err = sandbox._Tail(sandbox.TAIL_BYTES), sandbox._Tail(sandbox.TAIL_BYTES)
        sel = selectors.DefaultSelector()
        sel.register(out_r, selectors.EVENT_READ, out)
        sel.register(err_r, selectors.EVENT_READ, err)
        sel.register(self.sock, selectors.EVENT_READ, "server")
        started = time.monotonic()
        deadline = started + limits.time_s
        next_beat = started + heartbeat_every
        next_disk = started + 0.5
        memory = memwatch.Watch(started)
        exited_at = clean_at = None
        try:
            while True:
                now = time.monotonic()
                if exited_at is None and result.killed is None:
                    reason = None
                    if now >= deadline:
                        reason = "time"
                    elif heartbeat is not None and now >= next_beat:
                        next_beat = now + heartbeat_every
                        if not heartbeat():
                            reason = "abandoned"
                    elif now >= next_disk:
                        next_disk = now + 0.5
                        used, entries = sandbox._scratch_usage(self.scratch.path, limits.scratch_entries)
                        if used > limits.scratch_mb * 1024 * 1024 or entries > limits.scratch_entries:
                            reason = "disk"
                    elif memory.due(now) and memory.over_limit(self.inner, limits.memory_mb):
                        reason = "memory"  # the child and what it started, not the server
                    if reason is not None:
                        # Killing PID 1 ends every process of the sandbox: the run, and the server.
                        result.killed = reason
                        result.signal = signal.SIGKILL
                        result.runtime_s = round(now - started, 3)
                        self._retire(f"a run was stopped ({reason})")
                        self._kill()
                        return
                if exited_at is not None and clean_at is None and now - exited_at > CLEAN_TIMEOUT_S:
                    self._retire("it did not report itself clean after a run")
                    self._kill()
                    return
                if clean_at is not None and (len(sel.get_map()) == 1 or now - clean_at > 2):
                    return  # the run's pipes are drained (or nobody holds them open: all processes are gone)
                timeout = 0.05 if exited_at is not None else max(0.0, min(0.25, deadline - now))
                for key, _ in sel.select(timeout):
                    if key.data == "server":
                        message = self._receive()
                        if message is None or message.get("seq") != self.runs:
                            self._retire(f"it answered out of turn: {message}")
                            if exited_at is None:
                                result.setup_error = f"the warm sandbox stopped during the run ({self.broken})"
                            self._kill()
                            return
                        if "exit" in message:
                            exited_at = time.monotonic()
                            result.runtime_s = round(exited_at - started, 3)
                            code = os.waitstatus_to_exitcode(int(message["exit"]))
                            result.exit_code, result.signal = (code, None) if code >= 0 else (None, -code)
                            result.cpu_s = float(message["cpu"])
                            result.max_rss_mb = round(int(message["maxrss"]) / 1024, 1)
                        elif message.get("clean"):
                            clean_at = time.monotonic()
                            self.unfinished = False
                            if message.get("retire"):
                                self._retire("it used half of its own CPU limit")
                        else:
                            self._retire(f"it could not clean up after a run: {message.get('dirty')}")
                            self._kill()
                            return
                        continue
                    data = os.read(key.fd, 65536)
                    if data:
                        key.data.add(data)
                    else:
                        sel.unregister(key.fileobj)
        finally:
            sel.close()
            result.stdout, result.stdout_bytes = out.value(), out.total
            result.stderr, result.stderr_bytes = err.value(), err.total

    def _receive(self) -> dict | None:
        """The server's next message; None (and the server retired) if it is gone or talks nonsense."""
        try:
            data = self.sock.recv(65536)
            message = json.loads(data) if data else None
        except (OSError, ValueError) as exc:
            message, data = None, repr(exc).encode()
        if not isinstance(message, dict):
            self._retire(f"it stopped ({self._stderr_tail() or 'no message'})")
            return None
        return message

    def _wait_ready(self) -> bool:
        """Wait for the imports to be done (only the first run waits) and learn the server's PID."""
        if self.ready:
            return True
        if self.broken is not None:
            return False
        if not select.select([self.sock], [], [], READY_TIMEOUT_S)[0]:
            self._retire(f"it was not ready within {READY_TIMEOUT_S} s")
            self._kill()
            return False
        message = self._receive()
        if message is None or not message.get("ready"):
            self._kill()
            return False
        status = bytearray()
        while b"\n" not in status and select.select([self.status_r], [], [], 5)[0]:
            chunk = os.read(self.status_r, 65536)
            if not chunk:
                break
            status += chunk
        self.inner = sandbox._open_inner(status)
        if self.inner is None:
            self._retire("its PID could not be read from bubblewrap's status")
            self._kill()
            return False
        self.ready = True
        return True

    def _retire(self, why: str) -> None:
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

    def _kill(self) -> None:
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
        self._retire("closed")
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(READY_TIMEOUT_S if self.inner is None else 5)
            if self.proc.returncode is None:
                self._kill()
        if self.inner is not None:
            os.close(self.inner)
            self.inner = None
        status_r, self.status_r = self.status_r, None
        sandbox._end(self.proc, status_r)
        self.scratch.__exit__(None, None, None)
