"""The API keeps its contract: schemathesis generates requests for every operation of the OpenAPI
schema (drf-spectacular's /api/schema/), valid ones and invalid ones, as a student and as an
instructor (token auth), against the WSGI app in this process. No request may get a 5xx, and
every documented response must match its schema and content type.

Path parameters point at the world's real objects (tests/authz/world.py), so the operations act
on something; the query and body are generated. Each request is rolled back, so every example
starts from the same world. Examples per operation and mode: CONTRACT_EXAMPLES (default 10);
generation is derandomized, so a CI run is repeatable.
"""

from __future__ import annotations

import logging
import os
import re
import traceback

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.authz.world import World

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# (regular expression on the operation's path → the world object whose pk fills {pk}), first match wins.
PK_RULES = [
    (r"/teams/requests/\{(?:pk|id)\}", "join_request"),
    (r"/teams/invitations/\{(?:pk|id)\}", "invitation"),
    (r"/teams/auto-place/\{(?:pk|id)\}", "plan"),
    (r"/teams/\{(?:pk|id)\}", "team"),
    (r"/proposals/\{(?:pk|id)\}", "proposal"),
    (r"/updates/\{(?:pk|id)\}", "update"),
    (r"/submissions/\{(?:pk|id)\}", "submission"),
    (r"/members/\{(?:pk|id)\}", "membership"),
    (r"/evaluations/\{(?:pk|id)\}", "evaluation"),
]


def path_parameters(world: World, path: str) -> dict:
    values = {
        "course_slug": world.course.slug,
        "slug": world.challenge.slug,
        "hint_id": world.hint.pk,
        "name": world.input_name,
        "number": 1,
    }
    for pattern, attr in PK_RULES:
        if re.search(pattern, path):
            values["pk"] = values["id"] = getattr(world, attr).pk
            break
    names = set(re.findall(r"\{(\w+)\}", path))
    missing = names - values.keys()
    assert not missing, f"No value for {missing} in {path}: add a rule to tests/contract/test_api_contract.py"
    return {k: v for k, v in values.items() if k in names}


def describe(exc: BaseException) -> str:
    """Schemathesis's own report of a failure (a group of them), else the exception."""
    parts = getattr(exc, "exceptions", None) or [exc]
    return "\n".join(str(e).strip() for e in parts)


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, run in this thread on the test's database connection (as Django's test
    client does: the app must not close the connection at the end of each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """Tracebacks of exceptions the views raised (the response itself is a bare 500 page)."""
    seen = []

    def record(sender, request=None, **kwargs):
        seen.append(f"{request.method} {request.get_full_path()}\n{traceback.format_exc(limit=-4)}")

    got_request_exception.connect(record)
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield seen
    logger.setLevel(level)
    got_request_exception.disconnect(record)


@pytest.mark.parametrize("persona", ["member", "instructor"])
def test_every_operation_keeps_the_contract(people, persona, wsgi_app, server_errors):
    world = World(people)
    token = Token.objects.get_or_create(user=getattr(people, persona))[0].key
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        params = path_parameters(world, operation.path)
        # Invalid input needs something to make invalid: the path is fixed, so a query or a body.
        negatable = bool(list(operation.query) or list(operation.body))
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if negatable else (GenerationMode.POSITIVE,)
        for mode in modes:
            strategy = operation.as_strategy(mode, path_parameters=params, headers={"Authorization": f"Token {token}"})

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case):
                sid = transaction.savepoint()
                try:
                    response = case.call()
                    case.validate_response(response, checks=CHECKS)
                finally:
                    transaction.savepoint_rollback(sid)

            try:
                check()
            except Unsatisfiable:
                # Negative mode with nothing to negate: the path is fixed and there is no query or body.
                assert mode == GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, reported together
                failures.append(f"{operation.label} [{mode.value}]: {describe(exc)}")
    assert operations > 50, f"only {operations} operations in the schema"
    detail = "\n\n".join(failures)
    tracebacks = "\n".join(server_errors[:5])
    assert not failures, f"{len(failures)} operations broke the contract as {persona}:\n{detail}\n\n{tracebacks}"
