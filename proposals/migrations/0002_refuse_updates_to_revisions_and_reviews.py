"""Database-level guard: submitted revisions and reviews are written once and never changed.

Triggers refuse an UPDATE of their content columns on PostgreSQL and SQLite. Setting a
deleted user's foreign key to NULL (on_delete=SET_NULL) is still allowed, and so is deleting
rows (a course or proposal being deleted cascades).
"""

from django.db import migrations

GUARDED = {
    "proposals_proposalrevision": ["proposal_id", "number", "created_at", "late"],
    "proposals_revisionsection": ["revision_id", "key", "position", "title", "body"],
    "proposals_review": ["proposal_id", "revision_id", "decision", "comment", "created_at"],
    "proposals_reviewsectioncomment": ["review_id", "key", "body"],
}


def _columns(columns):
    return ", ".join(f'"{c}"' for c in columns)


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION proposals_refuse_update() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=None,  # the % in RAISE is PL/pgSQL's placeholder, not the driver's
        )
        for table, columns in GUARDED.items():
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OF {_columns(columns)} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION proposals_refuse_update();"
            )
    elif vendor == "sqlite":
        for table, columns in GUARDED.items():
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OF {_columns(columns)} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are immutable'); END;"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in GUARDED:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable;")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS proposals_refuse_update();")


class Migration(migrations.Migration):
    dependencies = [("proposals", "0001_proposals_and_weekly_updates")]

    operations = [migrations.RunPython(add_triggers, drop_triggers, elidable=False)]
