"""The teams card on the course home page."""

from teams import queries, services
from teams.models import Invitation, JoinRequest, RequestStatus, TeamMembership


def home_card(access):
    course = access.course
    card = {
        "template": "teams/home_card.html",
        "deadline_passed": services.deadline_passed(course),
    }
    if access.is_staff:
        overview = queries.overview(course)
        card.update(
            staff=True,
            team_count=overview["team_count"],
            unplaced=len(overview["unplaced"]),
            solo_pending=sum(1 for t in overview["solo"] if t.status.key == "solo_pending"),
            under=len(overview["under"]),
            requests=len(overview["requests"]),
        )
        return card
    team = services.team_of(access.user, course)
    card["team"] = team
    if team is not None:
        card["size"] = TeamMembership.objects.filter(team=team).count()
        card["team_requests"] = JoinRequest.objects.filter(team=team, status=RequestStatus.PENDING).count()
    else:
        card["invitations"] = Invitation.objects.filter(
            course=course, user=access.user, status=RequestStatus.PENDING
        ).count()
    return card
