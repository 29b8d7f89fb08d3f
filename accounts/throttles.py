"""The API's door onto the log-in lockout: a DRF throttle over django-axes' counts (accounts.lockout)."""

import math

from django.utils import timezone
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from accounts.lockout import LOCKED_MESSAGE, lockout_ends_at


class LoginLockout(BaseThrottle):
    """Refuse a log-in while its account or its address is locked out: 429, Retry-After and until when."""

    def allow_request(self, request, view) -> bool:
        if lockout_ends_at(request) is not None:
            self.refuse(request)
        return True

    @staticmethod
    def refuse(request):
        ends_at = lockout_ends_at(request) or timezone.now()
        wait = max(1, math.ceil((ends_at - timezone.now()).total_seconds()))
        raise Throttled(wait=wait, detail=f"{LOCKED_MESSAGE} Try again after {ends_at.isoformat(timespec='seconds')}.")
