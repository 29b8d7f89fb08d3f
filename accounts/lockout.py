"""Log-in lockouts with django-axes: failures counted per account and per address, in the database.

Axes compares one number against one limit (AXES_FAILURE_LIMIT, the account's); the address has
its own, larger limit (LOGIN_ADDRESS_FAILURE_LIMIT), so that a classroom behind one NAT address
is not locked out by a few typos. The handler below scales the address's count to the account's
limit; the lockout response tells the person when they may try again.
"""

from __future__ import annotations

import math
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

LOCKED_MESSAGE = "Too many failed log-ins for this account or from this address."


def login_name(request, credentials: dict | None) -> str | None:
    """The account a log-in names, as the backend reads it: the e-mail in any case and spacing."""
    data = credentials if credentials is not None else getattr(request, "data", request.POST)
    name = data.get("username") if data else None
    return name.strip().lower() if isinstance(name, str) else name


def _limits() -> tuple[int, int]:
    return settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_ADDRESS_FAILURE_LIMIT


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits: per account (username) and per address."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account_limit, address_limit = _limits()
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # Reaches account_limit exactly when by_address reaches address_limit.
        return max(by_account, by_address * account_limit // address_limit)


def lockout_ends_at(request, credentials: dict | None = None) -> datetime | None:
    """When the account or address of this log-in may try again (None: it is not locked)."""
    handler = AxesProxyHandler.get_implementation()
    AxesProxyHandler.update_request(request)
    cool_off = get_cool_off(request)
    ends = []
    for attempts, limit in zip(handler.get_user_attempts(request, credentials), _limits(), strict=True):
        rows = sorted(attempts.values_list("attempt_time", "failures_since_start"))
        remaining = sum(count for _, count in rows)
        if remaining < limit:
            continue
        # A row stops counting cool_off after its last failure; the oldest go first.
        for attempt_time, count in rows:
            remaining -= count
            if remaining < limit:
                ends.append(attempt_time + cool_off)
                break
    return max(ends) if ends else None


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """Axes' answer to a refused log-in on a page: 429 and a page saying until when."""
    ends_at = lockout_ends_at(request, credentials) or timezone.now() + get_cool_off(request)
    context = {"ends_at": ends_at, "message": LOCKED_MESSAGE}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(max(1, math.ceil((ends_at - timezone.now()).total_seconds())))
    return response
