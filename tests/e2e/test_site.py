"""The pieces every page relies on, through the real server: static files and the API docs page."""

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), b""


def test_static_files_are_served_to_anyone_and_nothing_else_is(e2e_server):
    status, kind, body = fetch(e2e_server.url + "/static/css/app.css")
    assert (status, kind.split(";")[0]) == (200, "text/css")
    assert b".panel" in body
    status, _, body = fetch(e2e_server.url + "/static/js/htmx-2.0.11.min.js")
    assert status == 200 and body
    for path in ("/static/../courseproj/settings.py", "/static/%2e%2e/manage.py", "/static/", "/static/css/"):
        assert fetch(e2e_server.url + path)[0] == 404, path


def test_the_api_docs_page_lists_every_part_of_the_api(people, open_as, shots):
    page = open_as(None, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("courseproj API")
    for path in ("/api/courses/{course_slug}/teams/", "/api/courses/{course_slug}/proposals/",
                 "/api/courses/{course_slug}/challenges/{slug}/submissions/"):  # fmt: skip
        expect(page.locator(f".opblock-summary-path[data-path='{path}']").first).to_be_attached()
    shots(page, "swagger")
