"""A pytest plugin: every run of the scoring pipeline goes through a sandbox started ahead
(labeling.sandbox.Prestarted, what Celery workers use), so the unchanged sandbox and
malicious-submission suites check that path as well:

    pytest -p tests.perf.prestarted tests/labeling/test_malicious.py tests/labeling/test_sandbox.py
"""

import pytest


@pytest.fixture(autouse=True)
def _every_run_through_a_prestarted_sandbox(monkeypatch):
    from labeling import pipeline, sandbox

    monkeypatch.setattr(pipeline, "_take_prestarted", lambda tools, limits: sandbox.Prestarted(tools, limits))
