"""Reminders: a day before the due time and once after it, at most once per team, week and kind."""

import datetime
import re
import threading

import pytest
from celery import Celery
from django.core import mail
from django.db import connections

from courses.models import Notification
from proposals import services
from proposals.models import ReminderSent
from proposals.tasks import send_update_reminders
from teams.models import Team, TeamMembership
from tests.proposals.conftest import at
from tests.services import celery_worker, redis_server, wait_for

UPDATE = {"did": "Work.", "next_steps": "More work."}


@pytest.fixture
def solo(dated, people):
    """A third team with one member, so one reminder is exactly one e-mail."""
    team = Team.objects.create(course=people.course, name="Solo Act")
    TeamMembership.objects.create(team=team, user=people.outsider, course=people.course)
    return team


@pytest.mark.django_db
class TestWhenRemindersGoOut:
    def test_a_day_before_the_due_time_teams_without_an_update_are_reminded(self, solo, people):
        services.post_weekly_update(people.team, 1, UPDATE, by=people.member, now=at(2026, 9, 9, 12))
        sent = services.send_update_reminders(now=at(2026, 9, 10, 17, 30))
        assert sent == 1
        assert list(ReminderSent.objects.values_list("team__name", "week", "kind")) == [("Solo Act", 1, "before_due")]

    def test_nothing_is_due_two_days_before(self, solo):
        assert services.send_update_reminders(now=at(2026, 9, 9, 16, 0)) == 0

    def test_after_the_due_time_once_more(self, solo, people):
        assert services.send_update_reminders(now=at(2026, 9, 11, 18, 0)) == 2  # both teams, after_due
        assert set(ReminderSent.objects.values_list("kind", flat=True)) == {"after_due"}

    def test_old_weeks_are_not_reminded(self, solo):
        assert services.send_update_reminders(now=at(2026, 9, 16, 9, 0)) == 0  # 5 days after week 1's due

    def test_the_message_names_the_week_and_the_due_time(self, solo, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            services.send_update_reminders(now=at(2026, 9, 10, 17, 30))
        message = next(m for m in mail.outbox if m.to == ["otto@example.com"])
        assert "week 1 is due Fri 11 Sep 2026, 17:00 (Europe/Berlin)" in message.subject
        assert "/courses/dl-fall/updates/week/1/" in message.body


@pytest.mark.django_db
class TestAtMostOnce:
    def test_running_the_job_twice_sends_one_email(self, solo, people, django_capture_on_commit_callbacks):
        services.post_weekly_update(people.team, 1, UPDATE, by=people.member, now=at(2026, 9, 9, 12))
        with django_capture_on_commit_callbacks(execute=True):
            services.send_update_reminders(now=at(2026, 9, 10, 17, 30))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_update_reminders(now=at(2026, 9, 10, 19, 0)) == 0
        assert [m.to for m in mail.outbox] == [["otto@example.com"]]
        assert Notification.objects.filter(verb="update_reminder").count() == 1

    def test_the_task_called_twice_is_the_same(self, solo, people, django_capture_on_commit_callbacks, monkeypatch):
        monkeypatch.setattr(services, "_now", lambda now: now or at(2026, 9, 11, 18, 0))
        with django_capture_on_commit_callbacks(execute=True):
            send_update_reminders()
            send_update_reminders()
        assert sorted(m.to[0] for m in mail.outbox) == ["mia@example.com", "otto@example.com", "tess@example.com"]

    def test_a_team_that_posts_after_the_first_reminder_gets_no_second_one(self, solo, people):
        services.send_update_reminders(now=at(2026, 9, 10, 17, 30))
        services.post_weekly_update(solo, 1, UPDATE, by=people.outsider, now=at(2026, 9, 10, 18))
        services.send_update_reminders(now=at(2026, 9, 11, 18, 0))
        assert list(ReminderSent.objects.filter(team=solo).values_list("kind", flat=True)) == ["before_due"]


@pytest.mark.django_db(transaction=True)
class TestTwoBeatsAtOnce:
    def test_concurrent_runs_send_each_reminder_once(self, solo, people):
        moment = at(2026, 9, 10, 17, 30)
        barrier = threading.Barrier(4)
        results, errors = [], []

        def run():
            try:
                barrier.wait()
                results.append(services.send_update_reminders(now=moment))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert sum(results) == 2  # two teams, whichever thread got there first
        assert ReminderSent.objects.count() == 2
        assert Notification.objects.filter(verb="update_reminder").count() == 3  # Mia, Tess, Otto once each


def _results(*workers) -> list[int]:
    """What each finished run returned (the number of reminders it sent), from the workers' logs."""
    pattern = r"send_update_reminders\[[^\]]+\] succeeded in [\d.]+s: (\d+)"
    return [int(n) for w in workers for n in re.findall(pattern, w.output())]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_running_the_beat_job_send_each_reminder_once(people):
    """The beat task, sent twice to two Celery workers on Redis: one reminder per team."""
    course = people.course
    today = datetime.datetime.now(datetime.UTC).date()
    course.time_zone = "UTC"
    course.start_date = today - datetime.timedelta(days=7)
    course.end_date = today + datetime.timedelta(days=30)
    # The current week's due time is a few hours away: the "a day before" reminder is due now.
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=3)
    course.update_due_weekday = soon.weekday()
    course.update_due_time = soon.time().replace(microsecond=0)
    course.save()
    with redis_server() as url:
        url = url.rsplit("/", 1)[0] + "/4"
        import redis

        redis.Redis.from_url(url).flushdb()
        sender = Celery("sender", broker=url)
        with celery_worker(url, name="reminders-a") as a, celery_worker(url, name="reminders-b") as b:
            with sender.connection_for_write(url) as conn:
                for _ in range(4):
                    sender.send_task("proposals.tasks.send_update_reminders", connection=conn)

            def finished():
                return sum(w.output().count("send_update_reminders[") for w in (a, b)) >= 8  # received + done

            wait_for(finished, 60, message="four runs of the task")
            wait_for(lambda: len(_results(a, b)) == 4, 30, message="four results")
            assert sorted(_results(a, b)) == [0, 0, 0, 1]
    assert list(ReminderSent.objects.values_list("team__name", "kind")) == [("Gradient Gang", "before_due")]
    assert Notification.objects.filter(verb="update_reminder").count() == 2
