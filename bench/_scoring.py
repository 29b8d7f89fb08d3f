"""Shared parts of the scoring benchmarks: the seed challenge, submitters, real Celery workers
on Redis, submitting through the service and waiting for the database to say "done".

Times come from the database rows themselves: `created_at` (the row is stored, inside
services.submit's transaction) and `finished_at` (set by services.finish_submission in the
transaction that stores the scores), both from the same clock, so no polling delay is
counted. `started_at` (the claim) and `runtime_s` (the sandboxed process, start to exit)
split the time into waiting, running and the rest.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import _env

REFERENCE = _env.ROOT / "labeling" / "reference_solutions" / "majority_vote.py"
# What the memory benchmark mixes in: code that crashes, and code that writes the wrong table.
FAILING_CODE = b"import pandas as pd\nraw = pd.read_csv('raw_data.csv')\nraise SystemExit('bench: no luck')\n"
INVALID_CODE = b"import pandas as pd\npd.DataFrame({'x': [1, 2]}).to_csv('summarized_data.csv', index=False)\n"


def worker_env(broker_url: str) -> dict[str, str]:
    # Persistent database connections, as for the web servers (bench/pages.py).
    return {"CELERY_BROKER_URL": broker_url, "DB_CONN_MAX_AGE": "60"}


def setup(broker_url: str) -> None:
    """Django on the bench database, recreated, and the Redis database emptied."""
    _env.setup_django(**worker_env(broker_url))
    _env.clean_var_dir()
    _env.recreate_database()
    _env.flush_redis(broker_url)


@dataclass
class Seed:
    course: object
    challenge: object
    students: list


def make_seed(students: int = 1, **challenge_fields) -> Seed:
    """A course, `students` students and the seed challenge (tests/labeling/factories.py, through
    labeling.services.create_challenge), open now."""
    from django.contrib.auth import get_user_model

    from courses.models import Course, Membership, Role
    from tests.labeling.factories import make_challenge

    course = Course.objects.create(slug="bench-scoring", title="Bench scoring")
    User = get_user_model()
    users = []
    for i in range(students):
        email = f"scorer{i:03d}@bench.example"
        users.append(User.objects.create_user(username=email, email=email, password=None))
        Membership.objects.create(user=users[-1], course=course, role=Role.STUDENT)
    challenge = make_challenge(course, **challenge_fields)
    return Seed(course=course, challenge=challenge, students=users)


def reference_code(variant: int | None = None) -> bytes:
    """The majority-vote reference solution; `variant` adds a comment so each file is its own blob."""
    code = REFERENCE.read_bytes()
    return code if variant is None else code + f"\n# bench variant {variant}\n".encode()


def submit(challenge, user, code: bytes, name: str = "majority_vote.py"):
    from labeling import services

    return services.submit(challenge, user, code, name)


def wait_terminal(ids, timeout: float = 600, interval: float = 0.05) -> list:
    """Wait until every submission in `ids` is terminal; return them (fresh from the database).
    The interval only decides when the caller goes on: measured times come from the rows."""
    from labeling.models import TERMINAL_STATUSES, Submission

    ids = list(ids)
    deadline = time.monotonic() + timeout
    while True:
        rows = list(Submission.objects.filter(pk__in=ids).order_by("pk"))
        if len(rows) == len(ids) and all(r.status in TERMINAL_STATUSES for r in rows):
            return rows
        if time.monotonic() > deadline:
            waiting = {r.pk: r.status for r in rows if r.status not in TERMINAL_STATUSES}
            raise RuntimeError(f"not terminal after {timeout} s: {waiting}")
        time.sleep(interval)


def seconds(a: datetime.datetime, b: datetime.datetime) -> float:
    return (b - a).total_seconds()


def stored_to_scored(sub) -> float:
    return seconds(sub.created_at, sub.finished_at)


class Workers:
    """Celery worker nodes on `broker_url` (each `concurrency` processes), started and stopped together."""

    def __init__(self, broker_url: str, names: list[str], concurrency: int = 1, app: str = "courseproj"):
        self.broker_url = broker_url
        self.app = app
        self.names = names
        self.concurrency = concurrency
        self.procs: list = []

    def log(self, name: str) -> Path:
        return _env.VAR_DIR / f"celery-{name}.log"

    def __enter__(self) -> Workers:
        for name in self.names:
            cmd = [
                sys.executable, "-m", "celery", "-A", self.app, "worker", "-l", "info",
                "-c", str(self.concurrency), "-n", f"{name}@%h",
            ]  # fmt: skip
            self.procs.append(_env.start(cmd, self.log(name), **worker_env(self.broker_url)))
        deadline = time.monotonic() + 120
        for name, proc in zip(self.names, self.procs, strict=True):
            while " ready." not in self.log(name).read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"worker {name} did not start:\n{self.log(name).read_text()[-3000:]}")
                time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            _env.stop(proc)

    def pool_pids(self) -> list[int]:
        """The pool processes (prefork children) of every node: they run the tasks."""
        pids = []
        for proc in self.procs:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
            pids += [int(p) for p in children.read_text().split()] if children.exists() else []
        return pids


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process has had, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def sandbox_ready() -> str | None:
    """Why the sandbox cannot run here (None if it can)."""
    from labeling import sandbox

    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        return str(exc)
    return None


def cpu_count() -> int:
    return os.cpu_count() or 1
