"""The five pages of the load benchmark (bench/pages.py) run a fixed number of SQL queries,
whatever the size of the course: measured on a small course and on the full bench course
(200 students, 60 teams, 60 proposals with 3 revisions, 10 weeks of updates, 5,000
submissions), both built by bench/datagen.py in the shapes the apps' services write.

The bounds are the counts measured when this was written (docs/performance.md); a page that
starts running a query per row fails here. Every page's fixed part is two queries: the user (for
the session) and the course with the membership, the unread count and the page cache's stamps.
The first test runs inside a transaction, where the page cache is off (what every page costs when
its cached parts must be built); the second commits, as page views do, and counts a cache miss
and then a hit.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.datagen import FULL, Size, build

SMALL = Size(students=12, teams=4, submissions=60)

# (page, who looks at it, URL name, the most queries it may run, table rows on the full course's first page)
PAGES = [
    ("leaderboard", "student", "labeling:leaderboard", 7, 50),
    ("leaderboard", "instructor", "labeling:leaderboard", 7, 50),
    ("challenge page", "student", "labeling:challenge", 9, 20),
    ("challenge page", "instructor", "labeling:challenge", 8, 0),
    ("team list", "student", "teams:index", 5, 20),
    ("update grid", "instructor", "proposals:grid", 4, 50),
    ("proposal list", "instructor", "proposals:index", 4, 50),
    ("proposal list", "student", "proposals:index", 6, 30),
]


def url_for(world, name: str) -> str:
    if name.startswith("labeling:"):
        return reverse(name, args=[world.course.slug, world.challenge.slug])
    return reverse(name, args=[world.course.slug])


def test_every_page_runs_the_same_number_of_queries_at_both_sizes(db, client_for, django_assert_max_num_queries):
    worlds = {"small": build(SMALL, slug="perf-small"), "full": build(FULL, slug="perf-full")}
    counts = worlds["full"].counts
    assert (counts["students"], counts["teams"], counts["proposals"], counts["revisions"]) == (200, 60, 60, 180)
    assert counts["submissions"] >= 5000
    # Ten weeks for every team; a few updates are missing, as in a real course.
    assert 0.8 * 60 * 10 <= counts["weekly_updates"] <= 60 * 10

    problems = []
    for page, who, name, most, rows in PAGES:
        found = {}
        for size, world in worlds.items():
            client = client_for(world.viewer() if who == "student" else world.instructor)
            url = url_for(world, name)
            client.get(url)  # a session's first visit may set things up (e.g. the proposal template)
            with django_assert_max_num_queries(most), CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, f"{page} as {who}: status {response.status_code}"
            found[size] = len(queries)
            shown = response.content.count(b"<tr")
            if size == "full" and shown < rows:
                # The counts mean something only if the full course fills the page.
                problems.append(f"{page} as {who}: {shown} table rows on the full course, expected {rows} or more")
        if found["small"] != found["full"]:
            problems.append(
                f"{page} as {who}: {found['small']} queries on the small course, {found['full']} on the full"
            )
    assert not problems, "\n".join(problems)


# (page, who, URL name, most queries on a cache miss, most on a hit) with the page cache on, as
# page views run it (outside a transaction). A hit reads the version stamps instead of the data
# (and, on the labeling pages, takes the challenge row and its hints from the cache too).
# The instructor's leaderboard finds what the student's visit built (None: no miss expected).
CACHED = [
    ("leaderboard", "student", "labeling:leaderboard", 7, 2),
    ("leaderboard", "instructor", "labeling:leaderboard", None, 2),
    ("challenge page", "student", "labeling:challenge", 8, 3),
    ("team list", "student", "teams:index", 5, 2),
    ("update grid", "instructor", "proposals:grid", 4, 2),
    ("proposal list", "instructor", "proposals:index", 4, 2),
]


@pytest.mark.django_db(transaction=True)
def test_cached_pages_run_a_fixed_number_of_queries_on_a_miss_and_fewer_on_a_hit(client_for):
    worlds = {"small": build(SMALL, slug="perf-small"), "full": build(FULL, slug="perf-full")}
    problems = []
    for page, who, name, most_missed, most_hit in CACHED:
        found = {}
        for size, world in worlds.items():
            client = client_for(world.viewer() if who == "student" else world.instructor)
            url = url_for(world, name)
            counts = []
            for _ in range(2):  # the first request builds the cached parts, the second finds them
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url).status_code == 200
                counts.append(len(queries))
            found[size] = counts
        missed, hit = found["full"]
        if found["small"] != found["full"]:
            problems.append(
                f"{page} as {who}: {found['small']} queries on the small course, {found['full']} on the full"
            )
        if most_missed is None:  # both requests are hits
            wrong = missed != hit or hit > most_hit
        else:
            wrong = missed > most_missed or hit > most_hit or hit >= missed
        if wrong:
            problems.append(
                f"{page} as {who}: {missed} queries on the first request (a miss at most {most_missed}), "
                f"{hit} on the second (a hit, at most {most_hit})"
            )
    assert not problems, "\n".join(problems)
