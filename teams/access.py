"""Who may see and change a team: built on courses.permissions.get_course_access.

Teams are public inside a course: every member of the course may read every team (students
browse them to ask to join). Writing is for the team's own members and the course's staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courses.permissions import CourseAccess, get_course_access
from teams.models import Team, TeamMembership


@dataclass(frozen=True)
class TeamAccess:
    access: CourseAccess
    team: Team
    is_member: bool

    @property
    def can_write(self) -> bool:
        return self.is_member or self.access.is_staff


def team_access(access: CourseAccess, team_id, *, write: bool = False) -> TeamAccess:
    """The team `team_id` of the access's course: 404 if it is not there, 403 on write for non-members."""
    try:
        team = Team.objects.select_related("course").get(pk=int(team_id), course=access.course)
    except (Team.DoesNotExist, TypeError, ValueError):
        raise Http404("No such team") from None
    is_member = TeamMembership.objects.filter(team=team, user=access.user).exists()
    result = TeamAccess(access=access, team=team, is_member=is_member)
    if write and not result.can_write:
        raise PermissionDenied("Only the team's members and the course's staff can do this.")
    return result


def get_team_for_user(user, course_slug: str, team_id, write: bool = False) -> Team:
    """The team as `user` may see it: 404 for non-members of the course or a team of another
    course; with write=True, PermissionDenied unless the user is in the team or course staff."""
    access = get_course_access(user, course_slug)
    return team_access(access, team_id, write=write).team
