import datetime

import pytest
from django.utils import timezone

from courses.models import Role
from grading import services
from grading.models import Dimension
from teams.models import TeamMembership
from tests.conftest import enroll, make_user


def every(score):
    return dict.fromkeys(Dimension.values, score)


def scores_for(team_users, score_of):
    """{user id: {dimension: score}} for every member of the team, self included."""
    return {u.pk: every(score_of(u)) for u in team_users}


@pytest.fixture
def trio(people):
    """The standard team with a third member, Tara."""
    people.tara = enroll(make_user("tara@example.com", "Tara Third"), people.course, Role.STUDENT)
    TeamMembership.objects.create(team=people.team, user=people.tara, course=people.course)
    return people


@pytest.fixture
def open_evaluation(people):
    now = timezone.now()
    return services.create_evaluation(
        people.course,
        title="Final",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=1),
        by=people.instructor,
    )
