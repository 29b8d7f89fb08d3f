from django.db.models import Count, Q
from django.utils import timezone

from proposals import queries
from proposals.access import my_team
from proposals.models import Proposal, ProposalStatus, WeeklyUpdate
from proposals.weeks import course_week, current_week_number


def home_card(access):
    """The course home page card: the team's proposal and this week's update, or the staff's to-do counts."""
    course = access.course
    now = timezone.now()
    current = current_week_number(course, now)
    week = course_week(course, current) if current else None
    card = {"template": "proposals/_home_card.html", "week": week}
    if access.is_staff:
        counts = Proposal.objects.filter(course=course).aggregate(
            to_review=Count("pk", filter=Q(status=ProposalStatus.SUBMITTED)),
            approved=Count("pk", filter=Q(status=ProposalStatus.APPROVED)),
        )
        teams = course.teams.count()
        posted = WeeklyUpdate.objects.filter(course=course, week=current).count() if current else 0
        return {**card, "staff": True, **counts, "teams": teams, "missing": teams - posted}
    team = my_team(access)
    proposal = Proposal.objects.filter(team=team).first() if team else None
    cell = None
    if team and week:
        cell = next(c for c in queries.team_weeks(course, team, now) if c.week.number == current)
    return {**card, "staff": False, "team": team, "proposal": proposal, "cell": cell}
