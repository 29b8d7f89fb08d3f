"""The labeling challenge: challenges with hidden gold, submissions scored in a sandbox, hints.

The contract both the scorer and the pages rely on. Files (inputs, gold, submitted code)
live under settings.DATA_DIR at the relative paths stored here; nothing there is served
directly: views stream only what a user may see (never the gold).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Metric(models.TextChoices):
    ACCURACY = "accuracy", "Accuracy"
    F1 = "f1", "F1 of the positive class"
    BALANCED_ACCURACY = "balanced_accuracy", "Balanced accuracy"
    COHEN_KAPPA = "cohen_kappa", "Cohen's kappa"
    MACRO_F1 = "macro_f1", "Macro-F1"


class Participation(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    TEAM = "team", "Team"


class Challenge(models.Model):
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="challenges")
    slug = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, max_length=50_000, help_text="Markdown.")
    # The output contract.
    output_filename = models.CharField(max_length=100, default="summarized_data.csv")
    key_columns = models.CharField(max_length=200, default="attr_id,adj", help_text="Comma-separated.")
    label_column = models.CharField(max_length=100, default="label")
    metric = models.CharField(max_length=32, choices=Metric.choices, default=Metric.ACCURACY)
    # Hidden gold: a CSV under DATA_DIR, never served and never visible to submitted code.
    gold_path = models.CharField(max_length=300, blank=True)
    gold_sha256 = models.CharField(max_length=64, blank=True)
    gold_rows = models.PositiveIntegerField(default=0)
    public_fraction = models.FloatField(default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    split_seed = models.IntegerField(default=0)
    # Schedule and limits.
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    daily_limit = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    max_queued = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(100)])
    time_limit_s = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1), MaxValueValidator(3600)])
    memory_limit_mb = models.PositiveIntegerField(
        default=1024, validators=[MinValueValidator(64), MaxValueValidator(16384)]
    )
    max_code_bytes = models.PositiveIntegerField(default=256 * 1024)
    participation = models.CharField(max_length=16, choices=Participation.choices, default=Participation.INDIVIDUAL)
    final_picks = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(20)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="labeling_challenge_slug_unique_in_course"),
            models.CheckConstraint(
                condition=models.Q(public_fraction__gte=0) & models.Q(public_fraction__lte=1),
                name="labeling_challenge_public_fraction_range",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def keys(self) -> list[str]:
        return [k.strip() for k in self.key_columns.split(",") if k.strip()]


class ChallengeInput(models.Model):
    """A file students download and submitted code finds in its working directory."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="inputs")
    name = models.CharField(max_length=100, help_text="File name in the scratch directory, e.g. raw_data.csv.")
    path = models.CharField(max_length=300, help_text="Relative to DATA_DIR.")
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["challenge", "name"], name="labeling_input_name_unique")]

    def __str__(self):
        return self.name


class Hint(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="hints")
    order = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(max_length=20_000, help_text="Markdown.")
    reveal_at = models.DateTimeField(null=True, blank=True, help_text="Shown to everyone from this time on.")
    reveal_on_click = models.BooleanField(default=False, help_text="A student may reveal it early; recorded.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return f"Hint {self.order}"


class HintReveal(models.Model):
    hint = models.ForeignKey(Hint, on_delete=models.CASCADE, related_name="reveals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hint", "user"], name="labeling_hint_reveal_once")]

    def __str__(self):
        return f"{self.hint} revealed to user {self.user_id}"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SCORED = "scored", "Scored"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    MEMORY_EXCEEDED = "memory_exceeded", "Memory exceeded"
    INVALID_OUTPUT = "invalid_output", "Invalid output"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATUSES = (
    Status.SCORED,
    Status.FAILED,
    Status.TIMED_OUT,
    Status.MEMORY_EXCEEDED,
    Status.INVALID_OUTPUT,
    Status.CANCELLED,
)
# Runs that end like this do not count against the daily limit.
NOT_COUNTED_STATUSES = (Status.FAILED, Status.TIMED_OUT, Status.MEMORY_EXCEEDED, Status.INVALID_OUTPUT)
TRANSITIONS = {
    Status.QUEUED: {Status.RUNNING, Status.CANCELLED, Status.FAILED},
    # running -> queued: the sweeper requeues work whose worker died.
    Status.RUNNING: {Status.QUEUED, *TERMINAL_STATUSES},
    # A rescore after a gold fix sends a scored (or failed) submission back to the queue.
    Status.SCORED: {Status.QUEUED},
    Status.FAILED: {Status.QUEUED},
    Status.TIMED_OUT: {Status.QUEUED},
    Status.MEMORY_EXCEEDED: {Status.QUEUED},
    Status.INVALID_OUTPUT: {Status.QUEUED},
    Status.CANCELLED: set(),
}


class Submission(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="submissions")
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who the leaderboard row belongs to: "u:<user id>", "t:<team id>" or "b:<benchmark name>".
    participant = models.CharField(max_length=120)
    is_benchmark = models.BooleanField(default=False)
    benchmark_name = models.CharField(max_length=100, blank=True)
    # The code, stored under DATA_DIR.
    code_path = models.CharField(max_length=300)
    code_sha256 = models.CharField(max_length=64)
    code_size = models.PositiveIntegerField(default=0)
    original_filename = models.CharField(max_length=200, blank=True)
    # State.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    message = models.TextField(blank=True, max_length=4000)
    log_tail = models.TextField(blank=True, max_length=20_000)
    score = models.FloatField(null=True, blank=True)
    public_score = models.FloatField(null=True, blank=True)
    private_score = models.FloatField(null=True, blank=True)
    runtime_s = models.FloatField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Times the sweeper resent a queued job while no worker was taking any work (see services.sweep_submissions).
    requeues = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Leaderboard.
    is_final_pick = models.BooleanField(default=False)
    disqualified = models.BooleanField(default=False)
    disqualified_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]), name="labeling_submission_known_status"
            ),
        ]
        indexes = [
            # The sweeper: queued or running rows by age.
            models.Index(fields=["status", "heartbeat_at"], name="labeling_sub_status_beat"),
            # A participant's submissions (daily limit, queue cap, history chart).
            models.Index(fields=["challenge", "participant", "created_at"], name="labeling_sub_participant"),
            # The leaderboard (labeling.leaderboard): each participant's best scored, not disqualified
            # submission, a window over (participant, public score, time, id) read in index order and
            # from the index alone (the board's other columns trail the key), and a participant's best
            # ones for the default final picks. EXPLAIN on the bench course: 4.2 ms -> 0.9 ms.
            models.Index(
                fields=[
                    "challenge",
                    "participant",
                    "-public_score",
                    "created_at",
                    "id",
                    "private_score",
                    "is_benchmark",
                    "benchmark_name",
                ],
                name="labeling_sub_board_rows",
                condition=models.Q(status="scored", disqualified=False),
            ),
        ]

    def __str__(self):
        return f"Submission {self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class SubmissionEvent(models.Model):
    """Every status change of a submission, with who or what caused it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"submission {self.submission_id}: {self.from_status or '—'} → {self.to_status}"


class ScorerProblem(models.Model):
    """A scoring worker that cannot run code now (the sandbox is missing, broken or refused): while
    one is recorded, submissions wait in the queue instead of failing, and staff see a banner.
    Cleared when that worker passes its start-up check or scores a submission (labeling.health)."""

    worker = models.CharField(max_length=200, unique=True)  # the Celery node name, e.g. worker@host
    problem = models.TextField(max_length=2000)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["first_seen", "id"]

    def __str__(self):
        return f"{self.worker}: {self.problem[:60]}"
