"""Runs a submission inside the sandbox (trusted code, but in the same process as the untrusted
code, so nothing it reports is trusted outside: the scorer reads only exit codes and the
output file, through its own reader).

Started by labeling/sandbox/cold.py (and, as a server, by warm.py) as `python -s -B -P -X utf8
runner.py CONFIG_JSON` (labeling/sandbox/command.py) with the scratch directory as the working
directory. It first lowers its own resource limits (so the per-sandbox process limit counts
only this sandbox's processes, see docs/sandbox.md), then runs the submitted file as
`__main__`, the way `python submission.py` would. If the file wrote no output but defines
`aggregate(raw)`, it calls that with the challenge's single input read by pandas and writes the
returned DataFrame as the output file.

As a fork server (CONFIG_JSON names a socket, `serve_fd`), the runner is the sandbox's PID 1: it
imports the modules once, then for each submission the worker sends forks a child that goes on as
above, and after the child exits ends every other process, empties /tmp and /dev/shm and removes
System V IPC objects before it takes the next one (docs/sandbox.md, "Fork server").

Standalone on purpose: it must import nothing of the project.
"""

import contextlib
import errno
import importlib
import json
import os
import resource
import runpy
import shutil
import signal
import socket
import stat
import sys
import time
import traceback

# Exit codes the scorer understands (anything else is the program's own exit status).
EXIT_MEMORY = 86  # a MemoryError reached the top
EXIT_AGGREGATE = 87  # aggregate() broke its contract (see the log for what)
LIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
    "msgqueue": resource.RLIMIT_MSGQUEUE,
}
PR_SET_DUMPABLE = 4
MAX_JOB_BYTES = 1 << 16
# Left behind by a submission, emptied by the fork server before the next one.
SHARED_TMPFS = ("/tmp", "/dev/shm")


def _apply_limits(limits: dict) -> None:
    for name, (soft, hard) in limits.items():
        resource.setrlimit(LIMITS[name], (soft, hard))


def _run_aggregate(namespace: dict, output: str, inputs: list) -> None:
    aggregate = namespace.get("aggregate")
    if os.path.lexists(output) or not callable(aggregate):
        return
    if len(inputs) != 1:
        print(
            f"aggregate(raw) works only for a challenge with one input file; this one has {len(inputs)}. "
            f"Read the inputs yourself and write {output}.",
            file=sys.stderr,
        )
        sys.exit(EXIT_AGGREGATE)
    import pandas

    result = aggregate(pandas.read_csv(inputs[0]))
    if not isinstance(result, pandas.DataFrame):
        print(f"aggregate(raw) must return a pandas DataFrame; it returned {type(result).__name__}.", file=sys.stderr)
        sys.exit(EXIT_AGGREGATE)
    result.to_csv(output, index=False)


def _print_traceback(exc: BaseException, code: str) -> None:
    """The traceback from the submitted file's first frame on: the runner's frames are noise."""
    tb = exc.__traceback__
    while tb is not None and os.path.basename(tb.tb_frame.f_code.co_filename) != code:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def _set_dumpable(value: bool) -> None:
    """prctl(PR_SET_DUMPABLE): a process that is not dumpable cannot be ptraced, and its /proc
    files (mem, fd, environ, ...) cannot be opened, by processes of the same uid."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, int(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def _serve(config: dict) -> dict:
    """The fork server's loop. Returns only in a forked child, with that child's submission
    configuration; the server itself exits when the worker closes the socket, or on any failure
    to clean up after a child (the worker then discards the whole sandbox)."""
    sock_fd = config["serve_fd"]
    # Only the socket is kept: whatever else bubblewrap's parent passed down is closed.
    os.closerange(3, sock_fd)
    os.closerange(sock_fd + 1, 1 << 16)
    # PID 1 of the namespace: the kernel delivers a signal sent from inside the namespace only if
    # PID 1 has a handler for it, so with none (Python installs one for SIGINT) a child can
    # neither kill nor stop the server.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    for name in config.get("preload", ()):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _set_dumpable(False)
    baseline = _server_state()
    sock = socket.socket(fileno=sock_fd)
    sock.send(b'{"ready": true}')
    while True:
        message, fds, _flags, _address = socket.recv_fds(sock, MAX_JOB_BYTES, 2)
        if not message:
            os._exit(0)  # the worker closed the socket: this sandbox is done
        if len(fds) != 2:
            os._exit(3)
        job = json.loads(message)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                sock.detach()  # closed with the other descriptors below, never again by this object
                return _become_child(job, fds)
            except BaseException:
                os._exit(70)
        for fd in fds:
            os.close(fd)
        status, cpu, rss = _wait_for(pid)
        seq = job.get("seq")
        sock.send(json.dumps({"seq": seq, "exit": status, "cpu": cpu, "maxrss": rss}).encode())
        try:
            _end_every_process()
            for path in SHARED_TMPFS:
                _empty(path)
            _remove_ipc_objects()
            _clear_keyrings()
            if _server_state() != baseline:
                # Same uid: prlimit, setpriority, sched_setscheduler/affinity, ioprio_set reach PID 1.
                raise RuntimeError("the run changed the server's limits or scheduling")
        except BaseException as exc:
            with contextlib.suppress(Exception):
                sock.send(json.dumps({"seq": seq, "dirty": repr(exc)[:500]}).encode())
            os._exit(4)
        # Retire before the server's own CPU limit could strike while it forks a later child.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        tired = usage.ru_utime + usage.ru_stime > resource.getrlimit(resource.RLIMIT_CPU)[0] / 2
        sock.send(json.dumps({"seq": seq, "clean": True, "retire": tired}).encode())


def _become_child(job: dict, fds: list) -> dict:
    """In the forked child: the submission's stdout and stderr, no other descriptor of the server,
    a session of its own, the usual SIGINT, dumpable (it is its own process now), fresh random
    state, and the CPU counted from zero (a new process)."""
    out, err = fds
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.closerange(3, 1 << 16)
    os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _set_dumpable(True)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # as a fresh interpreter would seed it (Python's random reseeds by itself)
    return job


def _wait_for(pid: int) -> tuple[int, float, int]:
    """Wait for the child, reaping orphans meanwhile (PID 1 inherits them); (wait status, CPU
    seconds of everything reaped, largest max RSS in kB)."""
    cpu, rss = 0.0, 0
    while True:
        reaped, status, usage = os.wait4(-1, 0)
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss)
        if reaped == pid:
            return status, round(cpu, 3), rss


def _others_alive() -> bool:
    me = str(os.getpid())
    return any(name.isdigit() and name != me for name in os.listdir("/proc"))


def _end_every_process() -> None:
    """SIGKILL to every other process of the namespace, reaped, until /proc shows none."""
    deadline = time.monotonic() + 10
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while True:
                os.waitpid(-1, 0)
        if not _others_alive():
            return
        if time.monotonic() > deadline:
            raise RuntimeError("processes of the last submission would not end")
        time.sleep(0.001)


def _empty(path: str) -> None:
    """Remove everything under a tmpfs the children share, whatever modes were left on it (every
    folder is made accessible first, without recursion: folders can nest thousands deep)."""
    os.chmod(path, 0o1777)
    folders = [path]
    while folders:
        folder = folders.pop()
        if folder != path:
            os.chmod(folder, 0o700)
        with os.scandir(folder) as entries:
            folders.extend(entry.path for entry in entries if entry.is_dir(follow_symlinks=False))
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    if os.listdir(path):
        raise RuntimeError(f"{path} could not be emptied")
    if stat.S_IMODE(os.stat(path).st_mode) != 0o1777:
        raise RuntimeError(f"the mode of {path} could not be restored")


# System call numbers (no Python wrapper) by machine: ioprio_get, keyctl.
SYSCALLS = {"x86_64": {"ioprio_get": 252, "keyctl": 250}, "aarch64": {"ioprio_get": 31, "keyctl": 219}}
FS_IOC_GETFLAGS = 0x80086601


def _syscall(name: str, *args) -> int | None:
    """A raw system call by name; None where its number is not known for this machine."""
    import ctypes
    import platform

    number = SYSCALLS.get(platform.machine(), {}).get(name)
    if number is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(number), *(ctypes.c_long(a) if isinstance(a, int) else a for a in args))
    if result == -1:
        raise OSError(ctypes.get_errno(), f"{name} failed")
    return result


def _dir_state(path: str) -> tuple:
    """What a child could leave on a shared folder itself: extended attributes (ACLs among them)
    and inode flags (chattr)."""
    import fcntl
    import struct

    flags = None
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):
            flags = struct.unpack("l", fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0)))[0]
    finally:
        os.close(fd)
    return sorted(os.listxattr(path)), flags


def _server_state() -> tuple:
    """The server's own settings a child of the same uid can change from outside (prlimit,
    setpriority, sched_setscheduler, sched_setaffinity, ioprio_set on PID 1) and that every later
    child would inherit, and the state of the shared folders; compared after each run."""
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in dir(resource) if name.startswith("RLIMIT_")}
    param = os.sched_getparam(0)
    return (
        limits,
        os.getpriority(os.PRIO_PROCESS, 0),
        os.sched_getscheduler(0),
        param.sched_priority,
        os.sched_getaffinity(0),
        _syscall("ioprio_get", 1, 0),  # IOPRIO_WHO_PROCESS, this process
        [_dir_state(path) for path in SHARED_TMPFS],
    )


def _clear_keyrings() -> None:
    """Keys added to the session, user or user-session keyring would outlive the child; empty
    them (KEYCTL_CLEAR) and check that they are empty (KEYCTL_READ of nothing gives the size).
    Under the sandbox's system-call filter keyctl and add_key fail with EPERM for the server and
    every child alike, so no child could have added one."""
    for ring in (-3, -4, -5):  # KEY_SPEC_SESSION_KEYRING, _USER_KEYRING, _USER_SESSION_KEYRING
        try:
            _syscall("keyctl", 7, ring)
            size = _syscall("keyctl", 11, ring, None, 0)
        except OSError as exc:
            if exc.errno in (errno.ENOKEY, errno.ENOSYS, errno.EPERM):
                continue
            raise
        if size:
            raise RuntimeError("a keyring could not be emptied")


def _remove_ipc_objects() -> None:
    """System V shared memory, semaphores and message queues outlive their processes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    removers = {
        "shm": lambda ident: libc.shmctl(ident, ipc_rmid, None),
        "sem": lambda ident: libc.semctl(ident, 0, ipc_rmid),
        "msg": lambda ident: libc.msgctl(ident, ipc_rmid, None),
    }
    for kind, remove in removers.items():
        with open(f"/proc/sysvipc/{kind}") as table:
            next(table)  # the header
            for line in table:
                ident = int(line.split()[1])
                if remove(ident) != 0:
                    raise OSError(ctypes.get_errno(), f"could not remove System V {kind} {ident}")


def _exit_without_teardown(code) -> None:
    """End a forked child as the interpreter's exit would (non-daemon threads joined, atexit
    functions run, streams flushed, SystemExit's code) but without tearing down every module: with
    numpy and pandas loaded that costs about 0.2 s of CPU, and the child's memory goes with it."""
    import atexit

    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    atexit._run_exitfuncs()
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code & 0xFF
    else:
        with contextlib.suppress(Exception):
            print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def main() -> None:
    config = json.loads(sys.argv[1])
    if "serve_fd" in config:
        config = _serve(config)  # returns in a forked child only
        try:
            _run(config)
        except SystemExit as exc:
            _exit_without_teardown(exc.code)
        _exit_without_teardown(0)
    _run(config)


def _thread_hook(default):
    """threading.excepthook: a MemoryError no thread caught ends the run as out of memory, as it
    would in the main thread (otherwise the thread dies, the program goes on and ends with no output)."""

    def hook(args) -> None:
        if args.exc_type is None or not issubclass(args.exc_type, MemoryError):
            default(args)
            return
        _out_of_memory_in_a_thread(args)

    return hook


def _out_of_memory_in_a_thread(args) -> None:
    if args.exc_type is not None and issubclass(args.exc_type, MemoryError):
        with contextlib.suppress(MemoryError):
            traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback)
        sys.stderr.write("MemoryError in a thread: the code ran out of memory (the memory limit of the challenge).\n")
        with contextlib.suppress(Exception):
            sys.stderr.flush()
            sys.stdout.flush()
        os._exit(EXIT_MEMORY)


def _run(config: dict) -> None:
    _apply_limits(config["limits"])
    import threading

    threading.excepthook = _thread_hook(threading.excepthook)
    code = config["code"]
    sys.argv = [code]
    # As `python submission.py` would: the script's folder first on the import path.
    sys.path.insert(0, os.getcwd())
    ready = config.get("ready_fd")
    if ready is not None:
        # Tells the scorer the interpreter came up: whatever fails from here on is the submission's.
        os.write(ready, b"1")
        os.close(ready)
    try:
        namespace = runpy.run_path(code, run_name="__main__")
        _run_aggregate(namespace, config["output"], config["inputs"])
    except MemoryError as exc:
        # The failed allocation was not made, so there is usually room for the traceback.
        with contextlib.suppress(MemoryError):
            _print_traceback(exc, code)
        sys.stderr.write("MemoryError: the code ran out of memory (the memory limit of the challenge).\n")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # exiting anyway; the exit code says what happened
                stream.flush()
        os._exit(EXIT_MEMORY)
    except SystemExit:
        raise
    except BaseException as exc:
        _print_traceback(exc, code)
        sys.stderr.flush()
        sys.exit(1)
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
