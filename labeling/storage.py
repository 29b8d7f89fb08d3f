"""Files of the labeling challenge under settings.DATA_DIR: inputs, hidden gold, submitted code.

Content-addressed (the path is the SHA-256 of the bytes), written atomically, never changed
afterwards: a file written for a transaction that rolls back is an orphan, never a wrong
file, and two identical uploads share one file. Nothing here is served directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings

KINDS = ("data", "code")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_root() -> Path:
    return Path(settings.DATA_DIR)


def absolute(relative: str) -> Path:
    """The absolute path of a stored relative path; refuses paths that leave DATA_DIR."""
    root = data_root().resolve()
    path = (root / relative).resolve()
    if not relative or not path.is_relative_to(root):
        raise ValueError(f"{relative!r} is not a path inside the data directory")
    return path


def write_blob(kind: str, data: bytes, suffix: str = "") -> tuple[str, str]:
    """Store `data`; return (path relative to DATA_DIR, sha256)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    digest = sha256(data)
    relative = f"labeling/{kind}/{digest[:2]}/{digest}{suffix}"
    path = data_root() / relative
    if path.is_file() and path.stat().st_size == len(data):
        return relative, digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return relative, digest


def read_blob(relative: str, expected_sha256: str | None = None) -> bytes:
    """The bytes of a stored file; with `expected_sha256`, refuse a file that changed on disk."""
    data = absolute(relative).read_bytes()
    if expected_sha256 and sha256(data) != expected_sha256:
        raise OSError(f"{relative} does not match its recorded checksum; the data directory was changed")
    return data
