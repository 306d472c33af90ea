"""Scope is a choke point: no view, API, selector, form or serializer reads a scoped
(student-linked) model through ``<Model>.objects`` or ``<Model>._default_manager``; they go through
``mhcare.accounts.scope`` instead."""

from __future__ import annotations

import ast
from pathlib import Path

from mhcare.accounts.scope import scoped_models
from tests.product import PACKAGES as SOURCE_DIRS
from tests.product import ROOT

CHECKED_MODULES = {"views", "apis", "selectors", "forms", "serializers"}
MANAGER_ATTRIBUTES = {"objects", "_default_manager"}
SCOPE_HELPERS = {"scoped", "get_scoped_or_404", "missing_ids"}
PRAGMA = "# scope-lint: allow"


def checked_files() -> list[Path]:
    """``views.py`` etc., and every module inside a package of one of those names."""
    files = []
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT)
            if path.stem in CHECKED_MODULES or CHECKED_MODULES & set(relative.parts[:-1]):
                files.append(path)
    return files


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def violations(source: str, model_names: set[str], filename: str = "<string>") -> list[str]:
    """``file:line Model.manager`` for every direct manager access on a scoped model.

    Allowed: a manager queryset handed to a scope helper (``scope.scoped(user, Student.objects
    .select_related(...))`` is still filtered by scope), and a line carrying the reviewed pragma
    ``# scope-lint: allow <reason>`` (e.g. a correlated subquery inside an already scoped query)."""
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    passed_to_scope: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in SCOPE_HELPERS:
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                passed_to_scope |= {id(inner) for inner in ast.walk(argument)}
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGER_ATTRIBUTES
            and isinstance(node.value, ast.Name)
            and node.value.id in model_names
            and id(node) not in passed_to_scope
            and PRAGMA not in lines[node.lineno - 1]
        ):
            found.append(f"{filename}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def scoped_model_names() -> set[str]:
    return {model.__name__ for model in scoped_models()}


def test_the_checker_catches_a_direct_read_of_a_scoped_model():
    source = (
        "from mhcare.orgs.models import Student\n"
        "def view(request, pk):\n"
        "    return Student.objects.get(pk=pk)\n"
        "def other(request):\n"
        "    return Student._default_manager.all()\n"
    )
    assert violations(source, {"Student"}) == [
        "<string>:3 Student.objects",
        "<string>:5 Student._default_manager",
    ]


def test_the_checker_allows_scope_helpers_and_unscoped_models():
    source = (
        "from mhcare.accounts import scope\n"
        "def view(request, pk):\n"
        "    scope.get_scoped_or_404(request.user, Student, pk=pk)\n"
        "    scope.scoped(request.user, Student.objects.select_related('klass'))\n"
        "    get_scoped_or_404(request.user, Student._default_manager.all(), pk=pk)\n"
        "    return OrgUnit.objects.all()\n"
    )
    assert violations(source, {"Student"}) == []


def test_the_checker_flags_a_manager_next_to_a_scope_call_and_honours_the_pragma():
    source = (
        "rows = scope.scoped(user, Student).filter(pk__in=Student.objects.values('pk'))\n"
        "sub = Student.objects.filter(pk=OuterRef('pk'))  # scope-lint: allow outer query scoped\n"
    )
    assert violations(source, {"Student"}) == ["<string>:1 Student.objects"]


def test_the_scoped_models_include_the_kernel_ones():
    assert {"Student", "Guardian"} <= scoped_model_names()


def test_the_checked_files_include_the_orgs_views():
    names = {str(p.relative_to(ROOT)) for p in checked_files()}
    assert "mhcare/orgs/views.py" in names
    assert "mhcare/orgs/apis.py" in names


def test_no_view_api_selector_form_or_serializer_reads_scoped_models_directly(db):
    names = scoped_model_names()
    found = [
        v
        for path in checked_files()
        for v in violations(path.read_text(encoding="utf-8"), names, str(path.relative_to(ROOT)))
    ]
    assert found == [], "read these through mhcare.accounts.scope:\n" + "\n".join(found)
