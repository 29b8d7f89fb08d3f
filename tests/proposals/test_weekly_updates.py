"""Weekly updates: the weeks of a course, posting and editing until the due time, lateness, comments."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses.models import Notification
from proposals import services
from proposals.models import UpdateComment
from proposals.weeks import course_week, course_weeks, current_week_number
from tests.proposals.conftest import BERLIN, at

pytestmark = pytest.mark.django_db

FIELDS = {"did": "Trained a baseline.", "next_steps": "Fine-tune.", "blockers": "", "links": "acc 0.71"}


class TestWeeks:
    def test_six_weeks_due_on_fridays_at_five_in_the_course_time_zone(self, dated):
        weeks = course_weeks(dated.course)
        assert len(weeks) == 6
        assert weeks[0].starts == datetime.date(2026, 9, 7) and weeks[0].ends == datetime.date(2026, 9, 13)
        assert weeks[0].due == at(2026, 9, 11, 17, 0)
        assert weeks[0].due.astimezone(datetime.UTC).hour == 15  # CEST
        assert weeks[5].due == at(2026, 10, 16, 17, 0)

    def test_the_due_time_stays_local_across_the_change_from_summer_time(self, dated):
        course = dated.course
        course.start_date, course.end_date = datetime.date(2026, 10, 19), datetime.date(2026, 11, 1)
        before, after = course_weeks(course)
        assert before.due.astimezone(datetime.UTC).hour == 15
        assert after.due.astimezone(datetime.UTC).hour == 16  # CET after 25 October
        assert after.due.astimezone(BERLIN).hour == 17

    def test_a_course_starting_midweek_is_due_on_the_next_due_weekday(self, dated):
        course = dated.course
        course.start_date = datetime.date(2026, 9, 9)  # a Wednesday
        assert course_week(course, 1).due == at(2026, 9, 11, 17, 0)
        course.start_date = datetime.date(2026, 9, 12)  # a Saturday: due the Friday after
        assert course_week(course, 1).due == at(2026, 9, 18, 17, 0)

    def test_the_current_week(self, dated):
        course = dated.course
        assert current_week_number(course, at(2026, 9, 6, 23, 59)) == 0
        assert current_week_number(course, at(2026, 9, 7, 0, 0)) == 1
        assert current_week_number(course, at(2026, 9, 21, 9, 0)) == 3
        assert current_week_number(course, at(2026, 12, 1, 9, 0)) == 6  # after the end: the last week

    def test_no_dates_no_weeks(self, people):
        assert course_weeks(people.course) == []
        with pytest.raises(ValidationError, match="no start and end dates"):
            services.post_weekly_update(people.team, 1, FIELDS, by=people.member)


class TestPosting:
    def test_before_the_due_time_it_is_on_time(self, dated, people):
        update = services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 11, 16, 59))
        assert not update.late and update.week == 1

    def test_after_the_due_time_it_is_accepted_and_marked_late(self, dated, people):
        update = services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 11, 17, 1))
        assert update.late

    def test_a_missed_week_can_still_be_posted_later(self, dated, people):
        update = services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 30, 9))
        assert update.late

    def test_a_future_week_is_refused(self, dated, people):
        with pytest.raises(ValidationError, match="Week 3 starts on Mon 21 Sep"):
            services.post_weekly_update(people.team, 3, FIELDS, by=people.member, now=at(2026, 9, 15, 9))

    def test_a_week_outside_the_course_is_refused(self, dated, people):
        with pytest.raises(ValidationError, match="no week 7"):
            services.post_weekly_update(people.team, 7, FIELDS, by=people.member, now=at(2026, 9, 15, 9))

    def test_one_update_per_team_and_week(self, dated, people):
        services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 10, 9))
        with pytest.raises(ValidationError, match="already posted its update for week 1"):
            services.post_weekly_update(people.team, 1, FIELDS, by=people.teammate, now=at(2026, 9, 10, 10))

    def test_what_we_did_and_whats_next_are_required(self, dated, people):
        with pytest.raises(ValidationError, match="What we did cannot be empty"):
            services.post_weekly_update(people.team, 1, {**FIELDS, "did": " "}, by=people.member, now=at(2026, 9, 10))

    def test_only_team_members_post(self, dated, people):
        for user in (people.outsider, people.ta):
            with pytest.raises(PermissionDenied):
                services.post_weekly_update(people.team, 1, FIELDS, by=user, now=at(2026, 9, 10, 9))


class TestEditing:
    def test_editable_until_the_due_time(self, dated, people):
        update = services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 10, 9))
        services.edit_weekly_update(update, {**FIELDS, "did": "More."}, by=people.teammate, now=at(2026, 9, 11, 16))
        update.refresh_from_db()
        assert update.did == "More." and update.updated_by == people.teammate
        with pytest.raises(ValidationError, match=r"was due Fri 11 Sep 2026, 17:00 \(Europe/Berlin\)"):
            late = at(2026, 9, 11, 17, 1)
            services.edit_weekly_update(update, {**FIELDS, "did": "Later."}, by=people.member, now=late)
        update.refresh_from_db()
        assert update.did == "More."

    def test_another_team_cannot_edit(self, dated, people):
        update = services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 10, 9))
        with pytest.raises(PermissionDenied):
            services.edit_weekly_update(update, FIELDS, by=people.outsider, now=at(2026, 9, 10, 10))


@pytest.fixture
def update(dated, people):
    return services.post_weekly_update(people.team, 1, FIELDS, by=people.member, now=at(2026, 9, 10, 9))


class TestComments:
    def test_a_comment_notifies_the_team_but_not_its_author(self, update, people):
        services.comment_on_update(update, by=people.ta, body="Nice progress.")
        notified = set(Notification.objects.filter(verb="update_comment").values_list("user__email", flat=True))
        assert notified == {"mia@example.com", "tess@example.com"}

    def test_earlier_commenters_are_notified_too(self, update, people):
        services.comment_on_update(update, by=people.ta, body="Which split?")
        Notification.objects.all().delete()
        services.comment_on_update(update, by=people.outsider, body="Same question.")
        notified = set(Notification.objects.values_list("user__email", flat=True))
        assert notified == {"mia@example.com", "tess@example.com", "tom@example.com"}

    def test_replies_are_one_level_deep(self, update, people):
        top = services.comment_on_update(update, by=people.ta, body="Which split?")
        reply = services.comment_on_update(update, by=people.member, body="By plant.", parent=top)
        nested = services.comment_on_update(update, by=people.ta, body="Good.", parent=reply)
        assert reply.parent == top and nested.parent == top

    def test_a_reply_to_another_updates_comment_is_refused(self, update, people):
        other = services.post_weekly_update(people.team, 2, FIELDS, by=people.member, now=at(2026, 9, 15, 9))
        top = services.comment_on_update(other, by=people.ta, body="Hi")
        with pytest.raises(ValidationError, match="same update"):
            services.comment_on_update(update, by=people.ta, body="x", parent=top)

    def test_a_student_of_another_course_cannot_comment(self, update, people):
        with pytest.raises(PermissionDenied):
            services.comment_on_update(update, by=people.stranger, body="Hello")
        assert not UpdateComment.objects.exists()

    def test_an_empty_comment_is_refused(self, update, people):
        with pytest.raises(ValidationError, match="cannot be empty"):
            services.comment_on_update(update, by=people.ta, body="   ")
