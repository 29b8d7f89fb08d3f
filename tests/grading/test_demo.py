"""seed_demo's peer evaluations: a finished one with one of each flag, and an open one."""

import pytest
from django.core.management import call_command

from courses.models import Course
from grading import services
from grading.factors import FlagKind
from grading.models import Evaluation
from grading.results import evaluation_results
from grading.sheet import build_sheet

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_finished_evaluation_with_one_of_each_flag(capsys):
    call_command("seed_demo")
    course = Course.objects.get(slug="ml-bootcamp")
    finished = Evaluation.objects.get(course=course, title="Mid-project check-in")
    assert finished.is_closed() and finished.released_at
    teams = evaluation_results(finished, services.grading_policy(course))
    flags = [(t.team.name, f["kind"]) for t in teams for f in t.all_flags]
    kinds = sorted(k for _, k in flags)
    assert kinds == sorted(FlagKind.LABELS), flags  # each flag exactly once
    by_kind = dict((k, team) for team, k in flags)
    assert by_kind[FlagKind.SPLIT] == "Pixel Pushers"
    assert by_kind[FlagKind.INCOMPLETE] == "Attention Span"
    assert Evaluation.objects.get(course=course, title="Final peer evaluation").is_open()
    # The grade sheet uses the finished evaluation's factors.
    sheet = build_sheet(course)
    assert sheet.evaluation == finished
    assert any(r.factor is not None and r.factor < 0.8 for r in sheet.rows)
