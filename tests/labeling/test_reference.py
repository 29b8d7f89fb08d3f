"""The three reference solutions shipped for the seed challenge, scored through the sandbox and
stored as benchmark rows: their exact scores on the seed data."""

from __future__ import annotations

import pytest

from labeling import demo_data, pipeline, services
from labeling.models import Status, Submission

pytestmark = pytest.mark.django_db

# (file, right on all 440 gold pairs, on the 220 public ones, on the 220 private ones)
EXPECTED = {
    "majority_vote.py": (406, 201, 205),  # the baseline of the course: 0.9227
    "weighted_vote.py": (407, 202, 205),  # 0.9250
    "dawid_skene.py": (410, 204, 206),  # 0.9318
}


def test_the_reference_solutions_score_exactly(challenge, sandbox_tools, scratch_parent):
    for name, filename in demo_data.REFERENCE_SOLUTIONS:
        code = (demo_data.REFERENCE_DIR / filename).read_bytes()
        sub = services.add_benchmark(challenge, name, code, filename)
        assert pipeline.score(sub.pk, worker="test") == Status.SCORED
    rows = Submission.objects.filter(challenge=challenge, is_benchmark=True).order_by("pk")
    scores = {row.original_filename: (row.score, row.public_score, row.private_score) for row in rows}
    assert scores == {
        filename: (total / 440, public / 220, private / 220) for filename, (total, public, private) in EXPECTED.items()
    }
    assert [row.participant for row in rows] == [f"b:{name}" for name, _ in demo_data.REFERENCE_SOLUTIONS]
    assert all(row.runtime_s > 0 and row.status == Status.SCORED and not row.submitter for row in rows)
