"""Absurd numbers in the grading settings, grade items and points: refused with a message, nothing changed."""

import datetime

import pytest
from django.utils import timezone

from grading import services
from grading.models import GradeEntry, GradeItem, GradingPolicy

pytestmark = pytest.mark.django_db

GOOD = {
    "weight_proposal": 20, "weight_updates": 20, "weight_challenge": 20, "late_update_credit": 0.5,
    "challenge_basis": "score", "challenge_floor": 60, "apply_peer_factor": "on", "factor_cap": 1.05,
    "factor_round_above": 0.95,
}  # fmt: skip


@pytest.mark.parametrize(
    "field,value",
    [
        ("weight_proposal", -1), ("weight_updates", 10**9), ("weight_challenge", "x"),
        ("late_update_credit", 1.5), ("late_update_credit", "NaN"), ("challenge_floor", -5),
        ("challenge_floor", "Infinity"), ("factor_cap", 0.5), ("factor_cap", "nan"), ("factor_round_above", 2),
    ],
)  # fmt: skip
def test_the_settings_page_refuses_absurd_numbers(people, client_for, field, value):
    services.grading_policy(people.course)
    before = list(GradingPolicy.objects.values())
    response = client_for(people.instructor).post(f"/courses/{people.course.slug}/grades/settings/",
                                                  {**GOOD, field: value})  # fmt: skip
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert list(GradingPolicy.objects.values()) == before


@pytest.mark.parametrize("points", ["-1", "nan", "inf", "1e309", "51", "ten"])
def test_points_outside_the_item_are_refused(people, client_for, points):
    item = services.create_grade_item(people.course, name="Demo", weight=10, max_points=50, team_component=False)
    response = client_for(people.ta).post(f"/courses/{people.course.slug}/grades/items/{item.pk}/",
                                          {f"points-{people.member.pk}": points})  # fmt: skip
    assert response.status_code == 400
    assert not GradeEntry.objects.exists()


@pytest.mark.parametrize(
    "data", [{"weight": -3}, {"max_points": 0}, {"max_points": "nan"}, {"max_points": 10**7}, {"name": ""}]
)
def test_an_item_with_absurd_numbers_is_not_created(people, client_for, data):
    base = {"name": "Poster", "weight": 10, "max_points": 20}
    client_for(people.ta).post(f"/courses/{people.course.slug}/grades/items/", {**base, **data})
    assert not GradeItem.objects.exists()


def test_the_api_refuses_scores_outside_1_to_5(people, api_for):
    now = timezone.now()
    ev = services.create_evaluation(people.course, title="E", opens_at=now - datetime.timedelta(hours=1),
                                    closes_at=now + datetime.timedelta(hours=1), by=people.instructor)  # fmt: skip
    url = f"/api/courses/{people.course.slug}/evaluations/{ev.pk}/answer/"
    for score in (0, 6, -1, 10**9, "x", None):
        body = {"ratings": [{"ratee": people.member.pk, "dimension": "contributing", "score": score}]}
        assert api_for(people.member).put(url, body, format="json").status_code == 400
    assert not ev.responses.exists()
