"""Text over each field's limit (huge Markdown included) is refused with a message and changes
nothing; text at the limit is kept whole and its page still renders quickly."""

import logging
import time

import pytest

from courses.models import Course
from labeling.models import Challenge, Hint
from proposals.models import MAX_COMMENT_CHARS, MAX_SECTION_CHARS, DraftSection, ProposalComment, UpdateComment
from teams.models import BoardPost, JoinRequest, Team
from tests.authz.world import World

pytestmark = pytest.mark.django_db

HUGE = "# Title\n\n" + ("Some **bold** text and a [link](https://example.com).\n\n" * 40_000)  # ~2 MB of Markdown


@pytest.fixture(autouse=True)
def quiet_requests():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture
def world(people):
    return World(people)


def over(limit: int) -> str:
    return "x" * (limit + 1)


def test_an_oversized_proposal_section_is_refused_by_the_api(world, api_for):
    people = world.people
    key = DraftSection.objects.filter(proposal=world.draft).first().key
    before = list(DraftSection.objects.filter(proposal=world.draft).values_list("key", "body", "version"))
    url = f"/api/courses/{world.course.slug}/proposals/{world.draft.pk}/draft/"
    api = api_for(world.olga)
    for body in (over(MAX_SECTION_CHARS), HUGE[: 3 * 1024 * 1024]):
        response = api.put(url, {"sections": [{"key": key, "body": body}]}, format="json")
        assert response.status_code == 400, response.content[:300]
    assert list(DraftSection.objects.filter(proposal=world.draft).values_list("key", "body", "version")) == before
    assert people  # the world's cast is intact


def test_an_oversized_proposal_section_is_refused_by_the_editor(world, client_for):
    # Mia's team's proposal is submitted; Olga's team has a draft to edit.
    sections = list(DraftSection.objects.filter(proposal=world.draft))
    before = [(s.key, s.body) for s in sections]
    data = {f"body_{s.key}": over(MAX_SECTION_CHARS) for s in sections}
    data["action"] = "save"
    response = client_for(world.olga).post(f"/courses/{world.course.slug}/proposals/{world.draft.pk}/edit/", data)
    assert response.status_code == 400
    assert "error" in response.content.decode()
    assert [(s.key, s.body) for s in DraftSection.objects.filter(proposal=world.draft)] == before


def test_oversized_comments_are_refused(world, api_for, client_for):
    people, c = world.people, world.course.slug
    comments = ProposalComment.objects.count(), UpdateComment.objects.count()
    api = api_for(people.outsider)
    assert (
        api.post(
            f"/api/courses/{c}/proposals/{world.proposal.pk}/comments/",
            {"body": over(MAX_COMMENT_CHARS)},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/api/courses/{c}/updates/{world.update.pk}/comments/", {"body": over(MAX_COMMENT_CHARS)}, format="json"
        ).status_code
        == 400
    )
    page = client_for(people.outsider).post(
        f"/courses/{c}/updates/{world.update.pk}/comments/", {"body": HUGE[:100_000]}, follow=True
    )
    assert page.status_code in (200, 400)
    assert (ProposalComment.objects.count(), UpdateComment.objects.count()) == comments


def test_an_oversized_weekly_update_is_refused(world, api_for):
    before = world.update.did
    url = f"/api/courses/{world.course.slug}/updates/{world.update.pk}/"
    response = api_for(world.people.member).patch(url, {"did": HUGE[:1_000_000]}, format="json")
    assert response.status_code in (400, 403)  # 403 once the week's due time has passed
    world.update.refresh_from_db()
    assert world.update.did == before


@pytest.mark.parametrize(("field", "limit"), [("name", 80), ("idea", 2000), ("looking_for", 1000)])
def test_oversized_team_fields_are_refused(world, api_for, client_for, field, limit):
    people = world.people
    data = {"name": "New team", "idea": "An idea.", "looking_for": "", field: over(limit)}
    count = Team.objects.count()
    assert (
        api_for(people.outsider).post(f"/api/courses/{world.course.slug}/teams/", data, format="json").status_code
        == 400
    )
    assert client_for(people.outsider).post(f"/courses/{world.course.slug}/teams/new/", data).status_code == 400
    assert Team.objects.count() == count


@pytest.mark.parametrize(
    ("field", "limit"), [("interests", 300), ("skills", 300), ("project_idea", 2000), ("text", 4000)]
)
def test_oversized_board_posts_are_refused(world, client_for, api_for, field, limit):
    post = BoardPost.objects.get(author=world.people.outsider)
    before = (post.interests, post.skills, post.project_idea, post.text)
    c = world.course.slug
    assert (
        client_for(world.people.outsider).post(f"/courses/{c}/teams/board/post/", {field: over(limit)}).status_code
        == 400
    )
    response = api_for(world.people.outsider).put(
        f"/api/courses/{c}/teams/board/mine/", {field: over(limit)}, format="json"
    )
    assert response.status_code == 400
    post.refresh_from_db()
    assert (post.interests, post.skills, post.project_idea, post.text) == before


def test_an_oversized_join_request_message_is_refused(world, api_for):
    count = JoinRequest.objects.count()
    url = f"/api/courses/{world.course.slug}/teams/{world.other_team.pk}/requests/"
    assert api_for(world.rita).post(url, {"message": over(2000)}, format="json").status_code == 400
    assert JoinRequest.objects.count() == count


@pytest.mark.parametrize(("field", "value"), [("title", over(200)), ("term", over(60))])
def test_oversized_course_fields_are_refused(world, api_for, field, value):
    before = Course.objects.values().get(pk=world.course.pk)
    response = api_for(world.people.instructor).patch(
        f"/api/courses/{world.course.slug}/", {field: value}, format="json"
    )
    assert response.status_code == 400
    assert Course.objects.values().get(pk=world.course.pk) == before


def test_oversized_challenge_texts_are_refused(world, api_for):
    api = api_for(world.people.instructor)
    base = f"/api/courses/{world.course.slug}/challenges/{world.challenge.slug}/"
    before = Challenge.objects.values().get(pk=world.challenge.pk)
    assert api.patch(base, {"instructions": over(50_000)}, format="json").status_code == 400
    assert api.patch(base, {"title": over(200)}, format="json").status_code == 400
    assert Challenge.objects.values().get(pk=world.challenge.pk) == before
    hint = Hint.objects.values().get(pk=world.hint.pk)
    assert api.patch(f"{base}hints/{world.hint.pk}/", {"text": over(20_000)}, format="json").status_code == 400
    assert api.post(f"{base}hints/", {"text": over(20_000), "order": 2}, format="json").status_code == 400
    assert Hint.objects.values().get(pk=world.hint.pk) == hint and Hint.objects.count() == 1
    reason = api.post(f"{base}submissions/{world.submission.pk}/disqualify/", {"reason": over(300)}, format="json")
    assert reason.status_code == 400
    world.submission.refresh_from_db()
    assert not world.submission.disqualified


def test_long_markdown_at_the_limit_is_kept_and_renders_quickly(world, api_for, client_for):
    """A full-size section of ordinary Markdown: stored whole, and its page renders well under a second."""
    key = DraftSection.objects.filter(proposal=world.draft).first().key
    text = ("A paragraph with **bold**, _italics_, `code` and a [link](https://example.com).\n\n" * 400)[
        :MAX_SECTION_CHARS
    ]
    url = f"/api/courses/{world.course.slug}/proposals/{world.draft.pk}/draft/"
    assert api_for(world.olga).put(url, {"sections": [{"key": key, "body": text}]}, format="json").status_code == 200
    assert DraftSection.objects.get(proposal=world.draft, key=key).body == text
    started = time.monotonic()
    page = client_for(world.olga).get(f"/courses/{world.course.slug}/proposals/{world.draft.pk}/")
    assert page.status_code == 200
    assert "<strong>bold</strong>" in page.content.decode()
    assert time.monotonic() - started < 3
