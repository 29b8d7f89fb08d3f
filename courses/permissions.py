"""The one place that decides who may see and do what in a course.

Every page view and API endpoint goes through `get_course_access` (directly, through the
`course_member`/`course_staff` decorators, or through the DRF permission classes below).
A user who is not a member of a course gets 404, never a hint that the course exists;
a member without the needed role gets 403.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone
from rest_framework.permissions import BasePermission

from courseproj.lib import pagecache, sqlrows
from courses.models import Course, Membership, Notification, Role


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    user: object
    membership: Membership | None
    # The navigation bar's count, read with the course and the membership (courses.context_processors).
    unread_notifications: int | None = None

    @property
    def role(self) -> str | None:
        if self.membership:
            return self.membership.role
        return Role.INSTRUCTOR if self.user.is_superuser else None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.TA)

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT


@functools.cache
def _access_sql(page_stamps: bool) -> str:
    """The access check's one query as plain SQL, built once per process: the membership with its
    course, the unread-notification count and (pages that only read) the page-cache stamps. Every
    course page runs it; the ORM spent more time building this query than PostgreSQL running it."""
    quote = connection.ops.quote_name
    member, course = Membership._meta.db_table, Course._meta.db_table
    columns = sqlrows.columns(Membership, "m") + sqlrows.columns(Course, "c")
    course_id, user_id = (f"m.{quote(Membership._meta.get_field(name).column)}" for name in ("course", "user"))
    notes = Notification._meta
    unread = f"n.{quote(notes.get_field('user').column)} = {user_id} AND n.{quote('read_at')} IS NULL"
    columns.append(f"(SELECT COUNT(*) FROM {quote(notes.db_table)} n WHERE {unread})")
    if page_stamps:
        columns.append(f"({pagecache.stamps_column(course_id).sql})")
    return (
        f"SELECT {', '.join(columns)} FROM {quote(member)} m INNER JOIN {quote(course)} c "
        f"ON c.{quote(Course._meta.pk.column)} = {course_id} WHERE c.{quote('slug')} = %s AND {user_id} = %s LIMIT 1"
    )


def _read_membership(user, course_slug: str, page_stamps: bool) -> tuple[Membership | None, int, str | None]:
    """The user's membership of the course (its course attached), their unread count, the stamps."""
    with connection.cursor() as cursor:
        cursor.execute(_access_sql(page_stamps), [course_slug, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None, 0, None
    split = len(Membership._meta.concrete_fields)
    end = split + len(Course._meta.concrete_fields)
    membership = sqlrows.instance(Membership, row[:split])
    membership.course = sqlrows.instance(Course, row[split:end])
    rest = row[end:]
    return membership, rest[0] or 0, rest[1] if page_stamps else None


def get_course_access(
    user, course_slug: str, *, staff: bool = False, instructor: bool = False, page_stamps: bool = False
) -> CourseAccess:
    """Return the user's access to the course; 404 for non-members, 403 when the role is too low.

    Superusers (site operators) act as instructors in every course. With `page_stamps` (pages
    that only read) the page cache's version stamps come with it (courseproj.lib.pagecache).
    """
    if not user.is_authenticated:
        raise Http404("No such course")
    # One query for what every page of a course needs: the course, the membership, the unread count.
    membership, unread_count, stamps = _read_membership(user, course_slug, page_stamps)
    if membership is not None:
        course = membership.course
        if page_stamps:
            course.page_stamps = stamps
    elif user.is_superuser:
        course, unread_count = Course.objects.filter(slug=course_slug).first(), None
    else:
        raise Http404("No such course")
    if course is None:
        raise Http404("No such course")
    access = CourseAccess(course=course, user=user, membership=membership, unread_notifications=unread_count)
    if instructor and not access.is_instructor:
        raise PermissionDenied("Only the course's instructors can do this.")
    if staff and not access.is_staff:
        raise PermissionDenied("Only the course's instructors and TAs can do this.")
    return access


def _course_view(*, staff: bool = False, instructor: bool = False):
    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, course_slug, *args, **kwargs):
            access = get_course_access(
                request.user,
                course_slug,
                staff=staff,
                instructor=instructor,
                page_stamps=request.method in ("GET", "HEAD"),  # a write would change them on the way
            )
            request.course_access = access
            # Pages of a course show its times in the course's time zone.
            timezone.activate(access.course.tz)
            try:
                return view(request, access, *args, **kwargs)
            finally:
                timezone.deactivate()

        return wrapper

    return decorator


course_member = _course_view()
course_staff = _course_view(staff=True)
course_instructor = _course_view(instructor=True)


class CourseMember(BasePermission):
    """DRF: the URL's `course_slug` names a course the user belongs to. Sets `request.course_access`."""

    staff = False
    instructor = False

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        request.course_access = get_course_access(
            request.user, view.kwargs["course_slug"], staff=self.staff, instructor=self.instructor
        )
        return True


class CourseStaff(CourseMember):
    staff = True


class CourseInstructor(CourseMember):
    instructor = True


class CourseStaffOrReadOnly(CourseMember):
    """Members may read; only staff may write."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        if not request.course_access.is_staff:
            raise PermissionDenied("Only the course's instructors and TAs can do this.")
        return True
