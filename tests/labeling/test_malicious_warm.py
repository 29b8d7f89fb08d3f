"""The malicious-submission suite again, every run through the warm fork server Celery workers
use (labeling/sandbox/warm.py): each attack runs as a child of a server that the attacks before it
ran in, must end exactly as in a sandbox of its own, and must leave nothing for the next one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from labeling import pipeline, sandbox
from labeling.sandbox import scratch as scratch_folders
from tests.labeling.test_malicious import *  # noqa: F403 (the same tests, collected again here)


@pytest.fixture(scope="module")
def _warm_scratch_parent():
    parent = Path(tempfile.mkdtemp(prefix="cp-warm-scratch-"))
    os.chmod(parent, 0o755)
    yield parent
    pipeline.warm_sandbox.discard()
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def scratch_parent(monkeypatch, _warm_scratch_parent):
    """One folder for the whole module, so the server (and its scratch directory) outlives a test."""
    monkeypatch.setattr(scratch_folders, "SCRATCH_PARENT", str(_warm_scratch_parent))
    return _warm_scratch_parent


@pytest.fixture(autouse=True)
def _warm_workers(monkeypatch, scratch_parent):
    monkeypatch.setattr(pipeline.warm_sandbox, "enabled", True)


@pytest.fixture
def evaluate(sandbox_tools, scratch_parent):
    """As the cold suite's, through the warm server: the server is replaced, as a worker replaces
    it, when a run retired it; afterwards only the server's own scratch directory is left, empty."""

    def run(challenge, code: str | bytes, **kwargs):
        if isinstance(code, str):
            code = code.encode()
        pipeline.warm_sandbox.warm_up(challenge)
        server = pipeline.warm_sandbox.server
        assert server is not None and server.usable_for(sandbox_tools, sandbox.Limits.for_challenge(challenge))
        outcome = pipeline.evaluate(challenge, code=code, **kwargs)
        pipeline.warm_sandbox.warm_up(challenge)
        current = pipeline.warm_sandbox.server
        assert list(scratch_parent.iterdir()) == [current.scratch.path]
        assert os.listdir(current.scratch.path) == [], "the scratch directory was not emptied"
        return outcome

    return run


class TestReading(TestReading):  # noqa: F405
    """Two checks differ by design in a shared sandbox: the PIDs (the server is PID 1, each child
    gets the next PID) and the scratch directory (the server's own stays, emptied)."""

    def test_it_cannot_see_other_processes(self, hostile, evaluate, token):
        code = (
            "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\nprint('PIDS', sorted(pids))\n"
            "print('ME', os.getpid(), 'PARENT', os.getppid())\n"
            "for p in pids:\n    print(p, open(f'/proc/{p}/cmdline', 'rb').read()[:60])\n"
            f"print('HOST', os.path.exists('/proc/{os.getpid()}'))\n"
        )
        evaluate(hostile, "print('an earlier submission')\n")
        outcome = evaluate(hostile, code)
        me = outcome.log_tail.split("ME ")[1].split()[0]
        assert f"PIDS {sorted(['1', me])}" in outcome.log_tail, outcome.log_tail  # the server and itself
        assert f"ME {me} PARENT 1" in outcome.log_tail and "HOST False" in outcome.log_tail
        assert_clean(outcome, token)  # noqa: F405

    def test_another_participants_code_is_out_of_reach(self, hostile, people, token, sandbox_tools, scratch_parent):
        first = services.submit(  # noqa: F405
            hostile,
            people.member,
            f"SECRET = {token!r}\n".encode() + VALID_OUTPUT.encode(),  # noqa: F405
            "a.py",
        )
        assert pipeline.score(first.pk, worker="w") == Status.SCORED  # noqa: F405
        server = pipeline.warm_sandbox.server
        services.update_challenge(hostile, time_limit_s=30)  # noqa: F405
        code_file = str(storage.absolute(first.code_path))  # noqa: F405
        second = services.submit(hostile, people.outsider, search_program(token, [code_file]).encode(), "b.py")  # noqa: F405
        assert pipeline.score(second.pk, worker="w") == Status.INVALID_OUTPUT  # noqa: F405
        second.refresh_from_db()
        assert "CLEAN []" in second.log_tail and "VISIBLE" not in second.log_tail
        assert token not in second.log_tail
        assert server.broken == "closed"  # the time limit changed: the second ran in a new server
        # Nothing of either run is left on disk: only the current server's scratch directory, empty.
        assert list(scratch_parent.iterdir()) == [pipeline.warm_sandbox.server.scratch.path]
        assert os.listdir(pipeline.warm_sandbox.server.scratch.path) == []
