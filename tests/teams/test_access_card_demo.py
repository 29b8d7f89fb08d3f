import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from courses.demo import STUDENT_NAMES
from courses.models import Course, Role
from teams import demo, services
from teams.access import get_team_for_user
from teams.models import BoardPost, Invitation, JoinRequest, RequestStatus, Team, TeamEvent
from tests.conftest import enroll, make_user
from tests.teams.conftest import make_team

pytestmark = pytest.mark.django_db


class TestAccessHelpers:
    def test_team_of(self, people):
        assert services.team_of(people.member, people.course) == people.team
        assert services.team_of(people.outsider, people.course) is None
        assert services.team_of(people.member, people.other_course) is None

    def test_get_team_for_user(self, people):
        assert get_team_for_user(people.outsider, "dl-fall", people.team.pk) == people.team
        assert get_team_for_user(people.teammate, "dl-fall", people.team.pk, write=True) == people.team
        assert get_team_for_user(people.ta, "dl-fall", people.team.pk, write=True) == people.team
        with pytest.raises(PermissionDenied):
            get_team_for_user(people.outsider, "dl-fall", people.team.pk, write=True)
        with pytest.raises(Http404):
            get_team_for_user(people.stranger, "dl-fall", people.team.pk)
        other = make_team(people.other_course, "Elsewhere", [people.stranger])
        with pytest.raises(Http404):
            get_team_for_user(people.stranger, "dl-fall", other.pk)
        with pytest.raises(Http404):
            get_team_for_user(people.member, "dl-fall", "not-a-number")


class TestHomeCard:
    def test_students_see_their_team_or_how_to_find_one(self, people, client_for):
        url = reverse("courses:home", args=["dl-fall"])
        assert "You are in" in client_for(people.member).get(url).content.decode()
        Invitation.objects.create(course=people.course, team=people.team, user=people.outsider)
        body = client_for(people.outsider).get(url).content.decode()
        assert "You are not in a team yet." in body and "1 invitation waiting" in body

    def test_staff_see_what_needs_attention(self, people, client_for):
        make_team(people.course, "Alone", [], solo_reason="x")
        body = client_for(people.ta).get(reverse("courses:home", args=["dl-fall"])).content.decode()
        assert "1</strong> student without a team" in body
        assert "Team overview" in body


def test_the_api_schema_documents_the_team_endpoints(people, api_for):
    response = api_for(people.member).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/teams/{id}/requests/", "/teams/auto-place/{id}/apply/", "/teams/import/", "/teams/board/mine/"):
        assert path in text


def test_the_demo_shows_team_formation_in_progress(django_capture_on_commit_callbacks):
    course = Course.objects.create(slug="demo", title="Demo")
    people = {
        "instructor": enroll(make_user("ada@demo.test", "Ada Lovelace"), course, Role.INSTRUCTOR),
        "ta": enroll(make_user("tariq@demo.test", "Tariq Aziz"), course, Role.TA),
        "students": [enroll(make_user(f"{n.split()[0].lower()}@demo.test", n), course) for n in STUDENT_NAMES],
    }
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(course, people)
    teams = {t.name: t for t in Team.objects.filter(course=course)}
    sizes = {name: t.memberships.count() for name, t in teams.items()}
    assert sizes == {
        "Pixel Pushers": 4,
        "Gradient Descenders": 3,
        "Noisy Labels": 2,
        "Jonas Solo": 1,
        "Attention Span": 4,
    }
    assert sum(1 for size in sizes.values() if size == course.max_team_size) >= 2
    pending = JoinRequest.objects.get(course=course, status=RequestStatus.PENDING)
    assert (pending.team.name, pending.user.first_name) == ("Gradient Descenders", "Kira")
    looking = [u for u in people["students"] if services.team_of(u, course) is None]
    assert [u.first_name for u in looking] == ["Kira", "Luis"]
    posts = BoardPost.objects.filter(course=course, is_open=True).values_list("author__first_name", flat=True)
    assert set(posts) == {"Kira", "Luis"}
    solo = teams["Jonas Solo"]
    assert solo.solo_reason and not solo.solo_approved
    assert TeamEvent.objects.filter(course=course, kind="renamed").exists()
    assert not mail.outbox  # the demo notifies in the app only
    # The proposals seeder takes the first three teams with two or more members.
    first = [t.name for t in Team.objects.filter(course=course).order_by("id") if t.memberships.count() >= 2][:3]
    assert first == ["Pixel Pushers", "Gradient Descenders", "Noisy Labels"]
