"""The direction of imports between the kernel and the apps, and who writes whose rows.

DESIGN.md "Architecture": the kernel (``mhcare``) imports no app; screening ← crisis ← referrals;
counseling and staffing stand on the kernel (counseling may link to crisis); compliance sits on top
and nothing imports it. An app changes another app's rows only through that app's services: a
``<OtherModel>.objects....update()`` (or create / delete / bulk_*) outside the owning app fails.

Both checkers are plain functions over source text, tested on code strings below, so a silent
checker cannot pass the build.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

KERNEL = "mhcare"
APPS = ("screening", "crisis", "referrals", "counseling", "staffing", "compliance")

# What each package may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    KERNEL: frozenset(),
    "screening": frozenset({KERNEL}),
    "crisis": frozenset({KERNEL, "screening"}),
    "referrals": frozenset({KERNEL, "screening", "crisis"}),
    "counseling": frozenset({KERNEL, "screening", "crisis"}),
    "staffing": frozenset({KERNEL}),
    "compliance": frozenset({KERNEL, *APPS} - {"compliance"}),
}

WRITE_METHODS = frozenset(
    {
        "update",
        "create",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)


def _package(module: str) -> str | None:
    top = module.split(".", 1)[0]
    return top if top in ALLOWED else None


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def import_violations(source: str, owner: str) -> list[str]:
    """Imports in ``source`` (a module of package ``owner``) that point the wrong way."""
    tree = ast.parse(source)
    wrong = []
    for line, module in _imported_modules(tree):
        target = _package(module)
        if target is None or target == owner:
            continue
        if target not in ALLOWED[owner]:
            wrong.append(f"line {line}: {owner} imports {module}")
    return wrong


def _model_names_from_other_packages(tree: ast.AST, owner: str) -> dict[str, str]:
    """Names bound by ``from <pkg>[.sub].models import X`` where pkg is another package."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        target = _package(node.module)
        if target is None or target == owner or not node.module.endswith(".models"):
            continue
        # The kernel's shared tables (users, org tree, students) are written through kernel
        # services or by their owners' signals; this rule is about app ↔ app.
        if target == KERNEL:
            continue
        for alias in node.names:
            names[alias.asname or alias.name] = node.module
    return names


def _root_name(node: ast.AST) -> str | None:
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return node.id if isinstance(node, ast.Name) else None


def write_violations(source: str, owner: str) -> list[str]:
    """Writes in ``source`` (package ``owner``) to rows of another app's models."""
    tree = ast.parse(source)
    foreign = _model_names_from_other_packages(tree, owner)
    if not foreign:
        return []
    wrong = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in WRITE_METHODS:
            continue
        root = _root_name(node.func.value)
        if root in foreign:
            wrong.append(
                f"line {node.lineno}: {owner} writes {foreign[root]}.{root} "
                f"(.{node.func.attr}); use that app's services"
            )
    return wrong


def _sources() -> list[tuple[str, Path]]:
    out = []
    for owner in ALLOWED:
        base = ROOT / owner
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:
                continue  # migrations name other apps' migrations as dependencies, by string
            out.append((owner, path))
    return out


SOURCES = _sources()


def test_every_package_is_checked():
    checked = {owner for owner, _ in SOURCES}
    assert {KERNEL, "screening", "crisis", "compliance"} <= checked


def test_imports_point_one_way():
    wrong = []
    for owner, path in SOURCES:
        for problem in import_violations(path.read_text(encoding="utf-8"), owner):
            wrong.append(f"{path.relative_to(ROOT)} {problem}")
    assert not wrong, "imports against the direction of DESIGN.md:\n" + "\n".join(wrong)


def test_apps_write_other_apps_rows_only_through_their_services():
    wrong = []
    for owner, path in SOURCES:
        for problem in write_violations(path.read_text(encoding="utf-8"), owner):
            wrong.append(f"{path.relative_to(ROOT)} {problem}")
    assert not wrong, "\n".join(wrong)


# --- the checkers themselves -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "source", "bad"),
    [
        ("mhcare", "from screening.models import Instrument\n", True),
        ("mhcare", "def f():\n    import crisis.services\n", True),
        ("screening", "from crisis import services\n", True),
        ("crisis", "from screening.models import RiskProposal\n", False),
        ("crisis", "from compliance.pdf import render\n", True),
        ("compliance", "from crisis.selectors import cases\n", False),
        ("staffing", "from crisis.models import Case\n", True),
        ("screening", "from mhcare.orgs.models import Student\nimport json\n", False),
        ("crisis", "from .models import Case\n", False),
    ],
)
def test_import_checker(owner, source, bad):
    assert bool(import_violations(source, owner)) is bad


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        (
            "from screening.models import RiskProposal\n"
            "RiskProposal.objects.filter(pk=1).update(status='x')\n",
            True,
        ),
        (
            "from screening.models import RiskProposal as P\n"
            "P.objects.select_for_update().filter(pk=1).delete()\n",
            True,
        ),
        ("from screening.models import RiskProposal\nRiskProposal.objects.create()\n", True),
        (
            "from screening.models import RiskProposal\n"
            "list(RiskProposal.objects.filter(pk=1).values('id'))\n",
            False,
        ),
        ("from crisis.models import Case\nCase.objects.filter(pk=1).update(level='1')\n", False),
        ("from mhcare.orgs.models import Student\nStudent.objects.create()\n", False),
    ],
)
def test_write_checker(source, bad):
    assert bool(write_violations(source, "crisis")) is bad
