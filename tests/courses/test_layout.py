"""What every page's layout shows from the request's fixed part: the unread count (read with the
course and the membership in one query on course pages) and the links (built once per course)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.notifications import mark_all_read, notify, without_email

pytestmark = pytest.mark.django_db


def badge(html: str) -> str | None:
    match = re.search(r'class="notif-link">Notifications(?: <span class="count">(\d+)</span>)?</a>', html)
    assert match, "no notification link in the layout"
    return match.group(1)


def test_a_course_page_shows_the_unread_count_and_follows_it(people, client_for):
    client = client_for(people.member)
    url = reverse("courses:home", args=[people.course.slug])
    assert badge(client.get(url).content.decode()) is None
    with without_email():
        notify([people.member], verb="test", message="one", course=people.course)
        notify([people.member], verb="test", message="two", course=people.course)
        notify([people.teammate], verb="test", message="not mine", course=people.course)
    assert badge(client.get(url).content.decode()) == "2"
    assert badge(client.get(reverse("profile")).content.decode()) == "2"  # no course: its own query
    mark_all_read(people.member)
    assert badge(client.get(url).content.decode()) is None


def test_the_count_comes_with_the_access_check(people, client_for):
    client = client_for(people.member)
    url = reverse("courses:home", args=[people.course.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "django_session" in s]  # signed-cookie sessions
    assert not [s for s in sql if s.lstrip().startswith('SELECT COUNT(*) AS "__count" FROM "courses_notification"')]
    (access,) = [s for s in sql if 'FROM "courses_membership"' in s and "courses_notification" in s]
    assert "pagecache_version" in access and 'INNER JOIN "courses_course"' in access


def test_a_superuser_outside_the_course_gets_the_course_and_the_count(people, client_for):
    admin = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "x")
    with without_email():
        notify([admin], verb="test", message="for the operator")
    html = client_for(admin).get(reverse("courses:home", args=[people.course.slug])).content.decode()
    assert badge(html) == "1" and people.course.title in html


def test_the_links_are_the_courses_own(people, client_for):
    for user, course in ((people.member, people.course), (people.stranger, people.other_course)):
        html = client_for(user).get(reverse("courses:home", args=[course.slug])).content.decode()
        for name in ("teams:index", "proposals:index", "proposals:updates", "labeling:index"):
            assert f'href="{reverse(name, args=[course.slug])}"' in html
    staff = client_for(people.instructor).get(reverse("courses:home", args=[people.course.slug])).content.decode()
    assert f'href="{reverse("courses:roster", args=[people.course.slug])}"' in staff


def test_the_error_page_keeps_its_links_without_a_request():
    html = render_to_string("500.html")
    assert f'href="{reverse("home")}"' in html and f'href="{reverse("api-docs")}"' in html
