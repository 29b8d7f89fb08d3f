"""Where the scoring sandbox's runtime lives when SANDBOX_RUNTIME_DIR is not set.

One rule, read by the settings and by scripts/build_sandbox_runtime.sh (which runs this file as
a script: it imports nothing of Django or the project). The runtime must be readable by the
sandbox user (SANDBOX_UID, 65534 by default) that submitted code runs as when the worker is
root. The checkout's own `.sandbox-runtime/` is used when that user can reach it; a checkout in
a private folder (root's home is mode 0700, and so is a `mktemp -d` folder) gets a runtime of its
own under /var/lib/courseproj/, named after the checkout's path, made with modes every user can
read. A worker that is not root runs code as its own uid, so its checkout is always reachable.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

DEFAULT_SANDBOX_UID = 65534
SHARED_PARENT = Path("/var/lib/courseproj")


def closed_folder(path: Path, uid: int, gid: int, read: bool = True) -> Path | None:
    """The first folder on the way to `path` that uid:gid cannot enter (or, with `read`, list), or None."""
    if uid == 0:
        return None
    for folder in [*reversed(path.parents), path]:
        st = folder.stat()
        last = read and folder == path
        if st.st_uid == uid:
            bits = stat.S_IXUSR | (stat.S_IRUSR if last else 0)
        elif st.st_gid == gid:
            bits = stat.S_IXGRP | (stat.S_IRGRP if last else 0)
        else:
            bits = stat.S_IXOTH | (stat.S_IROTH if last else 0)
        if st.st_mode & bits != bits:
            return folder
    return None


def default_runtime_dir(checkout: Path, sandbox_uid: int = DEFAULT_SANDBOX_UID) -> Path:
    """`checkout/.sandbox-runtime` if the sandbox user can reach the checkout, else a folder of
    this checkout's own under /var/lib/courseproj (only when root: only root drops to that user)."""
    checkout = checkout.resolve()
    local = checkout / ".sandbox-runtime"
    if os.geteuid() != 0 or closed_folder(checkout, sandbox_uid, sandbox_uid, read=False) is None:
        return local
    digest = hashlib.sha256(str(checkout).encode()).hexdigest()[:12]
    return SHARED_PARENT / f"sandbox-runtime-{checkout.name}-{digest}"


if __name__ == "__main__":
    # python courseproj/lib/sandbox_paths.py CHECKOUT: the runtime folder to build in.
    uid = int(os.environ.get("SANDBOX_UID") or DEFAULT_SANDBOX_UID)
    print(default_runtime_dir(Path(sys.argv[1]), uid))
