import secrets
import string
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

JOIN_CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "01IO")


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin, America/New_York).")


MAX_COURSE_DAYS = 2 * 366


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Course(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    term = models.CharField(max_length=60, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    min_team_size = models.PositiveSmallIntegerField(default=2)
    max_team_size = models.PositiveSmallIntegerField(default=4)
    team_formation_deadline = models.DateTimeField(null=True, blank=True)
    proposal_deadline = models.DateTimeField(null=True, blank=True)
    update_due_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.FRIDAY)
    update_due_time = models.TimeField(default="17:00")
    proposals_visible_to_classmates = models.BooleanField(
        default=True, help_text="Students may read and comment on other teams' submitted proposals."
    )
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_team_size__gte=1) & models.Q(max_team_size__gte=models.F("min_team_size")),
                name="courses_course_team_size_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="courses_course_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self):
        if self.min_team_size is not None and self.max_team_size is not None:
            if self.min_team_size < 1:
                raise ValidationError({"min_team_size": "The minimum team size must be at least 1."})
            if self.max_team_size < self.min_team_size:
                raise ValidationError({"max_team_size": "The maximum team size must not be below the minimum."})
            if self.max_team_size > 20:
                raise ValidationError({"max_team_size": "Teams of more than 20 people are not supported."})
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The course cannot end before it starts."})
        # Weeks are computed from these dates for every update page and grid: keep them sane.
        if self.start_date and self.end_date and (self.end_date - self.start_date).days > MAX_COURSE_DAYS:
            raise ValidationError({"end_date": "A course can last at most two years."})


class Role(models.TextChoices):
    INSTRUCTOR = "instructor", "Instructor"
    TA = "ta", "TA"
    STUDENT = "student", "Student"


STAFF_ROLES = (Role.INSTRUCTOR, Role.TA)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    # From an LMS roster (Canvas, Moodle): the institution's student id and the section or group.
    sis_id = models.CharField("SIS id", max_length=100, blank=True)
    section = models.CharField(max_length=100, blank=True)
    lms_id = models.CharField("LMS user id", max_length=100, blank=True, help_text="Canvas's ID column.")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "role", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="courses_membership_one_per_user_and_course"),
        ]
        indexes = [models.Index(fields=["course", "role"], name="courses_membership_by_role")]

    def __str__(self):
        return f"{self.user} in {self.course.slug} as {self.get_role_display()}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the periodic heartbeat task: shown to staff."""

    hostname = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.hostname} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notification (also e-mailed when sent with email=True); see courses.notifications."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    verb = models.CharField(max_length=50)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The navigation bar's unread count and the notification list.
            models.Index(fields=["user", "read_at"], name="courses_notification_unread"),
        ]

    def __str__(self):
        return f"{self.verb}: {self.message}"
