"""Sandboxes started ahead of their submission (labeling.sandbox.Prestarted; docs/performance.md):
the same sandbox as a cold run, numpy and pandas imported before the code arrives, one per
submission, limits counted from the moment the code is handed over, nothing left behind.
The malicious-submission suite runs through this path with `-p tests.perf.prestarted`."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from labeling import pipeline, sandbox, services
from labeling.models import Status
from tests.labeling.factories import STARTER_CODE, make_challenge, seed_files

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def tools():
    try:
        return sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        pytest.fail(f"The scoring sandbox is not usable here: {exc}")


@pytest.fixture
def scratch_parent(monkeypatch):
    parent = Path(tempfile.mkdtemp(prefix="cp-perf-scratch-"))
    os.chmod(parent, 0o755)
    monkeypatch.setattr(sandbox, "SCRATCH_PARENT", str(parent))
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def processes_with(marker: bytes) -> list[int]:
    """Processes on this machine whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def run_in(ready: sandbox.Prestarted, code: bytes, raw: bytes | None = None) -> tuple[sandbox.Result, bool]:
    with ready as scratch:
        scratch.add_bytes("submission.py", code)
        if raw is not None:
            scratch.add_bytes("raw_data.csv", raw)
        result = ready.run(code="submission.py", output="summarized_data.csv", inputs=["raw_data.csv"])
        wrote = (scratch.path / "summarized_data.csv").is_file()
    return result, wrote


def test_it_runs_the_starter_code_with_pandas_already_imported(tools, scratch_parent):
    raw, _ = seed_files()
    ready = sandbox.Prestarted(tools, sandbox.Limits(time_s=60, memory_mb=1024))
    time.sleep(3)  # the worker is between two submissions
    probe = b"import sys\nprint('pandas' in sys.modules, flush=True)\n" + STARTER_CODE
    result, wrote = run_in(ready, probe, raw)
    assert result.exit_code == 0 and wrote, result.stderr[-2000:]
    assert result.stdout.strip() == b"True"
    assert list(scratch_parent.iterdir()) == []


def test_an_unused_one_goes_away_with_its_scratch_directory(tools, scratch_parent):
    ready = sandbox.Prestarted(tools, sandbox.Limits(time_s=5, memory_mb=1024))
    assert ready.proc.pid and len(list(scratch_parent.iterdir())) == 1
    ready.close()
    assert ready.proc.returncode is not None
    assert list(scratch_parent.iterdir()) == []


def test_it_serves_only_the_limits_and_settings_it_was_started_with(tools, scratch_parent, monkeypatch):
    limits = sandbox.Limits(time_s=5, memory_mb=1024)
    ready = sandbox.Prestarted(tools, limits)
    try:
        assert ready.usable_for(tools, limits)
        assert not ready.usable_for(tools, sandbox.Limits(time_s=6, memory_mb=1024))
        monkeypatch.setattr(sandbox, "SCRATCH_PARENT", tempfile.gettempdir())
        assert not ready.usable_for(tools, limits)
    finally:
        ready.close()


def test_the_time_limits_count_from_the_hand_over(tools, scratch_parent):
    limits = sandbox.Limits(time_s=3, memory_mb=1024)
    probe = (
        b"import resource\n"
        b"u = resource.getrusage(resource.RUSAGE_SELF)\n"
        b"used = u.ru_utime + u.ru_stime\n"
        b"print(used, resource.getrlimit(resource.RLIMIT_CPU)[0] - used)\n"
    )
    result, _ = run_in(sandbox.Prestarted(tools, limits), probe)
    used, left = map(float, result.stdout.split())
    assert used > 0.1  # numpy and pandas were imported in this process before the code came...
    assert left >= limits.time_s  # ...and the CPU limit still leaves the code its whole time
    # Endless: stopped at the wall-clock limit, counted from the hand-over.
    result, _ = run_in(sandbox.Prestarted(tools, limits), b"while True:\n    pass\n")
    assert result.killed == "time" and limits.time_s <= result.runtime_s < limits.time_s + 2


def test_a_daemon_left_behind_dies_with_its_run(tools, scratch_parent):
    marker = f"daemon-{os.getpid()}-{time.monotonic_ns()}"
    code = (
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
        "print('parent done')\n"
    ).encode()
    result, _ = run_in(sandbox.Prestarted(tools, sandbox.Limits(time_s=5, memory_mb=1024)), code)
    assert result.exit_code == 0 and result.stdout.strip() == b"parent done"
    assert processes_with(marker.encode()) == []
    assert list(scratch_parent.iterdir()) == []


def test_the_worker_pipeline_keeps_one_ready_for_the_next_submission(people, tools, scratch_parent, monkeypatch):
    monkeypatch.setattr(pipeline, "PRESTART", True)
    challenge = make_challenge(people.course)
    first = services.submit(challenge, people.member, STARTER_CODE, "starter.py")
    second = services.submit(challenge, people.member, STARTER_CODE, "starter.py")
    try:
        assert pipeline.score(first.pk, worker="w") == Status.SCORED
        ready = pipeline._prestarted
        assert ready is not None and ready.usable_for(tools, sandbox.Limits.for_challenge(challenge))
        assert pipeline.score(second.pk, worker="w") == Status.SCORED
        assert ready.proc.returncode is not None  # used for the second one and gone
        assert pipeline._prestarted is not None and pipeline._prestarted is not ready  # the next one waits
    finally:
        pipeline.discard_prestarted()
    second.refresh_from_db()
    assert second.score == 406 / 440
    assert list(scratch_parent.iterdir()) == []
