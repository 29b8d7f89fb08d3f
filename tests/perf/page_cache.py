"""Helpers of the page cache tests (tests/*/test_page_cache*.py): which cached parts a request
built, and visiting a page twice to check that the second visit builds none."""

from __future__ import annotations

import importlib
import re

from django.apps import apps

from courseproj.lib.pagecache import PageCache


def track_builds(monkeypatch) -> list[str]:
    """The names of the cached parts built (cache misses) since the list was last cleared.
    Each test module's `built` fixture returns it."""
    names: list[str] = []
    original = PageCache.get

    def get(self, name, build, *parts):
        def counted():
            names.append(name)
            return build()

        return original(self, name, counted, *parts)

    original_peek = PageCache.peek

    def peek(self, name, *parts):  # a miss here is a part the caller builds itself
        value = original_peek(self, name, *parts)
        if value is None:
            names.append(name)
        return value

    monkeypatch.setattr(PageCache, "get", get)
    monkeypatch.setattr(PageCache, "peek", peek)
    return names


def visit(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: status {response.status_code}"
    return response.content.decode()


def cached_visit(client, url: str, built: list[str]) -> str:
    """The page; visited again, it comes from the cache alone and is the same."""
    first = visit(client, url)
    built.clear()
    again = visit(client, url)
    assert built == [], f"a repeated request built {built}"
    assert without_csrf(again) == without_csrf(first)
    return again


def without_csrf(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def watched_tables() -> set[str]:
    """The tables whose writes change the version stamps (the pagecache app's migration 0001)."""
    migration = importlib.import_module("courseproj.lib.pagecache.migrations.0001_page_cache_triggers")
    return set(migration._tables(apps))
