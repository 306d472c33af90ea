"""schemathesis over the whole OpenAPI schema (drf-spectacular), for three users: a psychology
teacher, a county center's staff and an official. Every operation of the schema, read and write,
with a bounded number of generated requests (positive data, and negative data where the operation
takes input), each sent as each of the three users to the Django WSGI application inside the
test's transaction (rolled back after; ``on_commit`` work such as e-mails and tasks never fires,
so the writes are safe). Each response must be no server error (5xx) and conform to the schema:
a documented status code, content type and body."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mhcare.accounts.tokens import token_create

pytestmark = pytest.mark.django_db

# Bounded for CI (two shared cores): generated requests per operation and generation mode, each
# sent as every user. MHCARE_FUZZ_EXAMPLES=50 for a longer local run.
EXAMPLES = int(os.environ.get("MHCARE_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
USERS = ("psych_a", "center_a", "official_a")


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """Django's WSGI application, in the test's transaction: as Django's test client does, the
    connection is not closed at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _has_input(operation: Any) -> bool:
    """Negative data needs something to make invalid: a parameter or a body."""
    return bool(operation.path_parameters or operation.query or operation.body)


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    app: Any,
    tokens: dict[str, str],
    statuses: Counter[str],
    path_parameters: dict[str, Any] | None = None,
) -> int:
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure in CI is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def each(case: Any) -> None:
        nonlocal sent
        for username, key in tokens.items():
            try:
                response = case.call_and_validate(
                    app=app, headers={"Authorization": f"Token {key}"}, checks=CHECKS
                )
            except BaseException as error:
                error.add_note(f"as {username}")
                raise
            sent += 1
            statuses[f"{username} {response.status_code}"] += 1

    each()
    return sent


def test_every_operation_answers_within_the_schema_for_three_users(world, wsgi_app):
    tokens = {
        username: token_create(actor=world.users[username], name="fuzz")[1] for username in USERS
    }
    # the schema as a user gets it (it needs a signed-in user)
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json",
        wsgi_app,
        headers={"Authorization": f"Token {tokens['psych_a']}"},
    )
    failures: list[str] = []
    operations = requests = 0
    statuses: Counter[str] = Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        modes = [GenerationMode.POSITIVE]
        if _has_input(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                requests += _fuzz(operation, mode, wsgi_app, tokens, statuses)
            except (Exception, BaseExceptionGroup) as error:  # every failure is reported below
                notes = " ".join(getattr(error, "__notes__", []))
                failures.append(f"{operation.label} [{mode.value}] {notes}: {error}")
        if "/students/{id}/" in operation.path:
            # and on a real student (in the psychology teacher's and the center's scope), so
            # that reads and writes get past the lookup
            try:
                requests += _fuzz(
                    operation,
                    GenerationMode.POSITIVE,
                    wsgi_app,
                    tokens,
                    statuses,
                    path_parameters={"id": world.students["a"].pk},
                )
            except (Exception, BaseExceptionGroup) as error:
                notes = " ".join(getattr(error, "__notes__", []))
                failures.append(f"{operation.label} [student a] {notes}: {error}")
    print(  # noqa: T201 - the figures for the notes, shown with -s
        f"schema fuzz: {operations} operations x {len(USERS)} users, {requests} requests "
        f"(at most {EXAMPLES} generated per operation and mode), "
        f"{time.monotonic() - started:.0f} s; answers by user and status: "
        f"{dict(sorted(statuses.items()))}"
    )
    assert operations >= 70
    assert not failures, "\n\n".join(failures)
