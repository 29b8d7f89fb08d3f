"""Every write to proposals and weekly updates: one function per state change.

Pages, the API, the admin and the Celery tasks call these; none of them repeats a rule.
Refusals are ValidationErrors that say why; acting without the role is PermissionDenied.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from courses.models import STAFF_ROLES, Course, Membership, Role
from courses.notifications import notify, without_email  # noqa: F401 (services' names)
from proposals.models import (
    MAX_COMMENT_CHARS,
    MAX_SECTION_CHARS,
    PROPOSAL_TRANSITIONS,
    DraftSection,
    Proposal,
    ProposalComment,
    ProposalEvent,
    ProposalRevision,
    ProposalStatus,
    ProposalTemplate,
    ReminderKind,
    ReminderSent,
    Review,
    ReviewDecision,
    ReviewSectionComment,
    RevisionSection,
    TemplateSection,
    UpdateComment,
    WeeklyUpdate,
)
from proposals.weeks import Week, course_week, course_weeks, current_week_number, week_count
from teams.models import Team, TeamMembership

User = get_user_model()

DEFAULT_SECTIONS = [
    ("project-title", "Project title", "A short, descriptive name for the project.", True),
    ("team", "Team", "Who is on the team and what each of you will mainly work on.", True),
    (
        "goal",
        "Goal of the project",
        "What problem are you solving, for whom, and why does it matter? What is the input and the output?",
        True,
    ),
    (
        "dataset",
        "Dataset you will use or collect",
        "Where the data comes from, how large it is, how it is labeled, and how you will get it "
        "(license, scraping, labeling effort).",
        True,
    ),
    (
        "baseline",
        "Baseline",
        "How you will know whether the model is doing well: a simple baseline, the metric, and the "
        "number you hope to beat.",
        True,
    ),
    (
        "model",
        "Model architecture and loss function",
        "Which model you will start from (pretrained or not), its architecture, and the loss you will train with.",
        True,
    ),
    (
        "end-result",
        "What the end result will look like",
        "A web app, a phone app, a notebook, a report…: what will you show on the last day?",
        True,
    ),
    ("stretch-goal", "Stretch goal", "What you will add if everything goes well.", False),
]

MAX_TEMPLATE_SECTIONS = 30
REMINDER_LEAD = datetime.timedelta(days=1)
# An "after due" reminder goes out only this soon after the due time, so a course set up
# mid-term (or a beat that was down for weeks) does not mail teams about old weeks.
AFTER_DUE_WINDOW = datetime.timedelta(days=3)


# ---------------------------------------------------------------- helpers


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _role(course: Course, user) -> str | None:
    if user is None:
        return None
    role = Membership.objects.filter(course=course, user=user).values_list("role", flat=True).first()
    if role is None and getattr(user, "is_superuser", False):
        return Role.INSTRUCTOR
    return role


def _require_staff(course: Course, user) -> None:
    if _role(course, user) not in STAFF_ROLES:
        raise PermissionDenied("Only the course's instructors and TAs can do this.")


def _require_member(course: Course, user) -> None:
    if _role(course, user) is None:
        raise PermissionDenied("Only members of the course can do this.")


def _require_team_member(team: Team | None, user) -> None:
    if team is None or not TeamMembership.objects.filter(team=team, user=user).exists():
        raise PermissionDenied("Only the team's members can do this.")


def _team_users(team: Team | None) -> list:
    if team is None:
        return []
    return list(User.objects.filter(team_memberships__team=team))


def _staff_users(course: Course) -> list:
    return list(User.objects.filter(memberships__course=course, memberships__role__in=STAFF_ROLES))


def _clean_text(value: str | None, *, limit: int, label: str, required: bool = False) -> str:
    text = (value or "").replace("\r\n", "\n")
    if required and not text.strip():
        raise ValidationError(f"{label} cannot be empty.")
    if len(text) > limit:
        raise ValidationError(f"{label} is {len(text):,} characters long; the limit is {limit:,}.")
    return text


def _when(moment: datetime.datetime, tz) -> str:
    return timezone.localtime(moment, tz).strftime("%a %d %b %Y, %H:%M")


# ---------------------------------------------------------------- the template


def get_template(course: Course) -> ProposalTemplate:
    """The course's proposal template, made with the default sections the first time it is needed."""
    template = ProposalTemplate.objects.filter(course=course).first()
    if template:
        return template
    try:
        with transaction.atomic():
            template = ProposalTemplate.objects.create(course=course)
            TemplateSection.objects.bulk_create(
                TemplateSection(template=template, key=key, position=i, title=title, prompt=prompt, required=req)
                for i, (key, title, prompt, req) in enumerate(DEFAULT_SECTIONS, start=1)
            )
    except IntegrityError:  # made by a concurrent request just now
        template = ProposalTemplate.objects.get(course=course)
    return template


def template_sections(course: Course) -> list[TemplateSection]:
    return list(get_template(course).sections.all())


@dataclass
class SectionSpec:
    title: str
    prompt: str = ""
    required: bool = True
    key: str = ""  # empty: a new section


@transaction.atomic
def update_proposal_template(course: Course, sections: Iterable[SectionSpec], *, by) -> list[TemplateSection]:
    """Replace the template's sections with `sections`, in this order. Existing sections keep
    their key (so drafts, revisions and comments still match); new ones get a key from the title.
    Removing a section never touches submitted revisions, which keep their own copy."""
    if _role(course, by) != Role.INSTRUCTOR:
        raise PermissionDenied("Only the course's instructors can edit the proposal template.")
    specs = list(sections)
    if not specs:
        raise ValidationError("A proposal needs at least one section.")
    if len(specs) > MAX_TEMPLATE_SECTIONS:
        raise ValidationError(f"A proposal can have at most {MAX_TEMPLATE_SECTIONS} sections.")
    template = ProposalTemplate.objects.select_for_update().get(pk=get_template(course).pk)
    existing = {s.key: s for s in template.sections.all()}
    kept: list[TemplateSection] = []
    used: set[str] = set()
    for position, spec in enumerate(specs, start=1):
        title = (spec.title or "").strip()
        if not title:
            raise ValidationError(f"Section {position} needs a title.")
        if len(title) > 200:
            raise ValidationError(f"The title of section {position} is longer than 200 characters.")
        prompt = _clean_text(spec.prompt, limit=2000, label=f"The prompt of “{title}”")
        if spec.key:
            if spec.key not in existing:
                raise ValidationError(f"The template has no section with key “{spec.key}”.")
            if spec.key in used:
                raise ValidationError(f"Section “{title}” appears twice.")
            section = existing[spec.key]
        else:
            section = TemplateSection(template=template, key=_new_key(title, set(existing) | used))
        used.add(section.key)
        section.title, section.prompt, section.required, section.position = title, prompt, spec.required, position
        kept.append(section)
    TemplateSection.objects.filter(template=template).exclude(key__in=used).delete()
    for section in kept:
        section.save()
    ProposalTemplate.objects.filter(pk=template.pk).update(updated_at=timezone.now(), updated_by=by)
    return kept


def _new_key(title: str, taken: set[str]) -> str:
    base = slugify(title)[:50] or "section"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


# ---------------------------------------------------------------- proposals


def start_proposal(team: Team, *, by, now: datetime.datetime | None = None) -> Proposal:
    """The team's proposal, started (as an empty draft) on first use."""
    now = _now(now)
    _require_team_member(team, by)
    proposal = Proposal.objects.filter(team=team).first()
    if proposal:
        return proposal
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(
                course=team.course, team=team, team_name=team.name, created_at=now, updated_at=now
            )
            ProposalEvent.objects.create(
                proposal=proposal,
                kind=ProposalEvent.Kind.STARTED,
                to_status=ProposalStatus.DRAFT,
                actor=by,
                created_at=now,
            )
    except IntegrityError:  # a teammate started it at the same moment
        proposal = Proposal.objects.get(team=team)
    return proposal


class Conflict(ValidationError):
    """Someone else changed the same thing first (the API answers 409)."""


class DraftConflict(Conflict):
    """A teammate saved a section after the editor was opened; `current` holds their rows by key."""

    def __init__(self, message: str, current: dict[str, DraftSection]):
        super().__init__(message)
        self.current = current


@transaction.atomic
def save_draft(
    proposal: Proposal,
    bodies: Mapping[str, str],
    *,
    by,
    versions: Mapping[str, int] | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, DraftSection]:
    """Save the team's working text of some sections. With `versions` (key → the version the
    editor was opened with, 0 for a section not saved yet), a section a teammate saved since then
    is refused, not overwritten."""
    now = _now(now)
    _require_team_member(proposal.team, by)
    # Lock the proposal: a submit must not freeze a half-saved draft.
    proposal.status = Proposal.objects.select_for_update().values_list("status", flat=True).get(pk=proposal.pk)
    _require_editable(proposal)
    known = {s.key: s for s in template_sections(proposal.course)}
    unknown = [k for k in bodies if k not in known]
    if unknown:
        raise ValidationError(f"The proposal template has no section “{unknown[0]}”.")
    clean = {
        key: _clean_text(body, limit=MAX_SECTION_CHARS, label=f"“{known[key].title}”") for key, body in bodies.items()
    }
    rows = {d.key: d for d in DraftSection.objects.select_for_update().filter(proposal=proposal, key__in=clean)}
    conflicts = {}
    for key, body in clean.items():
        row = rows.get(key)
        expected = (versions or {}).get(key)
        if row is not None and expected is not None and row.version != expected and row.body != body:
            # (a section first saved by a teammate since the editor opened has version 1 ≠ 0)
            conflicts[key] = row
    if conflicts:
        names = ", ".join(f"“{known[k].title}”" for k in conflicts)
        raise DraftConflict(
            f"A teammate saved {names} after you opened the editor. Their text is shown next to yours: "
            "merge the two and save again.",
            current=conflicts,
        )
    for key, body in clean.items():
        row = rows.get(key)
        if row is None:
            rows[key] = DraftSection.objects.create(
                proposal=proposal, key=key, body=body, updated_at=now, updated_by=by
            )
        elif row.body != body:
            DraftSection.objects.filter(pk=row.pk).update(
                body=body, version=F("version") + 1, updated_at=now, updated_by=by
            )
            row.refresh_from_db()
    Proposal.objects.filter(pk=proposal.pk).update(updated_at=now)
    return rows


def _require_editable(proposal: Proposal) -> None:
    if proposal.status == ProposalStatus.SUBMITTED:
        raise ValidationError(
            "The proposal is waiting for review; you can edit it again if a reviewer asks for a revision."
        )
    if proposal.status == ProposalStatus.APPROVED:
        raise ValidationError("The proposal is approved; it can no longer be changed.")


def _transition(proposal: Proposal, to: str, *, by, revision=None, now, **fields) -> None:
    """Move the proposal from its current status to `to` with a conditional update, and record the event."""
    old = proposal.status
    if to not in PROPOSAL_TRANSITIONS[old]:
        raise ValidationError(
            f"A proposal that is {ProposalStatus(old).label.lower()} cannot become {ProposalStatus(to).label.lower()}."
        )
    changed = Proposal.objects.filter(pk=proposal.pk, status=old).update(status=to, updated_at=now, **fields)
    if not changed:
        raise Conflict("Someone else changed this proposal just now; reload the page to see its new state.")
    kind = {
        ProposalStatus.SUBMITTED: ProposalEvent.Kind.SUBMITTED,
        ProposalStatus.APPROVED: ProposalEvent.Kind.APPROVED,
        ProposalStatus.NEEDS_REVISION: ProposalEvent.Kind.NEEDS_REVISION,
    }[to]
    ProposalEvent.objects.create(
        proposal=proposal, kind=kind, from_status=old, to_status=to, actor=by, revision=revision, created_at=now
    )
    proposal.refresh_from_db()


def draft_bodies(proposal: Proposal) -> dict[str, str]:
    return dict(proposal.draft_sections.values_list("key", "body"))


@transaction.atomic
def submit_proposal(proposal: Proposal, *, by, now: datetime.datetime | None = None) -> ProposalRevision:
    """Freeze the team's draft as the next immutable revision and mark the proposal submitted.
    A first submission after the course's proposal deadline is accepted and marked late."""
    now = _now(now)
    _require_team_member(proposal.team, by)
    # Lock the row: the revision number is read, then written.
    locked = Proposal.objects.select_for_update().select_related("course").get(pk=proposal.pk)
    proposal.status, proposal.revision_count = locked.status, locked.revision_count
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.NEEDS_REVISION):
        _require_editable(proposal)
    sections = template_sections(locked.course)
    bodies = draft_bodies(proposal)
    missing = [s.title for s in sections if s.required and not bodies.get(s.key, "").strip()]
    if missing:
        raise ValidationError("Fill in the required sections before submitting: " + ", ".join(missing) + ".")
    if locked.revision_count:
        last = ProposalRevision.objects.get(proposal=proposal, number=locked.revision_count)
        before = {s.key: s.body for s in last.sections.all()}
        after = {s.key: bodies.get(s.key, "") for s in sections}
        if before == after:
            raise ValidationError(
                f"Nothing has changed since revision {last.number}. Edit the sections the reviewers "
                "commented on, then submit."
            )
    first = locked.status == ProposalStatus.DRAFT
    deadline = locked.course.proposal_deadline
    late = bool(first and deadline and now > deadline)
    number = locked.revision_count + 1
    revision = ProposalRevision.objects.create(proposal=proposal, number=number, author=by, created_at=now, late=late)
    RevisionSection.objects.bulk_create(
        RevisionSection(revision=revision, key=s.key, position=s.position, title=s.title, body=bodies.get(s.key, ""))
        for s in sections
    )
    fields = {"revision_count": F("revision_count") + 1, "last_submitted_at": now}
    if first:
        fields.update(first_submitted_at=now, late=late)
    _transition(proposal, ProposalStatus.SUBMITTED, by=by, revision=revision, now=now, **fields)
    verb = "submitted" if number == 1 else f"submitted revision {number} of"
    notify(
        _staff_users(locked.course),
        verb="proposal_submitted",
        message=f"{proposal.team_name} {verb} their proposal{' (late)' if late else ''}.",
        course=locked.course,
        url=reverse("proposals:detail", args=[locked.course.slug, proposal.pk]),
        email=False,
    )
    return revision


@transaction.atomic
def review_proposal(
    proposal: Proposal,
    *,
    by,
    decision: str,
    comment: str = "",
    section_comments: Mapping[str, str] | None = None,
    revision_number: int | None = None,
    now: datetime.datetime | None = None,
) -> Review:
    """Staff review the latest revision: approve it, or ask for a revision with comments."""
    now = _now(now)
    _require_staff(proposal.course, by)
    if decision not in ReviewDecision.values:
        raise ValidationError(f"Decide with one of: {', '.join(ReviewDecision.values)}.")
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    proposal.status, proposal.revision_count = locked.status, locked.revision_count
    if locked.status != ProposalStatus.SUBMITTED:
        label = ProposalStatus(locked.status).label.lower()
        raise ValidationError(f"Only a submitted proposal can be reviewed; this one is {label}.")
    if revision_number is not None and revision_number != locked.revision_count:
        raise ValidationError(
            f"Revision {locked.revision_count} is the latest; review that one (you had revision {revision_number})."
        )
    revision = ProposalRevision.objects.get(proposal=proposal, number=locked.revision_count)
    titles = dict(revision.sections.values_list("key", "title"))
    comment = _clean_text(comment, limit=MAX_COMMENT_CHARS, label="The overall comment")
    notes = {}
    for key, text in (section_comments or {}).items():
        if key not in titles:
            raise ValidationError(f"Revision {revision.number} has no section “{key}”.")
        text = _clean_text(text, limit=MAX_COMMENT_CHARS, label=f"The comment on “{titles[key]}”")
        if text.strip():
            notes[key] = text
    if decision == ReviewDecision.NEEDS_REVISION and not (comment.strip() or notes):
        raise ValidationError("Say what to change: write an overall comment or a comment on a section.")
    review = Review.objects.create(
        proposal=proposal, revision=revision, reviewer=by, decision=decision, comment=comment, created_at=now
    )
    ReviewSectionComment.objects.bulk_create(
        ReviewSectionComment(review=review, key=key, body=text) for key, text in notes.items()
    )
    _transition(proposal, decision, by=by, revision=revision, now=now, decided_at=now)
    message = {
        ReviewDecision.APPROVED: "Your proposal was approved.",
        ReviewDecision.NEEDS_REVISION: "Your proposal needs a revision: see the reviewers' comments.",
    }[decision]
    notify(
        _team_users(proposal.team),
        verb=f"proposal_{decision}",
        message=message,
        course=proposal.course,
        url=reverse("proposals:detail", args=[proposal.course.slug, proposal.pk]),
    )
    return review


@transaction.atomic
def comment_on_proposal(proposal: Proposal, *, by, body: str, now: datetime.datetime | None = None) -> ProposalComment:
    """A comment on the latest submitted revision (classmates, the team, staff)."""
    now = _now(now)
    _require_member(proposal.course, by)
    if not proposal.revision_count:
        raise ValidationError("Comments open once the team has submitted its proposal.")
    is_team = proposal.team_id and TeamMembership.objects.filter(team_id=proposal.team_id, user=by).exists()
    classmate = not is_team and _role(proposal.course, by) == Role.STUDENT
    if classmate and not proposal.course.proposals_visible_to_classmates:
        raise PermissionDenied("This course does not share proposals between teams.")
    body = _clean_text(body, limit=MAX_COMMENT_CHARS, label="The comment", required=True)
    revision = ProposalRevision.objects.get(proposal=proposal, number=proposal.revision_count)
    earlier = list(User.objects.filter(pk__in=proposal.comments.values("author")))
    comment = ProposalComment.objects.create(proposal=proposal, revision=revision, author=by, body=body, created_at=now)
    recipients = [u for u in [*_team_users(proposal.team), *earlier] if u.pk != by.pk]
    notify(
        recipients,
        verb="proposal_comment",
        message=f"{by.get_full_name() or by.email} commented on the proposal of {proposal.team_name}.",
        course=proposal.course,
        url=reverse("proposals:detail", args=[proposal.course.slug, proposal.pk]) + f"#comment-{comment.pk}",
    )
    return comment


# ---------------------------------------------------------------- weekly updates


UPDATE_FIELDS = ("did", "next_steps", "blockers", "links")


def _clean_update_fields(fields: Mapping[str, str]) -> dict[str, str]:
    labels = {f: str(WeeklyUpdate._meta.get_field(f).verbose_name).capitalize() for f in UPDATE_FIELDS}
    clean = {}
    for name in UPDATE_FIELDS:
        required = name in ("did", "next_steps")
        clean[name] = _clean_text(fields.get(name, ""), limit=MAX_SECTION_CHARS, label=labels[name], required=required)
    return clean


def postable_week(course: Course, number: int, now: datetime.datetime) -> Week:
    """The week `number` if a team may post its update now (it has started), else a ValidationError."""
    count = week_count(course)
    if not count:
        raise ValidationError("The course has no start and end dates yet, so there are no weeks to report on.")
    if not 1 <= number <= count:
        raise ValidationError(f"There is no week {number} in this course (weeks 1–{count}).")
    if number > current_week_number(course, now):
        week = course_week(course, number)
        raise ValidationError(f"Week {number} starts on {week.starts:%a %d %b}; post its update from then.")
    return course_week(course, number)


@transaction.atomic
def post_weekly_update(
    team: Team, week: int, fields: Mapping[str, str], *, by, now: datetime.datetime | None = None
) -> WeeklyUpdate:
    """The team's update for a week that has started; after the week's due time it is marked late."""
    now = _now(now)
    _require_team_member(team, by)
    the_week = postable_week(team.course, week, now)
    clean = _clean_update_fields(fields)
    if WeeklyUpdate.objects.filter(team=team, week=week).exists():
        raise ValidationError(f"Your team already posted its update for week {week}; edit that one instead.")
    try:
        with transaction.atomic():
            return WeeklyUpdate.objects.create(
                course=team.course,
                team=team,
                week=week,
                author=by,
                updated_by=by,
                late=the_week.is_due(now),
                created_at=now,
                updated_at=now,
                **clean,
            )
    except IntegrityError:  # a teammate posted it at the same moment
        raise Conflict(f"A teammate just posted the update for week {week}; edit that one instead.") from None


@transaction.atomic
def edit_weekly_update(
    update: WeeklyUpdate, fields: Mapping[str, str], *, by, now: datetime.datetime | None = None
) -> WeeklyUpdate:
    """Change an update until its week's due time."""
    now = _now(now)
    _require_team_member(update.team, by)
    week = course_week(update.course, update.week)
    if week.is_due(now):
        raise ValidationError(
            f"The update for week {update.week} was due {_when(week.due, update.course.tz)} "
            f"({update.course.time_zone}); it can no longer be edited."
        )
    clean = _clean_update_fields(fields)
    for name, value in clean.items():
        setattr(update, name, value)
    update.updated_at, update.updated_by = now, by
    update.save(update_fields=[*UPDATE_FIELDS, "updated_at", "updated_by"])
    return update


@transaction.atomic
def comment_on_update(
    update: WeeklyUpdate, *, by, body: str, parent: UpdateComment | None = None, now: datetime.datetime | None = None
) -> UpdateComment:
    """A comment (or a reply: threads are one level deep) on a weekly update; notifies the team
    and everyone who commented on the update before."""
    now = _now(now)
    _require_member(update.course, by)
    body = _clean_text(body, limit=MAX_COMMENT_CHARS, label="The comment", required=True)
    if parent is not None:
        if parent.update_id != update.pk:
            raise ValidationError("You can only reply to a comment on the same update.")
        parent = parent.parent or parent  # a reply to a reply joins the same thread
    earlier = list(User.objects.filter(pk__in=update.comments.values("author")))
    comment = UpdateComment.objects.create(
        update=update, course=update.course, parent=parent, author=by, body=body, created_at=now
    )
    recipients = [u for u in [*_team_users(update.team), *earlier] if u.pk != by.pk]
    notify(
        recipients,
        verb="update_comment",
        message=f"{by.get_full_name() or by.email} commented on {update.team.name}'s update for week {update.week}.",
        course=update.course,
        url=reverse("proposals:update_detail", args=[update.course.slug, update.pk]) + f"#comment-{comment.pk}",
    )
    return comment


# ---------------------------------------------------------------- reminders


def reminders_due(course: Course, now: datetime.datetime) -> list[tuple[Week, str]]:
    """Which (week, kind) reminders the course owes at `now`."""
    due = []
    for week in course_weeks(course):
        if week.due - REMINDER_LEAD <= now < week.due:
            due.append((week, ReminderKind.BEFORE_DUE))
        elif week.due <= now < week.due + AFTER_DUE_WINDOW:
            due.append((week, ReminderKind.AFTER_DUE))
    return due


def send_update_reminders(now: datetime.datetime | None = None) -> int:
    """E-mail the teams that have not posted: a day before the due time and once after it.
    Each (team, week, kind) is sent at most once, however many times or places this runs."""
    now = _now(now)
    today = now.date()
    courses = Course.objects.filter(
        start_date__isnull=False,
        end_date__isnull=False,
        start_date__lte=today + datetime.timedelta(days=8),
        end_date__gte=today - datetime.timedelta(days=8),
    )
    sent = 0
    for course in courses:
        for week, kind in reminders_due(course, now):
            sent += _remind_teams(course, week, kind, now)
    return sent


def _remind_teams(course: Course, week: Week, kind: str, now: datetime.datetime) -> int:
    teams = (
        Team.objects.filter(course=course)
        .exclude(weekly_updates__week=week.number)
        .exclude(pk__in=ReminderSent.objects.filter(week=week.number, kind=kind).values("team"))
        .prefetch_related("memberships__user")
    )
    when = f"{_when(week.due, course.tz)} ({course.time_zone})"
    message = {
        ReminderKind.BEFORE_DUE: f"Reminder: your team's update for week {week.number} is due {when}.",
        ReminderKind.AFTER_DUE: f"Your team's update for week {week.number} was due {when}; post it now (marked late).",
    }[kind]
    url = reverse("proposals:update_form", args=[course.slug, week.number])
    sent = 0
    for team in teams:
        members = [m.user for m in team.memberships.all()]
        if not members:
            continue
        with transaction.atomic():
            # Insert first: the unique constraint makes a second run (or a second beat) skip this team.
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        team=team, week=week.number, kind=kind, sent_at=now, recipients=len(members)
                    )
            except IntegrityError:
                continue
            notify(members, verb="update_reminder", message=message, course=course, url=url)
        sent += 1
    return sent
