"""Whether the scoring workers can run code: the problems they report, shown to staff as a banner.

A fault of the scorer itself (no bubblewrap, user namespaces refused, the runtime missing, stale
or broken, its Python failing to start) is never the student's: the submission goes back to the
queue (services.pause_submission) and the worker records the problem here. It is cleared when
that worker passes its start-up check (pipeline.self_check) or scores a submission again; then
every waiting submission is sent to the workers again (services.resume_queued).
"""

from __future__ import annotations

from django.utils import timezone

from labeling.models import ScorerProblem

REMEDY = (
    "On that machine run `make sandbox` (or `bash scripts/build_sandbox_runtime.sh`, then "
    "`python manage.py check_sandbox` to see what works), then restart the Celery worker. "
    "Waiting submissions are scored then; nobody needs to resubmit."
)


def node_of(worker: str) -> str:
    """The worker node of a claim's worker string ("worker@host:task-id" -> "worker@host")."""
    return worker.split(":", 1)[0][:200]


def report_problem(worker: str, problem: str) -> bool:
    """Record that `worker` cannot run code; True if this is news (a new or different problem),
    so the caller logs it once rather than for every submission."""
    now = timezone.now()
    problem = problem[:2000]
    row, created = ScorerProblem.objects.get_or_create(
        worker=node_of(worker), defaults={"problem": problem, "first_seen": now, "last_seen": now}
    )
    if created:
        return True
    changed = row.problem != problem
    ScorerProblem.objects.filter(pk=row.pk).update(problem=problem, last_seen=now)
    return changed


def clear_problem(worker: str) -> bool:
    """`worker` can run code again; True if it had a problem recorded."""
    deleted, _ = ScorerProblem.objects.filter(worker=node_of(worker)).delete()
    return bool(deleted)


def scoring_paused() -> bool:
    return ScorerProblem.objects.exists()


def active_problems() -> list[ScorerProblem]:
    return list(ScorerProblem.objects.all()[:20])
