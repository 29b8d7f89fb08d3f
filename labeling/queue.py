"""The scoring queue's fair order: which queued submission a worker claims next, and where a
waiting submission stands in that order, with an estimate of its wait.

A submission's *turn* is how many submissions of its participant (same challenge) were claimed
in the burst window plus how many of the participant's queued ones are older: the next claim
takes the lowest turn, the oldest first among equals. So nobody's k-th submission of a burst
runs before everyone else's (k−1)-th that was waiting, and a claim never changes the turn of
what is still queued (one of the participant's submissions moves from "older, queued" to
"claimed"). The burst window reaches back SCORING_FAIR_WINDOW_SECONDS, and further while the
oldest submission still queued was stored earlier (a burst longer than the window).
docs/decisions.md says why the order is computed in the database at each claim.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from labeling.models import TERMINAL_STATUSES, Status, Submission

# Runs whose length makes the estimate: the latest ones, of any challenge (the workers are shared).
RECENT_RUNS = 20


def window_start(now: datetime.datetime) -> datetime.datetime:
    """Claims from this time on count against a participant's turn."""
    since = now - datetime.timedelta(seconds=settings.SCORING_FAIR_WINDOW_SECONDS)
    oldest = Submission.objects.filter(status=Status.QUEUED).aggregate(at=Min("created_at"))["at"]
    return min(since, oldest) if oldest is not None else since


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("participant").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def in_fair_order(since: datetime.datetime) -> QuerySet:
    """Queued submissions, annotated with their `turn`, in the order workers claim them."""
    same = Submission.objects.filter(challenge=OuterRef("challenge"), participant=OuterRef("participant"))
    claimed = same.filter(started_at__gte=since).exclude(status=Status.QUEUED)
    older = same.filter(status=Status.QUEUED).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    return (
        Submission.objects.filter(status=Status.QUEUED)
        .annotate(turn=_count(claimed) + _count(older))
        .order_by("turn", "created_at", "pk")
    )


@dataclass(frozen=True)
class Place:
    """A queued submission's place: 1 is the next to be claimed."""

    position: int
    estimated_wait_s: int


def typical_run_s(default: float) -> float:
    """The median time from claim to result of the latest submissions that ran, or `default`
    before any. Latest by id, which the primary key's index reads backwards (polled pages ask)."""
    runs = list(
        Submission.objects.filter(status__in=TERMINAL_STATUSES, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-pk")
        .values_list("started_at", "finished_at")[:RECENT_RUNS]
    )
    if not runs:
        return default
    lengths = sorted((end - start).total_seconds() for start, end in runs)
    return max(0.1, lengths[len(lengths) // 2])


def places(now: datetime.datetime | None = None, default_run_s: float = 10.0) -> dict[int, Place]:
    """Every queued submission's place in the fair order, by id. The wait: the submissions ahead of
    it and itself, shared among the workers (as many as there are running submissions, at least one),
    each taking a typical run. Three queries."""
    now = now or timezone.now()
    order = list(in_fair_order(window_start(now)).values_list("pk", flat=True))
    if not order:
        return {}
    workers = max(1, Submission.objects.filter(status=Status.RUNNING).count())
    run_s = typical_run_s(default_run_s)
    return {
        pk: Place(position=n, estimated_wait_s=math.ceil(n * run_s / workers)) for n, pk in enumerate(order, start=1)
    }
