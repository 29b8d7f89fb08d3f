from celery import shared_task
from django.utils import timezone

from courses.models import Course
from teams import services


@shared_task
def lock_teams_past_deadline() -> int:
    """Lock the teams of every course whose formation deadline has passed. Safe to run again:
    each course is locked once per deadline (see services.lock_teams_at_deadline)."""
    now = timezone.now()
    locked = 0
    for course in Course.objects.filter(team_formation_deadline__lte=now):
        locked += services.lock_teams_at_deadline(course, now)
    return locked
