"""The demo course of `make run`: people and a course, then each app adds its part."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from courses.models import Course, Membership, Role

DEMO_SLUG = "ml-bootcamp"
DEMO_PASSWORD = "demo-password-2026"
APP_SEEDERS = ["teams.demo.seed", "proposals.demo.seed", "labeling.demo.seed", "grading.demo.seed"]

STUDENT_NAMES = [
    "Amara Okafor", "Ben Carter", "Chen Wei", "Dana Levi", "Elif Yilmaz", "Farid Haddad",
    "Grace Kim", "Hugo Martin", "Isha Patel", "Jonas Berg", "Kira Novak", "Luis Ortega",
]  # fmt: skip


def demo_email(name: str) -> str:
    return name.split()[0].lower() + "@demo.courseproj.test"


def _user(email: str, name: str):
    User = get_user_model()
    first, _, last = name.partition(" ")
    user, created = User.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": first, "last_name": last}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def demo_logins(course: Course) -> list[tuple[str, str]]:
    """Every demo login of the course, staff first (apps may add people of their own)."""
    members = course.memberships.select_related("user").order_by("role", "user__email")
    order = {Role.INSTRUCTOR: 0, Role.TA: 1, Role.STUDENT: 2}
    return [(m.get_role_display(), m.user.email) for m in sorted(members, key=lambda m: order[m.role])]


@transaction.atomic
def seed_demo() -> tuple[Course, bool]:
    """Create the demo course once; return it and whether it was made now."""
    existing = Course.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return existing, False
    today = timezone.localdate()
    start = today - datetime.timedelta(days=today.weekday() + 21)
    course = Course.objects.create(
        slug=DEMO_SLUG,
        title="Deep Learning Projects (demo)",
        term="Fall 2026",
        time_zone="UTC",
        start_date=start,
        end_date=start + datetime.timedelta(weeks=6, days=-1),
        team_formation_deadline=timezone.now() + datetime.timedelta(days=7),
        proposal_deadline=timezone.now() + datetime.timedelta(days=10),
    )
    instructor = _user("ada@demo.courseproj.test", "Ada Lovelace")
    ta = _user("tariq@demo.courseproj.test", "Tariq Aziz")
    students = [_user(demo_email(name), name) for name in STUDENT_NAMES]
    Membership.objects.create(user=instructor, course=course, role=Role.INSTRUCTOR)
    Membership.objects.create(user=ta, course=course, role=Role.TA)
    Membership.objects.bulk_create([Membership(user=s, course=course, role=Role.STUDENT) for s in students])
    people = {"instructor": instructor, "ta": ta, "students": students}
    for path in APP_SEEDERS:
        import_string(path)(course, people)
    return course, True
