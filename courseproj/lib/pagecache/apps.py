from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    """The page cache's own app: no models, only its migrations, which hold the version table and
    the triggers that change it (migrations/0001_page_cache_triggers.py)."""

    name = "courseproj.lib.pagecache"
    label = "pagecache"
    verbose_name = "Page cache"
