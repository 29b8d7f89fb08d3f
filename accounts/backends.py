import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection

from courseproj.lib import sqlrows


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

    def get_user(self, user_id):
        """The session's user, read on every request: one plain SQL read of the row (building the
        ORM query cost more than running it); inactive users are refused, as ModelBackend does."""
        User = get_user_model()
        with connection.cursor() as cursor:
            cursor.execute(_user_sql(), [User._meta.pk.to_python(user_id)])
            row = cursor.fetchone()
        if row is None:
            return None
        user = sqlrows.instance(User, row)
        return user if self.user_can_authenticate(user) else None


@functools.cache
def _user_sql() -> str:
    User, quote = get_user_model(), connection.ops.quote_name
    table = quote(User._meta.db_table)
    return f"SELECT {', '.join(sqlrows.columns(User, table))} FROM {table} WHERE {quote(User._meta.pk.column)} = %s"
