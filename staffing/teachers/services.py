"""Writes of MH teachers' posts (notice §6) and of 教研员 posts.

Who writes: the school's psychology teacher or leader (``MANAGE_STAFFING`` from an assignment at
that school); 教研员 by the bureau or the county center (``MANAGE_BUREAU_STAFFING``). A post is
never rewritten into another one: ending a post sets its last day, a new post is a new row, so the
staffing on any past day stays what it was. Every write is audited in the same transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.models import MHTeacher, PostKind, Researcher

NOT_A_SCHOOL = gettext_lazy("Choose a school.")
NOT_A_RESEARCH_UNIT = gettext_lazy("Choose a teaching-research unit.")
ALREADY_ENDED = gettext_lazy("This post has already ended.")
END_BEFORE_START = gettext_lazy("The end date cannot be before the start date.")
DUPLICATE_POST = gettext_lazy("This person already has a post starting on this day at this school.")
OVERLAPPING_POST = gettext_lazy("This person is already in post at this school on %(date)s.")

QUALIFICATION_FIELDS = (
    "psychology_degree",
    "certificate_level",
    "certificate_date",
    "homeroom_equal_treatment",
)


def _require_school(actor: Any, school: OrgUnit) -> None:
    if school.kind != OrgKind.SCHOOL:
        raise ValidationError({"school": NOT_A_SCHOOL})
    policy.require(actor, policy.Action.MANAGE_STAFFING, school)


def _overlap(school: OrgUnit, name: str, start: datetime.date, exclude: int | None = None) -> Any:
    """A post of the same person at the same school that covers ``start`` or begins after it."""
    posts = MHTeacher.objects.filter(school=school, name=name)
    if exclude:
        posts = posts.exclude(pk=exclude)
    return posts.in_post(start).first() or posts.filter(start_date__gt=start).first()


@transaction.atomic
def teacher_add(
    *,
    actor: Any,
    school: OrgUnit,
    name: str,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    psychology_degree: bool = False,
    certificate_level: str = "",
    certificate_date: datetime.date | None = None,
    homeroom_equal_treatment: bool = False,
    user: Any = None,
) -> MHTeacher:
    """A new post for an MH teacher at ``school``."""
    _require_school(actor, school)
    name = name.strip()
    clash = _overlap(school, name, start_date)
    if clash is not None:
        raise ValidationError(
            {"start_date": str(OVERLAPPING_POST) % {"date": max(start_date, clash.start_date)}}
        )
    teacher = MHTeacher(
        school=school,
        name=name,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        psychology_degree=psychology_degree,
        certificate_level=certificate_level,
        certificate_date=certificate_date,
        homeroom_equal_treatment=homeroom_equal_treatment,
        user=user,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    teacher.full_clean()
    teacher.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=teacher,
        detail={"operation": "mh_teacher_add", "school": school.code, "kind": kind},
    )
    return teacher


@transaction.atomic
def teacher_update(*, actor: Any, teacher: MHTeacher, **changes: Any) -> MHTeacher:
    """Change a post's qualifications or account (not its kind or dates: end it and add one)."""
    teacher = MHTeacher.objects.select_for_update().select_related("school").get(pk=teacher.pk)
    policy.require(actor, policy.Action.MANAGE_STAFFING, teacher.school)
    changed = []
    for key, value in changes.items():
        if key not in (*QUALIFICATION_FIELDS, "user"):
            raise TypeError(f"teacher_update() got an unexpected field {key!r}")
        if getattr(teacher, key) != value:
            setattr(teacher, key, value)
            changed.append(key)
    if changed:
        teacher.full_clean()
        teacher.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=teacher,
            detail={"operation": "mh_teacher_update", "fields": sorted(changed)},
        )
    return teacher


@transaction.atomic
def teacher_end_post(*, actor: Any, teacher: MHTeacher, end_date: datetime.date) -> MHTeacher:
    """The post's last day; from the next day the teacher no longer counts."""
    teacher = MHTeacher.objects.select_for_update().select_related("school").get(pk=teacher.pk)
    policy.require(actor, policy.Action.MANAGE_STAFFING, teacher.school)
    if teacher.end_date is not None:
        raise ValidationError({"end_date": ALREADY_ENDED})
    if end_date < teacher.start_date:
        raise ValidationError({"end_date": END_BEFORE_START})
    teacher.end_date = end_date
    teacher.full_clean()
    teacher.save(update_fields=["end_date", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=teacher,
        detail={"operation": "mh_teacher_end_post", "end_date": end_date.isoformat()},
    )
    return teacher


# ---------------------------------------------------------------- 教研员


@transaction.atomic
def researcher_add(
    *,
    actor: Any,
    unit: OrgUnit,
    name: str,
    kind: str = PostKind.FULLTIME,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    user: Any = None,
    psychology_degree: bool = False,
    certificate_level: str = "",
    certificate_date: datetime.date | None = None,
) -> Researcher:
    """A 教研员 post at a teaching-research unit, written by the county center or an official of
    the county, city or province above it (``MANAGE_BUREAU_STAFFING`` on the unit's path)."""
    if unit.kind != OrgKind.RESEARCH:
        raise ValidationError({"unit": NOT_A_RESEARCH_UNIT})
    if not policy.allowed(actor, policy.Action.MANAGE_BUREAU_STAFFING, unit):
        raise PermissionDenied
    researcher = Researcher(
        unit=unit,
        name=name.strip(),
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        user=user,
        psychology_degree=psychology_degree,
        certificate_level=certificate_level or "",
        certificate_date=certificate_date,
    )
    researcher.full_clean()
    researcher.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=researcher,
        detail={"operation": "researcher_add", "unit": unit.code, "kind": kind},
    )
    return researcher


@transaction.atomic
def researcher_end_post(
    *, actor: Any, researcher: Researcher, end_date: datetime.date
) -> Researcher:
    """The 教研员 post's last day; from the next day the researcher no longer counts."""
    researcher = Researcher.objects.select_for_update().select_related("unit").get(pk=researcher.pk)
    if not policy.allowed(actor, policy.Action.MANAGE_BUREAU_STAFFING, researcher.unit):
        raise PermissionDenied
    if researcher.end_date is not None:
        raise ValidationError({"end_date": ALREADY_ENDED})
    if end_date < researcher.start_date:
        raise ValidationError({"end_date": END_BEFORE_START})
    researcher.end_date = end_date
    researcher.full_clean()
    researcher.save(update_fields=["end_date"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=researcher,
        detail={
            "operation": "researcher_end_post",
            "unit": researcher.unit.code,
            "end_date": end_date.isoformat(),
        },
    )
    return researcher


# ---------------------------------------------------------------- import

IMPORT_UNKNOWN_USER = gettext_lazy("No user account %(username)s at this school.")
IMPORT_OVERLAP = gettext_lazy(
    "This post overlaps a post of the same person on record (from %(start)s)."
)
IMPORT_END_CHANGED = gettext_lazy(
    "This post already ended on %(end)s; a finished post is not changed by an import."
)
IMPORT_KIND_CHANGED = gettext_lazy(
    "This post is on record as %(kind)s; end it and add a new post to change it."
)


@dataclass(frozen=True)
class TeacherImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@transaction.atomic
def teacher_import(
    *, actor: Any, school: OrgUnit, rows: list[Any], source: str = ""
) -> TeacherImportResult:
    """Store the posts of a parsed file (``importing.parse_teachers``) at ``school``, all or
    nothing: a post matched by (name, start date) is updated (qualifications, account, a first end
    date), any other is added. Errors that need the database are returned like parse errors and
    nothing is written."""
    from django.contrib.auth import get_user_model

    from mhcare.accounts.models import RoleAssignment
    from staffing.teachers.importing import COLUMN_BY_KEY, RowError

    _require_school(actor, school)
    existing = list(MHTeacher.objects.select_for_update().filter(school=school))
    by_key = {(t.name, t.start_date): t for t in existing}
    usernames = {r.username for r in rows if r.username}
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=usernames,
            pk__in=RoleAssignment.objects.filter(org_unit=school).values("user_id"),
        )
    }
    errors: list[RowError] = []

    def error(row: Any, key: str, template: Any, **params: Any) -> None:
        errors.append(RowError(row.row, COLUMN_BY_KEY[key].header, str(template) % params))

    # The posts on record as they will stand after the file: a row may end a post on record.
    ends = {(r.name, r.start_date): r.end_date for r in rows if (r.name, r.start_date) in by_key}
    effective = [
        (t.name, t.start_date, t.end_date or ends.get((t.name, t.start_date))) for t in existing
    ]
    plans: list[tuple[Any, MHTeacher | None]] = []
    for row in rows:
        if row.username and row.username not in users:
            error(row, "username", IMPORT_UNKNOWN_USER, username=row.username)
        current = by_key.get((row.name, row.start_date))
        if current is None:
            for name, other_start, other_end in effective:
                if name != row.name:
                    continue
                if other_start <= (row.end_date or datetime.date.max) and row.start_date <= (
                    other_end or datetime.date.max
                ):
                    error(row, "start_date", IMPORT_OVERLAP, start=other_start)
                    break
        else:
            if current.kind != row.kind:
                error(row, "kind", IMPORT_KIND_CHANGED, kind=current.get_kind_display())
            if current.end_date is not None and row.end_date != current.end_date:
                error(row, "end_date", IMPORT_END_CHANGED, end=current.end_date)
        plans.append((row, current))
    if errors:
        return TeacherImportResult(errors=tuple(sorted(errors, key=lambda e: e.row)))
    created = updated = unchanged = 0
    new_posts: list[MHTeacher] = []
    for row, current in plans:
        values = {
            "end_date": row.end_date,
            "psychology_degree": row.psychology_degree,
            "certificate_level": row.certificate_level,
            "certificate_date": row.certificate_date,
            "homeroom_equal_treatment": row.homeroom_equal_treatment,
            "user": users.get(row.username) if row.username else None,
        }
        if current is None:
            post = MHTeacher(
                school=school,
                name=row.name,
                kind=row.kind,
                start_date=row.start_date,
                created_by=actor if getattr(actor, "pk", None) else None,
                **values,
            )
            post.full_clean(validate_unique=False)
            new_posts.append(post)
            created += 1
            continue
        if current.user_id is not None and not row.username:
            values.pop("user")  # an empty cell keeps the account on record
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        if not changed:
            unchanged += 1
            continue
        for key in changed:
            setattr(current, key, values[key])
        current.full_clean(validate_unique=False)
        current.save()
        updated += 1
    MHTeacher.objects.bulk_create(new_posts)
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        object_type="staffing.mhteacher",
        detail={
            "operation": "mh_teacher_import",
            "school": school.code,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "source": source[:100],
        },
    )
    return TeacherImportResult(created=created, updated=updated, unchanged=unchanged)
