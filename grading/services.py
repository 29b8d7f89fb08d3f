"""Every write to peer evaluations and the grade sheet: one function per state change.

Pages, the API, the demo and the Celery task call these; none of them repeats a rule. A refusal
is a ValidationError that says why. Who may call what is decided before (grading.access).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Membership, Role
from courses.notifications import notify
from grading.models import (
    MAX_COMMENT_CHARS,
    Dimension,
    Evaluation,
    EvaluationReminder,
    EvaluationResponse,
    GradeEntry,
    GradeItem,
    GradingPolicy,
    Rating,
)
from teams.models import Team, TeamMembership

User = get_user_model()

MAX_EVALUATION_DAYS = 366


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def team_users(team: Team) -> list:
    return [m.user for m in TeamMembership.objects.filter(team=team).select_related("user").order_by("user_id")]


# ---------------------------------------------------------------- evaluation windows


def _clean_window(title: str, opens_at, closes_at) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Give the evaluation a title (e.g. Mid-project)."})
    if len(title) > 100:
        raise ValidationError({"title": "The title can have at most 100 characters."})
    if opens_at is None or closes_at is None:
        raise ValidationError("Give the opening and closing times.")
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": "The evaluation must close after it opens."})
    if closes_at - opens_at > datetime.timedelta(days=MAX_EVALUATION_DAYS):
        raise ValidationError({"closes_at": "An evaluation can stay open at most a year."})
    return title


def create_evaluation(course: Course, *, title: str, opens_at, closes_at, by) -> Evaluation:
    """Open an evaluation window for the course."""
    title = _clean_window(title, opens_at, closes_at)
    return Evaluation.objects.create(course=course, title=title, opens_at=opens_at, closes_at=closes_at, created_by=by)


def update_evaluation(evaluation: Evaluation, *, title: str, opens_at, closes_at) -> Evaluation:
    evaluation.title = _clean_window(title, opens_at, closes_at)
    evaluation.opens_at, evaluation.closes_at = opens_at, closes_at
    evaluation.save(update_fields=["title", "opens_at", "closes_at"])
    return evaluation


def close_evaluation(evaluation: Evaluation, now: datetime.datetime | None = None) -> Evaluation:
    """Close the window now (answers can no longer change)."""
    now = _now(now)
    if evaluation.is_closed(now):
        raise ValidationError("The evaluation is already closed.")
    # An evaluation not yet open closes as it opens, so the window is never empty.
    evaluation.closes_at = max(now, evaluation.opens_at + datetime.timedelta(seconds=1))
    evaluation.save(update_fields=["closes_at"])
    return evaluation


def release_evaluation(evaluation: Evaluation, now: datetime.datetime | None = None) -> Evaluation:
    """Let each student read their peers' anonymous means and their team's comments."""
    now = _now(now)
    if not evaluation.is_closed(now):
        raise ValidationError("Close the evaluation before releasing its results.")
    updated = Evaluation.objects.filter(pk=evaluation.pk, released_at__isnull=True).update(released_at=now)
    if not updated:
        raise ValidationError("The results are already released.")
    evaluation.released_at = now
    students = User.objects.filter(
        memberships__course=evaluation.course,
        memberships__role=Role.STUDENT,
        team_memberships__course=evaluation.course,
    )
    url = reverse("grading:feedback", args=[evaluation.course.slug, evaluation.pk])
    notify(students, verb="evaluation_released", message=f"Your peer feedback for {evaluation.title} is ready.",
           course=evaluation.course, url=url)  # fmt: skip
    return evaluation


# ---------------------------------------------------------------- answers


def _clean_comment(value: str | None, label: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_COMMENT_CHARS:
        raise ValidationError({label: f"A comment can have at most {MAX_COMMENT_CHARS} characters."})
    return value


def answer_evaluation(
    evaluation: Evaluation,
    rater,
    team: Team,
    scores: Mapping[int, Mapping[str, int]],
    *,
    team_comment: str = "",
    confidential_comment: str = "",
    now: datetime.datetime | None = None,
) -> EvaluationResponse:
    """Save (or replace) `rater`'s ratings of everyone in `team`, themself included.

    `scores[user_id][dimension]` is 1–5 for each member and each of the five dimensions. An answer
    can change until the window closes.
    """
    now = _now(now)
    if not evaluation.is_open(now):
        word = "closed" if evaluation.is_closed(now) else "not open yet"
        raise ValidationError(f"The evaluation is {word}; answers can be given only while it is open.")
    members = {u.pk for u in team_users(team)}
    if rater.pk not in members:
        raise ValidationError("You can only rate the members of your own team.")
    errors = []
    extra = set(scores) - members
    if extra:
        errors.append("Rate only your teammates and yourself.")
    rows = []
    for uid in sorted(members):
        given = scores.get(uid) or {}
        for dim in Dimension.values:
            value = given.get(dim)
            try:
                value = int(value)
            except (TypeError, ValueError):
                errors.append(f"Give every person a score from 1 to 5 on “{Dimension(dim).label}”.")
                break
            if not 1 <= value <= 5:
                errors.append("Scores go from 1 to 5.")
                break
            rows.append((uid, dim, value))
    if errors:
        raise ValidationError(sorted(set(errors)))
    team_comment = _clean_comment(team_comment, "team_comment")
    confidential_comment = _clean_comment(confidential_comment, "confidential_comment")
    with transaction.atomic():
        response, created = EvaluationResponse.objects.get_or_create(
            evaluation=evaluation,
            rater=rater,
            defaults={"team": team, "submitted_at": now, "updated_at": now},
        )
        # Lock the answer so two saves of the same student (two tabs) replace the ratings one at a time.
        response = EvaluationResponse.objects.select_for_update().get(pk=response.pk)
        response.team = team
        response.team_comment = team_comment
        response.confidential_comment = confidential_comment
        response.updated_at = now
        response.save(update_fields=["team", "team_comment", "confidential_comment", "updated_at"])
        response.ratings.all().delete()
        Rating.objects.bulk_create(
            [Rating(response=response, ratee_id=uid, dimension=dim, score=value) for uid, dim, value in rows]
        )
    return response


# ---------------------------------------------------------------- reminders


def rated_teams(course: Course):
    """The teams a peer evaluation covers: two or more members (a team of one has nobody to rate)."""
    return Team.objects.filter(course=course).annotate(size=Count("memberships")).filter(size__gte=2)


def students_yet_to_answer(evaluation: Evaluation):
    """Students in a rated team of the course who have not answered the evaluation."""
    return (
        User.objects.filter(
            memberships__course=evaluation.course,
            memberships__role=Role.STUDENT,
            team_memberships__team__in=rated_teams(evaluation.course),
        )
        .exclude(pk__in=EvaluationResponse.objects.filter(evaluation=evaluation).values("rater"))
        .distinct()
    )


def remind_evaluation(evaluation: Evaluation, now: datetime.datetime | None = None) -> int:
    """Remind each student who has not answered, once per evaluation however often this runs."""
    now = _now(now)
    if not evaluation.is_open(now):
        return 0
    pending = students_yet_to_answer(evaluation).exclude(
        pk__in=EvaluationReminder.objects.filter(evaluation=evaluation).values("user")
    )
    closes = timezone.localtime(evaluation.closes_at, evaluation.course.tz).strftime("%a %d %b %H:%M")
    url = reverse("grading:answer", args=[evaluation.course.slug, evaluation.pk])
    sent = 0
    for user in pending:
        # Insert first: the unique constraint makes a second run (or a second beat) skip this student.
        try:
            with transaction.atomic():
                EvaluationReminder.objects.create(evaluation=evaluation, user=user, sent_at=now)
                notify(
                    [user],
                    verb="evaluation_reminder",
                    message=f"Please rate your teammates for {evaluation.title} before {closes} "
                    f"({evaluation.course.time_zone}).",
                    course=evaluation.course,
                    url=url,
                )
        except IntegrityError:
            continue
        sent += 1
    return sent


REMINDER_LEAD = datetime.timedelta(days=2)


def send_evaluation_reminders(now: datetime.datetime | None = None) -> int:
    """Beat job: remind the students of every evaluation that closes within two days."""
    now = _now(now)
    due = Evaluation.objects.filter(opens_at__lte=now, closes_at__gt=now, closes_at__lte=now + REMINDER_LEAD)
    return sum(remind_evaluation(e, now) for e in due.select_related("course"))


# ---------------------------------------------------------------- the grade sheet


def grading_policy(course: Course) -> GradingPolicy:
    policy, _ = GradingPolicy.objects.get_or_create(course=course)
    return policy


def save_grading_policy(policy: GradingPolicy, **fields) -> GradingPolicy:
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    for name in ("challenge", "evaluation"):
        obj = getattr(policy, name)
        if obj is not None and obj.course_id != policy.course_id:
            raise ValidationError({name: "Choose one of this course's."})
    policy.save()
    return policy


def release_grades(course: Course, now: datetime.datetime | None = None) -> GradingPolicy:
    policy = grading_policy(course)
    if policy.released_at:
        raise ValidationError("The grades are already released.")
    GradingPolicy.objects.filter(pk=policy.pk).update(released_at=_now(now))
    policy.refresh_from_db()
    return policy


def unrelease_grades(course: Course) -> GradingPolicy:
    policy = grading_policy(course)
    GradingPolicy.objects.filter(pk=policy.pk).update(released_at=None)
    policy.refresh_from_db()
    return policy


def create_grade_item(course: Course, *, name: str, weight: int, max_points: float, team_component: bool) -> GradeItem:
    item = GradeItem(course=course, name=(name or "").strip(), weight=weight, max_points=max_points,
                     team_component=team_component)  # fmt: skip
    item.full_clean()
    if GradeItem.objects.filter(course=course, name__iexact=item.name).exists():
        raise ValidationError({"name": "The course already has a grade item of that name."})
    item.save()
    return item


def delete_grade_item(item: GradeItem) -> None:
    item.delete()


def record_grades(item: GradeItem, points: Mapping[int, float | None], now: datetime.datetime | None = None) -> int:
    """Set each student's points on the item (None clears it); all or nothing."""
    now = _now(now)
    students = set(
        Membership.objects.filter(course=item.course_id, role=Role.STUDENT, user_id__in=list(points)).values_list(
            "user_id", flat=True
        )
    )
    errors = []
    for uid, value in points.items():
        if uid not in students:
            errors.append(f"User {uid} is not a student of the course.")
        elif value is not None and not (0 <= value <= item.max_points):
            errors.append(f"Points must be between 0 and {item.max_points:g}.")
    if errors:
        raise ValidationError(sorted(set(errors)))
    with transaction.atomic():
        for uid, value in points.items():
            if value is None:
                GradeEntry.objects.filter(item=item, student_id=uid).delete()
            else:
                GradeEntry.objects.update_or_create(
                    item=item, student_id=uid, defaults={"points": value, "updated_at": now}
                )
    return len(points)
