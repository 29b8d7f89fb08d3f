"""Exact caching of the viewer-independent parts of the busiest pages.

A cached part is keyed by the version stamps of the course areas it shows (course, teams,
proposals, labeling). Database triggers change a stamp in the same transaction as any write
to the rows of its area (the app's migrations/0001_page_cache_triggers.py), so an entry is
never read after its data changed and nothing expires by time. A request reads the stamps
first and the data after: a write committed in between makes the entry newer than its key,
never older. On pages that only read, the stamps come with the access check's query
(`stamps_column`, read by courses.permissions.get_course_access before any of the page's data).

Inside a transaction (tests, or code that renders a page within `atomic`), the connection
may hold writes of its own that the stamps do not show yet: the parts are then built from
the database and not cached. Page views run in autocommit.

Only what is the same for every viewer goes in: the views add the viewer's own bits (their
row's highlight, their buttons) to what they get from here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models.expressions import RawSQL

AREAS = ("course", "teams", "proposals", "labeling")
T = TypeVar("T")
_MISSING = object()


def stamps_column(course_id_column: str) -> RawSQL:
    """An expression for a query that reads the course anyway: all the course's stamps as one
    string (None without a version row). A page hands it to PageCache through
    `course.page_stamps`, saving the query of its own; read before the page's data, like that one."""
    joined = " || ':' || ".join(f"CAST({a} AS TEXT)" for a in AREAS)
    return RawSQL(f"SELECT {joined} FROM pagecache_version WHERE course_id = {course_id_column}", [])


class PageCache:
    """The cached parts of one course's page, for one request (the stamps are read once)."""

    def __init__(self, course, *areas: str):
        """`areas`: what the parts show besides the course itself (whose stamp every key holds:
        it changes when a course row is created again under an old id, too)."""
        unknown = set(areas) - set(AREAS)
        if unknown:
            raise ValueError(f"unknown page cache areas: {sorted(unknown)}")
        self.course_id, self._course = course.pk, course
        self.areas = ("course", *(a for a in AREAS if a in areas and a != "course"))
        self.enabled = not connection.in_atomic_block
        self.hits = self.misses = 0
        self._prefix = self._read_prefix() if self.enabled else ""

    def _read_prefix(self) -> str:
        known = getattr(self._course, "page_stamps", None)
        if known:
            every = dict(zip(AREAS, known.split(":"), strict=True))
            stamps = tuple(every[a] for a in self.areas)
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(self.areas)} FROM pagecache_version WHERE course_id = %s", [self.course_id]
                )
                stamps = cursor.fetchone() or (None,) * len(self.areas)
        return f"page:{self.course_id}:" + ":".join(f"{a}={s}" for a, s in zip(self.areas, stamps, strict=True))

    def get(self, name: str, build: Callable[[], T], *parts: Any) -> T:
        """The value `build()` returns for the current data, from the cache when it holds it.

        `name` and `parts` (plain values: ids, page numbers, filters) tell the parts apart; the
        value must pickle. Long or free-form parts (spaces, control characters) are hashed into the key.
        """
        if not self.enabled:
            return build()
        key = self._key(name, parts)
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            self.misses += 1
            value = build()
            cache.set(key, value, timeout=None)
        else:
            self.hits += 1
        return value

    def peek(self, name: str, *parts: Any) -> Any:
        """The cached value, or None when there is none (then build it and `put` it, or not)."""
        if not self.enabled:
            return None
        value = cache.get(self._key(name, parts))
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, name: str, value: Any, *parts: Any) -> None:
        """Store a part built along with another one (a later `get` of it then hits)."""
        if self.enabled:
            cache.set(self._key(name, parts), value, timeout=None)

    def _key(self, name: str, parts) -> str:
        detail = ":".join(str(p) for p in parts)
        if len(detail) > 80 or not detail.isprintable() or " " in detail:  # keys memcached would refuse
            detail = hashlib.sha256(detail.encode()).hexdigest()
        return f"{self._prefix}:{name}:{detail}"
