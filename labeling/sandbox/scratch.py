"""The scratch directory: a run's working directory, the one place it may write (docs/sandbox.md).

Made fresh for a run and owned by the sandbox user; the trusted reader opens the output through
an open descriptor of it, so nothing the code does to paths can redirect the read. Folders left
by workers that died mid-run are removed by the next run on the machine."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import stat
import struct
import subprocess
import tempfile
from pathlib import Path

from courseproj.lib.sandbox_paths import closed_folder
from labeling.sandbox.contract import SandboxUnavailable
from labeling.sandbox.tools import sandbox_ids

log = logging.getLogger(__name__)

# Where scratch directories are made (None: the system's temporary directory).
SCRATCH_PARENT: str | None = None
SCRATCH_PREFIX = "courseproj-run-"


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

    def usage(self, max_entries: int) -> tuple[int, int]:
        """(bytes on disk, entries) under the directory, stopping once max_entries + 1 were seen."""
        total, entries, stack = 0, 0, [str(self.path)]
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
