"""Proposal and weekly-update fixtures on top of the standard people (tests/conftest.py)."""

import datetime
import zoneinfo

import pytest

from courses.models import Role
from proposals import services
from teams.models import Team, TeamMembership
from tests.conftest import enroll, make_user

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

FULL_TEXT = {
    "project-title": "Leaf doctor",
    "team": "Mia and Tess.",
    "goal": "Tell plant diseases apart from a photo.",
    "dataset": "PlantVillage, 54k images.",
    "baseline": "A frozen ResNet-18; accuracy and macro-F1.",
    "model": "EfficientNet-B0, cross-entropy.",
    "end-result": "A web app.",
}


def at(*args) -> datetime.datetime:
    """A moment in the course's time zone (Europe/Berlin)."""
    return datetime.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def dated(people):
    """The course runs six weeks from Monday 2026-09-07; updates due Fridays 17:00 Berlin time."""
    course = people.course
    course.start_date = datetime.date(2026, 9, 7)
    course.end_date = datetime.date(2026, 10, 18)
    course.update_due_weekday = 4
    course.update_due_time = datetime.time(17, 0)
    course.proposal_deadline = at(2026, 9, 18, 23, 59)
    course.save()
    course.refresh_from_db()
    return people


@pytest.fixture
def live_dates(people):
    """The course started on the Monday two weeks before today's week (real time, for page tests)."""
    course = people.course
    today = datetime.datetime.now(BERLIN).date()
    course.start_date = today - datetime.timedelta(days=today.weekday() + 14)
    course.end_date = course.start_date + datetime.timedelta(weeks=6, days=-1)
    course.save()
    course.refresh_from_db()
    return people


@pytest.fixture
def proposal(people):
    """The team's proposal with every required section filled in (still a draft)."""
    p = services.start_proposal(people.team, by=people.member)
    services.save_draft(p, FULL_TEXT, by=people.member)
    p.refresh_from_db()
    return p


@pytest.fixture
def submitted(proposal, people):
    services.submit_proposal(proposal, by=people.member)
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def other_team(people):
    """Otto's own team, so he is a classmate in another team."""
    team = Team.objects.create(course=people.course, name="Other Team", created_by=people.outsider)
    TeamMembership.objects.create(team=team, user=people.outsider, course=people.course)
    return team


def add_teams(course, count: int, prefix: str = "Team") -> list[Team]:
    """`count` more teams of two students each."""
    teams = []
    for i in range(count):
        team = Team.objects.create(course=course, name=f"{prefix} {i:03d}")
        for j in range(2):
            user = enroll(make_user(f"{prefix.lower()}{i}-{j}@example.com", f"Student {i}{j}"), course, Role.STUDENT)
            TeamMembership.objects.create(team=team, user=user, course=course)
        teams.append(team)
    return teams
