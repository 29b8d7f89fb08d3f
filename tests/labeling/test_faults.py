"""Faults with real Celery workers on Redis: a worker killed mid-run, a job delivered twice, Redis
restarted during a burst, hostile code in a live worker. The database is the source of truth:
every submission ends terminal and is scored exactly once.

Redis: db 5 of the shared server, on a queue of each test's own, for most tests; the restart test
starts its own redis-server on a free port (the shared one is never restarted)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from courseproj.celery import app as celery_app
from labeling import services
from labeling.models import TERMINAL_STATUSES, Status, Submission
from labeling.sandbox.scratch import SCRATCH_PREFIX
from labeling.tasks import score_submission
from tests.conftest import enroll, make_user
from tests.labeling.factories import STARTER_CODE, make_challenge
from tests.labeling.test_malicious import VALID_OUTPUT, live_processes_with, relaunch_with
from tests.services import celery_worker, free_port, stop_process_group, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SHARED_REDIS = os.environ.get("LABELING_TEST_REDIS", "redis://127.0.0.1:6379/5")


@contextlib.contextmanager
def broker(url: str, visibility_timeout: int = 3600):
    """Make this process send its jobs to `url`, on a queue of its own (the scorer's on-commit
    enqueue, the sweeper and .delay()). Yields the queue's name for the worker to consume.

    A queue per test, not a Redis database per test: other test sessions (other helpers, CI)
    may run these tests against the same Redis at the same time."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_default_queue)
    saved_env = os.environ.get("CELERY_BROKER_URL")
    queue = f"labeling-test-{os.getpid()}-{time.monotonic_ns()}"
    _drop_connections()
    # Celery prefers the CELERY_BROKER_URL variable (set in CI) to conf.broker_url: set both.
    os.environ["CELERY_BROKER_URL"] = url
    conf.broker_url = url
    conf.broker_transport_options = {"visibility_timeout": visibility_timeout}
    conf.task_default_queue = queue
    try:
        yield queue
    finally:
        _drop_connections()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        conf.broker_url, conf.broker_transport_options, conf.task_default_queue = saved
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(url).delete(queue)


def _drop_connections() -> None:
    """Forget the broker connection pool and producers made so far (as Celery does after a fork),
    so the next job goes to the broker now configured."""
    celery_app._after_fork()


@pytest.fixture
def shared_redis():
    try:
        redis.Redis.from_url(SHARED_REDIS).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {SHARED_REDIS}")
    return SHARED_REDIS


def worker_env(**extra) -> dict:
    return {
        "COURSEPROJ_DATA_DIR": str(settings.DATA_DIR),
        "COURSEPROJ_VAR_DIR": os.environ.get("COURSEPROJ_VAR_DIR", "/tmp/cp-scorer"),
        "SANDBOX_RUNTIME_DIR": str(settings.SANDBOX_RUNTIME_DIR),
        "SCORING_HEARTBEAT_SECONDS": "1",
        **{k: str(v) for k, v in extra.items()},
    }


@pytest.fixture
def fast_sweeper(settings):
    settings.SCORING_STALE_SECONDS = 5  # the workers here beat every second
    settings.SCORING_QUEUE_TIMEOUT_SECONDS = 4
    settings.SCORING_MAX_ATTEMPTS = 3


def sweep_until(predicate, timeout: float, message: str):
    """Run the sweeper every half second (as Celery beat would) until `predicate()` holds."""

    def check():
        services.sweep_submissions()
        return predicate()

    return wait_for(check, timeout=timeout, interval=0.5, message=message)


def scored_events(sub) -> int:
    return sub.events.filter(to_status=Status.SCORED).count()


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


@contextlib.contextmanager
def own_redis():
    """A redis-server of the test's own: the tests that play with visibility timeouts or restarts
    must not disturb (or be disturbed by) other sessions on the shared server."""
    port = free_port()
    server = start_redis(port)
    try:
        yield f"redis://127.0.0.1:{port}/0", port, server
    finally:
        stop_redis(server)


VISIBILITY = 3  # seconds before Redis hands an unacknowledged job out again


@pytest.mark.parametrize("victim", ["whole worker", "pool process"])
def test_a_worker_killed_mid_run_is_scored_exactly_once(people, sandbox_tools, fast_sweeper, victim):
    challenge = make_challenge(people.course, time_limit_s=60)
    marker = f"slow-{os.getpid()}-{time.monotonic_ns()}"
    code = relaunch_with(marker, "import time\ntime.sleep(8)\n" + VALID_OUTPUT)
    env = worker_env(CELERY_VISIBILITY_TIMEOUT=VISIBILITY)
    with (
        own_redis() as (url, _, _),
        broker(url, visibility_timeout=VISIBILITY) as queue,
        celery_worker(url, env=env, name="doomed", queues=[queue]) as doomed,
    ):
        sub = services.submit(challenge, people.member, code.encode(), "slow.py")
        wait_for(lambda: live_processes_with(marker), timeout=60, message="the code running in the sandbox")
        sub.refresh_from_db()
        assert sub.status == Status.RUNNING and sub.worker.startswith("doomed@")
        (child,) = pool_children(doomed.proc.pid)
        if victim == "whole worker":
            os.killpg(doomed.proc.pid, signal.SIGKILL)
        else:
            os.kill(child, signal.SIGKILL)  # the pool process: Celery rejects the job back to the queue
        # --die-with-parent: the sandbox goes down with the process that ran it.
        wait_for(lambda: not live_processes_with(marker), timeout=10, message="the sandbox to die")
        if victim == "whole worker":
            stop_process_group(doomed.proc)
            # Redis hands the unacknowledged job out again once its visibility timeout has passed
            # (a starting worker looks for such jobs at once).
            time.sleep(VISIBILITY + 1)
            rescuer = celery_worker(url, env=env, name="rescuer", queues=[queue])
        else:
            rescuer = contextlib.nullcontext(doomed)
        with rescuer as worker:
            # The first job comes back and finds nothing queued (the dead worker holds the claim)...
            wait_for(lambda: "none is queued" in worker.output(), timeout=30, message="the first job to come back")
            # ...and only the sweeper, seeing no heartbeat, puts it back in the queue.
            sweep_until(
                lambda: Submission.objects.get(pk=sub.pk).status in TERMINAL_STATUSES,
                timeout=90,
                message="the submission to be scored after the worker died",
            )
            assert worker.proc.poll() is None
    sub.refresh_from_db()
    assert sub.status == Status.SCORED, (sub.message, sub.log_tail)
    assert sub.score == 406 / 440
    assert sub.attempts == 2 and scored_events(sub) == 1
    assert sub.events.filter(note__contains="stopped beating; requeued").count() == 1
    # The dead run's scratch folder was cleaned up by the next run on this machine.
    assert not list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{child}-*"))


def test_a_job_delivered_several_times_scores_once(people, sandbox_tools, shared_redis):
    challenge = make_challenge(people.course)
    with (
        broker(shared_redis) as queue,
        celery_worker(shared_redis, env=worker_env(), concurrency=2, name="dup", queues=[queue]) as worker,
    ):
        sub = services.submit(challenge, people.member, VALID_OUTPUT.encode(), "a.py")  # sent on commit
        score_submission.delay(sub.pk)  # and twice more, at once
        score_submission.delay(sub.pk)
        wait_for(lambda: worker.output().count("none is queued") >= 2, timeout=60, message="the duplicates to run")
        wait_for(lambda: Submission.objects.get(pk=sub.pk).status == Status.SCORED, timeout=60, message="a score")
    sub.refresh_from_db()
    assert sub.attempts == 1 and scored_events(sub) == 1
    assert sub.events.filter(to_status=Status.RUNNING).count() == 1
    assert worker.output().count("succeeded in") >= 3


def test_a_worker_claims_everyones_first_submission_before_anyones_second(people, sandbox_tools, shared_redis):
    challenge = make_challenge(people.course, max_queued=5)
    a, b = people.member, people.outsider
    with broker(shared_redis) as queue:
        # A's three and then B's one, all waiting (with their jobs) before the worker starts.
        subs = [services.submit(challenge, user, VALID_OUTPUT.encode(), "a.py") for user in (a, a, a, b)]
        with celery_worker(shared_redis, env=worker_env(), concurrency=1, name="fair", queues=[queue]) as worker:
            wait_for(
                lambda: not Submission.objects.exclude(status__in=TERMINAL_STATUSES).exists(),
                timeout=120,
                message="the four submissions to be scored",
            )
            assert worker.proc.poll() is None
    a1, a2, a3, b1 = (Submission.objects.get(pk=s.pk) for s in subs)
    assert all(s.status == Status.SCORED and s.attempts == 1 and scored_events(s) == 1 for s in (a1, a2, a3, b1))
    claimed = sorted((a1, a2, a3, b1), key=lambda s: s.started_at)
    assert [s.pk for s in claimed] == [a1.pk, b1.pk, a2.pk, a3.pk]
    assert b1.started_at < a2.started_at


def start_redis(port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _pings(redis.Redis(port=port)), timeout=10, message="redis-server to start")
    return proc


def stop_redis(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()  # no persistence: whatever it held is gone
        proc.wait(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_redis_restarted_during_a_burst_loses_nothing(people, sandbox_tools, fast_sweeper):
    challenge = make_challenge(people.course, max_queued=20, daily_limit=50)
    students = [people.member, people.teammate, people.outsider]
    students += [enroll(make_user(f"burst{i}@example.com"), people.course) for i in range(3)]
    subs = []

    def burst(count: int):
        for i in range(count):
            user = students[len(subs) % len(students)]
            subs.append(services.submit(challenge, user, VALID_OUTPUT.encode(), f"s{i}.py"))

    with (
        own_redis() as (url, port, server),
        broker(url) as queue,
        celery_worker(url, env=worker_env(), concurrency=2, name="burst", queues=[queue]) as worker,
    ):
        burst(4)
        stop_redis(server)  # queued jobs and the unacknowledged ones are lost with it
        burst(4)  # sent while Redis is down: the rows are queued, the jobs cannot be sent
        restarted = start_redis(port)  # back, and empty
        try:
            burst(4)
            sweep_until(
                lambda: not Submission.objects.exclude(status__in=TERMINAL_STATUSES).exists(),
                timeout=180,
                message="every submission of the burst to end",
            )
            assert worker.proc.poll() is None, worker.output()[-4000:]
        finally:
            stop_redis(restarted)
    assert len(subs) == 12
    for sub in subs:
        sub.refresh_from_db()
        assert sub.status == Status.SCORED and sub.score == 406 / 440, (sub.pk, sub.status, sub.message)
        assert scored_events(sub) == 1


FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"


def test_a_worker_survives_hostile_submissions(people, sandbox_tools, shared_redis):
    challenge = make_challenge(people.course, time_limit_s=3, memory_limit_mb=768, max_queued=10, daily_limit=50)
    cases = [
        ("bomb.py", FORK_BOMB, Status.TIMED_OUT),
        ("memory.py", "blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))\n", Status.MEMORY_EXCEEDED),
        ("suicide.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", Status.FAILED),
        ("link.py", "import os\nos.symlink('/etc/passwd', 'summarized_data.csv')\n", Status.INVALID_OUTPUT),
        ("flood.py", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", Status.TIMED_OUT),
        ("good.py", VALID_OUTPUT, Status.SCORED),
    ]  # fmt: skip
    with (
        broker(shared_redis) as queue,
        celery_worker(shared_redis, env=worker_env(), concurrency=1, name="tough", queues=[queue]) as worker,
    ):
        subs = [(services.submit(challenge, people.member, code.encode(), name), want) for name, code, want in cases]
        wait_for(
            lambda: not Submission.objects.exclude(status__in=TERMINAL_STATUSES).exists(),
            timeout=120,
            message="every hostile submission to end",
        )
        assert worker.proc.poll() is None
    for sub, want in subs:
        sub.refresh_from_db()
        assert sub.status == want, (sub.original_filename, sub.status, sub.message)
        assert sub.message or want == Status.SCORED
        assert len(sub.log_tail) <= 20_000


def test_a_worker_with_a_broken_runtime_keeps_work_queued_until_it_is_fixed(
    people, sandbox_tools, shared_redis, client_for
):
    """The runtime folder emptied: the worker's start-up check records the problem, a submission
    stays queued (never failed) and staff see the banner; after the runtime is back and the worker
    restarted, the submission is scored exactly once without anyone resubmitting."""
    from django.urls import reverse

    from labeling.models import ScorerProblem

    emptied = Path(tempfile.mkdtemp(prefix="cp-emptied-runtime-"))
    os.chmod(emptied, 0o755)
    challenge = make_challenge(people.course)
    staff_page = reverse("labeling:staff_submissions", args=[people.course.slug, challenge.slug])
    try:
        with broker(shared_redis) as queue:
            # The worker sends the waiting submissions again itself: to the queue it consumes.
            env = worker_env(SANDBOX_RUNTIME_DIR=emptied, CELERY_TASK_DEFAULT_QUEUE=queue)
            with celery_worker(shared_redis, env=env, name="mended", queues=[queue]) as worker:
                wait_for(
                    lambda: ScorerProblem.objects.filter(worker__startswith="mended@").exists(),
                    timeout=60,
                    message="the start-up check to record the problem",
                )
                sub = services.submit(challenge, people.member, STARTER_CODE, "starter.py")
                wait_for(
                    lambda: sub.events.filter(note__startswith="scorer fault").exists(),
                    timeout=60,
                    message="the worker to give the submission back to the queue",
                )
                sub.refresh_from_db()
                assert sub.status == Status.QUEUED and sub.attempts == 0
                assert sub.message.startswith("Scoring is paused") and "not built" in sub.message
                page = client_for(people.instructor).get(staff_page).content.decode()
                assert 'id="scorer-paused"' in page and "The sandbox runtime is not built" in page
                # One clear error in the worker's log, not one per submission.
                assert worker.output().count("Scoring is paused on mended@") == 1, worker.output()[-3000:]
            # Rebuilt: the folder holds a runtime again; the worker is restarted.
            (emptied / "current").symlink_to(sandbox_tools.runtime.root)
            with celery_worker(shared_redis, env=env, name="mended", queues=[queue]):
                wait_for(
                    lambda: Submission.objects.get(pk=sub.pk).status in TERMINAL_STATUSES,
                    timeout=120,
                    message="the waiting submission to be scored after the fix",
                )
                assert not ScorerProblem.objects.exists()
                assert 'id="scorer-paused"' not in client_for(people.instructor).get(staff_page).content.decode()
    finally:
        shutil.rmtree(emptied, ignore_errors=True)
    sub.refresh_from_db()
    assert sub.status == Status.SCORED and sub.score == 406 / 440, (sub.message, sub.log_tail)
    assert scored_events(sub) == 1 and sub.attempts == 1
