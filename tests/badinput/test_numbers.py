"""Negative and absurd numbers (and dates and times) in every numeric field of the pages and the
API: each is refused with a message (400) and changes nothing; no page breaks on absurd numbers
in the URL or the query string."""

import datetime
import logging

import pytest
from django.forms.models import model_to_dict

from courses.models import Course
from labeling.models import Challenge, Hint
from proposals.models import WeeklyUpdate
from tests.authz.world import World

pytestmark = pytest.mark.django_db

ABSURD_INTS = ["-1", "0", "99999999999999999999", "1e3", "NaN", "abc", "1.5", ""]


@pytest.fixture(autouse=True)
def quiet_requests():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def settings_form(course) -> dict:
    data = model_to_dict(course, exclude=["id", "slug", "join_code", "created_at"])
    data["proposals_visible_to_classmates"] = "on" if data["proposals_visible_to_classmates"] else ""
    return {k: ("" if v is None else v) for k, v in data.items()}


def course_state(course) -> dict:
    course.refresh_from_db()
    return model_to_dict(course)


COURSE_CASES = [
    *[("min_team_size", v) for v in ["-1", "0", "99999999999999999999", "abc", "3.5"]],
    *[("max_team_size", v) for v in ["-1", "0", "1", "21", "40000", "99999999999999999999"]],
    *[("update_due_weekday", v) for v in ["-1", "7", "99", "monday"]],
    *[("update_due_time", v) for v in ["25:00", "-1:00", "12:60", "noon"]],
    *[("time_zone", v) for v in ["Mars/Olympus", "UTC+99", ""]],
    *[("start_date", v) for v in ["0000-01-01", "2026-02-30", "not a date"]],
    *[("team_formation_deadline", v) for v in ["10000-01-01T00:00", "2026-13-01T00:00"]],
]


class TestCourseSettings:
    @pytest.mark.parametrize(("field", "value"), COURSE_CASES)
    def test_the_page_refuses_it(self, people, client_for, field, value):
        course = people.course
        before = course_state(course)
        data = {**settings_form(course), field: value}
        response = client_for(people.instructor).post(f"/courses/{course.slug}/settings/", data)
        assert response.status_code == 400, (field, value)
        assert 'class="error"' in response.content.decode()
        assert course_state(course) == before

    @pytest.mark.parametrize(("field", "value"), COURSE_CASES)
    def test_the_api_refuses_it(self, people, api_for, field, value):
        course = people.course
        before = course_state(course)
        response = api_for(people.instructor).patch(f"/api/courses/{course.slug}/", {field: value}, format="json")
        assert response.status_code == 400, (field, value, response.content)
        assert field in response.json()
        assert course_state(course) == before

    @pytest.mark.parametrize(
        ("start", "end"),
        [("2026-01-10", "2026-01-01"), ("0001-01-01", "9999-12-31"), ("2026-01-05", "2029-01-05")],
    )
    def test_it_refuses_absurd_course_dates(self, people, api_for, start, end):
        """A course that ends before it starts, or lasts ten thousand years (its week grid broke) or three."""
        course = people.course
        before = course_state(course)
        response = api_for(people.instructor).patch(
            f"/api/courses/{course.slug}/", {"start_date": start, "end_date": end}, format="json"
        )
        assert response.status_code == 400, (start, end, response.content)
        assert course_state(course) == before


def challenge_state(challenge) -> dict:
    challenge.refresh_from_db()
    return model_to_dict(challenge)


CHALLENGE_CASES = [
    *[("public_fraction", v) for v in ["-0.1", "1.5", "NaN", "Infinity", "1e308", "abc"]],
    *[("split_seed", v) for v in ["99999999999999999999999", "abc", "1.5"]],
    *[("daily_limit", v) for v in ["-1", "0", "1001", "99999999999999999999"]],
    *[("max_queued", v) for v in ["-1", "0", "101"]],
    *[("time_limit_s", v) for v in ["-5", "0", "3601", "99999999999999999999"]],
    *[("memory_limit_mb", v) for v in ["-1", "0", "63", "16385"]],
    *[("max_code_bytes", v) for v in ["-1", "99999999999999999999"]],
    *[("final_picks", v) for v in ["-1", "0", "21"]],
    *[("opens_at", v) for v in ["10000-01-01T00:00", "2026-02-30T10:00"]],
]


class TestChallengeSettings:
    @pytest.mark.parametrize(("field", "value"), CHALLENGE_CASES)
    def test_the_api_refuses_it(self, people, api_for, field, value):
        world = World(people)
        challenge = world.challenge
        before = challenge_state(challenge)
        url = f"/api/courses/{world.course.slug}/challenges/{challenge.slug}/"
        response = api_for(people.instructor).patch(url, {field: value}, format="json")
        assert response.status_code == 400, (field, value, response.content)
        assert challenge_state(challenge) == before

    @pytest.mark.parametrize(("field", "value"), CHALLENGE_CASES)
    def test_the_edit_page_refuses_it(self, people, client_for, field, value):
        world = World(people)
        challenge = world.challenge
        before = challenge_state(challenge)
        data = {k: ("" if v is None else v) for k, v in model_to_dict(challenge).items() if k != "id"}
        for name in ("opens_at", "closes_at"):
            data[name] = ""
        data[field] = value
        url = f"/courses/{world.course.slug}/challenges/{challenge.slug}/edit/"
        response = client_for(people.instructor).post(url, data)
        assert response.status_code == 400, (field, value)
        assert challenge_state(challenge) == before


class TestHints:
    @pytest.mark.parametrize(("field", "value"), [("order", "-1"), ("order", "abc"), ("reveal_at", "99999-01-01")])
    def test_the_api_refuses_it(self, people, api_for, field, value):
        world = World(people)
        url = f"/api/courses/{world.course.slug}/challenges/{world.challenge.slug}/hints/{world.hint.pk}/"
        before = model_to_dict(world.hint)
        response = api_for(people.instructor).patch(url, {field: value}, format="json")
        assert response.status_code == 400, (field, value, response.content)
        assert model_to_dict(Hint.objects.get(pk=world.hint.pk)) == before


class TestWeeksAndRevisions:
    @pytest.mark.parametrize("week", ["-1", "0", "999", "99999999999999999999", "1.5", "abc"])
    def test_posting_an_update_for_an_absurd_week_is_refused(self, people, api_for, week):
        world = World(people)
        count = WeeklyUpdate.objects.filter(team=world.team).count()
        body = {"week": week, "did": "x", "next_steps": "y"}
        response = api_for(people.member).post(f"/api/courses/{world.course.slug}/updates/", body, format="json")
        assert response.status_code == 400, (week, response.content)
        assert WeeklyUpdate.objects.filter(team=world.team).count() == count

    @pytest.mark.parametrize("week", ["0", "999", "99999999999999999999"])
    def test_the_update_page_of_an_absurd_week_is_not_found(self, people, client_for, week):
        world = World(people)
        response = client_for(people.member).get(f"/courses/{world.course.slug}/updates/week/{week}/")
        assert response.status_code in (302, 400, 404), week

    @pytest.mark.parametrize(
        "query",
        ["from=-1&to=1", "from=1&to=99999999999999999999", "from=abc&to=1", "from=0&to=0", "mode=<script>"],
    )
    def test_the_diff_of_absurd_revisions_is_refused_not_broken(self, people, client_for, api_for, query):
        world = World(people)
        page = client_for(people.member).get(
            f"/courses/{world.course.slug}/proposals/{world.proposal.pk}/diff/?{query}"
        )
        assert page.status_code in (200, 302, 400, 404), query
        api = api_for(people.member).get(
            f"/api/courses/{world.course.slug}/proposals/{world.proposal.pk}/diff/?{query}"
        )
        assert api.status_code in (200, 400, 404), query

    @pytest.mark.parametrize("number", ["0", "999", "99999999999999999999"])
    def test_an_absurd_revision_number_is_not_found(self, people, client_for, number):
        world = World(people)
        response = client_for(people.member).get(
            f"/courses/{world.course.slug}/proposals/{world.proposal.pk}/revisions/{number}/"
        )
        assert response.status_code == 404


PAGED = [
    "/courses/{c}/teams/",
    "/courses/{c}/teams/board/",
    "/courses/{c}/teams/manage/history/",
    "/courses/{c}/proposals/",
    "/courses/{c}/updates/grid/",
    "/courses/{c}/updates/feed/",
    "/courses/{c}/challenges/{ch}/leaderboard/",
    "/courses/{c}/challenges/{ch}/submissions/",
    "/notifications/",
    "/api/courses/{c}/teams/",
    "/api/courses/{c}/updates/",
    "/api/courses/{c}/updates/feed/",
    "/api/courses/{c}/challenges/{ch}/submissions/",
    "/api/courses/{c}/challenges/{ch}/leaderboard/",
]


@pytest.mark.parametrize("page", ["-1", "0", "99999999999999999999", "abc", "1e9", "%00"])
def test_absurd_page_numbers_never_break_a_list(people, client_for, api_for, page):
    world = World(people)
    for template in PAGED:
        url = template.format(c=world.course.slug, ch=world.challenge.slug) + f"?page={page}&cursor={page}"
        client = api_for(people.instructor) if url.startswith("/api/") else client_for(people.instructor)
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)


@pytest.mark.parametrize("value", ["-1", "0", "99999999999999999999", "abc"])
def test_absurd_ids_in_staff_tools_are_refused(people, api_for, client_for, value):
    world = World(people)
    api = api_for(people.instructor)
    c = world.course.slug
    before = sorted(world.team.memberships.values_list("user_id", flat=True))
    checks = [
        api.post(f"/api/courses/{c}/teams/move/", {"student": value, "to_team": value}, format="json"),
        api.post(f"/api/courses/{c}/teams/merge/", {"keep": value, "absorb": value}, format="json"),
        api.put(f"/api/courses/{c}/challenges/{world.challenge.slug}/picks/", {"submissions": [value]}, format="json"),
        client_for(people.instructor).post(f"/courses/{c}/teams/manage/move/", {"student": value, "to_team": value}),
    ]
    for response in checks:
        assert response.status_code in (302, 400, 403, 404), response.content
    assert sorted(world.team.memberships.values_list("user_id", flat=True)) == before
    assert Course.objects.count() == 2 and Challenge.objects.count() == 1


def test_a_course_with_far_dates_still_renders_its_pages(people, client_for):
    """Dates the settings accept must not break the pages that compute weeks from them."""
    course = people.course
    course.start_date = datetime.date(2026, 1, 5)
    course.end_date = datetime.date(2027, 12, 31)
    course.save()
    client = client_for(people.instructor)
    for url in (
        f"/courses/{course.slug}/updates/grid/",
        f"/courses/{course.slug}/updates/",
        f"/courses/{course.slug}/",
    ):
        assert client.get(url).status_code in (200, 302), url
