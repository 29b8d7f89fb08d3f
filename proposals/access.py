"""Who may see and change proposals and weekly updates; built on courses.permissions.

Proposals: the team sees everything of its own (drafts included); staff see every proposal's
revisions and reviews but never a draft; other students see a proposal's submitted revisions
and its comments, and only when the course has `proposals_visible_to_classmates` on.
Weekly updates are open to every member of the course; only the team writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courses.permissions import CourseAccess
from proposals.models import Proposal, WeeklyUpdate
from teams.models import Team, TeamMembership
from teams.services import team_of


@dataclass(frozen=True)
class ProposalAccess:
    access: CourseAccess
    proposal: Proposal
    is_team: bool

    @property
    def can_edit(self) -> bool:
        return self.is_team

    @property
    def can_see_draft(self) -> bool:
        return self.is_team

    @property
    def can_see_reviews(self) -> bool:
        return self.is_team or self.access.is_staff

    @property
    def can_review(self) -> bool:
        return self.access.is_staff

    @property
    def can_comment(self) -> bool:
        return self.proposal.revision_count > 0


def classmates_may_read(course) -> bool:
    return course.proposals_visible_to_classmates


def get_proposal_access(access: CourseAccess, proposal_id, *, write: bool = False) -> ProposalAccess:
    """The proposal as the user may see it: 404 when hidden from them, 403 on write unless in the team."""
    try:
        proposal = Proposal.objects.select_related("team", "course").get(pk=int(proposal_id), course=access.course)
    except (Proposal.DoesNotExist, TypeError, ValueError):
        raise Http404("No such proposal") from None
    is_team = bool(
        proposal.team_id and TeamMembership.objects.filter(team_id=proposal.team_id, user=access.user).exists()
    )
    # Drafts stay private to the team; submitted proposals only when the course shares them.
    shared = classmates_may_read(access.course) and proposal.revision_count > 0
    if not (is_team or access.is_staff or shared):
        raise Http404("No such proposal")
    result = ProposalAccess(access=access, proposal=proposal, is_team=is_team)
    if write and not result.can_edit:
        raise PermissionDenied("Only the team's members can change its proposal.")
    return result


def visible_proposals(access: CourseAccess):
    """The course's proposals the user may list."""
    qs = Proposal.objects.filter(course=access.course)
    if access.is_staff:
        return qs
    team = team_of(access.user, access.course)
    visible = qs.filter(team=team) if team else qs.none()
    if classmates_may_read(access.course):
        visible = qs.filter(revision_count__gt=0) | visible
    return visible


def my_team(access: CourseAccess) -> Team | None:
    return team_of(access.user, access.course)


@dataclass(frozen=True)
class UpdateAccess:
    access: CourseAccess
    update: WeeklyUpdate
    is_team: bool


def get_update_access(access: CourseAccess, update_id, *, write: bool = False) -> UpdateAccess:
    """A weekly update of the course: every member reads it; with write=True only its team."""
    try:
        update = WeeklyUpdate.objects.select_related("team", "author", "updated_by").get(
            pk=int(update_id), course=access.course
        )
    except (WeeklyUpdate.DoesNotExist, TypeError, ValueError):
        raise Http404("No such update") from None
    is_team = TeamMembership.objects.filter(team_id=update.team_id, user=access.user).exists()
    if write and not is_team:
        raise PermissionDenied("Only the team's members can change its update.")
    return UpdateAccess(access=access, update=update, is_team=is_team)
