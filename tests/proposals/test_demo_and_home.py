"""seed_demo's proposals and updates, and the card on the course home page."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.models import Course
from proposals import services
from proposals.models import Proposal, ReviewSectionComment, WeeklyUpdate
from proposals.weeks import current_week_number

pytestmark = pytest.mark.django_db


class TestTheDemo:
    def test_seed_demo_has_an_approved_proposal_one_to_revise_and_three_weeks_with_one_missing(self, capsys):
        call_command("seed_demo")
        course = Course.objects.get(slug="ml-bootcamp")
        statuses = dict(Proposal.objects.filter(course=course).values_list("team_name", "status"))
        assert "approved" in statuses.values() and "needs_revision" in statuses.values()
        to_revise = Proposal.objects.get(course=course, status="needs_revision")
        assert ReviewSectionComment.objects.filter(review__proposal=to_revise).count() >= 2
        approved = Proposal.objects.get(course=course, status="approved")
        assert approved.revision_count == 2  # there is a diff to look at
        assert current_week_number(course) == 4
        weeks = WeeklyUpdate.objects.filter(course=course, week__lte=3)
        teams = {u.team_id for u in weeks}
        assert set(weeks.values_list("week", flat=True)) == {1, 2, 3}
        assert weeks.count() == 3 * len(teams) - 1  # exactly one missing
        assert weeks.filter(late=True).exists()


class TestTheHomeCard:
    def test_a_student_sees_the_proposal_status_and_this_weeks_update(self, live_dates, submitted, people, client_for):
        body = client_for(people.member).get(reverse("courses:home", args=[people.course.slug])).content.decode()
        assert "updates</a>" in body and "Submitted" in body and "Week 3 update" in body

    def test_staff_see_what_to_review_and_who_is_missing(self, live_dates, submitted, people, client_for):
        services.post_weekly_update(people.team, 3, {"did": "a", "next_steps": "b"}, by=people.member)
        body = client_for(people.ta).get(reverse("courses:home", args=[people.course.slug])).content.decode()
        assert "<strong>1</strong> proposal to review" in body
        assert "<strong>0</strong> of 1 team</a> without an update for week 3" in body

    def test_a_course_without_dates_still_has_a_card(self, people, client_for):
        body = client_for(people.outsider).get(reverse("courses:home", args=[people.course.slug])).content.decode()
        assert "Join a team to write a proposal" in body
