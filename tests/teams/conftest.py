"""Helpers for the teams tests, on top of the standard people of tests/conftest.py.

people.course (dl-fall, teams of 2-4) has "Gradient Gang" = member + teammate; outsider has no team.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Role
from teams.models import Team, TeamMembership
from tests.conftest import enroll, make_user

API = "/api/courses/dl-fall/teams/"


def page(name, *args, slug="dl-fall"):
    return reverse(f"teams:{name}", args=[slug, *args])


def api(path=""):
    return API + path


def new_student(course, name: str):
    email = name.split()[0].lower() + "@example.com"
    return enroll(make_user(email, name), course, Role.STUDENT)


def make_team(course, name: str, members, **fields):
    team = Team.objects.create(course=course, name=name, created_by=members[0] if members else None, **fields)
    for user in members:
        TeamMembership.objects.create(team=team, user=user, course=course)
    return team


def close_formation(course):
    course.team_formation_deadline = timezone.now() - datetime.timedelta(hours=1)
    course.save(update_fields=["team_formation_deadline"])


def members_of(team) -> set[str]:
    return set(TeamMembership.objects.filter(team=team).values_list("user__email", flat=True))


@pytest.fixture
def newcomers(people):
    """Three more unplaced students of the course: Nia, Leo, Ada."""
    return [new_student(people.course, n) for n in ("Nia Newcomer", "Leo Late", "Ada Able")]


@pytest.fixture
def full_team(people, newcomers):
    """Gradient Gang filled to the maximum of 4 (member, teammate, Nia, Leo)."""
    for user in newcomers[:2]:
        TeamMembership.objects.create(team=people.team, user=user, course=people.course)
    return people.team
