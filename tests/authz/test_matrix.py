"""The authorization matrix: every URL of the project, requested by every kind of person, and the
status each must get.

Columns (PERSONAS): anonymous, a student of another course, a student of this course not in the
team, a member of the team, a TA, an instructor. Each cell string lists the six statuses in that
order. The world (tests/authz/world.py) has one of every object; every request is rolled back, so
each cell sees the same world. Pages are requested with a logged-in session, the API with a token.
A POST with an empty body is enough to prove who is refused: refusals are 302 to log in (pages),
401 (API), 404 (not in the course, or may not see the object), 403 (may see, may not do); people
who may act get 200/201/204/302 or 400 (the empty form is invalid).

A new URL pattern without a row here fails `test_every_url_has_a_row`. To write its row, run
`AUTHZ_RECORD=1 pytest tests/authz/test_matrix.py -s` (it prints what every URL answers now),
then CHECK each cell against who should be allowed before pasting it.
"""

from __future__ import annotations

import logging
import os

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.authz.matrix import (
    PERSONAS,
    Caller,
    admin_model_keys,
    build_url,
    project_routes,
    url_for,
    walk,
    world_kwargs,
)
from tests.authz.world import World

# Shorthands for the common shapes; a row spells out anything else.
ANY = "200 200 200 200 200 200"  # public
USER = "302 200 200 200 200 200"  # any logged-in user (page)
MEMBER = "302 404 200 200 200 200"  # members of the course (page)
STAFF = "302 404 403 403 200 200"  # TAs and instructors (page)
INSTRUCTOR = "302 404 403 403 403 200"  # instructors only (page)
POST_ONLY = "405 405 405 405 405 405"  # GET of a POST-only page
API_MEMBER = "401 404 200 200 200 200"
API_STAFF = "401 404 403 403 200 200"
REDIRECT = "302 302 302 302 302 302"  # anonymous to log in, the others onwards
ADMIN = REDIRECT  # the Django admin: nobody here is site staff, so all go to its log-in

TABLE: dict[str, dict[str, str]] = {
    "home": {"GET": ANY},
    "join": {"GET": USER, "POST": "302 400 400 400 400 400"},
    "notifications": {"GET": USER},
    "notifications_read": {"GET": POST_ONLY, "POST": REDIRECT},
    "signup": {"GET": "200 302 302 302 302 302", "POST": "400 302 302 302 302 302"},
    # An empty profile form must be refused (it used to blank the e-mail, the log-in name).
    "profile": {"GET": USER, "POST": "302 400 400 400 400 400"},
    "api_token": {"GET": POST_ONLY, "POST": REDIRECT},
    "login": {"GET": ANY},
    "logout": {"GET": POST_ONLY, "POST": REDIRECT},
    "password_change": {"GET": USER},
    "password_change_done": {"GET": USER, "POST": "302 405 405 405 405 405"},
    "password_reset": {"GET": ANY},
    "password_reset_done": {"GET": ANY, "POST": POST_ONLY},
    "password_reset_confirm": {"GET": ANY},
    "password_reset_complete": {"GET": ANY, "POST": POST_ONLY},
    "courses:home": {"GET": MEMBER},
    "courses:settings": {"GET": INSTRUCTOR, "POST": "302 404 403 403 403 400"},
    "courses:roster": {"GET": STAFF},
    "courses:roster_import": {"GET": POST_ONLY, "POST": "302 404 403 403 403 302"},
    "courses:new_join_code": {"GET": POST_ONLY, "POST": "302 404 403 403 403 302"},
    "courses:member_role": {"GET": POST_ONLY, "POST": "302 404 403 403 403 302"},
    "teams:index": {"GET": MEMBER},
    "teams:create": {"GET": MEMBER, "POST": "302 404 400 400 400 400"},
    "teams:board": {"GET": MEMBER},
    "teams:board_post": {"GET": MEMBER, "POST": "302 404 302 400 400 400"},
    "teams:board_post_close": {"GET": POST_ONLY, "POST": "302 404 302 302 302 302"},
    "teams:requests": {"GET": MEMBER},
    "teams:request_accept": {"GET": POST_ONLY, "POST": "302 404 403 302 400 400"},
    "teams:request_decline": {"GET": POST_ONLY, "POST": "302 404 403 302 400 400"},
    "teams:request_withdraw": {"GET": POST_ONLY, "POST": "302 404 302 400 400 400"},
    "teams:invitation_accept": {"GET": POST_ONLY, "POST": "302 404 400 400 400 400"},
    "teams:invitation_decline": {"GET": POST_ONLY, "POST": "302 404 400 400 400 400"},
    "teams:invitation_cancel": {"GET": POST_ONLY, "POST": "302 404 403 302 302 302"},
    "teams:detail": {"GET": MEMBER},
    "teams:edit": {"GET": "302 404 403 200 200 200", "POST": "302 404 403 400 400 400"},
    "teams:leave": {"GET": POST_ONLY, "POST": "302 404 400 302 400 400"},
    "teams:request_join": {"GET": POST_ONLY, "POST": "302 404 400 400 400 400"},
    "teams:invite": {"GET": POST_ONLY, "POST": "302 404 403 400 400 400"},
    "teams:request_solo": {"GET": POST_ONLY, "POST": "302 404 400 400 400 400"},
    "teams:solo_approve": {"GET": POST_ONLY, "POST": "302 404 403 403 403 400"},
    "teams:solo_reject": {"GET": POST_ONLY, "POST": "302 404 403 403 403 400"},
    "teams:lock": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "teams:unlock": {"GET": POST_ONLY, "POST": "302 404 403 403 400 400"},
    "teams:dissolve": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "teams:manage": {"GET": STAFF},
    "teams:history": {"GET": STAFF},
    "teams:move": {"GET": POST_ONLY, "POST": "302 404 403 403 400 400"},
    "teams:merge": {"GET": POST_ONLY, "POST": "302 404 403 403 400 400"},
    "teams:export": {"GET": STAFF},
    "teams:import": {"GET": POST_ONLY, "POST": "302 404 403 403 403 400"},
    "teams:place": {"GET": "302 404 403 403 302 302"},
    "teams:plan": {"GET": STAFF, "POST": "302 404 403 403 302 302"},
    "teams:plan_apply": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "teams:plan_discard": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "proposals:index": {"GET": MEMBER},
    "proposals:mine": {"GET": "302 404 302 302 302 302"},
    "proposals:export": {"GET": STAFF},
    "proposals:template": {"GET": INSTRUCTOR, "POST": "302 404 403 403 403 400"},
    "proposals:preview": {"GET": POST_ONLY, "POST": MEMBER},
    "proposals:detail": {"GET": MEMBER},
    "proposals:edit": {"GET": "302 404 403 302 403 403"},
    "proposals:revisions": {"GET": MEMBER},
    "proposals:revision": {"GET": MEMBER},
    "proposals:diff": {"GET": "302 404 302 302 302 302"},
    "proposals:review": {"GET": STAFF, "POST": "302 404 403 403 400 400"},
    "proposals:comment": {"GET": POST_ONLY, "POST": "302 404 302 302 302 302"},
    "proposals:updates": {"GET": "302 404 200 200 302 302"},
    "proposals:update_form": {"GET": "302 404 302 302 302 302"},
    "proposals:grid": {"GET": STAFF},
    "proposals:grid_csv": {"GET": STAFF},
    "proposals:feed": {"GET": MEMBER},
    "proposals:update_detail": {"GET": MEMBER},
    "proposals:update_comment": {"GET": POST_ONLY, "POST": "302 404 302 302 302 302"},
    "labeling:index": {"GET": MEMBER},
    "labeling:create": {"GET": STAFF, "POST": "302 404 403 403 400 400"},
    "labeling:challenge": {"GET": MEMBER},
    "labeling:edit": {"GET": STAFF, "POST": "302 404 403 403 400 400"},
    "labeling:hints_edit": {"GET": STAFF, "POST": "302 404 403 403 400 400"},
    "labeling:hint_reveal": {"GET": POST_ONLY, "POST": "302 404 302 302 302 302"},
    "labeling:input": {"GET": MEMBER},
    "labeling:submit": {"GET": POST_ONLY, "POST": "302 404 400 400 400 400"},
    "labeling:picks": {"GET": POST_ONLY, "POST": "302 404 302 302 403 403"},
    # The live queue panel: a member sees only their own submissions in it (staff: none).
    "labeling:queue_status": {"GET": MEMBER},
    "labeling:leaderboard": {"GET": MEMBER},
    "labeling:staff_submissions": {"GET": STAFF},
    "labeling:benchmark_add": {"GET": POST_ONLY, "POST": "302 404 403 403 400 400"},
    "labeling:rescore_all": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "labeling:close": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "labeling:export": {"GET": STAFF},
    "labeling:submission": {"GET": "302 404 404 200 200 200"},
    "labeling:submission_status": {"GET": "302 404 404 200 200 200"},
    "labeling:submission_code": {"GET": "302 404 404 200 200 200"},
    "labeling:submission_cancel": {"GET": POST_ONLY, "POST": "302 404 404 302 302 302"},
    "labeling:submission_rescore": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "labeling:submission_disqualify": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "labeling:submission_requalify": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "grading:evaluations": {"GET": MEMBER},
    "grading:evaluation_create": {"GET": STAFF, "POST": "302 404 403 403 400 400"},
    # Students answer for their own team (the outsider has none); staff are sent to the results.
    "grading:answer": {"GET": "302 404 403 200 302 302", "POST": "302 404 403 400 302 302"},
    "grading:evaluation_edit": {"GET": STAFF, "POST": "302 404 403 403 400 400"},
    "grading:results": {"GET": STAFF},
    "grading:evaluation_close": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "grading:evaluation_release": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "grading:evaluation_remind": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "grading:feedback": {"GET": "302 404 200 200 403 403"},
    "grading:sheet": {"GET": STAFF},
    "grading:settings": {"GET": INSTRUCTOR, "POST": "302 404 403 403 403 400"},
    "grading:item_create": {"GET": POST_ONLY, "POST": "302 404 403 403 302 302"},
    "grading:item": {"GET": STAFF, "POST": "302 404 403 403 302 302"},
    "grading:export_canvas": {"GET": STAFF},
    "grading:export_moodle": {"GET": STAFF},
    "grading:release": {"GET": POST_ONLY, "POST": "302 404 403 403 403 302"},
    "grading:mine": {"GET": "302 404 200 200 302 302"},
    "api-token": {"GET": POST_ONLY, "POST": "400 400 400 400 400 400"},
    "api-course-list": {"GET": "401 200 200 200 200 200"},
    "api-course-join": {"GET": "401 405 405 405 405 405", "POST": "401 400 400 400 400 400"},
    "api-course-detail": {"GET": API_MEMBER, "PUT": "401 404 403 403 403 400", "PATCH": "401 404 403 403 403 200"},
    "api-member-list": {"GET": API_STAFF},
    "api-member-detail": {
        "GET": "401 404 403 403 403 200",
        "PUT": "401 404 403 403 403 400",
        "PATCH": "401 404 403 403 403 400",
    },
    "api-roster-import": {"GET": "401 404 403 403 403 405", "POST": "401 404 403 403 403 415"},
    "api-team-list": {"GET": API_MEMBER, "POST": "401 404 400 400 400 400"},
    "api-team-mine": {"GET": API_MEMBER},
    "api-team-overview": {"GET": API_STAFF},
    "api-team-course-history": {"GET": API_STAFF},
    "api-team-move": {"GET": "401 404 403 403 405 405", "POST": "401 404 403 403 400 400"},
    "api-team-merge": {"GET": "401 404 403 403 405 405", "POST": "401 404 403 403 400 400"},
    "api-team-export": {"GET": API_STAFF},
    "api-team-import": {"GET": "401 404 403 403 403 405", "POST": "401 404 403 403 403 415"},
    "api-team-board": {"GET": API_MEMBER},
    "api-team-board-mine": {
        "GET": "401 404 200 404 404 404",
        "PUT": "401 404 200 400 400 400",
        "DELETE": "401 404 204 404 404 404",
    },
    "api-team-plans": {"GET": API_STAFF, "POST": "401 404 403 403 201 201"},
    "api-team-plan": {"GET": API_STAFF, "PATCH": API_STAFF},
    "api-team-plan-apply": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "api-team-plan-discard": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "api-team-request-accept": {"GET": "401 404 405 405 405 405", "POST": "401 404 403 200 400 400"},
    "api-team-request-decline": {"GET": "401 404 405 405 405 405", "POST": "401 404 403 200 400 400"},
    "api-team-request-withdraw": {"GET": "401 404 405 405 405 405", "POST": "401 404 200 400 400 400"},
    "api-team-invitation-accept": {"GET": "401 404 405 405 405 405", "POST": "401 404 400 400 400 400"},
    "api-team-invitation-decline": {"GET": "401 404 405 405 405 405", "POST": "401 404 400 400 400 400"},
    "api-team-invitation-cancel": {"GET": "401 404 405 405 405 405", "POST": "401 404 403 200 200 200"},
    "api-team-detail": {"GET": API_MEMBER, "PATCH": "401 404 403 200 200 200"},
    "api-team-leave": {"GET": "401 404 405 405 405 405", "POST": "401 404 400 200 400 400"},
    "api-team-history": {"GET": API_MEMBER},
    "api-team-requests": {"GET": "401 404 403 200 200 200", "POST": "401 404 400 400 400 400"},
    "api-team-invitations": {"GET": "401 404 403 200 200 200", "POST": "401 404 403 400 400 400"},
    "api-team-solo": {"GET": "401 404 405 405 405 405", "POST": "401 404 403 400 400 400"},
    "api-team-solo-approve": {"GET": "401 404 403 403 403 405", "POST": "401 404 403 403 403 400"},
    "api-team-solo-reject": {"GET": "401 404 403 403 403 405", "POST": "401 404 403 403 403 400"},
    "api-team-lock": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "api-team-unlock": {"GET": "401 404 403 403 405 405", "POST": "401 404 403 403 400 400"},
    "api-team-dissolve": {"GET": "401 404 403 403 405 405", "POST": "401 404 403 403 204 204"},
    "api-proposal-template": {"GET": API_MEMBER, "PUT": "401 404 403 403 403 400"},
    "api-proposal-list": {"GET": API_MEMBER, "POST": "401 404 400 200 400 400"},
    "api-proposal-mine": {"GET": "401 404 404 200 404 404"},
    "api-proposal-detail": {"GET": API_MEMBER},
    "api-proposal-draft": {"GET": "401 404 403 200 403 403", "PUT": "401 404 403 400 403 403"},
    "api-proposal-submit": {"GET": "401 404 405 405 405 405", "POST": "401 404 403 400 403 403"},
    "api-proposal-revisions": {"GET": API_MEMBER},
    "api-proposal-revision": {"GET": API_MEMBER},
    "api-proposal-diff": {"GET": "401 404 400 400 400 400"},
    "api-proposal-reviews": {"GET": "401 404 404 200 200 200", "POST": "401 404 403 403 400 400"},
    "api-proposal-comments": {"GET": API_MEMBER, "POST": "401 404 400 400 400 400"},
    "api-update-list": {"GET": API_MEMBER, "POST": "401 404 400 400 400 400"},
    "api-update-weeks": {"GET": API_MEMBER},
    "api-update-grid": {"GET": API_STAFF},
    "api-update-feed": {"GET": API_MEMBER},
    "api-update-detail": {"GET": API_MEMBER, "PUT": "401 404 403 400 403 403", "PATCH": "401 404 403 400 403 403"},
    "api-update-comments": {"GET": API_MEMBER, "POST": "401 404 400 400 400 400"},
    "labeling-api:challenges": {"GET": API_MEMBER, "POST": "401 404 403 403 400 400"},
    "labeling-api:challenge": {"GET": API_MEMBER, "PATCH": API_STAFF},
    "labeling-api:input": {"GET": API_MEMBER},
    "labeling-api:hints": {"GET": API_MEMBER, "POST": "401 404 403 403 400 400"},
    "labeling-api:hint": {"GET": API_STAFF, "PATCH": API_STAFF, "DELETE": "401 404 403 403 204 204"},
    "labeling-api:hint-reveal": {"GET": "401 404 405 405 405 405", "POST": API_MEMBER},
    "labeling-api:submissions": {"GET": API_MEMBER, "POST": "401 404 415 415 415 415"},
    "labeling-api:submission": {"GET": "401 404 404 200 200 200"},
    "labeling-api:submission-code": {"GET": "401 404 404 200 200 200"},
    "labeling-api:submission-cancel": {"GET": "401 404 405 405 405 405", "POST": "401 404 404 400 400 400"},
    "labeling-api:submission-rescore": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "labeling-api:submission-disqualify": {"GET": "401 404 403 403 405 405", "POST": "401 404 403 403 400 400"},
    "labeling-api:submission-requalify": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "labeling-api:leaderboard": {"GET": API_MEMBER},
    "labeling-api:picks": {"GET": API_MEMBER, "PUT": "401 404 400 400 403 403"},
    "labeling-api:benchmarks": {"GET": API_STAFF, "POST": "401 404 403 403 415 415"},
    "labeling-api:rescore": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "labeling-api:close": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "labeling-api:export": {"GET": API_STAFF},
    "api-evaluation-list": {"GET": API_MEMBER, "POST": "401 404 403 403 400 400"},
    "api-evaluation-detail": {"GET": API_MEMBER, "PATCH": API_STAFF},
    "api-evaluation-answer": {"GET": "401 404 403 200 403 403", "PUT": "401 404 403 400 403 403"},
    "api-evaluation-results": {"GET": API_STAFF},
    "api-evaluation-close": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "api-evaluation-release": {"GET": "401 404 403 403 405 405", "POST": "401 404 403 403 400 400"},
    "api-evaluation-remind": {"GET": "401 404 403 403 405 405", "POST": API_STAFF},
    "api-evaluation-feedback": {"GET": "401 404 200 200 403 403"},
    "api-grade-sheet": {"GET": API_STAFF},
    "api-grade-mine": {"GET": "401 404 200 200 403 403"},
    "api-grade-export": {"GET": API_STAFF},
    "api-schema": {"GET": ANY},
    "api-docs": {"GET": ANY},
    "admin:index": {"GET": ADMIN},
    "admin:login": {"GET": ANY},
    "admin:logout": {"GET": ADMIN},
    "admin:password_change": {"GET": ADMIN},
    "admin:password_change_done": {"GET": ADMIN},
    "admin:autocomplete": {"GET": ADMIN},
    "admin:jsi18n": {"GET": ADMIN},
    "admin:view_on_site": {"GET": ADMIN},
    "admin:app_list": {"GET": ADMIN},
    "admin/(?P<url>.*)$": {"GET": ADMIN},
}


def test_every_url_has_a_row():
    keys = {r.key for r in project_routes()}
    missing = sorted(keys - TABLE.keys())
    stale = sorted(TABLE.keys() - keys)
    assert not missing, f"URLs without a row in the authorization matrix: {missing}"
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


@pytest.fixture
def quiet_requests():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def test_authorization_matrix(people, quiet_requests):
    world = World(people)
    caller = Caller(people)
    kwargs = world_kwargs(world)
    record = os.environ.get("AUTHZ_RECORD")
    mismatches, recorded = [], []
    for route in project_routes():
        url = url_for(route, world, kwargs)
        row = TABLE.get(route.key, {})
        methods = route.methods() if record else row.keys()
        observed = {}
        for method in methods:
            observed[method] = " ".join(str(caller.status(p, method, url, route.is_api)) for p in PERSONAS)
            if method in row and observed[method] != row[method]:
                mismatches.append(
                    f"{method:6} {url}  [{route.key}]\n   expected {row[method]}\n   got      {observed[method]}"
                )
        recorded.append(f"    {route.key!r}: {observed!r},")
    if record:
        print("\n".join(recorded))
    header = "columns: " + " ".join(PERSONAS)
    errors = "\nServer errors:\n" + "\n".join(caller.errors) if caller.errors else ""
    if caller.unprotected:
        errors += "\nWithout the CSP or Permissions-Policy header:\n" + "\n".join(caller.unprotected)
    assert not mismatches and not errors, (
        f"{len(mismatches)} cells differ ({header}):\n" + "\n".join(mismatches) + errors
    )


def test_admin_model_pages_are_for_site_staff_only(people, quiet_requests):
    """Every ModelAdmin page: each persona is sent to the admin log-in; a superuser gets in."""
    caller = Caller(people)
    admin = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "x")
    root = Client()
    root.force_login(admin)
    routes = [r for r in walk() if r.key in admin_model_keys()]
    assert routes, "no ModelAdmin URLs found"
    failures = []
    for route in routes:
        url = build_url(route.route, {"object_id": people.member.pk, "id": people.member.pk})
        got = " ".join(str(caller.status(p, "GET", url, False)) for p in PERSONAS)
        if got != ADMIN:
            failures.append(f"{url}: {got}")
        if route.key.endswith("_changelist") and (status := root.get(url).status_code) != 200:
            failures.append(f"{url}: a superuser gets {status}")
    assert not failures + caller.unprotected, "\n".join(failures + caller.unprotected)
