from django import template

from labeling.models import Status

register = template.Library()

_BADGES = {
    Status.QUEUED: "info",
    Status.RUNNING: "info",
    Status.SCORED: "ok",
    Status.FAILED: "bad",
    Status.TIMED_OUT: "bad",
    Status.MEMORY_EXCEEDED: "bad",
    Status.INVALID_OUTPUT: "warn",
    Status.CANCELLED: "",
}


@register.filter
def score(value, digits=4):
    """A score with a fixed number of decimals ("—" for none); the board compares exact values."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}"


@register.filter
def status_class(status) -> str:
    """The badge class for a submission status."""
    return _BADGES.get(status, "")


@register.filter
def seconds(value) -> str:
    if value is None:
        return "—"
    return f"{float(value):.1f} s"


@register.filter
def wait(value) -> str:
    """An estimated wait in seconds, as a person reads it: "under 10 s", "about 40 s", "about 3 min"."""
    if value is None:
        return "—"
    value = int(value)
    if value < 10:
        return "under 10 s"
    if value < 90:
        return f"about {round(value, -1)} s"
    return f"about {round(value / 60)} min"


@register.filter
def ordinal(value) -> str:
    value = int(value)
    suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return f"{value}{suffix}"


@register.filter
def kib(value) -> str:
    if value is None:
        return "—"
    value = int(value)
    return (
        f"{value} B" if value < 1024 else f"{value / 1024:.0f} KB" if value < 1024 * 1024 else f"{value / 2**20:.1f} MB"
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def split(text: str):
    return text.split()


@register.filter
def field(form, name: str):
    """A bound field by name, to lay a form out in groups."""
    return form[name]


@register.filter
def person(user, missing: str = "(deleted user)") -> str:
    """A user's name, else their e-mail; `missing` when there is no user."""
    if user is None:
        return missing
    return user.get_full_name() or user.email
