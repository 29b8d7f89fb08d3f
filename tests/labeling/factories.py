"""Test data for the labeling challenge, shared by the scorer's and the pages' tests.

`make_challenge(course, **overrides)` builds a real challenge from the seed data in
LABELING_SEED_DIR (default labeling/seed/adjectives, in this repository) through the services;
`make_scored_submission(challenge, user, ...)` writes a finished row directly, for display tests.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.utils import timezone

from labeling import demo_data, services, storage
from labeling.models import Status, Submission, SubmissionEvent

REPO = Path(__file__).resolve().parents[2]
# Written the way the course's starter script is: pandas, majority of "Yes" over slots 1-10,
# labels written as Python's True/False.
STARTER_CODE = b"""import pandas as pd

df = pd.read_csv("raw_data.csv")
rows = []
for hit_id, group in df.groupby("HITId"):
    attr_id = group["Input.attr_id"].iloc[0]
    for i in range(1, 11):
        adj = group["Input.adj_%d" % i].iloc[0]
        yes = (group["Answer.adj_%d" % i] == "Yes").sum()
        rows.append({"attr_id": attr_id, "adj": adj, "label": yes > len(group) / 2})
pd.DataFrame(rows).to_csv("summarized_data.csv", index=False)
"""


def seed_dir() -> Path:
    path = demo_data.seed_dir()
    for name in ("raw_data.csv", "ground_truth.csv"):
        if not (path / name).is_file():
            raise RuntimeError(
                f"The labeling seed data is missing: {path / name} does not exist. "
                "Set LABELING_SEED_DIR to the folder holding raw_data.csv and ground_truth.csv."
            )
    return path


def seed_files() -> tuple[bytes, bytes]:
    """(raw_data.csv, ground_truth.csv) of the seed challenge."""
    path = seed_dir()
    return (path / "raw_data.csv").read_bytes(), (path / "ground_truth.csv").read_bytes()


def make_challenge(course, **overrides):
    """A challenge made from the seed data, open now; any create_challenge argument can be overridden."""
    raw, gold = seed_files()
    args = {
        "slug": "adjectives",
        "title": "Adjectives and attributes",
        "inputs": [("raw_data.csv", raw)],
        "gold": gold,
        "key_columns": "attr_id,adj",
        "label_column": "label",
        "output_filename": "summarized_data.csv",
        "metric": "accuracy",
        "public_fraction": 0.5,
        "split_seed": 0,
        "instructions": "Aggregate the crowd's answers into one label per (attribute, adjective).",
    }
    args.update(overrides)
    return services.create_challenge(course, **args)


def make_scored_submission(
    challenge,
    user=None,
    *,
    public_score: float | None = 0.9,
    private_score: float | None = None,
    score: float | None = None,
    status: str = Status.SCORED,
    created_at: datetime.datetime | None = None,
    participant: str | None = None,
    benchmark_name: str = "",
    code: bytes = b"print('hello')\n",
    **fields,
) -> Submission:
    """A finished submission row written directly (no sandbox), for pages and leaderboard tests."""
    path, digest = storage.write_blob("code", code, suffix=".py")
    if participant is None:
        participant = f"b:{benchmark_name}" if benchmark_name else services.participant_for(challenge, user)
    now = timezone.now()
    created_at = created_at or now
    scored = status == Status.SCORED
    team_id = int(participant[2:]) if participant.startswith("t:") else None
    sub = Submission.objects.create(
        challenge=challenge,
        submitter=user,
        team_id=team_id,
        participant=participant,
        is_benchmark=bool(benchmark_name),
        benchmark_name=benchmark_name,
        code_path=path,
        code_sha256=digest,
        code_size=len(code),
        original_filename="solution.py",
        status=status,
        public_score=public_score if scored else None,
        private_score=(private_score if private_score is not None else public_score) if scored else None,
        score=(score if score is not None else public_score) if scored else None,
        runtime_s=1.5 if status not in (Status.QUEUED, Status.RUNNING) else None,
        queued_at=created_at,
        finished_at=created_at if status not in (Status.QUEUED, Status.RUNNING) else None,
        message="" if scored else fields.pop("message", "The code exited with status 1."),
        **fields,
    )
    # created_at is auto_now_add: set it afterwards so tests can place submissions in time.
    Submission.objects.filter(pk=sub.pk).update(created_at=created_at)
    sub.refresh_from_db()
    SubmissionEvent.objects.create(submission=sub, from_status="", to_status=status, note="test data")
    return sub
