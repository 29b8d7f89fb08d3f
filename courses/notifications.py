"""Notifications: one call makes the in-app rows and, after commit, the e-mails."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from courses.models import Notification

_EMAIL = contextvars.ContextVar("notification_email", default=True)


@contextlib.contextmanager
def without_email():
    """In-app notifications only (the demo seeder, scripts): no e-mails are queued inside."""
    token = _EMAIL.set(False)
    try:
        yield
    finally:
        _EMAIL.reset(token)


def notify(users: Iterable, *, verb: str, message: str, course=None, url: str = "", email: bool = True) -> int:
    """Notify each user once (duplicates and None dropped); e-mails go out only if the transaction
    commits, and not inside `without_email()`."""
    email = email and _EMAIL.get()
    recipients = {u.pk: u for u in users if u is not None}
    rows = [
        Notification(user=u, course=course, verb=verb[:50], message=message[:500], url=url[:300])
        for u in recipients.values()
    ]
    Notification.objects.bulk_create(rows)
    if email:
        link = settings.SITE_URL.rstrip("/") + url if url else settings.SITE_URL
        subject = f"[{course.title}] {message}"[:200] if course else message[:200]
        mails = [(subject, f"{message}\n\n{link}\n", None, [u.email]) for u in recipients.values() if u.email]
        if mails:
            transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(rows)


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
