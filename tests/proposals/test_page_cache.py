"""The update grid and the staff's proposal list come from the page cache and show every change
on the next request: a posted or deleted update, a team renamed or added, a submitted, reviewed
or bulk-updated proposal, and the passing of time (a week's update falling due, a new week).

These tests commit (transaction=True): the cache is used only outside a transaction, as page views run.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from proposals import services
from proposals.models import Proposal, ProposalStatus, ReviewDecision, WeeklyUpdate
from proposals.weeks import course_week
from teams.models import Team
from tests.perf.page_cache import cached_visit, track_builds, visit
from tests.proposals.conftest import FULL_TEXT

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def built(monkeypatch) -> list[str]:
    return track_builds(monkeypatch)


UPDATE = {"did": "Trained the baseline.", "next_steps": "Try augmentation.", "blockers": "", "links": ""}


def grid_url(course, **query) -> str:
    url = reverse("proposals:grid", args=[course.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def list_url(course, **query) -> str:
    url = reverse("proposals:index", args=[course.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def cell(html: str, team: str, week: int) -> str:
    """The status shown in a team's cell of a week (posted, late, missing, due …, or —)."""
    row = re.search(rf'<th scope="row">{re.escape(team)}</th>(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="cell-(\w+)', row)
    return cells[week - 1]


def post(team, week, by, *, late=False):
    due = course_week(team.course, week).due
    return services.post_weekly_update(team, week, UPDATE, by=by, now=due + datetime.timedelta(hours=2 if late else -2))


class TestUpdateGrid:
    def test_a_posted_update_shows_in_its_cell(self, built, live_dates, people, client_for):
        client = client_for(people.ta)
        assert cell(cached_visit(client, grid_url(people.course), built), "Gradient Gang", 1) == "missing"
        post(people.team, 1, people.member, late=True)
        page = cached_visit(client, grid_url(people.course), built)
        assert cell(page, "Gradient Gang", 1) == "late"
        WeeklyUpdate.objects.filter(team=people.team, week=1).delete()
        assert cell(visit(client, grid_url(people.course)), "Gradient Gang", 1) == "missing"

    def test_the_missing_filter_follows_a_post(self, built, live_dates, people, client_for):
        client = client_for(people.ta)
        assert "Gradient Gang" in cached_visit(client, grid_url(people.course, missing=1), built)
        services.post_weekly_update(people.team, 3, UPDATE, by=people.member)
        assert "Gradient Gang" not in visit(client, grid_url(people.course, missing=1))

    def test_a_new_and_a_renamed_team_show(self, built, live_dates, people, client_for):
        client = client_for(people.ta)
        cached_visit(client, grid_url(people.course), built)
        Team.objects.create(course=people.course, name="Overfitters")
        Team.objects.filter(pk=people.team.pk).update(name="Loss Landscapers")
        page = visit(client, grid_url(people.course))
        assert "Overfitters" in page and "Loss Landscapers" in page and "Gradient Gang" not in page

    def test_a_week_falling_due_turns_pending_into_missing_without_any_write(
        self, built, live_dates, people, client_for, monkeypatch
    ):
        due = course_week(people.course, 3).due
        client = client_for(people.ta)
        monkeypatch.setattr(timezone, "now", lambda: due - datetime.timedelta(minutes=1))
        assert cell(cached_visit(client, grid_url(people.course), built), "Gradient Gang", 3) == "pending"
        monkeypatch.setattr(timezone, "now", lambda: due + datetime.timedelta(minutes=1))
        assert cell(visit(client, grid_url(people.course)), "Gradient Gang", 3) == "missing"

    def test_course_dates_change_the_weeks(self, built, live_dates, people, client_for):
        client = client_for(people.ta)
        assert "W6" in cached_visit(client, grid_url(people.course), built)
        course = people.course
        course.end_date = course.end_date + datetime.timedelta(weeks=1)
        course.save()
        assert "W7" in visit(client, grid_url(people.course))


class TestStaffProposalList:
    def test_a_submission_and_a_review_show(self, built, people, client_for):
        client = client_for(people.ta)
        assert "Not started" in cached_visit(client, list_url(people.course), built)
        proposal = services.start_proposal(people.team, by=people.member)
        services.save_draft(proposal, FULL_TEXT, by=people.member)
        page = cached_visit(client, list_url(people.course), built)
        assert "Draft" in page and "Not started" not in page
        services.submit_proposal(Proposal.objects.get(pk=proposal.pk), by=people.member)
        page = cached_visit(client, list_url(people.course), built)
        assert "Submitted" in page and ">Review</a>" in page
        services.review_proposal(Proposal.objects.get(pk=proposal.pk), by=people.ta, decision=ReviewDecision.APPROVED)
        page = visit(client, list_url(people.course))
        assert "Approved" in page and ">Review</a>" not in page

    def test_the_status_filter_follows_a_bulk_update(self, built, people, client_for):
        services.start_proposal(people.team, by=people.member)
        client = client_for(people.ta)
        assert "Gradient Gang" not in cached_visit(client, list_url(people.course, status="approved"), built)
        Proposal.objects.filter(team=people.team).update(status=ProposalStatus.APPROVED)
        assert "Gradient Gang" in visit(client, list_url(people.course, status="approved"))

    def test_a_dissolved_team_moves_its_proposal_to_the_orphans(self, built, people, client_for):
        services.start_proposal(people.team, by=people.member)
        client = client_for(people.ta)
        assert "Proposals of dissolved teams" not in cached_visit(client, list_url(people.course), built)
        Proposal.objects.filter(team=people.team).update(team=None, team_name="Gradient Gang")
        Team.objects.filter(pk=people.team.pk).delete()
        assert "Proposals of dissolved teams" in visit(client, list_url(people.course))
