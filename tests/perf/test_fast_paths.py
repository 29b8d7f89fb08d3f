"""The shortcuts taken for speed (docs/performance.md) give exactly what the slow way gave."""

from __future__ import annotations

import re

from django.urls import reverse

from bench.datagen import Size, build
from proposals.models import WeeklyUpdate

SMALL = Size(students=12, teams=4, submissions=60)


def test_the_update_grid_links_every_posted_update_to_its_page(db, client_for):
    world = build(SMALL, slug="perf-grid")
    body = client_for(world.instructor).get(reverse("proposals:grid", args=[world.course.slug])).content.decode()
    links = re.findall(r'<a href="([^"]+)" class="badge (?:ok|warn)">', body)
    expected = [
        reverse("proposals:update_detail", args=[world.course.slug, pk])
        for pk in WeeklyUpdate.objects.filter(course=world.course)
        .order_by("team__name", "week")
        .values_list("pk", flat=True)
    ]
    assert links == expected


def test_the_score_chart_draws_a_dot_per_scored_submission_and_escapes_the_name():
    """The dots are written with f-strings, not format_html (docs/performance.md)."""
    import datetime

    from labeling.leaderboard import _chart_bounds, sparkline

    t0 = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    history = [(t0 + datetime.timedelta(hours=7 * i), 0.85 + ((i * 37) % 11) / 200) for i in range(30)]
    svg = str(sparkline(history, _chart_bounds(history), label="Ada <Lovelace>", width=100, height=26))
    dots = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="2"/>', svg)]
    assert len(dots) == 30
    # Earliest at the left padding, latest at the right; lowest score at the bottom, highest at the top.
    assert dots[0][0] == 3.0 and dots[-1][0] == 97.0
    assert max(y for _, y in dots) == 23.0 and min(y for _, y in dots) == 3.0
    assert "Ada &lt;Lovelace&gt;" in svg and "<Lovelace>" not in svg


def test_the_benchmarks_session_cookie_logs_the_user_in(db, client):
    """bench/pages.py logs its clients in with a session it writes itself; a page answers it as
    the user's (not a 500 from a backend that cannot load users, as django-axes's cannot)."""
    from bench.pages import session_cookie

    world = build(SMALL, slug="perf-cookie")
    name, _, value = session_cookie(world.instructor).partition("=")
    client.cookies[name] = value
    response = client.get(reverse("proposals:grid", args=[world.course.slug]))
    assert response.status_code == 200
    assert response.wsgi_request.user == world.instructor
