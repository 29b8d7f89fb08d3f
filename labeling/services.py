"""Every write of the labeling challenge: challenge setup and the submission lifecycle.

Pages, the API, commands and Celery tasks call these; none of them repeats a rule. Status
changes are conditional updates (`filter(pk=…, status=old).update(…)`): zero rows updated
means someone else got there first. Each change leaves a SubmissionEvent.

The scoring half (claim, heartbeat, finish, sweep) is fenced by `attempts`: a worker owns a
running submission only while the row is running with the attempt number it claimed, so a
worker that was presumed dead and comes back can never overwrite the result of its successor.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from labeling import health, queue, scoring, storage
from labeling.models import (
    NOT_COUNTED_STATUSES,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Challenge,
    ChallengeInput,
    Metric,
    Participation,
    Status,
    Submission,
    SubmissionEvent,
)
from labeling.signals import submission_queued
from teams.services import team_of

log = logging.getLogger(__name__)

# The name of the submitted file in the sandbox's working directory.
CODE_FILENAME = "submission.py"
SAFE_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Every setting of a challenge the services take and staff may change: the one list (the form,
# labeling/forms.py, and the API's serializer take theirs from it, adding the slug).
CHALLENGE_FIELDS = (
    "title",
    "instructions",
    "output_filename",
    "key_columns",
    "label_column",
    "metric",
    "public_fraction",
    "split_seed",
    "opens_at",
    "closes_at",
    "daily_limit",
    "max_queued",
    "time_limit_s",
    "memory_limit_mb",
    "max_code_bytes",
    "participation",
    "final_picks",
)
# Changing one of these changes what a stored score means: the scores must be recomputed.
SCORE_FIELDS = ("key_columns", "label_column", "metric", "public_fraction", "split_seed", "output_filename")


@dataclass(frozen=True)
class Quota:
    used: int
    limit: int
    left: int
    resets_at: datetime.datetime


# --- Challenge setup -------------------------------------------------------------------------


def _key_list(key_columns) -> list[str]:
    if isinstance(key_columns, str):
        return [k.strip() for k in key_columns.split(",") if k.strip()]
    return [str(k).strip() for k in key_columns if str(k).strip()]


def validate_gold(data: bytes, key_columns: list[str], label_column: str) -> list[str]:
    """Every problem of a gold file (empty if it is usable)."""
    try:
        scoring.read_gold(data, _key_list(key_columns), (label_column or "").strip())
    except scoring.TableError as exc:
        return exc.problems
    return []


def _check_filename(name: str, what: str) -> str | None:
    if not SAFE_FILENAME.match(name or "") or name in (".", ".."):
        return (
            f"The {what} {name!r} is not a plain file name (letters, digits, dot, dash, underscore; "
            "no folders; at most 100 characters)."
        )
    return None


def _check_inputs(inputs: list[tuple[str, bytes]]) -> list[str]:
    problems = []
    if not inputs:
        problems.append("Upload at least one input file (what students download and their code reads).")
    names = [name for name, _ in inputs]
    for name, data in inputs:
        problem = _check_filename(name, "input file name")
        if problem:
            problems.append(problem)
        if len(data) > settings.MAX_UPLOAD_BYTES:
            problems.append(f"The input {name} is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        problems.append(f"Two input files are named {', '.join(doubled)}.")
    if CODE_FILENAME in names:
        problems.append(f"An input cannot be named {CODE_FILENAME}: that is where the submitted code goes.")
    return problems


# Bounds for a challenge's code size limit: a limit of 0 would refuse every submission.
MIN_CODE_BYTES = 1024
MAX_CODE_BYTES = 5 * 1024 * 1024


def _check_challenge(challenge: Challenge, inputs: list[str], gold_data: bytes | None) -> dict[str, list[str]]:
    """Every problem of a challenge about to be saved, by field (model fields, "inputs", "gold")."""
    errors: dict[str, list[str]] = {}
    try:
        challenge.full_clean(exclude=["course", "gold_path", "gold_sha256", "slug"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if challenge.opens_at and challenge.closes_at and challenge.closes_at <= challenge.opens_at:
        errors.setdefault("closes_at", []).append("The challenge must close after it opens.")
    if not MIN_CODE_BYTES <= (challenge.max_code_bytes or 0) <= MAX_CODE_BYTES:
        errors.setdefault("max_code_bytes", []).append(
            f"The code size limit must be between {MIN_CODE_BYTES} bytes and {MAX_CODE_BYTES // (1024 * 1024)} MB."
        )
    problem = _check_filename(challenge.output_filename, "output file name")
    if problem:
        errors.setdefault("output_filename", []).append(problem)
    elif challenge.output_filename in inputs or challenge.output_filename == CODE_FILENAME:
        errors.setdefault("output_filename", []).append(
            f"The output file name {challenge.output_filename} is already taken by an input or the code."
        )
    if not challenge.keys:
        errors.setdefault("key_columns", []).append("Name at least one key column, e.g. attr_id,adj.")
    if gold_data is not None:
        if len(gold_data) > settings.MAX_UPLOAD_BYTES:
            errors.setdefault("gold", []).append(
                f"The gold is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        else:
            try:
                gold = scoring.read_gold(gold_data, challenge.keys, challenge.label_column.strip())
            except scoring.TableError as exc:
                errors.setdefault("gold", []).extend(exc.problems)
            else:
                problem = scoring.metric_problem(challenge.metric, gold)
                if problem:
                    errors.setdefault("metric", []).append(problem)
    return errors


def _store_inputs(challenge: Challenge, inputs: list[tuple[str, bytes]]) -> None:
    challenge.inputs.all().delete()
    for name, data in inputs:
        path, digest = storage.write_blob("data", data)
        ChallengeInput.objects.create(challenge=challenge, name=name, path=path, size=len(data), sha256=digest)


def _store_gold(challenge: Challenge, data: bytes) -> None:
    gold = scoring.read_gold(data, challenge.keys, challenge.label_column)
    challenge.gold_path, challenge.gold_sha256 = storage.write_blob("data", data)
    challenge.gold_rows = len(gold.labels)


def create_challenge(
    course,
    *,
    slug: str,
    title: str,
    inputs: list[tuple[str, bytes]],
    gold: bytes,
    key_columns: str = "attr_id,adj",
    label_column: str = "label",
    output_filename: str = "summarized_data.csv",
    metric: str = Metric.ACCURACY,
    public_fraction: float = 0.5,
    split_seed: int = 0,
    **fields,
) -> Challenge:
    """A new challenge with its inputs and hidden gold. ValidationError (by field) listing every
    problem; nothing is stored then."""
    unknown = set(fields) - set(CHALLENGE_FIELDS)
    if unknown:
        raise TypeError(f"create_challenge() got unexpected fields: {', '.join(sorted(unknown))}")
    inputs = list(inputs or [])
    challenge = Challenge(
        course=course,
        slug=slug,
        title=title,
        key_columns=",".join(_key_list(key_columns)),
        label_column=(label_column or "").strip(),
        output_filename=(output_filename or "").strip(),
        metric=metric,
        public_fraction=public_fraction,
        split_seed=split_seed,
        **fields,
    )
    errors = _check_challenge(challenge, [n for n, _ in inputs], gold if gold is not None else b"")
    input_problems = _check_inputs(inputs)
    if input_problems:
        errors.setdefault("inputs", []).extend(input_problems)
    try:
        Challenge._meta.get_field("slug").clean(slug, challenge)
    except ValidationError as exc:
        errors.setdefault("slug", []).extend(exc.messages)
    if not errors.get("slug") and Challenge.objects.filter(course=course, slug=slug).exists():
        errors.setdefault("slug", []).append(f"This course already has a challenge named {slug}.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _store_gold(challenge, gold)
        challenge.save()
        _store_inputs(challenge, inputs)
    return challenge


def update_challenge(
    challenge: Challenge,
    *,
    gold: bytes | None = None,
    inputs: list[tuple[str, bytes]] | None = None,
    **fields,
) -> Challenge:
    """Change settings and/or replace the gold or the inputs, all or nothing. Scores are not
    recomputed here: after a gold or contract change, staff rescore (rescore_challenge)."""
    unknown = set(fields) - set(CHALLENGE_FIELDS)
    if unknown:
        raise TypeError(f"update_challenge() got unexpected fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        for name, value in fields.items():
            if name == "key_columns":
                value = ",".join(_key_list(value))
            elif name in ("label_column", "output_filename"):
                value = (value or "").strip()
            setattr(locked, name, value)
        input_names = (
            [n for n, _ in inputs] if inputs is not None else list(locked.inputs.values_list("name", flat=True))
        )
        # A new key or label column must fit the gold, so the stored gold is checked again then.
        gold_data = gold
        if gold_data is None and {"key_columns", "label_column", "metric"} & set(fields):
            gold_data = storage.read_blob(locked.gold_path)
        errors = _check_challenge(locked, input_names, gold_data)
        if inputs is not None:
            problems = _check_inputs(list(inputs))
            if problems:
                errors.setdefault("inputs", []).extend(problems)
        if errors:
            raise ValidationError(errors)
        if gold is not None:
            _store_gold(locked, gold)
        locked.save()
        if inputs is not None:
            _store_inputs(locked, list(inputs))
    for name in ("gold_path", "gold_sha256", "gold_rows", *fields):
        setattr(challenge, name, getattr(locked, name))
    return challenge


def load_gold(challenge: Challenge) -> scoring.Gold:
    data = storage.read_blob(challenge.gold_path, challenge.gold_sha256)
    return scoring.read_gold(data, challenge.keys, challenge.label_column)


# --- Participants, quota, submitting ---------------------------------------------------------


def participant_for(challenge: Challenge, user) -> str:
    """Who a submission by `user` belongs to on the board: "u:<id>", or "t:<team id>" in a team challenge."""
    if challenge.participation == Participation.TEAM:
        team = team_of(user, challenge.course)
        if team is None:
            raise ValidationError("This is a team challenge: join or form a team first, then submit as the team.")
        return f"t:{team.pk}"
    return f"u:{user.pk}"


def _day_bounds(challenge: Challenge, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    tz = challenge.course.tz
    today = now.astimezone(tz).date()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def _quota_for(challenge: Challenge, participant: str, now: datetime.datetime) -> Quota:
    start, end = _day_bounds(challenge, now)
    used = (
        Submission.objects.filter(
            challenge=challenge, participant=participant, is_benchmark=False, created_at__gte=start, created_at__lt=end
        )
        .exclude(status__in=NOT_COUNTED_STATUSES)
        .count()
    )
    limit = challenge.daily_limit
    return Quota(used=used, limit=limit, left=max(0, limit - used), resets_at=end)


def submission_quota(challenge: Challenge, user, now: datetime.datetime | None = None) -> Quota:
    """Today's submissions of the user's participant (the course's day); failed, timed-out,
    memory-exceeded and invalid-output runs do not count."""
    return _quota_for(challenge, participant_for(challenge, user), now or timezone.now())


def _check_code(challenge: Challenge, code: bytes, filename: str) -> list[str]:
    problems = []
    if not (filename or "").lower().endswith(".py"):
        problems.append("Submit a Python file ending in .py.")
    if len(code) > challenge.max_code_bytes:
        problems.append(f"The file is larger than {challenge.max_code_bytes // 1024} kB, the limit of this challenge.")
    elif not code.strip():
        problems.append("The file is empty.")
    else:
        try:
            text = code.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"The file is not UTF-8 text (byte {exc.start}); save it as UTF-8.")
        else:
            if "\x00" in text:
                problems.append("The file contains NUL bytes; submit Python source text.")
    return problems


def _enqueue_on_commit(submission_id: int) -> None:
    """Say that the submission waits for a scoring job: labeling/tasks.py sends it after the commit."""
    submission_queued.send(sender=Submission, submission_id=submission_id)


def _event(submission_id: int, old: str, new: str, actor=None, note: str = "") -> None:
    SubmissionEvent.objects.create(
        submission_id=submission_id, from_status=old, to_status=new, actor=actor, note=note[:300]
    )


def submit(challenge: Challenge, user, code: bytes, filename: str, now: datetime.datetime | None = None) -> Submission:
    """Store the code and a queued submission; the scoring job is sent after the commit."""
    now = now or timezone.now()
    if challenge.opens_at is not None and now < challenge.opens_at:
        raise ValidationError("This challenge has not opened yet.")
    if challenge.closes_at is not None and now >= challenge.closes_at:
        raise ValidationError("This challenge is closed; no more submissions.")
    participant = participant_for(challenge, user)
    problems = _check_code(challenge, code, filename)
    if problems:
        raise ValidationError(problems)
    path, digest = storage.write_blob("code", code, suffix=".py")
    with transaction.atomic():
        # Serializes submissions to this challenge so two at once cannot both take the last slot.
        Challenge.objects.select_for_update().filter(pk=challenge.pk).first()
        quota = _quota_for(challenge, participant, now)
        if quota.left <= 0:
            local = timezone.localtime(quota.resets_at, challenge.course.tz)
            raise ValidationError(
                f"You have used all {quota.limit} submissions for today; "
                f"more from {local:%H:%M} ({challenge.course.time_zone}). Failed runs do not count."
            )
        waiting = Submission.objects.filter(
            challenge=challenge, participant=participant, status__in=[Status.QUEUED, Status.RUNNING]
        ).count()
        if waiting >= challenge.max_queued:
            raise ValidationError(
                f"{waiting} of your submissions are still waiting to be scored (at most {challenge.max_queued} "
                "at once, so everyone gets a turn); submit again when one has finished."
            )
        team_id = int(participant[2:]) if participant.startswith("t:") else None
        submission = Submission.objects.create(
            challenge=challenge,
            submitter=user,
            team_id=team_id,
            participant=participant,
            code_path=path,
            code_sha256=digest,
            code_size=len(code),
            original_filename=(filename or "")[-200:],
            status=Status.QUEUED,
            queued_at=now,
        )
        _event(submission.pk, "", Status.QUEUED, actor=user, note="submitted")
        _enqueue_on_commit(submission.pk)
    return submission


def add_benchmark(challenge: Challenge, name: str, code: bytes, filename: str | None = None) -> Submission:
    """A reference solution, scored like a submission and shown as a benchmark row on the board."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name the reference solution.")
    problems = _check_code(challenge, code, filename or f"{name}.py")
    if problems:
        raise ValidationError(problems)
    path, digest = storage.write_blob("code", code, suffix=".py")
    with transaction.atomic():
        submission = Submission.objects.create(
            challenge=challenge,
            participant=f"b:{name}"[:120],
            is_benchmark=True,
            benchmark_name=name[:100],
            code_path=path,
            code_sha256=digest,
            code_size=len(code),
            original_filename=(filename or f"{name}.py")[-200:],
            status=Status.QUEUED,
            queued_at=timezone.now(),
        )
        _event(submission.pk, "", Status.QUEUED, note="reference solution added")
        _enqueue_on_commit(submission.pk)
    return submission


# --- Staff and student actions on a submission ------------------------------------------------


def _transition(submission: Submission, new: str, actor=None, note: str = "", **changes) -> bool:
    """Move the submission to `new` if its stored status allows it; False if someone got there first."""
    old = Submission.objects.filter(pk=submission.pk).values_list("status", flat=True).first()
    if old is None or new not in TRANSITIONS[Status(old)]:
        return False
    updated = Submission.objects.filter(pk=submission.pk, status=old).update(status=new, **changes)
    if not updated:
        return False
    _event(submission.pk, old, new, actor=actor, note=note)
    submission.refresh_from_db()
    return True


def cancel_submission(submission: Submission, actor) -> Submission:
    """Cancel a submission that has not finished (a running one is stopped by its worker's heartbeat)."""
    with transaction.atomic():
        if not _transition(
            submission,
            Status.CANCELLED,
            actor=actor,
            note="cancelled",
            message="Cancelled before it was scored.",
            finished_at=timezone.now(),
        ):
            raise ValidationError(
                f"Submission {submission.pk} has already finished; only a waiting one can be cancelled."
            )
    return submission


def _requeue_fields(now: datetime.datetime) -> dict:
    return {
        "queued_at": now,
        "attempts": 0,
        "requeues": 0,
        "worker": "",
        "started_at": None,
        "heartbeat_at": None,
        "finished_at": None,
        "score": None,
        "public_score": None,
        "private_score": None,
        "runtime_s": None,
        "message": "",
        "log_tail": "",
    }


def rescore_submission(submission: Submission, actor) -> Submission:
    """Score a finished submission again (after a gold fix); its old scores are cleared."""
    with transaction.atomic():
        if not _transition(submission, Status.QUEUED, actor=actor, note="rescore", **_requeue_fields(timezone.now())):
            raise ValidationError(
                f"Submission {submission.pk} is {submission.get_status_display().lower()}; "
                "only a finished one can be rescored."
            )
        _enqueue_on_commit(submission.pk)
    return submission


def rescore_challenge(challenge: Challenge, actor) -> int:
    """Rescore every finished, not cancelled submission of the challenge; how many were queued."""
    now = timezone.now()
    finished = [s for s in TERMINAL_STATUSES if s != Status.CANCELLED]
    count = 0
    with transaction.atomic():
        for submission in Submission.objects.filter(challenge=challenge, status__in=finished).order_by("created_at"):
            if _transition(submission, Status.QUEUED, actor=actor, note="rescore all", **_requeue_fields(now)):
                _enqueue_on_commit(submission.pk)
                count += 1
    return count


def disqualify_submission(submission: Submission, actor, reason: str) -> Submission:
    """Keep the submission but take it off the leaderboards."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the submission is disqualified; the participant sees the reason.")
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(
            disqualified=True, disqualified_reason=reason[:300], is_final_pick=False
        )
        _event(submission.pk, submission.status, submission.status, actor=actor, note=f"disqualified: {reason}")
    submission.refresh_from_db()
    return submission


def requalify_submission(submission: Submission, actor) -> Submission:
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(disqualified=False, disqualified_reason="")
        _event(submission.pk, submission.status, submission.status, actor=actor, note="disqualification lifted")
    submission.refresh_from_db()
    return submission


# --- Scoring: claim, heartbeat, finish, sweep ------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A worker's hold on a running submission: valid while the row is running with this attempt."""

    submission_id: int
    attempt: int
    worker: str


def claim_submission(submission_id: int, worker: str) -> Claim | None:
    """queued → running for this worker, or None if the row is not queued (a duplicate or
    redelivered job, a cancelled or already scored submission, or one that no longer exists)."""
    now = timezone.now()
    with transaction.atomic():
        updated = Submission.objects.filter(pk=submission_id, status=Status.QUEUED).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            worker=worker[:200],
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
        )
        if not updated:
            return None
        attempt = Submission.objects.values_list("attempts", flat=True).get(pk=submission_id)
        _event(submission_id, Status.QUEUED, Status.RUNNING, note=f"claimed by {worker} (attempt {attempt})")
    return Claim(submission_id=submission_id, attempt=attempt, worker=worker)


def claim_next_submission(worker: str) -> Claim | None:
    """The next queued submission in fair order (labeling.queue) → running for this worker, or
    None when nothing is waiting. On PostgreSQL a row another worker is claiming is skipped
    (FOR UPDATE SKIP LOCKED), so workers never wait for each other; SQLite has no row locks but
    runs one writing transaction at a time (IMMEDIATE), and the conditional update in
    claim_submission stays the guard on both."""
    with transaction.atomic():
        for _ in range(3):
            candidates = queue.in_fair_order(queue.window_start(timezone.now()))
            submission_id = candidates.select_for_update(skip_locked=True).values_list("pk", flat=True).first()
            if submission_id is None:
                return None
            claim = claim_submission(submission_id, worker)
            if claim is not None:
                return claim
    return None


def _owned(claim: Claim):
    return Submission.objects.filter(pk=claim.submission_id, status=Status.RUNNING, attempts=claim.attempt)


def heartbeat(claim: Claim) -> bool:
    """Note that the worker is still running the submission; False if it lost the claim
    (cancelled, or requeued by the sweeper): the worker must stop then."""
    return bool(_owned(claim).update(heartbeat_at=timezone.now()))


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str = ""
    log_tail: str = ""
    runtime_s: float | None = None
    scores: scoring.Scores | None = None


def finish_submission(claim: Claim, outcome: Outcome) -> bool:
    """Store the result, scores and all, in one transaction; False (nothing stored) if the
    worker no longer owns the submission."""
    if outcome.status not in TERMINAL_STATUSES or outcome.status == Status.CANCELLED:
        raise ValueError(f"not a result status: {outcome.status}")
    scores = outcome.scores
    if (outcome.status == Status.SCORED) != (scores is not None):
        raise ValueError("a scored result needs scores, and only a scored one")
    with transaction.atomic():
        updated = _owned(claim).update(
            status=outcome.status,
            message=outcome.message[:4000],
            log_tail=outcome.log_tail[-20_000:],
            runtime_s=outcome.runtime_s,
            score=scores.score if scores else None,
            public_score=scores.public_score if scores else None,
            private_score=scores.private_score if scores else None,
            finished_at=timezone.now(),
        )
        if not updated:
            return False
        _event(claim.submission_id, Status.RUNNING, outcome.status, note=outcome.message[:300])
    return True


PAUSED_MESSAGE = (
    "Scoring is paused: the scorer cannot run code right now ({problem}). This is not a problem of your "
    "code. Your submission stays in the queue and is scored once the course staff fix the scorer; you do "
    "not need to submit it again."
)


def pause_submission(claim: Claim, problem: str) -> bool:
    """running → queued after a fault of the scorer itself (labeling.health): the attempt does not
    count, and the participant is told that scoring is paused. False if the claim was lost."""
    with transaction.atomic():
        updated = _owned(claim).update(
            status=Status.QUEUED,
            attempts=F("attempts") - 1,
            worker="",
            started_at=None,
            heartbeat_at=None,
            message=PAUSED_MESSAGE.format(problem=problem[:600])[:4000],
        )
        if updated:
            _event(
                claim.submission_id, Status.RUNNING, Status.QUEUED, note=f"scorer fault, back in the queue: {problem}"
            )
    return bool(updated)


def resume_queued() -> int:
    """Send every queued submission to the workers again (after the scorer was fixed); a job for a
    submission already taken is harmless, the claim is exclusive. How many were sent."""
    ids = list(Submission.objects.filter(status=Status.QUEUED).order_by("queued_at", "pk").values_list("pk", flat=True))
    for submission_id in ids:
        _enqueue_on_commit(submission_id)
    return len(ids)


def sweep_submissions(now: datetime.datetime | None = None) -> dict[str, int]:
    """Requeue running submissions whose worker stopped beating and queued ones whose job was
    lost; fail them for good when that keeps happening. Safe to run anywhere, any number of times."""
    now = now or timezone.now()
    stale_before = now - datetime.timedelta(seconds=settings.SCORING_STALE_SECONDS)
    lost_before = now - datetime.timedelta(seconds=settings.SCORING_QUEUE_TIMEOUT_SECONDS)
    max_attempts = settings.SCORING_MAX_ATTEMPTS
    counts = {"requeued": 0, "resent": 0, "failed": 0}

    stale = Submission.objects.filter(status=Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    )
    for sub in stale.only("pk", "attempts"):
        with transaction.atomic():
            if sub.attempts >= max_attempts:
                message = (
                    f"The scorer stopped {sub.attempts} times while running this submission (its worker died or "
                    "lost contact), so it was not scored. It does not count against your daily limit; submit "
                    "again, and if it keeps happening, tell the course staff."
                )
                done = Submission.objects.filter(pk=sub.pk, status=Status.RUNNING, attempts=sub.attempts).update(
                    status=Status.FAILED, message=message, finished_at=now
                )
                if done:
                    _event(sub.pk, Status.RUNNING, Status.FAILED, note="worker lost too often")
                    counts["failed"] += done
                continue
            done = Submission.objects.filter(pk=sub.pk, status=Status.RUNNING, attempts=sub.attempts).update(
                status=Status.QUEUED, queued_at=now, worker="", heartbeat_at=None
            )
            if done:
                _event(sub.pk, Status.RUNNING, Status.QUEUED, note="worker stopped beating; requeued")
                _enqueue_on_commit(sub.pk)
                counts["requeued"] += done

    # A queued job nobody took for this long was probably lost by the broker: send it again
    # (a duplicate is harmless, the claim is exclusive). Only if no worker took *any* job
    # meanwhile does that count against the submission: then the scorer is down, not busy.
    lost = Submission.objects.filter(status=Status.QUEUED, queued_at__lt=lost_before)
    # While a worker reports that it cannot run code, waiting is the scorer's fault: nothing fails.
    scorer_busy = health.scoring_paused() or Submission.objects.filter(started_at__gte=lost_before).exists()
    for sub in lost.only("pk", "requeues"):
        with transaction.atomic():
            if not scorer_busy and sub.requeues + 1 >= max_attempts:
                message = (
                    "No scoring worker picked this submission up in time, so it was not scored "
                    "(the scorer seems to be down). It does not count against your daily limit; "
                    "submit again later or ask the course staff to rescore it."
                )
                done = Submission.objects.filter(pk=sub.pk, status=Status.QUEUED, requeues=sub.requeues).update(
                    status=Status.FAILED, message=message, finished_at=now
                )
                if done:
                    _event(sub.pk, Status.QUEUED, Status.FAILED, note="never picked up")
                    counts["failed"] += done
                continue
            done = Submission.objects.filter(pk=sub.pk, status=Status.QUEUED, requeues=sub.requeues).update(
                queued_at=now, requeues=F("requeues") + (0 if scorer_busy else 1)
            )
            if done:
                _enqueue_on_commit(sub.pk)
                counts["resent"] += done
    return counts
