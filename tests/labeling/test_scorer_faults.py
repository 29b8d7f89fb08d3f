"""A fault of the scorer is never the student's: with the sandbox missing, refused or broken the
submission waits in the queue (nothing failed, nothing lost), staff see why and what to run, and
once the sandbox works again the waiting submissions are scored. A student's own crash is still
theirs. All with the real bubblewrap sandbox and real (broken) runtimes."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from labeling import health, pipeline, sandbox, services
from labeling.models import ScorerProblem, Status, Submission
from labeling.sandbox import tools as sandbox_host
from labeling.sandbox.runtime import load_runtime
from tests.labeling.factories import STARTER_CODE, make_challenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def runtime_copy(sandbox_tools, settings):
    """make(**manifest changes) -> a runtime folder (readable by the sandbox user) whose base and
    venv are the real build's, with a manifest changed as asked; SANDBOX_RUNTIME_DIR points to it."""
    made = []

    def make(**changes):
        folder = Path(tempfile.mkdtemp(prefix="cp-broken-runtime-"))
        os.chmod(folder, 0o755)
        made.append(folder)
        build = folder / "builds" / "copy"
        build.mkdir(parents=True)
        real = sandbox_tools.runtime.root
        for part in ("base", "venv"):
            (build / part).symlink_to(real / part)
        manifest = {**sandbox_tools.runtime.manifest, **changes}
        (build / "manifest.json").write_text(json.dumps(manifest))
        for path in (folder / "builds", build):
            os.chmod(path, 0o755)
        (folder / "current").symlink_to("builds/copy")
        settings.SANDBOX_RUNTIME_DIR = folder
        return folder

    yield make
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def submission(people):
    challenge = make_challenge(people.course)
    return services.submit(challenge, people.member, STARTER_CODE, "starter.py")


class TestWhatIsTheScorersFault:
    def test_no_bubblewrap(self, challenge, evaluate, tmp_path, monkeypatch, scratch_parent):
        monkeypatch.setattr(sandbox_host, "TOOL_PATH", str(tmp_path))  # a folder without bwrap
        with pytest.raises(pipeline.ScorerFault, match="bubblewrap \\(bwrap\\) is not installed"):
            evaluate(challenge, "open('/scratch/ran', 'w')\n")
        assert list(scratch_parent.iterdir()) == []

    def test_no_runtime(self, challenge, evaluate, tmp_path, settings):
        settings.SANDBOX_RUNTIME_DIR = tmp_path / "no-runtime"
        with pytest.raises(pipeline.ScorerFault, match="The sandbox runtime is not built.*build_sandbox_runtime.sh"):
            evaluate(challenge, "print(1)\n")

    def test_a_stale_runtime(self, challenge, evaluate, runtime_copy):
        runtime_copy(packages={**load_runtime().packages, "numpy": "1.0.0"})
        with pytest.raises(pipeline.ScorerFault, match="stale \\(numpy 1.0.0, requirements.txt pins"):
            evaluate(challenge, "print(1)\n")

    def test_a_runtime_of_an_older_layout(self, challenge, evaluate, runtime_copy):
        runtime_copy(layout=1)
        with pytest.raises(pipeline.ScorerFault, match="older layout"):
            evaluate(challenge, "print(1)\n")

    def test_the_loader_failing_before_the_first_line(self, challenge, evaluate, runtime_copy):
        # No system library folder mounted: the interpreter cannot load libc/libm.
        runtime_copy(libdirs=[])
        with pytest.raises(pipeline.ScorerFault) as caught:
            evaluate(challenge, "open('ran', 'w')\n")
        message = str(caught.value)
        assert "stopped before the submission started" in message
        assert "error while loading shared libraries" in message


class TestWhatIsTheStudentsFault:
    def test_a_missing_module(self, challenge, evaluate):
        outcome = evaluate(challenge, "import nonexistent_module\n")
        assert outcome.status == Status.FAILED
        assert "exit status 1" in outcome.message
        assert "ModuleNotFoundError: No module named 'nonexistent_module'" in outcome.log_tail

    def test_an_exit_status_of_its_own(self, challenge, evaluate):
        outcome = evaluate(challenge, "import sys\nprint('giving up', file=sys.stderr)\nsys.exit(3)\n")
        assert outcome.status == Status.FAILED
        assert "exit status 3" in outcome.message and "giving up" in outcome.log_tail

    def test_openblas_out_of_memory_is_memory_exceeded(self):
        # What OpenBLAS prints when its per-thread buffers do not fit under the address-space limit.
        result = sandbox.Result(
            exit_code=1, started=True, stderr=b"OpenBLAS error: Memory allocation still failed after 10 retries\n"
        )
        status, message = pipeline.judge(result, sandbox.Limits(time_s=10, memory_mb=768))
        assert status == Status.MEMORY_EXCEEDED and "768 MB" in message


class TestPausedSubmissions:
    def test_it_goes_back_to_the_queue_and_staff_are_told(self, submission, people, runtime_copy, caplog):
        runtime_copy(libdirs=[])
        with caplog.at_level("ERROR", logger="labeling.pipeline"):
            assert pipeline.score(submission.pk, worker="w1@host:job-1") == "paused"
            assert pipeline.score(submission.pk, worker="w1@host:job-2") == "paused"
        submission.refresh_from_db()
        assert submission.status == Status.QUEUED
        assert submission.attempts == 0 and submission.worker == "" and submission.score is None
        assert submission.message.startswith("Scoring is paused: the scorer cannot run code right now")
        assert "not a problem of your code" in submission.message
        assert [e.to_status for e in submission.events.all()][-4:] == ["running", "queued", "running", "queued"]
        (problem,) = ScorerProblem.objects.all()
        assert problem.worker == "w1@host" and "stopped before the submission started" in problem.problem
        # One clear error for the problem, not one per submission.
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "Scoring is paused on w1@host" in errors[0].getMessage()

    def test_the_sweeper_fails_nothing_while_scoring_is_paused(self, submission, settings):
        settings.SCORING_QUEUE_TIMEOUT_SECONDS = 0
        settings.SCORING_MAX_ATTEMPTS = 1
        health.report_problem("w1@host", "the sandbox runtime is not built")
        for _ in range(3):
            services.sweep_submissions()
        submission.refresh_from_db()
        assert submission.status == Status.QUEUED and submission.requeues == 0
        # Without a problem recorded, a job nobody takes is failed as before (the scorer is down).
        health.clear_problem("w1@host")
        services.sweep_submissions()
        submission.refresh_from_db()
        assert submission.status == Status.FAILED and "No scoring worker picked" in submission.message

    def test_a_working_worker_clears_the_problem_and_sends_the_waiting_again(
        self, submission, people, runtime_copy, settings, django_capture_on_commit_callbacks, scratch_parent
    ):
        good = settings.SANDBOX_RUNTIME_DIR
        runtime_copy(libdirs=[])
        assert pipeline.self_check("w1@host") is None
        assert ScorerProblem.objects.filter(worker="w1@host").exists()
        other = services.submit(submission.challenge, people.teammate, STARTER_CODE, "starter.py")
        settings.SANDBOX_RUNTIME_DIR = good  # rebuilt
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report = pipeline.self_check("w1@host")
        assert report is not None and report.python == load_runtime().python
        assert not ScorerProblem.objects.exists()
        assert len(callbacks) == 2  # both waiting submissions sent to the workers again
        assert pipeline.score(submission.pk, worker="w1@host:job") == Status.SCORED
        assert pipeline.score(other.pk, worker="w1@host:job") == Status.SCORED
        assert Submission.objects.get(pk=submission.pk).score == 406 / 440

    def test_scoring_anything_clears_the_workers_problem(self, submission, people, scratch_parent):
        health.report_problem("w1@host", "the sandbox runtime is not built")
        health.report_problem("w2@other", "bubblewrap is missing")
        assert pipeline.score(submission.pk, worker="w1@host:job") == Status.SCORED
        assert list(ScorerProblem.objects.values_list("worker", flat=True)) == ["w2@other"]


class TestTheBanner:
    def test_staff_see_why_and_what_to_run(self, submission, people, client_for):
        health.report_problem("w1@host", "The sandbox runtime is not built (/x/current: FileNotFoundError)")
        challenge = submission.challenge
        for url in (
            reverse("labeling:staff_submissions", args=[people.course.slug, challenge.slug]),
            reverse("courses:home", args=[people.course.slug]),
        ):
            page = client_for(people.ta).get(url).content.decode()
            assert 'id="scorer-paused"' in page, url
            assert "Scoring is paused." in page and "w1@host" in page
            assert "The sandbox runtime is not built" in page and "make sandbox" in page

    def test_students_do_not_see_it_and_no_one_does_when_all_works(self, submission, people, client_for):
        home = reverse("courses:home", args=[people.course.slug])
        assert 'id="scorer-paused"' not in client_for(people.ta).get(home).content.decode()
        health.report_problem("w1@host", "bubblewrap is missing")
        assert 'id="scorer-paused"' not in client_for(people.member).get(home).content.decode()


class TestOperatorCommands:
    def test_check_sandbox_says_what_works(self, sandbox_tools, capsys):
        call_command("check_sandbox")
        out = capsys.readouterr().out
        parts = ("bubblewrap", "system-call filter", "memory accounting", "user namespaces", "sandbox user", "runtime")
        for part in (*parts, "packages", "trivial submission"):
            assert f"ok   {part}" in out, out
        assert f"Python {sandbox_tools.runtime.python}" in out and "numpy 2." in out
        assert "The sandbox works" in out

    def test_check_sandbox_says_what_does_not(self, runtime_copy, capsys):
        runtime_copy(libdirs=[])
        with pytest.raises(CommandError, match="cannot run submissions here"):
            call_command("check_sandbox")
        out = capsys.readouterr().out
        assert "ok   runtime" in out
        assert "FAIL trivial submission" in out and "error while loading shared libraries" in out

    def test_score_file_reports_a_scorer_fault_as_not_run(self, submission, settings, tmp_path, capsys):
        settings.SANDBOX_RUNTIME_DIR = tmp_path / "none"
        code = tmp_path / "starter.py"
        code.write_bytes(STARTER_CODE)
        challenge = submission.challenge
        with pytest.raises(CommandError, match="cannot run code on this machine"):
            call_command("score_file", challenge.course.slug, challenge.slug, str(code), "--json")
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert result["status"] == "failed" and result["error"].startswith("Not run: The sandbox runtime is not built")
