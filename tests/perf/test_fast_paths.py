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
