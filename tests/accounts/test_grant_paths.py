"""Every path that creates or re-activates a role assignment goes through ``approvals`` (issue 13,
separation of duties): outside ``mhcare/accounts/approvals.py`` no source file writes
``RoleAssignment`` rows (create, save of a new one, bulk writes, ``is_active = True``), and only
system setup calls ``assignment_grant_setup``. The checker is a plain function over source text,
tested on code strings, so a silent checker cannot pass."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE_DIRS = ("mhcare", "screening", "crisis", "referrals", "counseling", "staffing", "compliance")
SERVICE = Path("mhcare/accounts/approvals.py")
# System setup: the demo seeders and the trusted roster command's path (actor None).
SETUP_CALLERS = {
    Path("mhcare/orgs/demo.py"),
    Path("mhcare/orgs/services.py"),
    Path("staffing/demo.py"),
}
WRITES = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update"}


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            # RoleAssignment.objects.<write>(...) / RoleAssignment(...)
            if isinstance(func, ast.Attribute) and func.attr in WRITES:
                chain = ast.unparse(func.value)
                if chain.startswith("RoleAssignment.") or ".assignments" in chain:
                    found.append(f"{node.lineno}: {ast.unparse(func)}")
            if isinstance(func, ast.Name) and func.id == "RoleAssignment":
                found.append(f"{node.lineno}: RoleAssignment(...)")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "is_active"
                    and "assignment" in ast.unparse(target.value).lower()
                    and not (isinstance(node.value, ast.Constant) and node.value.value is False)
                ):
                    found.append(f"{node.lineno}: {ast.unparse(target)} = ...")
    return found


def setup_calls(source: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and ast.unparse(node.func).split(".")[-1] == "assignment_grant_setup"
    ]


def test_the_checker_finds_writes():
    assert violations("RoleAssignment.objects.create(user=u)")
    assert violations("RoleAssignment.objects.filter(pk=1).update(is_active=True)")
    assert violations("RoleAssignment(user=u, role=r)")
    assert violations("assignment.is_active = True")
    assert violations("user.assignments.create(role=r)")
    assert not violations("assignment.is_active = False")
    assert not violations("RoleAssignment.objects.active().filter(user=u)")
    assert setup_calls("approvals.assignment_grant_setup(user=u)") == [1]


def test_role_assignments_are_written_only_by_the_approvals_service():
    found = []
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in path.parts or relative == SERVICE:
                continue
            source = path.read_text(encoding="utf-8")
            found += [f"{relative}:{v}" for v in violations(source)]
            if relative not in SETUP_CALLERS:
                found += [f"{relative}:{n}: assignment_grant_setup" for n in setup_calls(source)]
    assert found == []
