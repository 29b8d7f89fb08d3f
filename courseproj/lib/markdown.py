"""Markdown from users, rendered to HTML that is safe to show: every tag and attribute is allow-listed.

markdown-it-py (CommonMark) rather than Python-Markdown: Python-Markdown's link parsing is
quadratic in unmatched "[", so one student post of 20,000 brackets took 37 s per page view.
"""

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

MAX_MARKDOWN_CHARS = 100_000

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"}, "td": {"style"}}

# Raw HTML in the source is shown as text, never passed through; nh3 cleans what Markdown makes.
_renderer = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


def render_markdown(text: str | None) -> SafeString:
    """Render Markdown and sanitize the HTML (no scripts, no event handlers, no javascript: links)."""
    if not text:
        return mark_safe("")
    # The same text gives the same HTML: short texts shown on every request of a page (a
    # challenge's hints, a board post) are rendered once per process.
    if len(text) <= _MEMO_MAX_CHARS:
        return _render_short(text)
    return _render(text)


_MEMO_MAX_CHARS = 4_000


@functools.lru_cache(maxsize=512)
def _render_short(text: str) -> SafeString:
    return _render(text)


def _render(text: str) -> SafeString:
    html = _renderer.render(text[:MAX_MARKDOWN_CHARS])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
    return mark_safe(clean)  # noqa: S308 - sanitized by nh3 just above
