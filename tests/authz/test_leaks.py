"""What people must never read, looked for in the body of every page and API response.

The world holds marked secrets: a row of hidden gold, a hint not yet revealed, a member's code,
another team's draft, a private score before the challenge closes, a teammate's confidential
peer-evaluation comment and a team comment not yet released. Every URL of the project is
requested (GET) as each persona who must not see a secret, and its body must not contain it.
"""

import logging

import pytest

from tests.authz.matrix import PERSONAS, Caller, project_routes, url_for, world_kwargs
from tests.authz.world import (
    SECRET_CODE,
    SECRET_CONFIDENTIAL,
    SECRET_DRAFT,
    SECRET_GOLD_KEY,
    SECRET_HINT,
    SECRET_PRIVATE_SCORE,
    SECRET_TEAM_COMMENT,
    World,
)

STUDENTS = ("anon", "stranger", "outsider", "member")
# secret → the personas that must never see it
FORBIDDEN = {
    SECRET_GOLD_KEY: STUDENTS,
    SECRET_HINT: STUDENTS,
    SECRET_CODE: ("anon", "stranger", "outsider"),
    SECRET_DRAFT: PERSONAS,
    # Tess's confidential comment is for the staff only; her team comment only after release (not yet).
    SECRET_CONFIDENTIAL: STUDENTS,
    SECRET_TEAM_COMMENT: STUDENTS,  # drafts are the team's own (Olga's team is none of the personas')
    **dict.fromkeys((str(SECRET_PRIVATE_SCORE), f"{SECRET_PRIVATE_SCORE:.3f}", "87.65", "87.7"), STUDENTS),
}


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.fixture
def quiet_requests():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def test_no_response_shows_a_secret_to_someone_who_may_not_see_it(people, quiet_requests):
    world = World(people)
    caller = Caller(people)
    kwargs = world_kwargs(world)
    checked, leaks = 0, []
    for route in project_routes():
        if route.is_admin:
            continue
        url = url_for(route, world, kwargs)
        for persona in STUDENTS + ("ta", "instructor"):
            client = caller.clients[persona, route.is_api]
            response = client.get(url, follow=False)
            if response.status_code != 200:
                continue
            text = body(response)
            checked += 1
            leaks += [
                f"GET {url} as {persona} shows {secret!r}"
                for secret, personas in FORBIDDEN.items()
                if persona in personas and secret in text
            ]
    assert checked > 100, f"only {checked} responses were read; is the world complete?"
    assert not leaks, "\n".join(leaks)


def test_the_markers_are_visible_to_those_who_may_see_them(people, client_for):
    """The same markers are visible to those who may see them (else the test above proves nothing)."""
    world = World(people)
    staff = client_for(people.instructor)
    page = staff.get(f"/courses/{world.course.slug}/challenges/{world.challenge.slug}/")
    assert SECRET_HINT in page.content.decode()
    owner = client_for(people.member)
    code = owner.get(
        f"/courses/{world.course.slug}/challenges/{world.challenge.slug}/submissions/{world.submission.pk}/code/"
    )
    assert SECRET_CODE in body(code)


def test_the_staff_read_the_evaluation_comments_and_a_student_never_reads_ratings(people, client_for):
    """The comment markers are visible to staff; a teammate's ratings of Mia (3s) are in no student's answer."""
    world = World(people)
    slug, pk = world.course.slug, world.evaluation.pk
    staff = client_for(people.instructor).get(f"/courses/{slug}/evaluations/{pk}/results/").content.decode()
    assert SECRET_CONFIDENTIAL in staff and SECRET_TEAM_COMMENT in staff
    api = client_for(people.member).get(f"/api/courses/{slug}/evaluations/{pk}/answer/")
    assert api.status_code == 200 and api.json()["answered"] is False and api.json()["ratings"] == []
    feedback = client_for(people.member).get(f"/api/courses/{slug}/evaluations/{pk}/feedback/").json()
    assert feedback == {"released": False, "peer_means": None, "peer_mean": None, "raters": 0, "team_comments": []}
