"""Standard people for every test: an instructor, a TA, a team member and a teammate, a
student outside the team, and a student of another course (healthchecks' alice/bob/charlie)."""

import pytest
from django.contrib.auth import get_user_model

from courses.models import Course, Membership, Role
from teams.models import Team, TeamMembership

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = settings.DATA_DIR
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def make_user(email: str, name: str = "Test Person"):
    first, _, last = name.partition(" ")
    return get_user_model().objects.create_user(
        username=email, email=email, password=PASSWORD, first_name=first, last_name=last
    )


def enroll(user, course, role=Role.STUDENT):
    Membership.objects.create(user=user, course=course, role=role)
    return user


class People:
    """The standard cast, built once per test that asks for `people`."""

    def __init__(self):
        self.course = Course.objects.create(slug="dl-fall", title="Deep Learning Projects", time_zone="Europe/Berlin")
        self.other_course = Course.objects.create(slug="nlp-spring", title="NLP Projects")
        self.instructor = enroll(make_user("ines@example.com", "Ines Instructor"), self.course, Role.INSTRUCTOR)
        self.ta = enroll(make_user("tom@example.com", "Tom Assistant"), self.course, Role.TA)
        self.member = enroll(make_user("mia@example.com", "Mia Member"), self.course)
        self.teammate = enroll(make_user("tess@example.com", "Tess Teammate"), self.course)
        self.outsider = enroll(make_user("otto@example.com", "Otto Outsider"), self.course)
        self.stranger = enroll(make_user("sam@example.com", "Sam Stranger"), self.other_course)
        self.team = Team.objects.create(course=self.course, name="Gradient Gang", created_by=self.member)
        for user in (self.member, self.teammate):
            TeamMembership.objects.create(team=self.team, user=user, course=self.course)


@pytest.fixture
def people(db):
    return People()


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client logged in as that user (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """`api_for(user)`: a DRF client authenticated with the user's API token (None: anonymous)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        api = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return make
