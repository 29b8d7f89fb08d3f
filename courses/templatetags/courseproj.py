import functools

from django import template
from django.urls import get_script_prefix, reverse

from courseproj.lib.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """{{ text|markdown }}: user Markdown as sanitized HTML."""
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed: for pagination and filter links."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


COURSE_LINKS = {
    "course_home": "courses:home",
    "teams": "teams:index",
    "proposals": "proposals:index",
    "updates": "proposals:updates",
    "challenge": "labeling:index",
    "evaluations": "grading:evaluations",
    "grade_sheet": "grading:sheet",
    "my_grades": "grading:mine",
    "roster": "courses:roster",
    "settings": "courses:settings",
}
SITE_LINKS = ("home", "notifications", "profile", "admin:index", "logout", "login", "signup", "api-docs")


@functools.lru_cache(maxsize=4096)
def _links(prefix: str, course_slug: str | None) -> dict[str, str]:
    """The layout's links, built once per course (and URL prefix) instead of on every page."""
    links = {name.replace(":", "_").replace("-", "_"): reverse(name) for name in SITE_LINKS}
    if course_slug is not None:
        links.update({key: reverse(name, args=[course_slug]) for key, name in COURSE_LINKS.items()})
    return links


@register.simple_tag(takes_context=True)
def layout_links(context) -> dict[str, str]:
    """`{% layout_links as nav %}`: base.html's links for the page's course (or none)."""
    course = context.get("course")
    return _links(get_script_prefix(), course.slug if course else None)
