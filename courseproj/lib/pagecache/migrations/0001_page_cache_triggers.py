"""Page cache versions: a stamp per course and area that the database changes on every write.

Moved here from labeling/migrations/0004_page_cache_versions.py (now a no-op) so the page cache
owns its triggers. A database that ran the old 0004 has them already: this migration keeps its
table and sequence (a stamp is never reused) and replaces the functions and triggers, so it runs
on a new database and on an existing one alike (docs/decisions.md).

The busiest pages cache their viewer-independent parts keyed by these stamps
(courseproj/lib/pagecache/). Triggers, not the services, change them, so no write path
can forget: services, admin, API, the scorer, management commands, bulk `update()`s and
cascading deletes all go through them. A stamp is never reused (a sequence on PostgreSQL,
a random 64-bit number on SQLite), so a rolled-back or repeated state cannot hit an old entry.

On PostgreSQL the triggers are deferred to commit: the course's version row is then locked
for the last moment of a transaction only, after every other lock it takes, so the bump
adds no lock-order deadlock to the transactions it watches. On SQLite writers are serialized
anyway and the triggers run at once.

Areas and what changes them (the columns the cached pages show):
- course: the course row, memberships, people's names and e-mail addresses;
- teams: teams and team memberships;
- proposals: proposals and weekly updates;
- labeling: challenges, their inputs and hints, and the submissions' board columns.
"""

from django.conf import settings
from django.db import migrations

AREAS = ("course", "teams", "proposals", "labeling")

# table: (area, how the row names its course, UPDATE columns that fire the trigger (None: any))
# "self": the row is the course; "course": its course_id; "challenge": through its challenge_id;
# "user": every course the user is a member of.
WATCHED = {
    "courses_course": ("course", "self", None),
    "courses_membership": ("course", "course", None),
    "teams_team": ("teams", "course", None),
    "teams_teammembership": ("teams", "course", None),
    "proposals_proposal": ("proposals", "course", None),
    "proposals_weeklyupdate": ("proposals", "course", None),
    "labeling_challenge": ("labeling", "course", None),
    "labeling_challengeinput": ("labeling", "challenge", None),
    "labeling_hint": ("labeling", "challenge", None),
    # Not the scorer's bookkeeping (heartbeats, attempts, worker, logs): only what a board shows.
    "labeling_submission": (
        "labeling",
        "challenge",
        [
            "challenge_id",
            "participant",
            "is_benchmark",
            "benchmark_name",
            "status",
            "public_score",
            "private_score",
            "created_at",
            "is_final_pick",
            "disqualified",
        ],
    ),
    "USER": ("course", "user", ["first_name", "last_name", "email"]),
}

TABLE = "pagecache_version"


def _tables(apps):
    user_table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    return {(user_table if t == "USER" else t): spec for t, spec in WATCHED.items()}


def _event(columns, vendor):
    update = "UPDATE" if columns is None else "UPDATE OF " + ", ".join(f'"{c}"' for c in columns)
    return f"INSERT OR {update} OR DELETE" if vendor == "postgresql" else update


def add_versions(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    area_columns = ", ".join(f"{a} bigint" for a in AREAS)
    schema_editor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (course_id bigint PRIMARY KEY, {area_columns})")
    if vendor == "postgresql":
        _add_postgresql(apps, schema_editor)
    elif vendor == "sqlite":
        _add_sqlite(apps, schema_editor)


def _add_postgresql(apps, schema_editor):
    area_updates = ", ".join(f"{a} = CASE WHEN area = '{a}' THEN EXCLUDED.{a} ELSE v.{a} END" for a in AREAS)
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {TABLE}_stamp")
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION pagecache_bump(cid bigint, area text) RETURNS void AS $$
        DECLARE
            stamp bigint;
            done text := 'pagecache.bumped_' || cid || '_' || area;
        BEGIN
            -- Once per course and area per transaction: a bulk load of 5,000 rows bumps once.
            IF cid IS NULL OR current_setting(done, true) = '1' THEN
                RETURN;
            END IF;
            stamp := nextval('{TABLE}_stamp');
            INSERT INTO {TABLE} AS v (course_id, {", ".join(AREAS)})
                VALUES (cid, {", ".join("stamp" for _ in AREAS)})
                ON CONFLICT (course_id) DO UPDATE SET {area_updates};
            PERFORM set_config(done, '1', true);
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,
    )
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION pagecache_row_changed() RETURNS trigger AS $$
        DECLARE
            area text := TG_ARGV[0];
            via text := TG_ARGV[1];
            r jsonb;
            cid bigint;
        BEGIN
            FOREACH r IN ARRAY ARRAY[
                CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
                CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END
            ] LOOP
                CONTINUE WHEN r IS NULL;
                IF via = 'self' THEN
                    PERFORM pagecache_bump((r->>'id')::bigint, area);
                ELSIF via = 'course' THEN
                    PERFORM pagecache_bump((r->>'course_id')::bigint, area);
                ELSIF via = 'challenge' THEN
                    SELECT course_id INTO cid FROM labeling_challenge WHERE id = (r->>'challenge_id')::bigint;
                    PERFORM pagecache_bump(cid, area);
                ELSIF via = 'user' THEN
                    PERFORM pagecache_bump(m.course_id, area)
                        FROM courses_membership m WHERE m.user_id = (r->>'id')::bigint;
                END IF;
            END LOOP;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,
    )
    for table, (area, via, columns) in _tables(apps).items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_pagecache ON {table}")
        schema_editor.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_pagecache AFTER {_event(columns, 'postgresql')} ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pagecache_row_changed('{area}', '{via}')"
        )


def _sqlite_course(via: str, row: str) -> str:
    """A SELECT of the course id(s) the changed row belongs to."""
    if via == "self":
        return f"SELECT {row}.id AS cid WHERE {row}.id IS NOT NULL"
    if via == "course":
        return f"SELECT {row}.course_id AS cid WHERE {row}.course_id IS NOT NULL"
    if via == "challenge":
        return f"SELECT course_id AS cid FROM labeling_challenge WHERE id = {row}.challenge_id"
    return f"SELECT course_id AS cid FROM courses_membership WHERE user_id = {row}.id"


def _add_sqlite(apps, schema_editor):
    for table, (area, via, columns) in _tables(apps).items():
        for op, rows in (("INSERT", ["NEW"]), (_event(columns, "sqlite"), ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            body = "".join(
                f"INSERT INTO {TABLE} (course_id, {', '.join(AREAS)}) "
                f"SELECT cid, {', '.join('random()' for _ in AREAS)} FROM ({_sqlite_course(via, row)}) WHERE true "
                f"ON CONFLICT (course_id) DO UPDATE SET {area} = excluded.{area}; "
                for row in rows
            )
            name = f"{table}_pagecache_{op.split()[0].lower()}"
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(f"CREATE TRIGGER {name} AFTER {op} ON {table} FOR EACH ROW BEGIN {body}END")


def drop_versions(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in _tables(apps):
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_pagecache ON {table}")
        elif vendor == "sqlite":
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_pagecache_{op}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS pagecache_row_changed()")
        schema_editor.execute("DROP FUNCTION IF EXISTS pagecache_bump(bigint, text)")
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {TABLE}_stamp")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    # After labeling 0004, which created these on databases migrated before the move.
    dependencies = [
        ("labeling", "0004_page_cache_versions"),
        ("courses", "0002_notifications"),
        ("teams", "0006_deadline_lock_and_placement_plan"),
        ("proposals", "0002_refuse_updates_to_revisions_and_reviews"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(add_versions, drop_versions, elidable=False)]
