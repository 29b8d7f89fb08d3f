"""Every write to teams goes through these functions."""

from __future__ import annotations

from teams.models import Team


def team_of(user, course) -> Team | None:
    """The user's team in the course, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Team.objects.filter(course=course, memberships__user=user).first()
