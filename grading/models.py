"""Peer evaluation (CATME-style) and the grade sheet of a course."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from grading.factors import DEFAULT_CAP, DEFAULT_ROUND_ABOVE, DIMENSIONS

MAX_COMMENT_CHARS = 2000


class Dimension(models.TextChoices):
    CONTRIBUTING = "contributing", "Contributing to the team's work"
    INTERACTING = "interacting", "Interacting with teammates"
    ON_TRACK = "on_track", "Keeping the team on track"
    QUALITY = "quality", "Expecting quality"
    KNOWLEDGE = "knowledge", "Having relevant knowledge, skills and abilities"


assert tuple(Dimension.values) == DIMENSIONS

# The behaviours that describe the odd levels of each dimension (1, 3, 5); 2 and 4 lie between.
ANCHORS: dict[str, dict[int, str]] = {
    Dimension.CONTRIBUTING: {
        5: "Does more than their fair share of the work, and does it well; helps teammates who struggle.",
        3: "Does their fair share of the work on time; comes to meetings prepared.",
        1: "Does not do their share; misses meetings or deadlines; their work has to be redone.",
    },
    Dimension.INTERACTING: {
        5: "Asks for and welcomes everyone's ideas; makes sure every teammate is heard and informed.",
        3: "Listens, shares information and respects teammates' views.",
        1: "Interrupts or ignores teammates; is impolite; keeps information to themself.",
    },
    Dimension.ON_TRACK: {
        5: "Watches the team's progress and plan; speaks up early when the team drifts and proposes a fix.",
        3: "Knows what the team is doing and how far along it is; tells the team about problems.",
        1: "Is unaware of the team's progress or plans; lets problems grow unnoticed.",
    },
    Dimension.QUALITY: {
        5: "Pushes the team to excellent work and holds it to that standard.",
        3: "Wants the team's work to be good and says so.",
        1: "Is satisfied with whatever the team hands in, even work that is not good enough.",
    },
    Dimension.KNOWLEDGE: {
        5: "Has the knowledge and skills the project needs and learns what is missing; can fill in for anyone.",
        3: "Has enough knowledge and skills to do their part; picks up what the role needs.",
        1: "Lacks the knowledge or skills for their part and makes no effort to gain them.",
    },
}


class Evaluation(models.Model):
    """A peer-evaluation window of a course (e.g. mid-project, final)."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="evaluations")
    title = models.CharField(max_length=100)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="grading_evaluation_closes_after_opening"
            ),
        ]

    def __str__(self):
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.closes_at

    def phase(self, now=None) -> str:
        if self.is_open(now):
            return "open"
        return "closed" if self.is_closed(now) else "upcoming"


class EvaluationResponse(models.Model):
    """One student's answer: their ratings (Rating rows) and two comments. Editable while open."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="responses")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("teams.Team", null=True, on_delete=models.SET_NULL, related_name="+")
    team_comment = models.TextField(blank=True, max_length=MAX_COMMENT_CHARS)
    confidential_comment = models.TextField(blank=True, max_length=MAX_COMMENT_CHARS)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evaluation", "rater_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "rater"], name="grading_response_one_per_rater"),
        ]

    def __str__(self):
        return f"{self.rater} in {self.evaluation}"


class Rating(models.Model):
    response = models.ForeignKey(EvaluationResponse, on_delete=models.CASCADE, related_name="ratings")
    ratee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "ratee", "dimension"], name="grading_rating_once"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="grading_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.dimension}={self.score}"


class EvaluationReminder(models.Model):
    """One reminder to one student for one evaluation; inserted before it is sent (idempotent)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "user"], name="grading_reminder_once_per_student"),
        ]

    def __str__(self):
        return f"reminder to {self.user} for {self.evaluation}"


class ChallengeBasis(models.TextChoices):
    SCORE = "score", "Private-board score, on a scale anchored at the benchmark rows"
    RANK = "rank", "Private-board rank"


class GradingPolicy(models.Model):
    """A course's grade-sheet settings: component weights, the challenge scale, the peer factor."""

    course = models.OneToOneField("courses.Course", on_delete=models.CASCADE, related_name="grading_policy")
    weight_proposal = models.PositiveSmallIntegerField(default=20, validators=[MaxValueValidator(1000)])
    weight_updates = models.PositiveSmallIntegerField(default=20, validators=[MaxValueValidator(1000)])
    weight_challenge = models.PositiveSmallIntegerField(default=20, validators=[MaxValueValidator(1000)])
    late_update_credit = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Credit for an update posted late (0–1); on time is 1, missing 0.",
    )
    challenge = models.ForeignKey(
        "labeling.Challenge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The challenge graded (empty: the course's most recent one).",
    )  # fmt: skip
    challenge_basis = models.CharField(max_length=10, choices=ChallengeBasis.choices, default=ChallengeBasis.SCORE)
    challenge_floor = models.FloatField(
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent given at the lowest benchmark's score; the highest benchmark gives 100.",
    )
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The peer evaluation whose factor adjusts the team components (empty: the latest closed one).",
    )  # fmt: skip
    apply_peer_factor = models.BooleanField(default=True)
    factor_with_self = models.BooleanField(default=False, help_text="Use the factor that counts self-ratings.")
    factor_cap = models.FloatField(
        default=DEFAULT_CAP, validators=[MinValueValidator(1), MaxValueValidator(2)], help_text="CATME: 1.05."
    )
    factor_round_above = models.FloatField(
        null=True,
        blank=True,
        default=DEFAULT_ROUND_ABOVE,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Show factors above this as 1.0 (CATME: 0.95); empty shows the raw value.",
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "grading policies"

    def __str__(self):
        return f"grading of {self.course}"


class GradeItem(models.Model):
    """A staff-entered grade item (e.g. final presentation), scored per student."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="grade_items")
    name = models.CharField(max_length=100)
    weight = models.PositiveSmallIntegerField(default=10, validators=[MaxValueValidator(1000)])
    max_points = models.FloatField(default=100, validators=[MinValueValidator(0.01), MaxValueValidator(100000)])
    team_component = models.BooleanField(default=False, help_text="Team work: the peer factor applies.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="grading_item_name_unique_in_course"),
            models.CheckConstraint(condition=models.Q(max_points__gt=0), name="grading_item_max_points_positive"),
        ]

    def __str__(self):
        return self.name


class GradeEntry(models.Model):
    item = models.ForeignKey(GradeItem, on_delete=models.CASCADE, related_name="entries")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.FloatField(validators=[MinValueValidator(0)])
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "student"], name="grading_entry_once_per_student"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="grading_entry_points_not_negative"),
        ]

    def __str__(self):
        return f"{self.item}: {self.points}"
