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
    sis_id: str = ""
    section: str = ""
    lms_id: str = ""


@dataclass
class RosterResult:
    errors: list[str] = field(default_factory=list)
    added: list[Membership] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invited: int = 0
    source: str = "csv"

    @property
    def ok(self) -> bool:
        return not self.errors


ROLE_ALIASES = {"instructor": Role.INSTRUCTOR, "ta": Role.TA, "student": Role.STUDENT, "": Role.STUDENT}
# Moodle's participant roles (a participant may have several, comma-separated: the highest counts).
MOODLE_ROLES = {
    "manager": Role.INSTRUCTOR,
    "course creator": Role.INSTRUCTOR,
    "teacher": Role.INSTRUCTOR,
    "editing teacher": Role.INSTRUCTOR,
    "non-editing teacher": Role.TA,
    "student": Role.STUDENT,
    "": Role.STUDENT,
}
ROLE_RANK = {Role.STUDENT: 0, Role.TA: 1, Role.INSTRUCTOR: 2}

CSV, CANVAS, MOODLE = "csv", "canvas", "moodle"
ROSTER_FORMATS = {
    CSV: "CSV with email, name, role (and optionally sis_id, section)",
    CANVAS: "Canvas gradebook export (Student, ID, SIS User ID, SIS Login ID, Section; Email if present)",
    MOODLE: "Moodle participants export (First name, Last name, Email address, ID number, Roles, Groups)",
}


def roster_format(header: list[str]) -> str | None:
    """Which roster layout a (lower-cased) header is, or None."""
    names = set(header)
    if {"student", "sis login id"} <= names or {"student", "sis user id"} <= names:
        return CANVAS
    if "email address" in names and ({"first name", "last name"} <= names or {"first name", "surname"} <= names):
        return MOODLE
    if "email" in names:
        return CSV
    return None


def _canvas_name(value: str) -> str:
    """Canvas writes names as "Last, First"."""
    last, sep, first = value.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if sep else value.strip()


def _read_row(kind: str, raw: dict) -> tuple[dict, str | None]:
    """The row's fields in our terms, or an error (without the line number)."""

    def get(key: str) -> str:
        return (raw.get(key) or "").strip()

    if kind == CANVAS:
        email = get("email") or get("e-mail")
        login = get("sis login id")
        if not email and "@" in login:
            email = login
        fields = {"email": email, "name": _canvas_name(get("student")), "role": Role.STUDENT,
                  "sis_id": get("sis user id"), "section": get("section"), "lms_id": get("id")}  # fmt: skip
        if not email and any(fields[k] for k in ("name", "sis_id", "lms_id")):
            return fields, "no e-mail: add an Email column, or use e-mail addresses as SIS Login IDs."
        return fields, None
    if kind == MOODLE:
        roles = [r.strip().lower() for r in get("roles").split(",")]
        unknown = [r for r in roles if r not in MOODLE_ROLES]
        name = f"{get('first name')} {get('last name') or get('surname')}".strip()
        fields = {"email": get("email address").lower(), "name": name, "role": Role.STUDENT,
                  "sis_id": get("id number"), "section": get("groups"), "lms_id": ""}  # fmt: skip
        if unknown:
            return fields, f"unknown Moodle role {unknown[0]!r} (Student, Non-editing teacher, Teacher, Manager)."
        fields["role"] = max((MOODLE_ROLES[r] for r in roles), key=ROLE_RANK.get)
        return fields, None
    role_text = get("role").lower()
    fields = {"email": get("email"), "name": get("name"), "role": ROLE_ALIASES.get(role_text, Role.STUDENT),
              "sis_id": get("sis_id"), "section": get("section"), "lms_id": ""}  # fmt: skip
    if role_text not in ROLE_ALIASES:
        return fields, f"unknown role {role_text!r} (use instructor, ta or student)."
    return fields, None


def parse_roster(data: bytes) -> tuple[list[RosterRow], list[str]]:
    """Parse and validate a roster: our CSV (email,name,role), a Canvas gradebook export or a Moodle
    participants export (told apart by the header). Returns rows and one error per bad line."""
    rows, errors, _ = parse_roster_with_format(data)
    return rows, errors


def parse_roster_with_format(data: bytes) -> tuple[list[RosterRow], list[str], str | None]:
    if len(data) > MAX_ROSTER_BYTES:
        return [], [f"The file is larger than {MAX_ROSTER_BYTES // 1024} KB."], None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"The file is not UTF-8 text (byte {exc.start}). Save it as CSV UTF-8 and try again."], None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    kind = roster_format(header)
    if kind is None:
        return [], ["Line 1: the header must name an 'email' column (columns: email, name, role), or be a Canvas "
                    "gradebook export or a Moodle participants export."], None  # fmt: skip
    reader.fieldnames = header
    rows, errors, seen = [], [], {}
    for index, raw in enumerate(reader):
        line = reader.line_num
        if index >= MAX_ROSTER_ROWS:
            errors.append(f"The file has more than {MAX_ROSTER_ROWS} rows.")
            break
        if None in raw:
            errors.append(f"Line {line}: more values than columns.")
            continue
        if kind == CANVAS and (raw.get("student") or "").strip().lower() == "points possible":
            continue  # Canvas's second row: the assignments' points, not a person
        fields, problem = _read_row(kind, raw)
        email = fields["email"].lower()
        if not any(fields[k] for k in ("email", "name", "sis_id", "lms_id")):
            continue
        if problem:
            errors.append(f"Line {line}: {problem}")
            continue
        if not email:
            errors.append(f"Line {line}: the email is missing.")
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"Line {line}: {email!r} is not a valid e-mail address.")
            continue
        if email in seen:
            errors.append(f"Line {line}: {email} duplicates line {seen[email]}.")
            continue
        seen[email] = line
        rows.append(
            RosterRow(line=line, email=email, name=fields["name"][:300], role=fields["role"],
                      sis_id=fields["sis_id"][:100], section=fields["section"][:100], lms_id=fields["lms_id"][:100])
        )  # fmt: skip
    if not rows and not errors:
        errors.append("The file has no rows.")
    return rows, errors, kind


def import_roster(course: Course, data: bytes, *, invited_by=None) -> RosterResult:
    """Add everyone in the roster to the course, all or nothing.

    Every row is validated first; a file with any bad row imports nothing. People already
    in the course keep their role (their SIS id, section and LMS id are updated when the file
    has them). New users get an e-mail with a link to set a password.
    """
    rows, errors, kind = parse_roster_with_format(data)
    result = RosterResult(errors=errors, source=kind or CSV)
    if errors:
        return result
    new_users = []
    with transaction.atomic():
        for row in rows:
            user, created = user_for_email(row.email, row.name)
            if created:
                new_users.append(user)
            ids = {"sis_id": row.sis_id, "section": row.section, "lms_id": row.lms_id}
            membership, made = Membership.objects.get_or_create(
                user=user, course=course, defaults={"role": row.role, **ids}
            )
            if made:
                result.added.append(membership)
            else:
                changed = {k: v for k, v in ids.items() if v and getattr(membership, k) != v}
                if changed:
                    Membership.objects.filter(pk=membership.pk).update(**changed)
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
