"""Proposals (template, drafts, immutable revisions, reviews) and weekly updates.

Writes go through proposals.services; nothing here holds business rules.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_SECTION_CHARS = 20_000
MAX_COMMENT_CHARS = 5_000


class ProposalTemplate(models.Model):
    """A course's proposal form: ordered sections. Made lazily with the default sections."""

    course = models.OneToOneField("courses.Course", on_delete=models.CASCADE, related_name="proposal_template")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"Proposal template of {self.course}"


class TemplateSection(models.Model):
    """One section of the template. `key` is stable across renames: drafts, revisions and
    review comments refer to a section by its key."""

    template = models.ForeignKey(ProposalTemplate, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    prompt = models.TextField(blank=True, max_length=2000)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="proposals_section_key_unique_in_template"),
        ]

    def __str__(self):
        return self.title


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    NEEDS_REVISION = "needs_revision", "Needs revision"
    APPROVED = "approved", "Approved"


# Which status may follow which. Every change is a conditional update in services.py.
PROPOSAL_TRANSITIONS: dict[str, set[str]] = {
    ProposalStatus.DRAFT: {ProposalStatus.SUBMITTED},
    ProposalStatus.SUBMITTED: {ProposalStatus.NEEDS_REVISION, ProposalStatus.APPROVED},
    ProposalStatus.NEEDS_REVISION: {ProposalStatus.SUBMITTED},
    ProposalStatus.APPROVED: set(),
}
EDITABLE_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.NEEDS_REVISION)


class Proposal(models.Model):
    """A team's proposal. Its text lives in DraftSection (the team's working copy) and in
    immutable ProposalRevisions (what was submitted). A dissolved team leaves its proposal
    behind (team set to NULL, `team_name` kept) so no submitted revision is ever lost."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="proposals")
    team = models.OneToOneField("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal")
    team_name = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    revision_count = models.PositiveIntegerField(default=0)
    late = models.BooleanField(default=False, help_text="The first submission came after the proposal deadline.")
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    last_submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team_name"]
        indexes = [
            # The staff list filtered by status.
            models.Index(fields=["course", "status"], name="proposals_proposal_by_status"),
        ]

    def __str__(self):
        return f"Proposal of {self.team_name}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def status_badge(self) -> str:
        return {
            ProposalStatus.DRAFT: "",
            ProposalStatus.SUBMITTED: "info",
            ProposalStatus.NEEDS_REVISION: "warn",
            ProposalStatus.APPROVED: "ok",
        }[self.status]


class DraftSection(models.Model):
    """The team's working text of one section. Mutable; `version` lets the editor refuse to
    overwrite a teammate's newer save."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="draft_sections")
    key = models.SlugField(max_length=60)
    body = models.TextField(blank=True, max_length=MAX_SECTION_CHARS)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "key"], name="proposals_draft_one_per_section"),
        ]

    def __str__(self):
        return f"{self.key} (v{self.version})"


class ImmutableRowError(Exception):
    """Raised when code tries to change a row that is written once (revisions and their sections)."""


class ImmutableModel(models.Model):
    """Rows written once. The database refuses updates too (triggers in migration 0002)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRowError(f"{type(self).__name__} rows are immutable; create a new one instead.")
        super().save(*args, **kwargs)


class ProposalRevision(ImmutableModel):
    """What the team submitted, numbered from 1. Never changed once written."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    late = models.BooleanField(default=False, help_text="A first submission after the proposal deadline.")

    class Meta:
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="proposals_revision_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="proposals_revision_number_positive"),
        ]

    def __str__(self):
        return f"Revision {self.number} of {self.proposal}"


class RevisionSection(ImmutableModel):
    """One section of a revision, with the title it had then (the template may change later)."""

    revision = models.ForeignKey(ProposalRevision, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["revision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "key"], name="proposals_revision_section_unique"),
        ]

    def __str__(self):
        return self.title


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", "Approve"
    NEEDS_REVISION = "needs_revision", "Needs revision"


class Review(ImmutableModel):
    """A staff member's review of one revision: an overall comment, section comments, a decision."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews")
    revision = models.ForeignKey(ProposalRevision, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True, max_length=MAX_COMMENT_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_decision_display()} on {self.revision}"


class ReviewSectionComment(ImmutableModel):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="section_comments")
    key = models.SlugField(max_length=60)
    body = models.TextField(max_length=MAX_COMMENT_CHARS)

    class Meta:
        ordering = ["review", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "key"], name="proposals_review_one_comment_per_section"),
        ]

    def __str__(self):
        return f"{self.key}: {self.body[:40]}"


class ProposalEvent(models.Model):
    """History: every status change (and the start) with who and when."""

    class Kind(models.TextChoices):
        STARTED = "started", "Started"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        NEEDS_REVISION = "needs_revision", "Revision requested"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=ProposalStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ProposalStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.ForeignKey(ProposalRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"


class ProposalComment(models.Model):
    """A comment on a submitted proposal, by a classmate, a team member or staff."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    revision = models.ForeignKey(ProposalRevision, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MAX_COMMENT_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author}: {self.body[:40]}"


class WeeklyUpdate(models.Model):
    """A team's update for one week of the course (weeks are numbered from 1; see proposals.weeks)."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="weekly_updates")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="weekly_updates")
    week = models.PositiveSmallIntegerField()
    did = models.TextField("What we did", max_length=MAX_SECTION_CHARS)
    next_steps = models.TextField("What's next", max_length=MAX_SECTION_CHARS)
    blockers = models.TextField(blank=True, max_length=MAX_SECTION_CHARS)
    links = models.TextField("Links or numbers", blank=True, max_length=MAX_SECTION_CHARS)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-week", "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "week"], name="proposals_update_one_per_team_and_week"),
            models.CheckConstraint(condition=models.Q(week__gte=1), name="proposals_update_week_positive"),
        ]
        indexes = [
            # The course feed: recent updates first.
            models.Index(fields=["course", "-created_at"], name="proposals_update_feed"),
        ]

    def __str__(self):
        return f"{self.team} week {self.week}"


class UpdateComment(models.Model):
    """A comment on a weekly update; replies are one level deep (`parent` is always top-level)."""

    update = models.ForeignKey(WeeklyUpdate, on_delete=models.CASCADE, related_name="comments")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MAX_COMMENT_CHARS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The course feed: recent comments first.
            models.Index(fields=["course", "-created_at"], name="proposals_comment_feed"),
        ]

    def __str__(self):
        return f"{self.author} on {self.update}: {self.body[:40]}"


class ReminderKind(models.TextChoices):
    BEFORE_DUE = "before_due", "A day before the due time"
    AFTER_DUE = "after_due", "After the due time"


class ReminderSent(models.Model):
    """One reminder of one kind to one team for one week. Inserted before the e-mail goes out:
    the unique constraint is what keeps a second run (or a second beat) from sending it again."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    week = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["team", "week", "kind"], name="proposals_reminder_once_per_team_week_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.team} for week {self.week}"
