"""Hints of a challenge: shown to everyone from their reveal time, or earlier to a student who
clicks "reveal" on a hint that allows it (the click is recorded, once per student and hint).
A hint with no reveal time is shown from the start, unless it is revealed by click only.
Once the challenge closes, every hint is shown to everyone.

Hints are revealed in order: a student may reveal a hint early only once every earlier hint
is visible to them. Staff always see every hint, with when and to whom it was revealed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from labeling.models import Challenge, Hint, HintReveal


@dataclass(frozen=True)
class HintView:
    hint: Hint
    visible: bool
    # How it became visible to this user: "time", "click" (with revealed_at) or "staff".
    how: str = ""
    revealed_at: datetime.datetime | None = None
    can_reveal: bool = False
    number: int = 0


def shown_by_time(hint: Hint, now) -> bool:
    """Shown to everyone: its time has come, or it has no time and is not click-only."""
    if hint.reveal_at is None:
        return not hint.reveal_on_click
    return hint.reveal_at <= now


def visible_hints(
    challenge: Challenge, user, *, is_staff: bool = False, now=None, hints: list[Hint] | None = None
) -> list[HintView]:
    """Every hint of the challenge, in order, with whether `user` may read it now (one query).

    `hints`: the challenge's hints in order, when the caller has them (the page cache); the user's
    reveals are then read only if a hint is hidden by its time (no query when none is)."""
    now = now or timezone.now()
    closed = challenge.closes_at is not None and challenge.closes_at <= now
    if hints is None:
        own_reveal = HintReveal.objects.filter(hint=OuterRef("pk"), user=user).values("revealed_at")[:1]
        hints = list(challenge.hints.annotate(clicked_at=Subquery(own_reveal)))
        clicked = {hint.pk: hint.clicked_at for hint in hints if hint.clicked_at is not None}
    else:
        # A reveal counts only for a hint hidden by its time (the order of the checks below).
        hidden = [] if is_staff or closed else [hint.pk for hint in hints if not shown_by_time(hint, now)]
        reveals = (
            HintReveal.objects.filter(user=user, hint_id__in=hidden).order_by().values_list("hint_id", "revealed_at")
        )
        clicked = dict(reveals) if hidden else {}
    views = []
    earlier_visible = True
    for number, hint in enumerate(hints, start=1):
        if is_staff:
            view = HintView(hint, True, "staff", number=number)
        elif closed or shown_by_time(hint, now):
            view = HintView(hint, True, "time", number=number)
        elif hint.pk in clicked:
            view = HintView(hint, True, "click", clicked[hint.pk], number=number)
        else:
            view = HintView(hint, False, can_reveal=hint.reveal_on_click and earlier_visible, number=number)
        earlier_visible = earlier_visible and view.visible
        views.append(view)
    return views


def reveal_hint(hint: Hint, user, *, now=None) -> HintReveal | None:
    """Record that `user` revealed `hint` by clicking; idempotent (a second click changes nothing).

    Returns None when the hint is already visible to everyone by its time. Raises
    ValidationError if the hint is not revealable on click or an earlier hint is still hidden.
    """
    now = now or timezone.now()
    if shown_by_time(hint, now):
        return None
    existing = HintReveal.objects.filter(hint=hint, user=user).first()
    if existing:
        return existing
    if not hint.reveal_on_click:
        when = f" It will be shown on {timezone.localtime(hint.reveal_at, hint.challenge.course.tz):%Y-%m-%d %H:%M}."
        raise ValidationError("This hint cannot be revealed early." + (when if hint.reveal_at else ""))
    views = visible_hints(hint.challenge, user, now=now)
    for view in views:
        if view.hint.pk == hint.pk:
            break
        if not view.visible:
            raise ValidationError(f"Reveal hint {view.number} first: hints are revealed in order.")
    try:
        with transaction.atomic():
            return HintReveal.objects.create(hint=hint, user=user)
    except IntegrityError:
        # A double click raced us to the unique (hint, user) row: the first one counts.
        return HintReveal.objects.get(hint=hint, user=user)


@transaction.atomic
def save_hints(challenge: Challenge, formset) -> None:
    """Save a staff member's edits of the challenge's hints (a valid HintFormSet)."""
    for hint in formset.save(commit=False):
        hint.challenge = challenge
        hint.save()
    for hint in formset.deleted_objects:
        hint.delete()


def reveal_counts(challenge: Challenge) -> dict[int, int]:
    """For staff: how many students revealed each hint by clicking."""
    from django.db.models import Count

    rows = HintReveal.objects.filter(hint__challenge=challenge).values("hint_id").annotate(n=Count("id"))
    return {row["hint_id"]: row["n"] for row in rows}
