"""Weekly update pages: the team's form (with last week's "what's next"), the update page with
threaded comments, the instructor grid and its CSV, the course feed."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from proposals import services
from proposals.models import WeeklyUpdate
from proposals.weeks import course_week
from tests.proposals.conftest import add_teams

pytestmark = pytest.mark.django_db

UPDATE = {"did": "Trained the baseline.", "next_steps": "Try **augmentation**.", "blockers": "", "links": ""}


def url(name, people, *args):
    return reverse(f"proposals:{name}", args=[people.course.slug, *args])


def post_past(team, week, by, *, late=False):
    """An update for a past week, posted on time (or late)."""
    due = course_week(team.course, week).due
    return services.post_weekly_update(team, week, UPDATE, by=by, now=due + datetime.timedelta(hours=2 if late else -2))


class TestTheForm:
    def test_it_shows_last_weeks_whats_next(self, live_dates, people, client_for):
        post_past(people.team, 2, people.member)
        body = client_for(people.teammate).get(url("update_form", people, 3)).content.decode()
        assert "Try <strong>augmentation</strong>." in body

    def test_posting_this_weeks_update(self, live_dates, people, client_for):
        response = client_for(people.member).post(url("update_form", people, 3), UPDATE)
        update = WeeklyUpdate.objects.get(team=people.team, week=3)
        assert response["Location"] == url("update_detail", people, update.pk)

    def test_posting_twice_edits_until_the_due_time(self, live_dates, people, client_for):
        people.course.update_due_weekday, people.course.update_due_time = 6, datetime.time(23, 59, 59)
        people.course.save()  # due at the very end of this week, whatever today is
        client = client_for(people.member)
        client.post(url("update_form", people, 3), UPDATE)
        client.post(url("update_form", people, 3), {**UPDATE, "did": "Edited."})
        assert WeeklyUpdate.objects.get(team=people.team, week=3).did == "Edited."

    def test_a_past_week_is_posted_late_and_then_locked(self, live_dates, people, client_for):
        client = client_for(people.member)
        client.post(url("update_form", people, 1), UPDATE)
        update = WeeklyUpdate.objects.get(team=people.team, week=1)
        assert update.late
        response = client.get(url("update_form", people, 1))
        assert response["Location"] == url("update_detail", people, update.pk)

    def test_a_refusal_is_shown_on_the_form(self, live_dates, people, client_for):
        response = client_for(people.member).post(url("update_form", people, 3), {**UPDATE, "did": ""})
        assert response.status_code == 400
        assert not WeeklyUpdate.objects.exists()

    def test_a_future_week_sends_you_back_with_the_reason(self, live_dates, people, client_for):
        response = client_for(people.member).get(url("update_form", people, 5), follow=True)
        assert "Week 5 starts on" in response.content.decode()

    def test_a_student_without_a_team_is_sent_to_the_teams_page(self, live_dates, people, client_for):
        response = client_for(people.outsider).get(url("update_form", people, 3))
        assert response["Location"] == reverse("teams:index", args=[people.course.slug])


class TestTheUpdatePage:
    def test_every_member_reads_it_and_comments_thread_one_level(self, live_dates, people, client_for):
        update = post_past(people.team, 1, people.member)
        client_for(people.outsider).post(url("update_comment", people, update.pk), {"body": "Which split?"})
        top = update.comments.get()
        reply_url = url("update_comment", people, update.pk)
        client_for(people.member).post(reply_url, {"body": "By plant.", "parent": top.pk})
        reply = update.comments.get(parent=top)
        client_for(people.ta).post(url("update_comment", people, update.pk), {"body": "OK", "parent": reply.pk})
        assert update.comments.filter(parent=top).count() == 2
        body = client_for(people.instructor).get(url("update_detail", people, update.pk)).content.decode()
        assert body.index("Which split?") < body.index("By plant.") < body.index("OK")
        assert client_for(people.stranger).get(url("update_detail", people, update.pk)).status_code == 404

    def test_the_team_is_notified_of_a_comment(self, live_dates, people, client_for):
        update = post_past(people.team, 1, people.member)
        client_for(people.ta).post(url("update_comment", people, update.pk), {"body": "Nice."})
        assert people.teammate.notifications.filter(verb="update_comment").exists()


class TestTheStudentsPage:
    def test_it_lists_the_teams_weeks_with_their_status(self, live_dates, people, client_for):
        post_past(people.team, 1, people.member, late=True)
        body = client_for(people.member).get(url("updates", people)).content.decode()
        assert "Week 3 (this week)" in body and "badge warn" in body and "badge bad" in body  # 1 late, 2 missing

    def test_staff_go_to_the_grid(self, live_dates, people, client_for):
        assert client_for(people.ta).get(url("updates", people))["Location"] == url("grid", people)


class TestTheGrid:
    def test_cells_are_posted_late_missing_or_pending(self, live_dates, people, client_for):
        post_past(people.team, 1, people.member)
        post_past(people.team, 2, people.member, late=True)
        (other,) = add_teams(people.course, 1)
        response = client_for(people.instructor).get(url("grid", people))
        rows = {r.team.name: [c.status for c in r.cells] for r in response.context["rows"]}
        this_week = "missing" if timezone.now() > course_week(people.course, 3).due else "pending"
        assert rows["Gradient Gang"][:4] == ["posted", "late", this_week, "upcoming"]
        assert rows["Team 000"][:3] == ["missing", "missing", this_week]

    def test_missing_this_week_filter(self, live_dates, people, client_for):
        services.post_weekly_update(people.team, 3, UPDATE, by=people.member)
        add_teams(people.course, 1)
        response = client_for(people.ta).get(url("grid", people) + "?missing=1")
        assert [r.team.name for r in response.context["rows"]] == ["Team 000"]

    def test_the_csv(self, live_dates, people, client_for):
        post_past(people.team, 1, people.member)
        response = client_for(people.ta).get(url("grid_csv", people))
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:3] == ["team", "week 1", "week 2"] and len(rows[0]) == 7
        assert rows[1][:3] == ["Gradient Gang", "posted", "missing"]

    def test_the_grid_is_for_staff(self, live_dates, people, client_for):
        assert client_for(people.member).get(url("grid", people)).status_code == 403
        assert client_for(people.member).get(url("grid_csv", people)).status_code == 403

    def test_without_dates_it_says_what_to_set(self, people, client_for):
        assert "Set the course" in client_for(people.instructor).get(url("grid", people)).content.decode()

    @pytest.mark.parametrize("teams", [3, 30])
    def test_the_grid_takes_a_fixed_number_of_queries(
        self, live_dates, people, client_for, django_assert_max_num_queries, teams
    ):
        for team in add_teams(people.course, teams):
            post_past(team, 1, team.memberships.first().user)
        client = client_for(people.ta)
        with django_assert_max_num_queries(8):
            response = client.get(url("grid", people))
        assert len(response.context["rows"]) == teams + 1


class TestTheFeed:
    def test_recent_updates_and_comments_newest_first(self, live_dates, people, client_for):
        first = post_past(people.team, 1, people.member)
        post_past(people.team, 2, people.member)
        services.comment_on_update(first, by=people.ta, body="A late comment on week 1.")
        items = client_for(people.outsider).get(url("feed", people)).context["items"]
        assert [(i.kind, i.update.week) for i in items] == [("comment", 1), ("update", 2), ("update", 1)]

    @pytest.mark.parametrize("teams", [3, 30])
    def test_the_feed_takes_a_fixed_number_of_queries(
        self, live_dates, people, client_for, django_assert_max_num_queries, teams
    ):
        for team in add_teams(people.course, teams):
            update = post_past(team, 1, team.memberships.first().user)
            services.comment_on_update(update, by=people.ta, body="Seen.")
        client = client_for(people.outsider)
        with django_assert_max_num_queries(8):
            response = client.get(url("feed", people))
        assert len(response.context["items"]) == min(30, 2 * teams)

    def test_older_items_by_cursor(self, live_dates, people, client_for):
        post_past(people.team, 1, people.member)
        newer = post_past(people.team, 2, people.member)
        response = client_for(people.member).get(url("feed", people), {"before": newer.created_at.isoformat()})
        assert [i.update.week for i in response.context["items"]] == [1]
