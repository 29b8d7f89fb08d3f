"""Who may see what of a challenge: built on courses.permissions.get_course_access.

Every member of a course sees its challenges (before opening only the title and schedule).
A submission is seen only by its participant (the submitter, or the submitter's team in a
team challenge) and by the course's staff; everyone else gets 404, as if it did not exist.
Benchmark (reference) submissions are staff-only except for their row on the leaderboard.
The gold is never served by any view: it is not a ChallengeInput and nothing here opens it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from courseproj.lib.pagecache import PageCache
from courses.permissions import CourseAccess
from labeling.models import Challenge, ChallengeInput, Participation, Submission

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"


def phase(challenge: Challenge, now: datetime.datetime | None = None) -> str:
    """The phase: "upcoming" before opens_at, "closed" from closes_at on, else "open"."""
    now = now or timezone.now()
    if challenge.closes_at is not None and now >= challenge.closes_at:
        return CLOSED
    if challenge.opens_at is not None and now < challenge.opens_at:
        return UPCOMING
    return OPEN


def is_closed(challenge: Challenge, now: datetime.datetime | None = None) -> bool:
    return phase(challenge, now) == CLOSED


def viewer_participants(challenge: Challenge, user) -> set[str]:
    """The leaderboard participant ids that are `user` in this challenge ("u:<id>", and "t:<team>" if any).

    Both are returned for a team challenge so a row stays "yours" even for submissions made
    before the user joined or left a team; pages use this for highlighting and ownership.
    """
    from teams.services import team_of

    ids = {f"u:{user.pk}"}
    if challenge.participation == Participation.TEAM:
        team = team_of(user, challenge.course)
        if team is not None:
            ids.add(f"t:{team.pk}")
    return ids


def current_participant(challenge: Challenge, user) -> str | None:
    """The participant id the user submits as now, or None (a team challenge and no team)."""
    from labeling.services import participant_for

    try:
        return participant_for(challenge, user)
    except ValidationError:
        return None


def get_challenge_for_user(access: CourseAccess, slug: str) -> Challenge:
    """The challenge `slug` of the access's course, or 404. On a page that only reads (the access
    check read the page cache's stamps), the row comes from the page cache: its stamp changes with it."""

    def read() -> Challenge:
        challenge = next(iter(Challenge.objects.filter(course=access.course, slug=slug).order_by()[:1]), None)
        if challenge is None:
            raise Http404("No such challenge")  # not cached: unknown slugs take no room
        return challenge

    if getattr(access.course, "page_stamps", None):
        challenge = PageCache(access.course, "labeling").get("challenge", read, slug)
    else:
        challenge = read()
    challenge.course = access.course
    return challenge


def require_open_content(access: CourseAccess, challenge: Challenge) -> None:
    """Instructions, inputs and hints are for staff always, for students once the challenge opened."""
    if not access.is_staff and phase(challenge) == UPCOMING:
        raise PermissionDenied("This challenge has not opened yet.")


def get_input_for_user(access: CourseAccess, challenge: Challenge, name: str) -> tuple[ChallengeInput, Path]:
    """An input file of the challenge and its path on disk; 404 if missing, 403 before opening."""
    require_open_content(access, challenge)
    item = challenge.inputs.filter(name=name).first()
    if item is None:
        raise Http404("No such input file")
    return item, data_file(item.path)


def content_type(item: ChallengeInput) -> str:
    """The download's type by its name (CSV for .csv), else a plain byte stream."""
    import mimetypes

    guessed, _ = mimetypes.guess_type(item.name)
    return guessed or "application/octet-stream"


def data_file(relative: str) -> Path:
    """A file under DATA_DIR by its stored relative path; 404 if it is missing or escapes DATA_DIR."""
    root = Path(settings.DATA_DIR).resolve()
    path = (root / relative).resolve()
    if not relative or not path.is_relative_to(root) or not path.is_file():
        raise Http404("The file is missing.")
    return path


@dataclass(frozen=True)
class SubmissionAccess:
    access: CourseAccess
    submission: Submission
    is_own: bool

    @property
    def can_manage(self) -> bool:
        """Staff actions: rescore, disqualify, requalify."""
        return self.access.is_staff


def owns_submission(challenge: Challenge, user, submission: Submission) -> bool:
    if submission.is_benchmark:
        return False
    if submission.submitter_id == user.pk:
        return True
    return submission.participant in viewer_participants(challenge, user) and submission.participant.startswith("t:")


def get_submission_for_user(access: CourseAccess, challenge: Challenge, pk) -> SubmissionAccess:
    """A submission of the challenge as the user may see it: its participant and staff only, else 404."""
    try:
        submission = Submission.objects.select_related("submitter", "team").get(pk=int(pk), challenge=challenge)
    except (Submission.DoesNotExist, TypeError, ValueError):
        raise Http404("No such submission") from None
    submission.challenge = challenge
    is_own = owns_submission(challenge, access.user, submission)
    if not (is_own or access.is_staff):
        raise Http404("No such submission")
    return SubmissionAccess(access=access, submission=submission, is_own=is_own)


def own_submissions(challenge: Challenge, user):
    """The user's submissions in the challenge, newest first (the team's in a team challenge)."""
    from django.db.models import Q

    ids = viewer_participants(challenge, user)
    team_ids = [p for p in ids if p.startswith("t:")]
    return (
        Submission.objects.filter(challenge=challenge, is_benchmark=False)
        .filter(Q(submitter=user) | Q(participant__in=team_ids))
        .select_related("submitter")
    )


def filter_submissions(qs, *, status: str = "", who: str = "", kind: str = ""):
    """Staff filters of the all-submissions list and API: status, a name/e-mail/team search, kind."""
    from django.db.models import Q

    if status:
        qs = qs.filter(status=status)
    if who:
        qs = qs.filter(
            Q(submitter__email__icontains=who)
            | Q(submitter__first_name__icontains=who)
            | Q(submitter__last_name__icontains=who)
            | Q(team__name__icontains=who)
            | Q(benchmark_name__icontains=who)
            | Q(participant=who)
        )
    if kind == "students":
        qs = qs.filter(is_benchmark=False)
    elif kind == "benchmarks":
        qs = qs.filter(is_benchmark=True)
    elif kind == "disqualified":
        qs = qs.filter(disqualified=True)
    return qs
