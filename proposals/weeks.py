"""The weeks of a course, for weekly updates.

Week 1 starts on the course's start date; each week is seven days; the last week is the one
that holds the end date. A week's update is due on the course's weekday and time (in the
course's time zone) falling inside that week.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Week:
    number: int
    starts: datetime.date
    ends: datetime.date
    due: datetime.datetime  # aware, in the course's time zone

    def is_due(self, now: datetime.datetime) -> bool:
        return now > self.due


def week_count(course) -> int:
    if not (course.start_date and course.end_date):
        return 0
    return (course.end_date - course.start_date).days // 7 + 1


def course_week(course, number: int) -> Week:
    """Week `number` (from 1) of the course; the course must have start and end dates."""
    starts = course.start_date + datetime.timedelta(weeks=number - 1)
    due_date = starts + datetime.timedelta(days=(course.update_due_weekday - starts.weekday()) % 7)
    due = datetime.datetime.combine(due_date, _due_time(course), tzinfo=course.tz)
    return Week(number=number, starts=starts, ends=starts + datetime.timedelta(days=6), due=due)


def _due_time(course) -> datetime.time:
    value = course.update_due_time
    # A course made with the field's default and not reloaded still holds the string "17:00".
    return datetime.time.fromisoformat(value) if isinstance(value, str) else value


def course_weeks(course) -> list[Week]:
    return [course_week(course, n) for n in range(1, week_count(course) + 1)]


def current_week_number(course, now: datetime.datetime | None = None) -> int:
    """The week holding `now` (course time zone): 0 before the course starts, the last week after it ends."""
    count = week_count(course)
    if not count:
        return 0
    today = timezone.localtime(now or timezone.now(), course.tz).date()
    if today < course.start_date:
        return 0
    return min((today - course.start_date).days // 7 + 1, count)


def has_weeks(course) -> bool:
    return week_count(course) > 0
