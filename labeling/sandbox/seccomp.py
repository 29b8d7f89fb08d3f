"""The system-call filter every sandboxed process runs under (docs/sandbox.md, "System calls").

A BPF program built with libseccomp (through the `pyseccomp` binding, ctypes over the
libseccomp.so.2 every Debian and Ubuntu ships) and handed to bubblewrap with `--seccomp FD`:
bubblewrap loads it just before it starts the runner, so the runner, the warm sandbox's server
and every process either of them starts run under it (a filter is inherited and cannot be
removed). Everything is allowed except what a label-aggregation program never needs and kernel
exploits have gone through; a denied call fails with EPERM (clone3 with ENOSYS, so the C library
falls back to clone, whose flags the filter can read). numpy, pandas, scipy and scikit-learn use
none of them.
"""

from __future__ import annotations

import errno
import functools
import os

# Denied outright (EPERM). Mounting and the new mount API, module loading, kexec, namespaces
# entered, tracing and reading other processes' memory, the kernel's riskiest interfaces.
DENIED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "perf_event_open",
    "bpf",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "mount",
    "umount2",
    "pivot_root",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "setns",
    # Memory a process can hold without mapping it, which neither RLIMIT_AS nor the worker's count
    # of the run's memory would see (labeling/sandbox/memwatch.py); nothing of the runtime uses them.
    "shmget",
    "msgget",
    "memfd_create",
    "memfd_secret",
)
# clone's flags a program may not pass (a new namespace of any kind); unshare also CLONE_NEWTIME,
# which for clone is the exit signal's bit and so cannot be told apart there.
CLONE_NAMESPACES = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
CLONE_NEWTIME = 0x00000080
TIOCSTI = 0x5412  # push characters into a terminal's input (a terminal outside the sandbox)
TIOCLINUX = 0x541C  # the same through the virtual console
PRIO_USER = 2  # setpriority(PRIO_USER) reaches every process of the uid: other sandboxes too


class Unavailable(Exception):
    """The filter cannot be built on this machine (libseccomp or its binding is missing)."""


@functools.cache
def program() -> bytes:
    """The compiled BPF program (for this machine's architecture), built once per process."""
    try:
        import pyseccomp as sc
    except (ImportError, RuntimeError, OSError) as exc:  # RuntimeError: "Unable to find libseccomp"
        raise Unavailable(
            f"libseccomp cannot be loaded ({exc}); install libseccomp2 (apt-get install libseccomp2) "
            "and the project's requirements (pyseccomp)."
        ) from None
    deny = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    # Calls of another ABI (i386 through int 0x80, x32) kill the process: their numbers differ.
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    for name in DENIED:
        _add(sc, f, deny, name)
    _add(sc, f, sc.ERRNO(errno.ENOSYS), "clone3")  # its flags are in memory the filter cannot read
    for flag in CLONE_NAMESPACES.values():
        _add(sc, f, deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    for flag in (*CLONE_NAMESPACES.values(), CLONE_NEWTIME):
        _add(sc, f, deny, "unshare", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # ioctl's request is an int: compare its low 32 bits only, or setting high bits would pass.
    for request in (TIOCSTI, TIOCLINUX):
        _add(sc, f, deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
    # personality: only PER_LINUX, the default (a rule per bit: libseccomp has no "masked not equal").
    # The query (0xffffffff) is refused with the rest; no library of the runtime asks.
    for bit in range(32):
        _add(sc, f, deny, "personality", sc.Arg(0, sc.MASKED_EQ, 1 << bit, 1 << bit))
    _add(sc, f, deny, "setpriority", sc.Arg(0, sc.EQ, PRIO_USER))
    fd = os.memfd_create("courseproj-seccomp-build", os.MFD_CLOEXEC)
    try:
        with os.fdopen(fd, "w+b", closefd=False) as out:
            f.export_bpf(out)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _add(sc, f, action: int, name: str, *args) -> None:
    if sc.resolve_syscall(sc.Arch.NATIVE, name) < 0:
        return  # not a call of this architecture (so nothing to deny)
    f.add_rule(action, name, *args)


def filter_fd() -> int:
    """A descriptor (close-on-exec, at offset 0) holding the program, for bubblewrap's --seccomp."""
    data = program()
    fd = os.memfd_create("courseproj-seccomp", os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
