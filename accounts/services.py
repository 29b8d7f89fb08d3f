from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from courses.services import join_course

User = get_user_model()


def sign_up(email: str, password: str, first_name: str, last_name: str = "", join_code: str = ""):
    """Create an account; with a join code, also join that course (both or neither)."""
    with transaction.atomic():
        user = User.objects.create_user(
            username=email.lower()[:150],
            email=email.lower(),
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        if join_code:
            join_course(user, join_code)  # raises ValidationError, rolling the account back too
    return user


def rotate_api_token(user) -> Token:
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


__all__ = ["sign_up", "rotate_api_token", "ValidationError"]
