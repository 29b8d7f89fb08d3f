from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


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
    solo_reason = models.TextField(blank=True, max_length=2000)
    solo_approved = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "course", name="teams_team_name_unique_in_course"),
        ]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    """A student in a team. `course` repeats `team.course` so the database can enforce one team per course."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="teams_one_team_per_student_per_course"),
        ]

    def __str__(self):
        return f"{self.user} in {self.team}"
