"""The brute-force limits and the content policy through the real server (gunicorn, 2 workers):
the counts are shared by its processes, and pages work under the enforced CSP."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.cache import caches
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The throttle cache is a table the per-test flush leaves alone: start and end with it empty.
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def post(url: str, data: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def get_headers(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_twelve_wrong_passwords_to_the_token_endpoint_are_stopped_at_the_fifth(people, e2e_server):
    make_user("kim@example.com")
    url = e2e_server.url + "/api/auth/token/"
    statuses = [post(url, {"username": "kim@example.com", "password": f"guess-{n}"})[0] for n in range(12)]
    assert statuses == [400] * 4 + [429] * 8
    status, headers, body = post(url, {"username": "kim@example.com", "password": PASSWORD})
    assert status == 429 and int(headers["Retry-After"]) > 60
    assert "Try again after" in body["detail"]


def test_twelve_wrong_join_codes_to_the_api_are_stopped_after_the_fifth(people, e2e_server):
    token = Token.objects.create(user=make_user("nora@example.com"))
    url = e2e_server.url + "/api/courses/join/"
    auth = {"Authorization": f"Token {token.key}"}
    statuses = [post(url, {"code": f"GUESS{n:03d}"}, auth)[0] for n in range(12)]
    assert statuses == [400] * 5 + [429] * 7
    status, headers, body = post(url, {"code": people.course.join_code}, auth)
    assert status == 429 and "Try again after" in body["detail"] and int(headers["Retry-After"]) > 0


def test_every_kind_of_answer_sends_the_content_policy_and_the_permissions_policy(people, e2e_server):
    # (Each URL, every status and persona: tests/authz. Here: the real server, static files too.)
    for path in ("/", "/accounts/login/", "/api/docs/", "/api/courses/", "/api/schema/", "/static/css/app.css"):
        status, headers = get_headers(e2e_server.url + path)
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"], path


def test_the_log_in_form_shows_the_lockout_and_when_it_ends(people, open_as, shots):
    make_user("kim@example.com")
    page = open_as(None, "/accounts/login/")
    for n in range(4):
        page.locator("#id_username").fill("kim@example.com")
        page.locator("#id_password").fill(f"guess-{n}")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".errors")).to_contain_text("do not match")
    page.locator("#id_username").fill("kim@example.com")
    page.locator("#id_password").fill("guess-5")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Log-in paused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("You can try again after")
    shots(page, "locked-out")


def test_the_violation_detector_reports_an_inline_script(people, open_as, csp_violations):
    page = open_as(None, "/accounts/login/")
    with page.expect_console_message(lambda m: m.text.startswith("CSP violation:")):
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
                      "document.head.appendChild(s); }")  # fmt: skip
    assert page.evaluate("() => window.ran") is None
    assert any("script-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen: this test passes


def test_the_admin_works_under_the_policy(people, open_as, shots):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root@example.com", "root@example.com", PASSWORD)
    page = open_as(root, "/admin/")
    expect(page.get_by_role("link", name="Courses").first).to_be_visible()
    page.goto(f"/admin/courses/course/{people.course.pk}/change/")
    expect(page.locator("#id_title")).to_have_value(people.course.title)
    page.goto("/admin/axes/accessattempt/")
    expect(page.locator("#content h1")).to_be_visible()
    shots(page, "admin-access-attempts")
