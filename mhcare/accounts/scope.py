"""Scope: the one answer to "which rows of model M may this user see".

A scoped model declares an inner ``class Scope`` with:

- ``school_field`` — the path to its school (an ``OrgUnit``), e.g. ``"school"`` or
  ``"student__school"``;
- ``class_field`` — the path to its class, for class-bound roles (homeroom / subject teachers);
- ``kind`` — which kind of record it is (a ``RecordKind``), matched against the role matrix below;
- ``object_permissions`` (optional) — True where django-guardian grants per-object exceptions
  (a referral shared with one institution) on top of the tree scope. A share names the record
  kind it opens (``share()``; codename ``view_<model>`` for the model's own kind,
  ``view_<model>_as_<kind>`` for another): a student shared for her referral is not thereby
  visible as scores, cases or notes.
- ``break_glass`` (optional) — True where a user of ``BREAK_GLASS_ROLES`` may open one row outside
  their scope in an emergency, for a stated reason, for at most 24 hours (``breakglass.py``);
  ``break_glass_via`` — on a row that belongs to such a record (a case's follow-ups), the field
  naming it: the grant opens those rows too, as the record's own kind only.

Every view, API and selector reads student-linked rows through ``scoped()`` /
``get_scoped_or_404()``.
Out of scope and non-existent give the same 404 (``Http404`` without detail).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from mhcare.accounts.models import (
    BREAK_GLASS_ROLES,
    CLASS_ROLES,
    BreakGlassGrant,
    Role,
    RoleAssignment,
)
from mhcare.orgs.models import OrgKind, OrgUnit

M = TypeVar("M", bound=models.Model)


class RecordKind:
    STUDENT = "student"  # students, rosters, guardians
    SCORE = "score"  # item answers and scores
    SCORE_SUMMARY = "score_summary"  # band / proposed level without item answers
    FLAG = "flag"  # "this student is flagged" (no scores, no notes)
    CASE = "case"  # crisis cases, follow-ups, reviews
    NOTE = "note"  # counseling session notes (further restricted by the counseling app)
    REFERRAL = "referral"
    AGGREGATE = "aggregate"  # indicators and reports
    SUPERVISION = "supervision"
    OBSERVATION = "observation"  # dynamic observations reported by teachers
    FAMILY = "family"  # family contacts and home visits (no case details)
    INCIDENT = "incident"  # extreme incidents and their emergency checklist (no counseling notes)


# The role matrix of DESIGN.md "Scope". A kind listed here is visible within the assignment's
# subtree
# (or class, for class roles).
ROLE_KINDS: dict[str, frozenset[str]] = {
    Role.PSYCH_TEACHER: frozenset(
        {
            RecordKind.STUDENT,
            RecordKind.SCORE,
            RecordKind.SCORE_SUMMARY,
            RecordKind.FLAG,
            RecordKind.CASE,
            RecordKind.NOTE,
            RecordKind.REFERRAL,
            RecordKind.AGGREGATE,
            RecordKind.OBSERVATION,
            RecordKind.FAMILY,
            RecordKind.INCIDENT,
        }
    ),
    Role.HOMEROOM_TEACHER: frozenset(
        {RecordKind.STUDENT, RecordKind.FLAG, RecordKind.AGGREGATE, RecordKind.FAMILY}
    ),
    Role.SUBJECT_TEACHER: frozenset({RecordKind.STUDENT, RecordKind.FLAG}),
    Role.SCHOOL_LEADER: frozenset(
        {
            RecordKind.STUDENT,
            RecordKind.SCORE_SUMMARY,
            RecordKind.FLAG,
            RecordKind.CASE,
            RecordKind.REFERRAL,
            RecordKind.AGGREGATE,
            RecordKind.OBSERVATION,
            RecordKind.FAMILY,
            RecordKind.INCIDENT,
        }
    ),
    Role.COUNTY_CENTER: frozenset(
        {
            RecordKind.STUDENT,
            RecordKind.SCORE,
            RecordKind.SCORE_SUMMARY,
            RecordKind.FLAG,
            RecordKind.CASE,
            RecordKind.NOTE,
            RecordKind.REFERRAL,
            RecordKind.AGGREGATE,
            RecordKind.OBSERVATION,
            RecordKind.FAMILY,
            RecordKind.INCIDENT,
        }
    ),
    # The bureau sees an incident and its checklist, never counseling details.
    Role.OFFICIAL: frozenset({RecordKind.AGGREGATE, RecordKind.INCIDENT}),
    Role.SUPERVISOR: frozenset({RecordKind.SUPERVISION}),
    # Institution staff see only what is shared with them object by object (django-guardian).
    Role.INSTITUTION_STAFF: frozenset(),
    Role.PLATFORM_ADMIN: frozenset(),
    Role.AUDITOR: frozenset(),
}

# --- sod: roles whose grant opens student-level data (issue 13, separation of duties) ---
# Every kind but the aggregates (indicators, counts) and supervision sessions (adults' case
# consultations, no student records) is about one student. A role that reads any of them, and
# institution staff (who receive the referrals shared with their institution from the moment
# they hold the role), is granted only with a second person's approval (``approvals.py``).
STUDENT_RECORD_KINDS = frozenset(
    {
        RecordKind.STUDENT,
        RecordKind.SCORE,
        RecordKind.SCORE_SUMMARY,
        RecordKind.FLAG,
        RecordKind.CASE,
        RecordKind.NOTE,
        RecordKind.REFERRAL,
        RecordKind.OBSERVATION,
        RecordKind.FAMILY,
        RecordKind.INCIDENT,
    }
)
STUDENT_DATA_ROLES: frozenset[str] = frozenset(
    {role for role, kinds in ROLE_KINDS.items() if kinds & STUDENT_RECORD_KINDS}
    | {Role.INSTITUTION_STAFF}
)


@dataclass(frozen=True)
class Grant:
    """One assignment, reduced to what scope needs."""

    role: str
    unit_id: int
    unit_path: str
    unit_kind: str
    class_id: int | None

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def grants(user: Any) -> list[Grant]:
    """The user's active assignments, loaded once per user object. The first to ask loads the
    user's shares with them (``prime``: one query for both, which nearly every request needs —
    the middleware asks for the roles, the page's scope filter for the shares)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_mhcare_grants", None)
    if cached is None:
        prime(user)
        cached = getattr(user, "_mhcare_grants", None)
    if cached is None:  # the shares were loaded alone before: the assignments alone now
        cached = [
            Grant(
                role=a.role,
                unit_id=a.org_unit_id,
                unit_path=a.org_unit.path,
                unit_kind=a.org_unit.kind,
                class_id=a.klass_id,
            )
            for a in RoleAssignment.objects.active()
            .filter(user_id=user.pk)
            .select_related("org_unit")
            .order_by("id")
        ]
        user._mhcare_grants = cached
    return list(cached)


def prime(user: Any) -> None:
    """Load the user's grants (``grants``) and one-by-one shares (``_all_shares``) in one query
    instead of two: ``grants`` calls it when it is first asked (a page's middleware asks for the
    roles, its scope filter then for the shares), and so does an API list before its permission
    check. The same rows as the two loaders, which then answer from their caches. Plain SQL
    (built once) because nearly every request calls it and composing the ORM expression costs
    more than the query; tests/accounts/test_scope_prime.py holds it equal to the two loaders.
    The API's token check reads the same in its own query (``scope_sql``, ``prime_from``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return
    if getattr(user, "_mhcare_grants", None) is not None or "_mhcare_shared" in user.__dict__:
        return
    from django.db import connections, router

    with connections[router.db_for_read(RoleAssignment)].cursor() as cursor:
        cursor.execute(f"SELECT {scope_sql('%s')}", [user.pk, user.pk])
        prime_from(user, cursor.fetchone()[0])


def prime_from(user: Any, loaded: str) -> None:
    """Fill the user's grant and share caches from a ``scope_sql`` value read for that user."""
    loaded_grants, loaded_shares = json.loads(loaded)
    user._mhcare_grants = [
        Grant(role=role, unit_id=unit_id, unit_path=path, unit_kind=kind, class_id=class_id)
        for role, unit_id, path, kind, class_id in loaded_grants or []
    ]
    by_key: dict[tuple[str, str, str], set[int]] = {}
    for app_label, model_name, codename, object_pk in loaded_shares or []:
        by_key.setdefault((app_label, model_name, codename), set()).add(int(object_pk))
    user.__dict__["_mhcare_shared"] = {key: frozenset(pks) for key, pks in by_key.items()}


_SCOPE_SQL: dict[str, str] = {}


def scope_sql(user_id: str) -> str:
    """An SQL expression (JSON as text) of two arrays of arrays: the active assignments of the
    user with their unit (``grants``: the ``active()`` filter, ordered by id), and the user's
    object permissions with their content type and codename (``_all_shares``). ``user_id`` is
    where the user's id comes from: ``%s`` (a parameter, given twice) or a column of the
    enclosing query. Table names from the models' meta."""
    if user_id not in _SCOPE_SQL:
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType
        from guardian.models import UserObjectPermission

        assignment = RoleAssignment._meta.db_table
        unit = OrgUnit._meta.db_table
        share = UserObjectPermission._meta.db_table
        content_type = ContentType._meta.db_table
        permission = Permission._meta.db_table
        _SCOPE_SQL[user_id] = f"""json_build_array(
                (SELECT json_agg(json_build_array(
                            a.role, a.org_unit_id, u.path, u.kind, a.klass_id) ORDER BY a.id)
                 FROM {assignment} a JOIN {unit} u ON u.id = a.org_unit_id
                 WHERE a.user_id = {user_id} AND a.is_active),
                (SELECT json_agg(json_build_array(ct.app_label, ct.model, p.codename, s.object_pk))
                 FROM {share} s
                 JOIN {content_type} ct ON ct.id = s.content_type_id
                 JOIN {permission} p ON p.id = s.permission_id
                 WHERE s.user_id = {user_id}))::text"""  # noqa: S608 - names from the models only
    return _SCOPE_SQL[user_id]


def roles(user: Any) -> set[str]:
    return {g.role for g in grants(user)}


def has_role(user: Any, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def can(user: Any, kind: str) -> bool:
    """Whether any of the user's roles may see records of ``kind`` somewhere."""
    return any(kind in ROLE_KINDS.get(g.role, frozenset()) for g in grants(user))


def _grants_for(user: Any, kind: str) -> list[Grant]:
    return [g for g in grants(user) if kind in ROLE_KINDS.get(g.role, frozenset())]


def _scope_meta(model: type[models.Model]) -> Any:
    meta = getattr(model, "Scope", None)
    if meta is None:
        raise TypeError(f"{model.__name__} declares no Scope; it cannot be read through scope.")
    return meta


def scope_q(user: Any, model: type[models.Model], kind: str | None = None) -> Q | None:
    """The filter for ``model`` rows the user may see as ``kind``; None when nothing."""
    meta = _scope_meta(model)
    kind = kind or meta.kind
    school_field = meta.school_field
    class_field = getattr(meta, "class_field", None)
    parts: list[Q] = []
    for grant in _grants_for(user, kind):
        if grant.role in CLASS_ROLES:
            if class_field and grant.class_id:
                parts.append(Q(**{class_field: grant.class_id}))
            continue
        parts.append(tree_q(grant, school_field, county_field(model)))
    if not parts:
        return None
    return reduce(or_, parts)


def county_field(model: type[models.Model]) -> str | None:
    """The model's denormalised county column, when its Scope reads by its ``school`` column:
    ``Scope.county_field`` when declared, else ``"county"`` when the model has a ``county``
    foreign key to an org unit (it holds the county of the row's school)."""
    meta = _scope_meta(model)
    declared = getattr(meta, "county_field", None)
    if declared is not None:
        return str(declared) or None
    if meta.school_field != "school":
        return None
    try:
        field = model._meta.get_field("county")
    except Exception:  # FieldDoesNotExist
        return None
    return "county" if getattr(field, "related_model", None) is OrgUnit else None


def tree_q(grant: Grant, school_field: str, county_field: str | None = None) -> Q:
    """Rows whose ``school_field`` lies in the subtree of the grant's unit, written so that the
    row's own (indexed) columns answer it, never a join to the unit's ``path``:

    - a school (a leaf of the tree): ``school_id = <school>``;
    - a county, on a model with a county column: ``county_id = <county>`` (the column holds the
      county of the row's school — every writer sets both together);
    - anything else: ``school_id IN (units under the path)``, a subquery on the path index.

    The same rows as ``{school_field}__path__startswith=grant.unit_path``."""
    return _subtree_q(grant.unit_id, grant.unit_path, grant.unit_kind, school_field, county_field)


def unit_q(unit: OrgUnit, school_field: str = "school", county_field: str | None = None) -> Q:
    """Rows whose ``school_field`` lies under ``unit``, by the rule of ``tree_q`` (the row's own
    columns for a school or a county). For the code that counts under a unit it was given
    (checked against the actor's scope before): a join to the unit's ``path`` lets the planner
    scan the whole table, which it did for a county's students (tests/perf/test_index_plans)."""
    return _subtree_q(unit.pk, unit.path, unit.kind, school_field, county_field)


def _subtree_q(
    unit_id: int, unit_path: str, unit_kind: str, school_field: str, county_field: str | None
) -> Q:
    if unit_kind == OrgKind.SCHOOL:
        return Q(**{f"{school_field}_id": unit_id})
    if unit_kind == OrgKind.COUNTY and county_field:
        return Q(**{f"{county_field}_id": unit_id})
    under = OrgUnit.objects.filter(path__startswith=unit_path).values("pk")
    return Q(**{f"{school_field}__in": under})


def scoped(
    user: Any,
    model_or_qs: type[M] | QuerySet[M],
    *,
    kind: str | None = None,
    break_glass: bool = False,
) -> QuerySet[M]:
    """The rows of a model (or of a queryset over it) that ``user`` may see as ``kind``.

    ``break_glass=True`` adds the rows a live emergency grant opens: only the one record's page
    asks for it (``get_scoped_or_404`` and that page's own history), never a list, an export or
    an aggregate."""
    if isinstance(model_or_qs, QuerySet):
        queryset, model = model_or_qs, model_or_qs.model
    else:
        model = model_or_qs
        queryset = model._default_manager.all()
    meta = _scope_meta(model)
    condition = scope_q(user, model, kind)
    if getattr(meta, "object_permissions", False):
        shared = shared_ids(user, model, kind or meta.kind)
        if shared:
            shared_q = Q(pk__in=shared)
            condition = shared_q if condition is None else condition | shared_q
    glass = break_glass_q(user, model, kind or meta.kind) if break_glass else None
    if glass is not None:
        condition = glass if condition is None else condition | glass
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def break_glass_q(user: Any, model: type[models.Model], kind: str) -> Q | None:
    """Rows opened to ``user`` by a live break-glass grant (DHIS2 pattern): only for a model whose
    Scope declares ``break_glass`` (or ``break_glass_via``), only as its own kind, only for a user
    holding a break-glass role. A subquery, so no query of its own."""
    meta = _scope_meta(model)
    via = getattr(meta, "break_glass_via", None)
    if not (getattr(meta, "break_glass", False) or via) or kind != meta.kind:
        return None
    if not any(g.role in BREAK_GLASS_ROLES for g in grants(user)):
        return None
    target = model._meta.get_field(via).related_model if via else model
    opened = (
        BreakGlassGrant.objects.live()
        .filter(user_id=user.pk, object_type=target._meta.label_lower)  # type: ignore[union-attr]
        .values("object_id")
    )
    return Q(**{f"{via}__in": opened}) if via else Q(pk__in=opened)


def share_codename(model: type[models.Model], kind: str) -> str:
    """The django-guardian codename that shares a ``model`` row as ``kind``: ``view_<model>`` for
    the model's own kind, ``view_<model>_as_<kind>`` for any other."""
    name = model._meta.model_name
    return f"view_{name}" if kind == _scope_meta(model).kind else f"view_{name}_as_{kind}"


def share(user: Any, obj: models.Model, kind: str | None = None) -> None:
    """Share one row with one user as ``kind`` (default: the model's own kind), on top of the
    tree scope. The share opens that kind only."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from guardian.shortcuts import assign_perm

    model = type(obj)
    meta = _scope_meta(model)
    if not getattr(meta, "object_permissions", False):
        raise TypeError(f"{model.__name__} takes no object-level shares.")
    kind = kind or meta.kind
    if kind not in {v for k, v in vars(RecordKind).items() if not k.startswith("_")}:
        raise ValueError(f"Unknown record kind: {kind!r}")
    codename = share_codename(model, kind)
    permission, _created = Permission.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(model),
        codename=codename,
        defaults={"name": f"Can view {model._meta.model_name} as {kind}"[:255]},
    )
    assign_perm(permission, user, obj)
    user.__dict__.pop("_mhcare_shared", None)


def shared_ids(user: Any, model: type[models.Model], kind: str | None = None) -> frozenset[int]:
    """Ids of ``model`` rows shared with this user one by one as ``kind`` (django-guardian, see
    ``share_codename``), loaded once per user object. Such exceptions are few (a referral shared
    with one institution), so they are fetched as ids and added to the tree filter only when there
    are any: the common case keeps a plain path filter the planner can index."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    kind = kind or _scope_meta(model).kind
    shares = _all_shares(user)
    key = (model._meta.app_label, model._meta.model_name or "", share_codename(model, kind))
    return shares.get(key, frozenset())


def _all_shares(user: Any) -> dict[tuple[str, str, str], frozenset[int]]:
    """Every row shared with the user one by one, by (app label, model, codename): one query per
    user object for all models and kinds (a page that reads students, referrals and sessions asks
    once). Exceptions are granted to users, not groups."""
    cached = user.__dict__.get("_mhcare_shared")
    if cached is None:
        from guardian.models import UserObjectPermission

        found: dict[tuple[str, str, str], set[int]] = {}
        for app_label, model_name, codename, object_pk in UserObjectPermission.objects.filter(
            user_id=user.pk
        ).values_list(
            "content_type__app_label", "content_type__model", "permission__codename", "object_pk"
        ):
            found.setdefault((app_label, model_name, codename), set()).add(int(object_pk))
        cached = {key: frozenset(pks) for key, pks in found.items()}
        user.__dict__["_mhcare_shared"] = cached
    return cached


def get_scoped_or_404(
    user: Any, model_or_qs: type[M] | QuerySet[M], *, kind: str | None = None, **lookup: Any
) -> M:
    """One row the user may see, or 404 — the same 404 whether it is out of scope or missing.
    A live break-glass grant opens its one record here (models that opt in)."""
    try:
        return scoped(user, model_or_qs, kind=kind, break_glass=True).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def missing_ids(
    user: Any, model_or_qs: type[M] | QuerySet[M], ids: Iterable[int], *, kind: str | None = None
) -> set[int]:
    """Ids the user asked for but may not see (set difference, one query)."""
    requested = set(ids)
    visible = set(
        scoped(user, model_or_qs, kind=kind).filter(pk__in=requested).values_list("pk", flat=True)
    )
    return requested - visible


def units(user: Any, kind: str = RecordKind.AGGREGATE) -> QuerySet[OrgUnit]:
    """Org units (and their subtrees) in which the user may see records of ``kind``."""
    paths = [g.unit_path for g in _grants_for(user, kind) if g.role not in CLASS_ROLES]
    if not paths:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(reduce(or_, (Q(path__startswith=p) for p in paths)))


def top_units(user: Any, kind: str = RecordKind.AGGREGATE) -> list[OrgUnit]:
    """The assignment units themselves (not their subtrees) for ``kind``, highest first."""
    ids = [g.unit_id for g in _grants_for(user, kind) if g.role not in CLASS_ROLES]
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("depth", "path"))


def schools(user: Any, kind: str = RecordKind.STUDENT) -> QuerySet[OrgUnit]:
    return units(user, kind).filter(kind=OrgKind.SCHOOL)


def scoped_models() -> list[type[models.Model]]:
    """Every model that declares a Scope: the student-linked rows."""
    return [m for m in apps.get_models() if hasattr(m, "Scope")]
