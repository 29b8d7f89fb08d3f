"""The operator commands of DESIGN.md: create_challenge, score_file, make_demo_challenge."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from labeling import demo_data
from labeling.models import Challenge, Status, Submission
from tests.labeling.factories import STARTER_CODE, seed_dir
from tests.services import test_database_url

REPO = Path(__file__).resolve().parents[2]
JSON_KEYS = ["status", "score", "public_score", "private_score", "error", "runtime_s"]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def create_args(slug="adj", gold=None):
    data = seed_dir()
    return [
        "create_challenge", "dl-fall", slug, "--title", "Adjectives", "--input", str(data / "raw_data.csv"),
        "--gold", str(gold or data / "ground_truth.csv"), "--keys", "attr_id,adj", "--label", "label",
        "--output", "summarized_data.csv", "--metric", "accuracy", "--public-fraction", "0.5", "--split-seed", "0",
        "--time-limit", "30", "--memory-limit", "1024",
    ]  # fmt: skip


@pytest.mark.django_db
class TestCreateChallenge:
    def test_it_creates_the_challenge(self, people):
        out = run(*create_args())
        assert "Created challenge adj in dl-fall: 440 gold rows, inputs raw_data.csv" in out
        challenge = Challenge.objects.get(slug="adj")
        assert (challenge.time_limit_s, challenge.memory_limit_mb, challenge.keys) == (30, 1024, ["attr_id", "adj"])

    def test_it_lists_every_problem_and_creates_nothing(self, people, tmp_path):
        bad = tmp_path / "gold.csv"
        bad.write_text("attr_id,adj,label\na,x,TRUE\na,x,FALSE\nb,y,\n")
        with pytest.raises(CommandError) as info:
            run(*create_args(gold=bad))
        assert "Line 3 repeats the key (a, x) of line 2." in str(info.value)
        assert "Line 4 of the gold has no label." in str(info.value)
        assert not Challenge.objects.exists()

    def test_an_unknown_course_is_an_error(self, db):
        with pytest.raises(CommandError, match="No course has the slug dl-fall"):
            run(*create_args())


@pytest.mark.django_db
class TestScoreFile:
    def test_the_last_line_is_the_json_result(self, people, sandbox_tools, tmp_path):
        run(*create_args())
        starter = tmp_path / "starter.py"
        starter.write_bytes(STARTER_CODE)
        out = run("score_file", "dl-fall", "adj", str(starter), "--json")
        result = json.loads(out.strip().splitlines()[-1])
        assert list(result) == JSON_KEYS
        assert result["status"] == "scored" and result["error"] is None
        assert (result["score"], result["public_score"], result["private_score"]) == (406 / 440, 201 / 220, 205 / 220)
        assert result["runtime_s"] > 0
        assert not Submission.objects.exists()  # nothing is stored

    def test_a_failure_has_its_message_as_the_error(self, people, sandbox_tools, tmp_path):
        run(*create_args())
        broken = tmp_path / "broken.py"
        broken.write_text("import pandas as pd\npd.read_csv('missing.csv')\n")
        out = run("score_file", "dl-fall", "adj", str(broken))
        assert out.startswith("status: failed\n") and "FileNotFoundError" in out
        result = json.loads(out.strip().splitlines()[-1])
        assert result["status"] == "failed" and result["score"] is None
        assert result["error"].startswith("The code stopped with exit status 1")


@pytest.mark.django_db(transaction=True)
def test_score_file_runs_as_its_own_process_without_a_broker(people, sandbox_tools, tmp_path):
    run(*create_args())
    starter = tmp_path / "starter.py"
    starter.write_bytes(STARTER_CODE)
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # nothing listens there: no broker is used
        "COURSEPROJ_DATA_DIR": str(settings.DATA_DIR),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "score_file", "dl-fall", "adj", str(starter), "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "scored" and result["score"] == 406 / 440


class TestDemoData:
    def test_it_is_deterministic_by_seed(self):
        assert demo_data.generate(3) == demo_data.generate(3)
        assert demo_data.generate(3) != demo_data.generate(4)

    def test_it_has_the_layout_of_the_real_data(self):
        raw, gold = demo_data.generate(0)
        real_header = (seed_dir() / "raw_data.csv").read_text().splitlines()[0]
        assert raw.decode().splitlines()[0] == real_header
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        tasks: dict[str, list[dict]] = {}
        for row in rows:
            tasks.setdefault(row["HITId"], []).append(row)
        assert {len(workers) for workers in tasks.values()} == {3}  # three workers per task
        for row in rows:
            belongs = demo_data.ATTRIBUTES[row["Input.attr_id"]][2]
            assert all(row[f"Input.adj_{i}"] in belongs for i in range(11, 16))  # gold slots: always true
            assert row["Input.adj_16"] in demo_data.UNRELATED  # always false
        gold_rows = list(csv.DictReader(io.StringIO(gold.decode())))
        assert len(gold_rows) == 300 and {r["label"] for r in gold_rows} == {"TRUE", "FALSE"}

    def test_the_crowd_has_spammers_clickers_and_rushers(self):
        raw, _ = demo_data.generate(0)
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        answers: dict[str, set] = {}
        for row in rows:
            answers.setdefault(row["WorkerId"], set()).update(row[f"Answer.adj_{i}"] for i in range(1, 17))
        assert any(seen == {"No"} for seen in answers.values())  # always "No"
        assert min(int(row["WorkTimeInSeconds"]) for row in rows) < 10  # too fast to have read it


@pytest.mark.django_db
def test_make_demo_challenge_sets_up_the_benchmarks_scored(people, sandbox_tools, tmp_path):
    out = run("make_demo_challenge", "dl-fall", "--out", str(tmp_path))
    written = ((tmp_path / "raw_data.csv").read_bytes(), (tmp_path / "ground_truth.csv").read_bytes())
    assert written == demo_data.generate(0)
    assert "Demo challenge crowd-adjectives in dl-fall: 300 gold rows." in out
    challenge = Challenge.objects.get(slug=demo_data.DEMO_SLUG)
    benchmarks = {s.benchmark_name: (s.status, s.score) for s in challenge.submissions.filter(is_benchmark=True)}
    assert benchmarks == {
        "Majority vote (baseline)": (Status.SCORED, 275 / 300),
        "Weighted vote (worker accuracy on gold slots)": (Status.SCORED, 276 / 300),
        "Dawid-Skene EM": (Status.SCORED, 280 / 300),
    }
    assert challenge.hints.count() == 3
    run("make_demo_challenge", "dl-fall")  # a second time changes nothing
    assert Challenge.objects.count() == 1 and Submission.objects.count() == 3
