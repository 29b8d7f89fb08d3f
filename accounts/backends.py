from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    """Log in with the e-mail address (any case) or the username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = User.objects.filter(email__iexact=username.strip()).order_by("id").first()
        if user is None:
            user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint that the user is unknown
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
