from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from courses.models import validate_time_zone


class Team(models.Model):
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    idea = models.TextField(blank=True, max_length=2000)
    looking_for = models.TextField(blank=True, max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    locked = models.BooleanField(default=False)
    # A team of one needs a written reason that an instructor approves; until then it is
    # "solo, pending approval". Cleared when the team grows past one member.
    solo_reason = models.TextField(blank=True, max_length=2000)
    solo_approved = models.BooleanField(default=False)
    solo_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "course", name="teams_team_name_unique_in_course"),
        ]

    def __str__(self):
        return self.name

    @property
    def solo_pending(self) -> bool:
        return bool(self.solo_reason) and not self.solo_approved

    def is_full(self) -> bool:
        """The course's maximum size is reached: the services refuse anyone more (pages ask this)."""
        return self.memberships.count() >= self.course.max_team_size


class TeamMembership(models.Model):
    """A student in a team. `course` repeats `team.course` so the database can enforce one team per course."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="teams_one_team_per_student_per_course"),
        ]

    def __str__(self):
        return f"{self.user} in {self.team}"


class BoardPost(models.Model):
    """A student's "looking for teammates" post; one per student per course. Joining a team takes it down."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="board_posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_posts")
    # Comma-separated, lower-case tags ("nlp, computer vision"); filtered with icontains.
    interests = models.CharField(max_length=300, blank=True)
    skills = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    project_idea = models.TextField(max_length=2000, blank=True)
    text = models.TextField(max_length=4000, blank=True)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "author"], name="teams_boardpost_one_per_student"),
        ]
        indexes = [
            # The board: open posts of a course, newest first.
            models.Index(fields=["course", "is_open", "-updated_at"], name="teams_boardpost_open"),
        ]

    def __str__(self):
        return f"{self.author} looking for a team in {self.course.slug}"

    @staticmethod
    def split_tags(text: str) -> list[str]:
        return [t for t in (part.strip().lower() for part in (text or "").split(",")) if t]

    @property
    def interest_list(self) -> list[str]:
        return self.split_tags(self.interests)

    @property
    def skill_list(self) -> list[str]:
        return self.split_tags(self.skills)


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    # The student withdrew it, or accepting another request or invitation withdrew it.
    WITHDRAWN = "withdrawn", "Withdrawn"
    # The team cancelled it, or the team was dissolved or merged.
    CANCELLED = "cancelled", "Cancelled"


# Only a pending request or invitation changes, and only once.
REQUEST_TRANSITIONS = {
    RequestStatus.PENDING: {
        RequestStatus.ACCEPTED,
        RequestStatus.DECLINED,
        RequestStatus.WITHDRAWN,
        RequestStatus.CANCELLED,
    },
}


class JoinRequest(models.Model):
    """A student asks to join a team; any member accepts or declines."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_join_requests")
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=models.Q(status="pending"),
                name="teams_joinrequest_one_pending_per_team",
            ),
        ]
        indexes = [
            # A student's pending requests (withdrawn when they join a team) and the staff overview.
            models.Index(fields=["course", "user", "status"], name="teams_joinrequest_by_user"),
        ]

    def __str__(self):
        return f"{self.user} asks to join {self.team} ({self.status})"


class Invitation(models.Model):
    """A team member invites a student; the student accepts or declines."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=models.Q(status="pending"),
                name="teams_invitation_one_pending_per_team",
            ),
        ]
        indexes = [
            # A student's pending invitations (withdrawn when they join a team).
            models.Index(fields=["course", "user", "status"], name="teams_invitation_by_user"),
        ]

    def __str__(self):
        return f"{self.user} invited to {self.team} ({self.status})"


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    JOINED = "joined", "Joined"
    LEFT = "left", "Left"
    MOVED_IN = "moved_in", "Moved in"
    MOVED_OUT = "moved_out", "Moved out"
    MERGED = "merged", "Merged"
    DISSOLVED = "dissolved", "Dissolved"
    LOCKED = "locked", "Locked"
    UNLOCKED = "unlocked", "Unlocked"
    RENAMED = "renamed", "Renamed"
    EDITED = "edited", "Edited"
    SOLO_REQUESTED = "solo_requested", "Asked to work alone"
    SOLO_APPROVED = "solo_approved", "Solo approved"
    SOLO_REJECTED = "solo_rejected", "Solo declined"


class TeamEvent(models.Model):
    """One change to a team: who did what, to whom, when. Kept when the team is dissolved."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="team_events")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    team_name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The history on a team's page.
            models.Index(fields=["team", "-created_at"], name="teams_event_by_team"),
            # The course-wide history for staff.
            models.Index(fields=["course", "-created_at"], name="teams_event_by_course"),
        ]

    def __str__(self):
        return f"{self.team_name}: {self.detail}"


class DeadlineLock(models.Model):
    """Records that a course's teams were locked at its formation deadline, so the periodic task
    locks them once per deadline and does not undo an instructor's later unlock."""

    course = models.OneToOneField("courses.Course", on_delete=models.CASCADE, related_name="+")
    deadline = models.DateTimeField()
    locked_at = models.DateTimeField(auto_now_add=True)
    teams_locked = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.course} locked at {self.locked_at:%Y-%m-%d %H:%M}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"


PLAN_TRANSITIONS = {PlanStatus.DRAFT: {PlanStatus.APPLIED, PlanStatus.DISCARDED}}


class PlacementPlan(models.Model):
    """An auto-placement proposal: staff review and adjust it, then apply it.

    `placements` is a list of {"student": user id, "target": "team:<id>" | "new:<n>"};
    `new_teams` a list of {"name": str}, indexed by n.
    """

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    placements = models.JSONField(default=list)
    new_teams = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Placement plan {self.pk} for {self.course} ({self.status})"
