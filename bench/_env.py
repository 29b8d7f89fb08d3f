"""Shared plumbing for the benchmarks: Django setup, the bench database, Redis, process control.

Every benchmark uses its own resources so it never touches the project's or another
helper's: COURSEPROJ_VAR_DIR=/tmp/cp-bench, the PostgreSQL database cp_bench and Redis
databases 11 and 12. To run two benchmarks at once (their numbers then disturb each other),
give one of them other ones: BENCH_NAME=x (/tmp/cp-bench-x, cp_bench_x) and
BENCH_REDIS_DBS=6,7.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NAME = os.environ.get("BENCH_NAME", "")
VAR_DIR = Path("/tmp/cp-bench" + (f"-{_NAME}" if _NAME else ""))
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "cp_bench" + (f"_{_NAME}" if _NAME else "")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URLS = tuple(
    f"redis://127.0.0.1:6379/{db.strip()}" for db in os.environ.get("BENCH_REDIS_DBS", "11,12").split(",")
)
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"


def base_env(**extra: str) -> dict[str, str]:
    """The environment of the bench's processes (and of this one, see `setup_django`)."""
    env = {
        **os.environ,
        "COURSEPROJ_VAR_DIR": str(VAR_DIR),
        "COURSEPROJ_DATA_DIR": str(VAR_DIR / "data"),
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "courseproj.settings",
        "SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


def setup_django(**extra: str) -> None:
    """Point this process at the bench database and directory, then django.setup()."""
    os.environ.update(base_env(**extra))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def recreate_database() -> None:
    """Drop and create cp_bench (nobody else uses it), then migrate it."""
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"])


def drop_database() -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def run(cmd: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=base_env(**env), check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def start(cmd: list[str], log: Path, cwd: Path = ROOT, **env: str) -> subprocess.Popen:
    """A background process in its own process group (so `stop` ends it and its children)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, cwd=cwd, env=base_env(**env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def clean_var_dir() -> None:
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True, exist_ok=True)


def machine() -> str:
    """One line describing the machine, for the report."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    load = ", load " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({cpu}){mem}{load}; Python {platform.python_version()}"


def median(values) -> float:
    return statistics.median(values)


def percentile(values, q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)
