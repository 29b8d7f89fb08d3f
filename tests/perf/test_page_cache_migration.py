"""The page cache's own migration (courseproj/lib/pagecache/migrations/0001_page_cache_triggers.py)
runs back and forward on the database of the run (PostgreSQL or SQLite), and forward again on a
database that already has the table and the triggers (one migrated when labeling 0004 held them)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courses.models import Course

pytestmark = pytest.mark.django_db(transaction=True)

MIGRATION = importlib.import_module("courseproj.lib.pagecache.migrations.0001_page_cache_triggers")


def triggers_and_table() -> tuple[int, bool]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%%pagecache%%'")
            triggers = cursor.fetchone()[0]
            cursor.execute("SELECT to_regclass('pagecache_version') IS NOT NULL")
            return triggers, bool(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%pagecache%'")
        triggers = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'pagecache_version'")
        return triggers, bool(cursor.fetchone()[0])


def stamps(course_id: int):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT course, teams, proposals, labeling FROM pagecache_version WHERE course_id = %s", [course_id]
        )
        return cursor.fetchone()


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def test_it_runs_back_and_forward():
    installed = triggers_and_table()
    per_table = 3 if connection.vendor == "sqlite" else 1  # insert/update/delete; one constraint trigger
    assert installed == (len(MIGRATION.WATCHED) * per_table, True)
    leaves = [node for node in MigrationExecutor(connection).loader.graph.leaf_nodes()]
    try:
        migrate([("pagecache", None)])
        assert triggers_and_table() == (0, False)
    finally:
        migrate(leaves)
    assert triggers_and_table() == installed
    course = Course.objects.create(slug="after", title="After", join_code="AFTER-1")
    assert stamps(course.pk) is not None  # the triggers work again


def test_it_takes_over_what_an_existing_database_has():
    course = Course.objects.create(slug="before", title="Before", join_code="BEFORE-1")
    before = stamps(course.pk)
    with connection.schema_editor() as editor:  # as on a database where labeling 0004 made them
        MIGRATION.add_versions(apps, editor)
    assert triggers_and_table()[0] == len(MIGRATION.WATCHED) * (3 if connection.vendor == "sqlite" else 1)
    assert stamps(course.pk) == before  # the table and its stamps are kept
    Course.objects.filter(pk=course.pk).update(title="Changed")
    after = stamps(course.pk)
    assert after[0] != before[0] and after[1:] == before[1:]
