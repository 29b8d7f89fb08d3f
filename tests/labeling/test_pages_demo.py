"""The labeling part of seed_demo: the demo challenge with students' submissions scored through
the real sandboxed pipeline, so the leaderboard of `make run` is populated."""

import pytest
from django.urls import reverse

from courses.models import Course, Membership, Role
from labeling import demo
from labeling import leaderboard as lb
from labeling.models import HintReveal, Status, Submission
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def demo_people(db):
    course = Course.objects.create(slug="demo-course", title="Demo", time_zone="UTC")
    instructor = make_user("ada@example.com", "Ada Lovelace")
    Membership.objects.create(user=instructor, course=course, role=Role.INSTRUCTOR)
    students = [make_user(f"student{i}@example.com", f"Student {i}") for i in range(12)]
    Membership.objects.bulk_create([Membership(user=s, course=course, role=Role.STUDENT) for s in students])
    return course, {"instructor": instructor, "ta": instructor, "students": students}


def test_the_demo_board_is_populated_through_the_sandbox(demo_people, client_for):
    course, people = demo_people
    challenge = demo.seed(course, people)

    subs = Submission.objects.filter(challenge=challenge, is_benchmark=False)
    assert subs.count() == len(demo.SUBMISSIONS)
    statuses = sorted(subs.values_list("status", flat=True))
    assert statuses.count(Status.SCORED) == len(demo.SUBMISSIONS) - 2
    crashed = subs.get(status=Status.FAILED)
    assert "KeyError" in crashed.log_tail and crashed.message
    invalid = subs.get(status=Status.INVALID_OUTPUT)
    assert "adj" in invalid.message
    assert all(s.runtime_s and s.runtime_s > 0 for s in subs)

    rows = lb.build_board(challenge, lb.PUBLIC, per_page=100).rows
    assert sum(r.is_benchmark for r in rows) == 3
    assert len([r for r in rows if not r.is_benchmark]) == len({i for i, *_ in demo.SUBMISSIONS})
    assert any(len(r.history) > 1 for r in rows)
    assert Submission.objects.filter(challenge=challenge, is_final_pick=True).count() == 1
    assert HintReveal.objects.filter(hint__challenge=challenge).count() == 1

    # The history is spread over past days and does not use up today's quota.
    from labeling.services import submission_quota

    assert submission_quota(challenge, people["students"][0]).used == 0
    body = (
        client_for(people["students"][0])
        .get(reverse("labeling:leaderboard", args=[course.slug, challenge.slug]))
        .content.decode()
    )
    assert "Dawid-Skene EM" in body and ">you<" in body


def test_the_demo_has_the_courses_real_challenge_with_the_references_on_its_board(demo_people, client_for):
    from labeling.demo_data import SEED_SLUG, SEED_TITLE

    course, people = demo_people
    simulated = demo.seed(course, people)
    real = course.challenges.get(slug=SEED_SLUG)
    assert real.title == SEED_TITLE == "Adjectives and Attribute Matching" and real.gold_rows == 440
    assert (real.opens_at, real.closes_at) == (simulated.opens_at, simulated.closes_at)
    rows = lb.build_board(real, lb.PUBLIC, per_page=100).rows
    # The reference solutions' exact public scores on the real gold (tests/labeling/test_reference.py).
    assert sorted((r.public_score for r in rows if r.is_benchmark), reverse=True) == [204 / 220, 202 / 220, 201 / 220]
    index = client_for(people["students"][0]).get(reverse("labeling:index", args=[course.slug])).content.decode()
    assert SEED_TITLE in index and simulated.title in index
