"""Every write to courses and memberships goes through these functions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courses.models import Course, Membership, Role, new_join_code

User = get_user_model()

MAX_ROSTER_BYTES = 1024 * 1024
MAX_ROSTER_ROWS = 5000


def create_course(slug: str, title: str, *, instructor=None, **fields) -> Course:
    """Create a course (validated like the admin form) and make `instructor` its first instructor."""
    course = Course(slug=slug, title=title, **fields)
    course.full_clean()
    with transaction.atomic():
        course.save()
        if instructor is not None:
            Membership.objects.create(user=instructor, course=course, role=Role.INSTRUCTOR)
    return course


UNKNOWN_JOIN_CODE = "unknown_join_code"  # the error a guess gets: the join throttles count it


def join_course(user, code: str) -> Membership:
    """A user joins a course as a student with its join code."""
    code = (code or "").strip().upper()
    course = Course.objects.filter(join_code=code).first()
    if course is None:
        raise ValidationError("No course has this join code. Check it with your instructor.", code=UNKNOWN_JOIN_CODE)
    if Membership.objects.filter(course=course, user=user).exists():
        raise ValidationError(f"You are already a member of {course.title}.")
    try:
        with transaction.atomic():
            return Membership.objects.create(user=user, course=course, role=Role.STUDENT)
    except IntegrityError:
        raise ValidationError(f"You are already a member of {course.title}.") from None


def regenerate_join_code(course: Course) -> str:
    course.join_code = new_join_code()
    course.save(update_fields=["join_code"])
    return course.join_code


def set_member_role(membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def user_for_email(email: str, name: str = ""):
    """The user with this e-mail (case-insensitive), created without a usable password if new."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user:
        return user, False
    first, _, last = name.strip().partition(" ")
    user = User(username=email[:150], email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    return user, True


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    role: str


@dataclass
class RosterResult:
    errors: list[str] = field(default_factory=list)
    added: list[Membership] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invited: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


ROLE_ALIASES = {"instructor": Role.INSTRUCTOR, "ta": Role.TA, "student": Role.STUDENT, "": Role.STUDENT}


def parse_roster(data: bytes) -> tuple[list[RosterRow], list[str]]:
    """Parse and validate a roster CSV (email,name,role). Returns rows and one error per bad line."""
    if len(data) > MAX_ROSTER_BYTES:
        return [], [f"The file is larger than {MAX_ROSTER_BYTES // 1024} KB."]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"The file is not UTF-8 text (byte {exc.start}). Save it as CSV UTF-8 and try again."]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header:
        return [], ["Line 1: the header must name an 'email' column (columns: email, name, role)."]
    reader.fieldnames = header
    rows, errors, seen = [], [], {}
    for index, raw in enumerate(reader):
        line = index + 2
        if index >= MAX_ROSTER_ROWS:
            errors.append(f"The file has more than {MAX_ROSTER_ROWS} rows.")
            break
        if None in raw:
            errors.append(f"Line {line}: more values than columns.")
            continue
        email = (raw.get("email") or "").strip().lower()
        name = (raw.get("name") or "").strip()
        role_text = (raw.get("role") or "").strip().lower()
        if not any((email, name, role_text)):
            continue
        if not email:
            errors.append(f"Line {line}: the email is missing.")
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"Line {line}: {email!r} is not a valid e-mail address.")
            continue
        if role_text not in ROLE_ALIASES:
            errors.append(f"Line {line}: unknown role {role_text!r} (use instructor, ta or student).")
            continue
        if email in seen:
            errors.append(f"Line {line}: {email} duplicates line {seen[email]}.")
            continue
        seen[email] = line
        rows.append(RosterRow(line=line, email=email, name=name[:300], role=ROLE_ALIASES[role_text]))
    if not rows and not errors:
        errors.append("The file has no rows.")
    return rows, errors


def import_roster(course: Course, data: bytes, *, invited_by=None) -> RosterResult:
    """Add everyone in the roster CSV to the course, all or nothing.

    Every row is validated first; a file with any bad row imports nothing. People already
    in the course keep their role. New users get an e-mail with a link to set a password.
    """
    rows, errors = parse_roster(data)
    result = RosterResult(errors=errors)
    if errors:
        return result
    new_users = []
    with transaction.atomic():
        for row in rows:
            user, created = user_for_email(row.email, row.name)
            if created:
                new_users.append(user)
            membership, made = Membership.objects.get_or_create(user=user, course=course, defaults={"role": row.role})
            if made:
                result.added.append(membership)
            else:
                result.unchanged.append(row.email)
        transaction.on_commit(lambda: [send_set_password_email(u, course) for u in new_users])
    result.invited = len(new_users)
    return result


def send_set_password_email(user, course: Course) -> None:
    from django.conf import settings

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])
    body = render_to_string("courses/email/set_password.txt", {"user": user, "course": course, "link": link})
    send_mail(f"You have been added to {course.title}", body, None, [user.email])
