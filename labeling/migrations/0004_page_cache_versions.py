"""Page cache versions: once here, now the page cache's own migration
(courseproj/lib/pagecache/migrations/0001_page_cache_triggers.py), which runs after this one.

Kept, doing nothing, so databases that applied it stay consistent; there the new migration finds
the table and the triggers this one created and takes them over (docs/decisions.md).
"""

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("labeling", "0003_leaderboard_index_per_participant"),
        ("courses", "0002_notifications"),
        ("teams", "0006_deadline_lock_and_placement_plan"),
        ("proposals", "0002_refuse_updates_to_revisions_and_reviews"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=False)]
