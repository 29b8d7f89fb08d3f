"""Wrong join codes, limited per account and per address: the join page, sign-up and the API share
django-ratelimit's counters in the throttle cache (settings.CACHES["throttle"], docs/security.md)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import formats, timezone
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from courseproj.lib.clientip import client_ip

GROUP = "join-code"


def _account(group, request) -> str:
    return str(request.user.pk)


def _address(group, request) -> str:
    return client_ip(request) or "unknown"


def _counters(request) -> list[tuple[str, object, int]]:
    counters = [("address", _address, settings.JOIN_CODE_ADDRESS_FAILURE_LIMIT)]
    if request.user.is_authenticated:
        counters.append(("account", _account, settings.JOIN_CODE_FAILURE_LIMIT))
    return counters


def _usage(request, name, key, limit, increment: bool) -> dict | None:
    rate = f"{limit}/{settings.JOIN_CODE_WINDOW_SECONDS}s"
    return get_usage(request, group=f"{GROUP}:{name}", key=key, rate=rate, increment=increment)


def join_code_wait(request) -> int | None:
    """Seconds until this account and address may try a join code again; None: they may now."""
    waits = []
    for name, key, limit in _counters(request):
        usage = _usage(request, name, key, limit, increment=False)
        if usage is not None and usage["count"] >= limit:
            # time_left counts to the window's last whole second; the next one starts a new window.
            waits.append(usage["time_left"] + 1)
    return max(waits) if waits else None


def record_wrong_join_code(request) -> None:
    """Count one wrong join code against the account (when logged in) and the address."""
    for name, key, limit in _counters(request):
        _usage(request, name, key, limit, increment=True)


def wait_message(wait: int) -> str:
    ends = timezone.localtime(timezone.now() + timedelta(seconds=wait))
    minutes = max(1, round(wait / 60))
    when = formats.time_format(ends, "H:i T")
    return f"Too many wrong join codes. Try again after {when} (in about {minutes} min)."


class JoinCodeThrottle(BaseThrottle):
    """The API's join endpoint refuses while its account or address has too many wrong codes."""

    def allow_request(self, request, view) -> bool:
        if request.method == "POST" and (wait := join_code_wait(request)) is not None:
            raise Throttled(wait=wait, detail=wait_message(wait))
        return True
