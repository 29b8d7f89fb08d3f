"""The bubblewrap sandbox submitted code runs in. What it allows and forbids, and why: docs/sandbox.md.

One run: a fresh scratch directory (the code and the challenge's inputs, nothing else) becomes
the working directory of `python runner.py` inside bubblewrap, with

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
import fcntl
import json
import logging
import os
import select
import selectors
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from courseproj.lib.sandbox_paths import closed_folder
from labeling import memwatch, seccomp

log = logging.getLogger(__name__)

RUNNER_SOURCE = Path(__file__).with_name("sandbox_runner.py")
WORKDIR = "/scratch"
RUNTIME_MOUNT = "/opt/runtime"  # the venv
PYTHON_MOUNT = "/opt/python"  # the interpreter and its standard library (the venv's home)
RUNTIME_LAYOUT = 2  # scripts/build_sandbox_runtime.sh's LAYOUT
RUNTIME_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn")
RUNNER_MOUNT = "/opt/courseproj/runner.py"
TAIL_BYTES = 8 * 1024
# The runner's own exit codes (labeling/sandbox_runner.py).
EXIT_MEMORY = 86
EXIT_AGGREGATE = 87
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


# --- The runtime and the tools -------------------------------------------------------------


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


# Where the tools are looked for (None: PATH, then /usr/bin and /bin). Tests point it elsewhere
# to see the scorer refuse to run without bubblewrap.
TOOL_PATH: str | None = None
# Where scratch directories are made (None: the system's temporary directory).
SCRATCH_PARENT: str | None = None
SCRATCH_PREFIX = "courseproj-run-"


def _tool(name: str) -> str | None:
    path = TOOL_PATH if TOOL_PATH is not None else f"{os.environ.get('PATH', os.defpath)}:/usr/bin:/bin"
    return shutil.which(name, path=path)


def current_settings() -> tuple:
    """What a sandbox started earlier must still match to be used: where scratch folders go, the
    uid, and the runner's code."""
    return (SCRATCH_PARENT, sandbox_ids(), RUNNER_SOURCE.read_bytes())


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
    bwrap = _tool("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed on the scoring worker, so submitted code cannot be run "
            "safely and nothing was run. Staff: install it (apt-get install bubblewrap), then rescore."
        )
    prlimit = _tool("prlimit")
    if prlimit is None:
        raise SandboxUnavailable("prlimit (util-linux) is not installed on the scoring worker; nothing was run.")
    setpriv = None
    if os.geteuid() == 0:
        setpriv = _tool("setpriv")
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


# --- The scratch directory ------------------------------------------------------------------


class Scratch:
    """A fresh working directory for one run, owned by the sandbox user; removed afterwards.

    `fd` is an open descriptor of the directory: the trusted reader opens the output relative to
    it, so nothing the code does to paths can redirect the read."""

    def __init__(self):
        self.uid, self.gid = sandbox_ids()
        self.path: Path | None = None
        self.fd: int | None = None
        self.baseline: tuple | None = None

    def __enter__(self) -> Scratch:
        parent = Path(SCRATCH_PARENT or tempfile.gettempdir())
        blocked = closed_folder(parent, self.uid, self.gid, read=False)
        if blocked is not None:
            raise SandboxUnavailable(
                f"The sandbox user (uid {self.uid}) cannot reach the scratch folder {parent} ({blocked} is closed "
                "to it); point TMPDIR of the worker to a folder every user can enter. Nothing was run."
            )
        remove_abandoned_scratch(parent)
        self.path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent))
        try:
            os.chmod(self.path, 0o700)
            if os.geteuid() == 0:
                os.chown(self.path, self.uid, self.gid)
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self.baseline = dir_state(self.path)
        except BaseException:
            remove_tree(self.path)
            raise
        return self

    def add_bytes(self, name: str, data: bytes) -> None:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=self.fd)
        with os.fdopen(fd, "wb") as out:
            out.write(data)

    def add_file(self, name: str, source: Path) -> None:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=self.fd)
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)

    def clear(self) -> None:
        """Empty the directory for the next run (a fork server's scratch directory stays mounted,
        so it is emptied, not replaced) and restore its owner and mode; OSError if the code left
        extended attributes (a default ACL, say) or inode flags on the directory itself."""
        if dir_state(self.path) != self.baseline:
            raise OSError(f"the run left attributes or flags on {self.path}")
        for entry in os.scandir(self.path):
            if entry.is_dir(follow_symlinks=False):
                remove_tree(Path(entry.path))
            else:
                os.unlink(entry.path)
        if os.listdir(self.path):
            raise OSError(f"{self.path} could not be emptied")
        os.chmod(self.path, 0o700)
        if os.geteuid() == 0:
            os.chown(self.path, self.uid, self.gid)

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.path is not None:
            remove_tree(self.path)
            self.path = None


FS_IOC_GETFLAGS = 0x80086601


def dir_state(path: Path) -> tuple:
    """Extended attributes (ACLs among them) and inode flags (chattr) of a folder."""
    flags = None
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with contextlib.suppress(OSError):
            flags = struct.unpack("l", fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0)))[0]
    finally:
        os.close(fd)
    return sorted(os.listxattr(path)), flags


def _process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # a zombie is dead, whoever fails to reap it


def remove_abandoned_scratch(parent: Path) -> None:
    """Remove scratch folders left by workers that died mid-run (killed, the machine's OOM killer).

    A folder is named after the process that made it; it is abandoned when that process is
    gone. Scratch folders are per machine (never put SCRATCH_PARENT on shared storage)."""
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            name = entry.name
            if not name.startswith(SCRATCH_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            pid = name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and _process_gone(int(pid)):
                log.info("Removing the scratch folder %s of a worker process that is gone.", entry.path)
                remove_tree(Path(entry.path))


def remove_tree(path: Path) -> None:
    """Remove a scratch directory, whatever modes the code left on what it wrote."""

    def make_writable_and_retry(function, target, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), 0o700)
        with contextlib.suppress(OSError):
            if not os.path.islink(target) and os.path.isdir(target):
                os.chmod(target, 0o700)
        with contextlib.suppress(FileNotFoundError):
            function(target)

    if path.exists():
        try:
            shutil.rmtree(path, onerror=make_writable_and_retry)
        except RecursionError:
            # shutil.rmtree recurses once per level; code can nest folders thousands deep.
            subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=True)


def _scratch_usage(path: Path, max_entries: int) -> tuple[int, int]:
    """(bytes on disk, entries) under `path`, stopping once max_entries + 1 were seen."""
    total, entries, stack = 0, 0, [str(path)]
    while stack and entries <= max_entries:
        try:
            iterator = os.scandir(stack.pop())
        except OSError:
            continue
        with iterator:
            for entry in iterator:
                entries += 1
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                if entries > max_entries:
                    break
    return total, entries


# --- One run --------------------------------------------------------------------------------


def _bwrap_args(
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
        args.append("--as-pid-1")  # the fork server is PID 1 itself (labeling/forkserver.py)
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]  # labeling/seccomp.py, loaded just before the runner starts
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


def _command(
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
    command = [tools.prlimit] + [f"--{name}={soft}:{hard}" for name, (soft, hard) in rl.items()] + ["--"]
    if tools.setpriv:
        command += [
            tools.setpriv,
            f"--reuid={scratch.uid}",
            f"--regid={scratch.gid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    command += _bwrap_args(tools, scratch, limits, status_fd, runner_fd, as_pid_1, seccomp_fd)
    python = f"{RUNTIME_MOUNT}/bin/python"
    # -s: no user site; -B: no .pyc writes; -P: no script folder on sys.path (the runner adds the
    # working directory as `python file.py` would). Not -E: PYTHONHASHSEED above must apply.
    command += [python, "-s", "-B", "-P", "-X", "utf8", RUNNER_MOUNT, json.dumps(config)]
    return command


class _Tail:
    def __init__(self, keep: int):
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
    runner_fd = _runner_memfd()
    status_r, status_w = os.pipe2(os.O_CLOEXEC)
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)  # the runner writes one byte before the submission runs
    config = {
        "code": code,
        "output": output,
        "inputs": list(inputs),
        "limits": _runner_limits(limits),
        "ready_fd": ready_w,
    }
    seccomp_fd = seccomp.filter_fd()
    result = Result()
    proc = None
    try:
        command = _command(tools, scratch, limits, status_w, runner_fd, config, seccomp_fd=seccomp_fd)
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_w, runner_fd, ready_w, seccomp_fd),
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/",
            start_new_session=True,
        )
        for fd in (status_w, runner_fd, ready_w, seccomp_fd):
            os.close(fd)
        status_w = runner_fd = ready_w = seccomp_fd = None
        _supervise(proc, status_r, ready_r, scratch, limits, heartbeat, heartbeat_every, started, result)
    finally:
        # Kills only on an exception in the supervision itself: never leave the sandbox behind.
        _end(proc, status_w, runner_fd, ready_w, seccomp_fd, status_r, ready_r)
    return result


def _runner_limits(limits: Limits) -> dict:
    """The limits the runner sets inside the sandbox: those set from outside, the process count
    (see docs/sandbox.md) and no POSIX message queues (they would outlive the run)."""
    return {**limits.rlimits(), "nproc": (limits.nproc, limits.nproc), "msgqueue": (0, 0)}


def _runner_memfd() -> int:
    fd = os.memfd_create("courseproj-runner", os.MFD_CLOEXEC)
    os.write(fd, RUNNER_SOURCE.read_bytes())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _end(proc, *fds) -> None:
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


# What the warm sandbox (labeling/forkserver.py) imports once, before any submission.
PRELOAD = ("numpy", "pandas")


def _supervise(proc, status_r, ready_r, scratch, limits, heartbeat, heartbeat_every, started, result) -> None:
    out, err = _Tail(TAIL_BYTES), _Tail(TAIL_BYTES)
    status = bytearray()
    ready = bytearray()
    inner_pidfd = None  # the sandbox's PID 1: when it is gone, every process of the run is gone
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    sel.register(status_r, selectors.EVENT_READ, status)
    sel.register(ready_r, selectors.EVENT_READ, ready)
    deadline = started + limits.time_s
    next_beat = started + heartbeat_every
    next_disk = started + 0.5
    memory = memwatch.Watch(started)
    exited_at = None
    wait_status = None

    kill_outer_at = None

    def kill(reason: str) -> None:
        # SIGKILL to the sandbox's PID 1 takes every process of the run with it; the outer
        # bubblewrap then reaps it and exits. Killing the outer one first would orphan PID 1.
        nonlocal kill_outer_at
        if result.killed is None:
            result.killed = reason
        if inner_pidfd is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(inner_pidfd, signal.SIGKILL)
            kill_outer_at = time.monotonic() + 2
        else:
            kill_outer()

    def kill_outer() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    try:
        while True:
            now = time.monotonic()
            if exited_at is None and kill_outer_at is not None and now >= kill_outer_at:
                kill_outer()
                kill_outer_at = None
            if exited_at is None and result.killed is None:
                if now >= deadline:
                    kill("time")
                elif heartbeat is not None and now >= next_beat:
                    next_beat = now + heartbeat_every
                    if not heartbeat():
                        kill("abandoned")
                elif now >= next_disk:
                    next_disk = now + 0.5
                    used, entries = _scratch_usage(scratch.path, limits.scratch_entries)
                    if used > limits.scratch_mb * 1024 * 1024 or entries > limits.scratch_entries:
                        kill("disk")
                elif memory.due(now) and memory.over_limit(inner_pidfd, limits.memory_mb):
                    kill("memory")
            if exited_at is None:
                pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    exited_at = time.monotonic()
                    proc.returncode = os.waitstatus_to_exitcode(wait_status)
                    result.runtime_s = round(exited_at - started, 3)
                    result.cpu_s = round(usage.ru_utime + usage.ru_stime, 3)
                    result.max_rss_mb = round(usage.ru_maxrss / 1024, 1)
            # After the exit, drain what is left in the pipes, but never wait on them for long.
            if exited_at is not None and (not sel.get_map() or time.monotonic() - exited_at > 2):
                break
            if exited_at is not None or result.killed is not None:
                timeout = 0.05
            else:
                timeout = max(0.0, min(0.25, deadline - time.monotonic()))
            for key, _ in sel.select(timeout):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                elif key.data is status:
                    if len(status) < 65536:
                        status += data
                    if inner_pidfd is None:
                        inner_pidfd = _open_inner(status)
                elif key.data is ready:
                    result.started = True
                else:
                    key.data.add(data)
    finally:
        sel.close()
        if inner_pidfd is not None:
            # SIGKILL to PID 1 of the namespace if anything is left, then wait until it is gone.
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(inner_pidfd, signal.SIGKILL)
            select.select([inner_pidfd], [], [], 10)
            os.close(inner_pidfd)
    result.stdout, result.stdout_bytes = out.value(), out.total
    result.stderr, result.stderr_bytes = err.value(), err.total
    code = proc.returncode
    started_child = b'"child-pid"' in status
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


def _open_inner(status: bytearray) -> int | None:
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
