"""A real Celery worker process runs a task and the test sees its effect in the database."""

import pytest
from celery import Celery

from courses.models import WorkerHeartbeat
from tests.services import celery_worker, redis_server, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def send_heartbeat(broker_url: str, hostname: str, transport_options: dict | None = None) -> None:
    # Not the current app: shared tasks sent later in the session (e.g. the scorer's) must keep using courseproj's.
    sender = Celery("sender", broker=broker_url, set_as_current=False)
    if transport_options:
        sender.conf.broker_transport_options = transport_options
    # Celery prefers the CELERY_BROKER_URL environment variable to broker=: name the URL explicitly.
    with sender.connection_for_write(broker_url) as conn:
        sender.send_task("courses.tasks.record_heartbeat", args=[hostname], connection=conn)


def test_a_worker_on_redis_runs_a_task(db):
    with redis_server() as url:
        import redis

        redis.Redis.from_url(url).flushdb()
        with celery_worker(url, name="redis-roundtrip"):
            send_heartbeat(url, "probe-redis")
            beat = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="probe-redis").first(), 60, message="task")
    assert beat.beats == 1


def test_a_worker_on_the_filesystem_broker_runs_a_task(db, tmp_path):
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    for folder in ("queue", "processed", "control"):
        (tmp_path / folder).mkdir()
    with celery_worker("filesystem://", env={"CELERY_BROKER_DIR": str(tmp_path)}, name="fs-roundtrip"):
        send_heartbeat("filesystem://", "probe-fs", options)
        beat = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="probe-fs").first(), 60, message="task")
    assert beat.beats == 1


def test_a_second_beat_from_the_same_worker_counts_up(db):
    from courses.tasks import record_heartbeat

    record_heartbeat("direct")
    record_heartbeat("direct")
    assert WorkerHeartbeat.objects.get(hostname="direct").beats == 2
