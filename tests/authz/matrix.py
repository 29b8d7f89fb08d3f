"""The machinery of the authorization matrix: walk every URL pattern, build its URL from the world,
and request it as each persona, each request rolled back so every persona sees the same world."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from tests.authz.world import World

PERSONAS = ("anon", "stranger", "outsider", "member", "ta", "instructor")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# (regular expression on the URL's name → the world object whose pk fills <int:pk>), first match wins.
PK_RULES = [
    (r"^grading:item$", "grade_item"),
    (r"^grading:|^api-evaluation", "evaluation"),
    (r"request[-_]", "join_request"),
    (r"invitation[-_]", "invitation"),
    (r"plan", "plan"),
    (r"update", "update"),
    (r"proposal", "proposal"),
    (r"submission", "submission"),
    (r"member", "membership"),
    (r"team", "team"),
]


@dataclass(frozen=True)
class Route:
    key: str  # the pattern's namespaced name, or its route when it has none
    route: str  # the full route, e.g. courses/<slug:course_slug>/teams/
    callback: object

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    def methods(self) -> tuple[str, ...]:
        """GET, plus the write methods the view answers (pages: POST; DRF views: the handlers they define)."""
        cls = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        if cls is None or not self.is_api:
            return ("GET",) if self.is_admin else ("GET", "POST")
        allowed = [m.upper() for m in cls.http_method_names if hasattr(cls, m)]
        return ("GET", *[m for m in WRITE_METHODS if m in allowed])


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    """Every URL pattern of the project, recursively, as Route objects."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            key = f"{namespace}{p.name}" if p.name else route
            yield Route(key, route, p.callback)


def admin_model_keys() -> set[str]:
    """The URL names every registered ModelAdmin adds: one uniform rule covers them (staff only)."""
    keys = set()
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        keys |= {f"{info}_{suffix}" for suffix in ("changelist", "add", "history", "delete", "change")}
        keys.add(f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/")
    if any(m._meta.model_name == "user" and m._meta.app_label == "auth" for m in admin.site._registry):
        keys.add("admin:auth_user_password_change")
    return keys


_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def build_url(route: str, kwargs: dict) -> str:
    def sub(match):
        name = match.group("name")
        if name not in kwargs:
            raise KeyError(f"No value for <{name}> in {route}: give the row a `kwargs`.")
        return str(kwargs[name])

    return "/" + _CONVERTER.sub(sub, route)


# Every answer of the site, whatever its status, carries these (django-csp, django-permissions-policy).
SECURITY_HEADERS = ("Content-Security-Policy", "Permissions-Policy")


class Caller:
    """Sends one request as a persona and rolls back whatever it changed."""

    def __init__(self, people):
        self.users = {
            "anon": None,
            "stranger": people.stranger,
            "outsider": people.outsider,
            "member": people.member,
            "ta": people.ta,
            "instructor": people.instructor,
        }
        self.clients = {}
        for name, user in self.users.items():
            # Pages: a logged-in session. API: the user's token, as curl would send it.
            page = Client(raise_request_exception=False)
            api = Client(raise_request_exception=False)
            if user is not None:
                page.force_login(user)
                token = Token.objects.get_or_create(user=user)[0].key
                api.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
            self.clients[name, False], self.clients[name, True] = page, api
        self.errors: list[str] = []
        self.unprotected: list[str] = []  # answers without the site's content and permissions policies

    def status(self, persona: str, method: str, url: str, api: bool) -> int:
        client = self.clients[persona, api]
        cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        sid = transaction.savepoint()
        try:
            if method == "GET":
                kwargs = {}
            elif api:
                kwargs = {"content_type": "application/json", "data": "{}"}
            else:  # a non-empty form, so `Form(request.POST or None)` views bind it (and find it invalid)
                kwargs = {"data": {"authz-matrix": "1"}}
            response = getattr(client, method.lower())(url, **kwargs)
            if response.status_code >= 500 and getattr(response, "exc_info", None):
                self.errors.append(f"{method} {url} as {persona}: {response.exc_info[1]!r}")
            if missing := [header for header in SECURITY_HEADERS if header not in response]:
                self.unprotected.append(f"{method} {url} as {persona} ({response.status_code}): no {missing}")
            return response.status_code
        finally:
            transaction.savepoint_rollback(sid)
            # A log-out or log-in changes the client's cookies; the rollback restored the session rows.
            client.cookies.clear()
            for name, value in cookies.items():
                client.cookies[name] = value


def world_kwargs(world: World) -> dict:
    return {
        "course_slug": world.course.slug,
        "team_id": world.team.pk,
        "membership_id": world.membership.pk,
        "plan_id": world.plan.pk,
        "slug": world.challenge.slug,
        "hint_id": world.hint.pk,
        "name": world.input_name,
        "number": 1,
        "week": 1,
        "uidb64": "MQ",
        "token": "set-password",
        "content_type_id": ContentType.objects.get_for_model(world.course).pk,
        "object_id": world.course.pk,
    }


def url_for(route, world: World, kwargs: dict) -> str:
    if route.route.startswith("admin/^"):
        return "/admin/courses/"  # the app index, a regular expression pattern
    if "(?P<url>" in route.route:
        return "/admin/no-such-page/"  # the admin's catch-all
    if "<int:pk>" in route.route:
        for pattern, attr in PK_RULES:
            if re.search(pattern, route.key):
                kwargs = {**kwargs, "pk": getattr(world, attr).pk}
                break
        else:
            raise AssertionError(f"No PK_RULES entry says which object <int:pk> of {route.key} is.")
    return build_url(route.route, kwargs)


def project_routes():
    admin_keys = admin_model_keys()
    return [r for r in walk() if r.key not in admin_keys]
