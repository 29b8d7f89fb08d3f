"""Celery tasks of the labeling challenge: take ids, call the scorer, safe to run twice. Sending
the scoring job lives here too: services.py says that a submission is queued (labeling.signals),
and `enqueue_on_commit` sends the job once the transaction commits."""

import logging
import socket

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready
from django.db import transaction
from django.dispatch import receiver
from kombu.exceptions import OperationalError

from labeling import pipeline, services
from labeling.signals import submission_queued

log = logging.getLogger(__name__)


@shared_task(name="labeling.tasks.score_submission", acks_late=True, reject_on_worker_lost=True)
def score_submission(submission_id: int) -> str:
    """Score the next submission in fair order (labeling/queue.py): a job is a turn of a worker,
    sent once per submission queued (`submission_id`, for the log), not a claim on that one. A
    duplicate or redelivered job, or one whose submission another job took, scores the next
    waiting one or, with none waiting, does nothing."""
    worker = score_submission.request.hostname or socket.gethostname()
    return pipeline.score(submission_id, worker=f"{worker}:{score_submission.request.id or '-'}", next_fair=True)


@shared_task(name="labeling.tasks.sweep_submissions")
def sweep_submissions() -> dict:
    """Requeue work whose worker died or whose job was lost; see services.sweep_submissions."""
    counts = services.sweep_submissions()
    if any(counts.values()):
        log.info("Sweeper: %s", counts)
    return counts


def enqueue(submission_id: int) -> bool:
    """Send the scoring job. A broker that is down is logged, not raised: the row is queued in
    the database and the sweeper sends the job again (the database is the source of truth)."""
    try:
        score_submission.delay(submission_id)
    except OperationalError as exc:
        log.warning("Could not enqueue submission %s (%s); the sweeper will retry.", submission_id, exc)
        return False
    return True


@receiver(submission_queued)
def enqueue_on_commit(submission_id: int, **kwargs) -> None:
    """Send the scoring job once the transaction that queued the submission commits."""
    transaction.on_commit(lambda: enqueue(submission_id))


@worker_process_init.connect
def _load_the_scorer(**kwargs) -> None:
    """Import the scorer (scikit-learn takes seconds) when a worker process starts, not while it
    holds a claim on a submission between two heartbeats."""
    from sklearn import metrics  # noqa: F401  (the import is the point: done here, not in a claim)

    # Submissions then run in a warm sandbox with numpy and pandas imported (labeling/sandbox/warm.py).
    pipeline.warm_sandbox.enabled = True


@worker_process_shutdown.connect
def _stop_the_warm_sandbox(**kwargs) -> None:
    pipeline.warm_sandbox.discard()


@worker_ready.connect
def _check_the_sandbox(sender=None, **kwargs) -> None:
    """A worker checks its sandbox when it starts (a tiny known program, cold): a broken one is
    recorded for the staff banner and logged once; a working one sends the waiting submissions."""
    pipeline.self_check(getattr(sender, "hostname", None) or socket.gethostname())
