"""Real services for tests: Redis and Celery workers. They start what they need or fail loudly."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server():
    """Yield a Redis URL: the one in TEST_REDIS_URL / 127.0.0.1:6379, else a redis-server we start."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if _port_open(host, int(port or 6379)):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            f"Redis is not reachable at {url} and redis-server is not installed (apt-get install redis-server)."
        )
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _port_open("127.0.0.1", port):
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not start within 10 s")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/15"
    finally:
        proc.terminate()
        proc.wait(10)


def test_database_url() -> str:
    """The URL of the database this test session uses, for processes the tests start."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # not a test, despite the name


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path):
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def celery_worker(broker_url: str, *, env: dict | None = None, concurrency: int = 1, name: str = "test", queues=None):
    """Run a real `celery worker` process against the test database; stop it (and its children) after."""
    log = Path(tempfile.mkstemp(prefix=f"celery-{name}-", suffix=".log")[1])
    worker_env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "courseproj.settings",
        **(env or {}),
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "courseproj", "worker", "-l", "info",
        "-c", str(concurrency), "-n", f"{name}@%h", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    if queues:
        cmd += ["-Q", ",".join(queues)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=worker_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = Worker(proc, log)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in worker.output():
            if proc.poll() is not None:
                pytest.fail(f"The Celery worker exited with {proc.returncode}:\n{worker.output()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"The Celery worker was not ready within 60 s:\n{worker.output()[-3000:]}")
            time.sleep(0.1)
        yield worker
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    import signal

    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait_for(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout} s waiting for {message}")
