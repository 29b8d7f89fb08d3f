from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError

from accounts.throttles import LoginLockout


class ObtainToken(ObtainAuthToken):
    """Trade an e-mail and password for the API token; locked like the log-in form (429 with Retry-After)."""

    throttle_classes = [LoginLockout]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: AuthTokenSerializer,
            429: OpenApiResponse(description="Too many failed log-ins for the account or the address: `Retry-After`"),
        },
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes flags the failure that reached the limit: answer it as the lockout it starts.
            if getattr(request, "axes_locked_out", False):
                LoginLockout.refuse(request)
            raise
