"""The labeling challenge's part of `seed_demo`: the scorer's demo challenge (simulated crowd,
reference solutions scored) plus a few students' submissions, scored now through the same
sandboxed pipeline the workers use, so the leaderboard of `make run` is populated; and beside it
the course's real "Adjectives and Attribute Matching" challenge with the reference solutions."""

from __future__ import annotations

import datetime
import logging

from django.db.models import F
from django.utils import timezone

log = logging.getLogger(__name__)

STARTER = b"""import pandas as pd

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

WEIGHTED = """\"\"\"Each vote counts by the worker's accuracy on the gold slots 11-16.\"\"\"
import pandas as pd

raw = pd.read_csv("raw_data.csv")
checks = {**{i: "Yes" for i in range(11, 16)}, 16: "No"}
raw["weight"] = sum((raw["Answer.adj_%d" % i] == want).astype(float) for i, want in checks.items()) / len(checks)
rows = []
for _, task in raw.groupby("HITId"):
    total = task["weight"].sum() or 1.0
    for i in range(1, 11):
        yes = task.loc[task["Answer.adj_%d" % i] == "Yes", "weight"].sum()
        rows.append({"attr_id": task["Input.attr_id"].iloc[0], "adj": task["Input.adj_%d" % i].iloc[0],
                     "label": yes > THRESHOLD * total})
pd.DataFrame(rows).to_csv("summarized_data.csv", index=False)
"""

DROP_CARELESS = """\"\"\"Majority vote without the workers who miss more than MAX_MISSES of the gold slots.\"\"\"
import pandas as pd

raw = pd.read_csv("raw_data.csv")
misses = sum((raw["Answer.adj_%d" % i] != "Yes").astype(int) for i in range(11, 16))
misses += (raw["Answer.adj_16"] != "No").astype(int)
raw["keep"] = misses <= MAX_MISSES
rows = []
for _, task in raw.groupby("HITId"):
    voters = task[task["keep"]] if task["keep"].any() else task
    for i in range(1, 11):
        yes = (voters["Answer.adj_%d" % i] == "Yes").sum()
        rows.append({"attr_id": task["Input.attr_id"].iloc[0], "adj": task["Input.adj_%d" % i].iloc[0],
                     "label": yes > len(voters) / 2})
pd.DataFrame(rows).to_csv("summarized_data.csv", index=False)
"""

ANY_YES = b"""import pandas as pd


def aggregate(raw: pd.DataFrame) -> pd.DataFrame:
    \"\"\"One "Yes" is enough.\"\"\"
    rows = []
    for _, task in raw.groupby("HITId"):
        for i in range(1, 11):
            rows.append({"attr_id": task["Input.attr_id"].iloc[0], "adj": task["Input.adj_%d" % i].iloc[0],
                         "label": bool((task["Answer.adj_%d" % i] == "Yes").any())})
    return pd.DataFrame(rows)
"""

UNANIMOUS = b"""import pandas as pd

raw = pd.read_csv("raw_data.csv")
rows = []
for _, task in raw.groupby("HITId"):
    for i in range(1, 11):
        votes = task["Answer.adj_%d" % i]
        rows.append({"attr_id": task["Input.attr_id"].iloc[0], "adj": task["Input.adj_%d" % i].iloc[0],
                     "label": bool((votes == "Yes").all())})
pd.DataFrame(rows).to_csv("summarized_data.csv", index=False)
"""

# Off by one: there is no slot 17, so this stops with a KeyError (a failed run, shown with its log).
CRASHES = STARTER.replace(b"range(1, 11)", b"range(1, 18)")
# The wrong column name: an invalid output with a message saying which columns are missing.
WRONG_COLUMNS = STARTER.replace(b'"adj": adj', b'"adjective": adj')


def weighted(threshold: float) -> bytes:
    return WEIGHTED.replace("THRESHOLD", repr(threshold)).encode()


def drop_careless(max_misses: int) -> bytes:
    return DROP_CARELESS.replace("MAX_MISSES", str(max_misses)).encode()


# (student index, file name, code, days ago: at least 1, so none uses today's quota whatever the hour)
SUBMISSIONS = [
    (0, "starter.py", STARTER, 3.2),
    (0, "weighted.py", weighted(0.5), 2.1),
    (0, "weighted_lower.py", weighted(0.4), 1.4),
    (1, "starter.py", STARTER, 2.9),
    (1, "solution.py", CRASHES, 2.0),
    (1, "drop_careless.py", drop_careless(1), 1.1),
    (2, "any_yes.py", ANY_YES, 2.5),
    (2, "unanimous.py", UNANIMOUS, 1.6),
    (3, "starter.py", STARTER, 1.9),
    (3, "drop_careless.py", drop_careless(2), 1.2),
    (4, "solution.py", WRONG_COLUMNS, 1.2),
    (4, "solution.py", STARTER, 1.15),
    (5, "weighted.py", weighted(0.5), 1.3),
]


def seed(course, people):
    """The demo challenge, open for a week, with students' submissions scored through the sandbox."""
    from labeling import pipeline, services
    from labeling.demo_data import make_demo_challenge, make_seed_challenge
    from labeling.hints import reveal_hint
    from labeling.leaderboard import pick_final
    from labeling.models import Status, Submission

    now = timezone.now()
    challenge = make_demo_challenge(course)
    services.update_challenge(
        challenge, opens_at=now - datetime.timedelta(days=4), closes_at=now + datetime.timedelta(days=7)
    )
    # The course's real challenge beside the simulated one, open as long, its board the references'.
    real = make_seed_challenge(course)
    services.update_challenge(
        real, opens_at=now - datetime.timedelta(days=4), closes_at=now + datetime.timedelta(days=7)
    )
    # The reference solutions were there from the start.
    for each in (challenge, real):
        each.submissions.filter(is_benchmark=True).update(created_at=now - datetime.timedelta(days=4))
    students = people["students"]
    for index, filename, code, days_ago in SUBMISSIONS:
        student = students[index]
        submission = services.submit(challenge, student, code, filename)
        pipeline.score(submission.pk, worker="demo-setup")
        # Spread the history over the past days (the submission and its timestamps move together).
        shift = datetime.timedelta(days=days_ago)
        Submission.objects.filter(pk=submission.pk).update(
            created_at=F("created_at") - shift,
            queued_at=F("queued_at") - shift,
            started_at=F("started_at") - shift,
            finished_at=F("finished_at") - shift,
        )
    scored = Submission.objects.filter(challenge=challenge, is_benchmark=False, status=Status.SCORED)
    if not scored.exists():
        log.warning("Demo: no student submission was scored (is bubblewrap installed?); the board shows benchmarks.")
    # One student picked her final submission; another revealed a hint early.
    first = scored.filter(submitter=students[0]).order_by("-created_at").first()
    if first is not None:
        pick_final(challenge, students[0], [first.pk])
    hint = challenge.hints.filter(reveal_on_click=True).order_by("order").first()
    if hint is not None:
        reveal_hint(hint, students[2])
    return challenge
