"""Stored names and numbers get the normalisation imports now apply to every cell (issue 9 §2):
NFKC (full-width digits, letters, brackets and spaces become half-width), zero-width characters,
BOMs and control characters removed, NBSP a space, outer spaces trimmed — so that a file with
clean names matches what an earlier import stored with a BOM or a zero-width space, and
"八年级（1）班" is the existing "八年级(1)班".

Where normalising would make a row collide with another one under a unique constraint (two
classes of a school year that differ only by bracket width, two student numbers), the row is
left as it is and printed (ids only), for an administrator to merge by hand: no data is lost and
no row is merged blindly."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import migrations

# A frozen copy of ``mhcare.core.imports.normalise.normalize_text`` (migrations must not follow
# later changes of the code).
_TABLE: dict[int, str | None] = dict.fromkeys([*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
_TABLE.update({0x09: " ", 0x0A: " ", 0x0D: " ", 0x0B: " ", 0x0C: " "})
_TABLE.update(
    dict.fromkeys(
        [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F, *range(0x202A, 0x202F)]
    )
)
_TABLE.update({0x00A0: " ", 0x3000: " "})


def _normal(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text.strip()
    return unicodedata.normalize("NFKC", text.translate(_TABLE)).translate(_TABLE).strip()


def _plain(model: Any, fields: list[str]) -> int:
    """Normalise fields that no unique constraint covers."""
    changed = []
    for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
        dirty = False
        for name in fields:
            value = getattr(row, name)
            if value and _normal(value) != value:
                setattr(row, name, _normal(value))
                dirty = True
        if dirty:
            changed.append(row)
    model.objects.bulk_update(changed, fields, batch_size=1000)
    return len(changed)


def _unique(model: Any, field: str, scope: list[str], label: str) -> int:
    """Normalise a field unique within ``scope``; a row whose normal form is taken stays."""
    rows = list(model.objects.only("pk", field, *scope))
    taken = {(*(getattr(r, s) for s in scope), getattr(r, field)) for r in rows}
    changed = []
    for row in rows:
        value = getattr(row, field)
        normal = _normal(value)
        if normal == value:
            continue
        key = (*(getattr(row, s) for s in scope), normal)
        if key in taken:
            print(  # noqa: T201 - the operator running migrate must see what is left to merge
                f"\n  {label} id={row.pk}: normalised value collides with an existing row; "
                "left unchanged, merge by hand"
            )
            continue
        taken.discard((*(getattr(row, s) for s in scope), value))
        taken.add(key)
        setattr(row, field, normal)
        changed.append(row)
    model.objects.bulk_update(changed, [field], batch_size=1000)
    return len(changed)


def normalise(apps: Any, schema_editor: Any) -> None:
    SchoolClass = apps.get_model("orgs", "SchoolClass")  # noqa: N806
    Student = apps.get_model("orgs", "Student")  # noqa: N806
    Guardian = apps.get_model("orgs", "Guardian")  # noqa: N806
    OrgUnit = apps.get_model("orgs", "OrgUnit")  # noqa: N806
    _unique(SchoolClass, "name", ["school_id", "school_year_id"], "class")
    _unique(Student, "student_number", [], "student")
    _plain(Student, ["name"])
    _plain(Guardian, ["name", "phone"])
    _plain(OrgUnit, ["name"])


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_support_plan_to_kernel")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=False)]
