"""The deadline lock through real Celery workers (Redis db 3): run several times at once, it locks each team once."""

import re

import pytest
from celery import Celery

from teams.models import DeadlineLock, EventKind, Team, TeamEvent
from tests.services import celery_worker, redis_server, wait_for
from tests.teams.conftest import close_formation, make_team, new_student

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_two_workers_running_the_task_three_times_lock_each_team_once(people):
    make_team(people.course, "Owls", [new_student(people.course, "Nia Newcomer")])
    close_formation(people.course)
    with redis_server() as url:
        url = url.rsplit("/", 1)[0] + "/3"
        import redis

        redis.Redis.from_url(url).flushdb()
        sender = Celery("sender", broker=url)
        with celery_worker(url, name="teams-a") as a, celery_worker(url, name="teams-b") as b:
            with sender.connection_for_write(url) as conn:
                for _ in range(3):
                    sender.send_task("teams.tasks.lock_teams_past_deadline", connection=conn)

            def results():
                pattern = r"lock_teams_past_deadline\[[^\]]+\] succeeded in [\d.e-]+s: (\d+)"
                return [int(n) for w in (a, b) for n in re.findall(pattern, w.output())]

            wait_for(lambda: len(results()) == 3, 60, message="three runs of the task")
            assert sorted(results()) == [0, 0, 2]
    assert set(Team.objects.values_list("name", "locked")) == {("Gradient Gang", True), ("Owls", True)}
    assert TeamEvent.objects.filter(kind=EventKind.LOCKED).count() == 2
    assert DeadlineLock.objects.get(course=people.course).teams_locked == 2
