"""The command line of a sandbox: prlimit, then setpriv (when the worker is root), then bubblewrap
with its namespaces, mounts and environment, then the runner (docs/sandbox.md). Used alike for a
run in a sandbox of its own (cold.py) and for the warm sandbox's server (warm.py)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

from labeling.sandbox.contract import Limits
from labeling.sandbox.scratch import Scratch
from labeling.sandbox.tools import Tools

RUNNER_SOURCE = Path(__file__).with_name("runner.py")
WORKDIR = "/scratch"
RUNTIME_MOUNT = "/opt/runtime"  # the venv
PYTHON_MOUNT = "/opt/python"  # the interpreter and its standard library (the venv's home)
RUNNER_MOUNT = "/opt/courseproj/runner.py"
# Environment of the sandboxed program: nothing of the worker's.
SANDBOX_ENV = {
    "PATH": f"{RUNTIME_MOUNT}/bin",
    "LD_LIBRARY_PATH": f"{PYTHON_MOUNT}/lib",  # the copied libpython, for interpreters built shared
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # the same run gives the same result
    "OPENBLAS_NUM_THREADS": "1",  # one thread each: threads count against the process limit
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
# The environment of prlimit, setpriv and bubblewrap themselves.
OUTER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def bwrap_args(
    tools: Tools,
    scratch: Scratch,
    limits: Limits,
    status_fd: int,
    runner_fd: int,
    as_pid_1: bool = False,
    seccomp_fd: int | None = None,
) -> list[str]:
    m = tools.runtime.manifest
    root = tools.runtime.root
    mb = 1024 * 1024
    args = [
        tools.bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--json-status-fd",
        str(status_fd),
    ]
    if as_pid_1:
        args.append("--as-pid-1")  # the fork server is PID 1 itself (labeling/sandbox/warm.py)
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]  # labeling/sandbox/seccomp.py, loaded just before the runner starts
    for libdir in m["libdirs"]:
        args += ["--ro-bind", libdir, libdir]
    # Merged-/usr systems reach /lib/... through a symlink; keep that path working.
    if os.path.islink("/lib") and any(d.startswith("/usr/lib") for d in m["libdirs"]):
        args += ["--symlink", os.readlink("/lib"), "/lib"]
    args += ["--ro-bind", m["loader_real"], m["loader"]]
    args += ["--ro-bind", str(root / "base"), PYTHON_MOUNT]
    args += ["--ro-bind", str(root / "venv"), RUNTIME_MOUNT]
    args += ["--ro-bind-data", str(runner_fd), RUNNER_MOUNT]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(limits.shm_mb * mb), "--tmpfs", "/dev/shm"]
    args += ["--size", str(limits.tmp_mb * mb), "--tmpfs", "/tmp"]
    args += ["--bind", str(scratch.path), WORKDIR, "--chdir", WORKDIR]
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    for name, value in SANDBOX_ENV.items():
        args += ["--setenv", name, value]
    return args


def command(
    tools: Tools,
    scratch: Scratch,
    limits: Limits,
    status_fd: int,
    runner_fd: int,
    config: dict,
    extra_cpu_s: int = 0,
    as_pid_1: bool = False,
    seccomp_fd: int | None = None,
) -> list[str]:
    rl = limits.rlimits()
    if extra_cpu_s:
        rl["cpu"] = tuple(value + extra_cpu_s for value in rl["cpu"])
    line = [tools.prlimit] + [f"--{name}={soft}:{hard}" for name, (soft, hard) in rl.items()] + ["--"]
    if tools.setpriv:
        line += [
            tools.setpriv,
            f"--reuid={scratch.uid}",
            f"--regid={scratch.gid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    line += bwrap_args(tools, scratch, limits, status_fd, runner_fd, as_pid_1, seccomp_fd)
    python = f"{RUNTIME_MOUNT}/bin/python"
    # -s: no user site; -B: no .pyc writes; -P: no script folder on sys.path (the runner adds the
    # working directory as `python file.py` would). Not -E: PYTHONHASHSEED above must apply.
    line += [python, "-s", "-B", "-P", "-X", "utf8", RUNNER_MOUNT, json.dumps(config)]
    return line


def runner_memfd() -> int:
    """The runner's source in a memory file, which bubblewrap binds read-only into the sandbox."""
    fd = os.memfd_create("courseproj-runner", os.MFD_CLOEXEC)
    os.write(fd, RUNNER_SOURCE.read_bytes())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def open_inner(status: bytearray) -> int | None:
    """A pidfd of the sandbox's PID 1, from bubblewrap's first status line (written before the
    sandboxed program starts, so the program cannot forge it)."""
    line, sep, _ = bytes(status).partition(b"\n")
    if not sep:
        return None
    try:
        pid = int(json.loads(line)["child-pid"])
        return os.pidfd_open(pid)
    except (ValueError, KeyError, TypeError, ProcessLookupError, OSError):
        return None


def end(proc, *fds) -> None:
    """Close the run's pipes; kill and reap the process tree if it is still there."""
    if proc is not None:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
