"""Markdown from users, rendered to HTML that is safe to show: every tag and attribute is allow-listed."""

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

MAX_MARKDOWN_CHARS = 100_000

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> SafeString:
    """Render Markdown and sanitize the HTML (no scripts, no event handlers, no javascript: links)."""
    if not text:
        return mark_safe("")
    html = md.markdown(text[:MAX_MARKDOWN_CHARS], extensions=["fenced_code", "tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitized by nh3 just above
