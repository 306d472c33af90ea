"""Every ``transaction.on_commit`` hook of the product says whether it is ``robust``.

A hook runs after the COMMIT: what the request wrote is stored. A hook that raises (the broker is
down, the connection died just after the COMMIT) is, unless ``robust=True``, an exception out of
the view: the user gets the error page for a write that was stored, and enters it again — a
duplicate observation, follow-up or record. Found in tests/faults/test_database_restart.py: the
observation's COMMIT succeeded, its e-mail hook then failed on the closed connection, the answer was
500. So a hook must be ``robust=True`` (the failure is logged, the answer is the
write's), or ``robust=False`` on purpose with a comment why."""

from __future__ import annotations

import ast

from tests.product import PACKAGES as SOURCE_DIRS
from tests.product import ROOT


def hooks_without_robust(source: str, filename: str = "<string>") -> list[str]:
    """``file:line`` of every ``on_commit(...)`` call that does not name ``robust``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "on_commit" and not any(k.arg == "robust" for k in node.keywords):
            found.append(f"{filename}:{node.lineno}")
    return found


def test_the_checker_finds_a_hook_without_robust_and_accepts_one_with_it():
    source = (
        "from django.db import transaction\n"
        "from django.db.transaction import on_commit\n"
        "transaction.on_commit(lambda: send())\n"
        "on_commit(send)\n"
        "transaction.on_commit(send, robust=True)\n"
        "transaction.on_commit(send, robust=False)\n"
    )
    assert hooks_without_robust(source, "x.py") == ["x.py:3", "x.py:4"]


def test_every_on_commit_hook_of_the_product_names_robust():
    files = [
        path
        for top in SOURCE_DIRS
        for path in sorted((ROOT / top).rglob("*.py"))
        if "migrations" not in path.parts
    ]
    assert len(files) > 100  # the product's modules, not an empty glob
    found = [
        hit
        for path in files
        for hit in hooks_without_robust(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []
