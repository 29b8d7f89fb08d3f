"""Fixtures of the labeling tests. The sandbox ones run the real bubblewrap sandbox: they fail
(never skip) when it is not there, saying how to set it up."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from labeling import pipeline, sandbox
from labeling.sandbox import scratch as scratch_folders
from tests.labeling.factories import make_challenge


@pytest.fixture(scope="session")
def sandbox_tools():
    try:
        return sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        pytest.fail(
            f"The scoring sandbox is not usable here: {exc}\n"
            "Set it up with: bash scripts/ensure_sandbox.sh && bash scripts/build_sandbox_runtime.sh"
        )


@pytest.fixture
def scratch_parent(monkeypatch):
    """Scratch directories of this test go here, so a test can check they are removed. (Not under
    pytest's tmp_path: the sandbox user must be able to enter it, and /tmp/pytest-of-root is closed.)"""
    parent = Path(tempfile.mkdtemp(prefix="cp-scorer-scratch-"))
    os.chmod(parent, 0o755)
    monkeypatch.setattr(scratch_folders, "SCRATCH_PARENT", str(parent))
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def challenge(people):
    return make_challenge(people.course)


@pytest.fixture
def evaluate(sandbox_tools, scratch_parent):
    """evaluate(challenge, code) -> Outcome: the worker's pipeline, without the database claim."""

    def run(challenge, code: str | bytes, **kwargs):
        if isinstance(code, str):
            code = code.encode()
        outcome = pipeline.evaluate(challenge, code=code, **kwargs)
        assert list(scratch_parent.iterdir()) == [], "the scratch directory was not removed"
        return outcome

    return run
