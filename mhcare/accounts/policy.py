"""Policy: the one answer to "may this user do this action (on this object)".

Beside ``scope.py`` (which rows a user reads), this module decides writes and pages. An action is
granted by a role *per assignment*: the assignment whose role allows the action must itself cover
the object (its school lies in the assignment's subtree; for a class role, its class is the
assignment's class). A psychology teacher of school A who leads school B reads B's cases as a
leader and writes none: no single assignment both allows ``WRITE_CASE`` and covers B.

- ``allowed(user, action, obj)`` — whether some assignment allowing ``action`` covers ``obj``
  (a scoped model instance, a ``Student``, a ``SchoolClass`` or an ``OrgUnit``);
- ``require(user, action, obj)`` — the same, raising ``PermissionDenied``;
- ``anywhere(user, action)`` — whether some assignment allows ``action`` at all (show the menu or
  the button; the per-object check still follows);
- ``requires(*actions)`` / ``public`` / ``any_authenticated`` — what a view needs, declared on the
  view function or class and enforced before it runs (deny by default: a test walks the URL
  resolver and fails on a pattern whose view declares nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce, wraps
from operator import or_
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from mhcare.accounts.models import BREAK_GLASS_ROLES, CLASS_ROLES, Role
from mhcare.accounts.scope import ROLE_KINDS, Grant, RecordKind, grants, tree_q
from mhcare.orgs.models import OrgUnit, SchoolClass

V = TypeVar("V")


class Action(StrEnum):
    # Reads, one per record kind: the roles come from scope.ROLE_KINDS (the read matrix).
    VIEW_STUDENTS = "view_students"
    VIEW_SCORES = "view_scores"
    VIEW_SCORE_SUMMARIES = "view_score_summaries"
    VIEW_FLAGS = "view_flags"
    VIEW_CASES = "view_cases"
    VIEW_OBSERVATIONS = "view_observations"
    VIEW_FAMILIES = "view_families"
    VIEW_INCIDENTS = "view_incidents"
    VIEW_AGGREGATES = "view_aggregates"
    # Writes and pages.
    ENTER_RESULTS = "enter_results"  # enter or import screening results
    VIEW_CAMPAIGNS = "view_campaigns"
    CREATE_CAMPAIGN = "create_campaign"
    SEE_UNSCREENED_NAMES = "see_unscreened_names"
    ISSUE_SELFSCREEN_CODES = "issue_selfscreen_codes"
    REPORT_OBSERVATION = "report_observation"
    REVIEW_OBSERVATION = "review_observation"
    EDIT_SUPPORT_PLAN = "edit_support_plan"
    WRITE_CASE = "write_case"  # evaluate, follow up, change level / status, transfer, accept
    RECORD_REVIEW = "record_review"  # 研判 reviews of a school
    MANAGE_INCIDENT = "manage_incident"
    VIEW_CASE_REPORTS = "view_case_reports"  # 上报
    LOG_FAMILY_CONTACT = "log_family_contact"
    DEFINE_KEY_PERIOD = "define_key_period"
    REQUEST_COMPLIANCE_REPORT = "request_compliance_report"
    IMPORT_ROSTER = "import_roster"  # classes, students, guardians and staff of a school
    IMPORT_SCHOOLS = "import_schools"  # the org tree's schools, and staff of any school
    SEE_STUDENT_VIEWERS = "see_student_viewers"
    # --- hardening (issue 13) ---
    READ_AUDIT_LOG = "read_audit_log"  # the auditor's pages: the audit log and its export
    # --- counseling: guidance, supervision, county centers (issue 10) ---
    VIEW_GUIDANCE = "view_guidance"  # the 处境不利 watch list and that guidance happened
    WRITE_GUIDANCE = "write_guidance"  # flags, responsible teacher, guidance records
    VIEW_SUPERVISION_STATIONS = "view_supervision_stations"
    MANAGE_SUPERVISION_STATIONS = "manage_supervision_stations"
    WRITE_SUPERVISION = "write_supervision"  # lead and record supervision sessions
    VIEW_CENTER_CHECKLISTS = "view_center_checklists"
    FILL_CENTER_CHECKLIST = "fill_center_checklist"
    JUDGE_CENTER_STANDARD = "judge_center_standard"
    # --- compliance indicators (issue 12) ---
    VIEW_INDICATORS = "view_indicators"  # indicator dashboards and API of a county or wider
    # --- staffing (issue 11) ---
    VIEW_STAFFING = "view_staffing"  # staffing status, provision pages (staff aggregates)
    VIEW_STAFF_NAMES = "view_staff_names"  # the people behind the numbers
    MANAGE_STAFFING = "manage_staffing"  # a school's teachers, groups, training, budget
    MANAGE_BUREAU_STAFFING = "manage_bureau_staffing"  # 教研员, responsibilities, county budget
    # --- staffing: lessons and activities (issue 11) ---
    VIEW_LESSONS = "view_lessons"  # the lesson log and compliance of classes / schools
    LOG_LESSON = "log_lesson"  # own classes (class roles) or the whole school
    IMPORT_LESSONS = "import_lessons"
    VIEW_ACTIVITIES = "view_activities"  # MH education and family-education activities
    RECORD_ACTIVITY = "record_activity"
    # --- referrals (issue 10) ---
    VIEW_REFERRALS = "view_referrals"  # the referral list and pages (school side or institution)
    MAKE_REFERRAL = "make_referral"  # create, consent, send, withdraw, return to school, close
    OVERRIDE_REFERRAL_CONSENT = "override_referral_consent"  # emergency override of the consent
    ANSWER_REFERRAL = "answer_referral"  # the institution accepts / declines / reports back
    VIEW_INSTITUTIONS = "view_institutions"
    KEEP_INSTITUTIONS = "keep_institutions"  # the county center and the city / province bureau
    # --- counseling rooms, duty, appointments, sessions (issue 10) ---
    VIEW_ROOMS = "view_rooms"  # rooms, opening hours and the duty week
    MANAGE_ROOMS = "manage_rooms"  # rooms, opening hours and duty shifts of a unit
    BOOK_APPOINTMENT = "book_appointment"  # book a student (own class for a homeroom teacher)
    COUNSEL = "counsel"  # hold duty, handle own appointments, write session records
    VIEW_SESSION_LOG = "view_session_log"  # that sessions happened, never what was said
    # --- hardening: break-glass (issue 13) ---
    BREAK_GLASS = "break_glass"  # open a crisis case outside one's scope in an emergency
    # --- compliance inspections and rectifications (issue 12, part 2) ---
    MANAGE_INSPECTIONS = "manage_inspections"  # 督查, 整改 notices, acceptance, 通报
    REPLY_RECTIFICATION = "reply_rectification"  # the school's reply with measures and evidence
    # --- roll (issue 11) ---
    CHANGE_ROLL = "change_roll"  # a student leaves the roll: transferred, graduated, 休学
    # --- hardening: guardian consent (PIPL art. 31, issue 13) ---
    RECORD_CONSENT = "record_consent"  # the guardian's consent / refusal of screening
    # --- sod: separation of duties (issue 13) ---
    APPROVE_GRANTS = "approve_grants"  # decide requested role grants of one's unit(s)
    # --- protect: masking and break-glass oversight (issue 13) ---
    REVEAL_STUDENT_NUMBER = "reveal_student_number"  # the full national student number, audited
    REVIEW_BREAK_GLASS = "review_break_glass"  # the emergency accesses to records of one's units
    END_BREAK_GLASS = "end_break_glass"  # end another user's emergency access early


@dataclass(frozen=True)
class Rule:
    """Which roles grant an action; optionally only from assignments at these unit kinds."""

    roles: frozenset[str]
    unit_kinds: frozenset[str] | None = None
    superuser: bool = False  # an active superuser may do it anywhere (roster import)


def _readers(kind: str) -> Rule:
    return Rule(frozenset(role for role, kinds in ROLE_KINDS.items() if kind in kinds))


def _roles(*roles: str) -> Rule:
    return Rule(frozenset(roles))


PSYCH, LEADER, CENTER = Role.PSYCH_TEACHER, Role.SCHOOL_LEADER, Role.COUNTY_CENTER
HOMEROOM, SUBJECT = Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER

# The action × role table (DESIGN.md "Writes and pages go through one policy too").
ACTION_RULES: dict[Action, Rule] = {
    Action.VIEW_STUDENTS: _readers(RecordKind.STUDENT),
    Action.VIEW_SCORES: _readers(RecordKind.SCORE),
    Action.VIEW_SCORE_SUMMARIES: _readers(RecordKind.SCORE_SUMMARY),
    Action.VIEW_FLAGS: _readers(RecordKind.FLAG),
    Action.VIEW_CASES: _readers(RecordKind.CASE),
    Action.VIEW_OBSERVATIONS: _readers(RecordKind.OBSERVATION),
    Action.VIEW_FAMILIES: _readers(RecordKind.FAMILY),
    Action.VIEW_INCIDENTS: _readers(RecordKind.INCIDENT),
    Action.VIEW_AGGREGATES: _readers(RecordKind.AGGREGATE),
    Action.ENTER_RESULTS: _roles(PSYCH, CENTER),
    # Campaigns reach whoever sees aggregates at school level or wider, and the platform admin.
    Action.VIEW_CAMPAIGNS: _roles(PSYCH, LEADER, CENTER, Role.OFFICIAL, Role.PLATFORM_ADMIN),
    Action.CREATE_CAMPAIGN: _roles(PSYCH, CENTER, Role.PLATFORM_ADMIN),
    Action.SEE_UNSCREENED_NAMES: _roles(PSYCH, LEADER, CENTER),
    Action.ISSUE_SELFSCREEN_CODES: _roles(PSYCH),
    Action.REPORT_OBSERVATION: _roles(HOMEROOM, SUBJECT),
    Action.REVIEW_OBSERVATION: _roles(PSYCH),
    Action.EDIT_SUPPORT_PLAN: _roles(PSYCH),
    Action.WRITE_CASE: _roles(PSYCH, CENTER),
    Action.RECORD_REVIEW: _roles(PSYCH, LEADER),
    Action.MANAGE_INCIDENT: _roles(PSYCH, LEADER, CENTER),
    Action.VIEW_CASE_REPORTS: _roles(PSYCH, LEADER, CENTER),
    Action.LOG_FAMILY_CONTACT: _readers(RecordKind.FAMILY),
    Action.DEFINE_KEY_PERIOD: _roles(PSYCH, CENTER),
    # Compliance reports are for a whole county or more.
    Action.REQUEST_COMPLIANCE_REPORT: Rule(
        frozenset({CENTER, Role.OFFICIAL}), frozenset({"county", "city", "province"})
    ),
    Action.IMPORT_ROSTER: Rule(frozenset({PSYCH, LEADER}), superuser=True),
    Action.IMPORT_SCHOOLS: Rule(frozenset({Role.PLATFORM_ADMIN}), superuser=True),
    Action.SEE_STUDENT_VIEWERS: _roles(PSYCH, LEADER),
    # --- hardening (issue 13) ---
    Action.READ_AUDIT_LOG: Rule(frozenset({Role.AUDITOR}), superuser=True),
    # --- counseling: guidance, supervision, county centers (issue 10) ---
    # The watch list: the school's psychology teacher and leader, the county center, and a
    # homeroom teacher for the own class. Guidance text is further limited to RecordKind.NOTE
    # readers and the record's author (counseling/guidance/selectors.py).
    Action.VIEW_GUIDANCE: _roles(PSYCH, LEADER, CENTER, HOMEROOM),
    Action.WRITE_GUIDANCE: _roles(PSYCH, CENTER),
    Action.VIEW_SUPERVISION_STATIONS: Rule(
        frozenset({Role.SUPERVISOR, CENTER, Role.OFFICIAL}),
        frozenset({"county", "city", "province"}),
    ),
    Action.MANAGE_SUPERVISION_STATIONS: Rule(
        frozenset({CENTER, Role.OFFICIAL}), frozenset({"county", "city"})
    ),
    Action.WRITE_SUPERVISION: Rule(frozenset({Role.SUPERVISOR}), frozenset({"county", "city"})),
    Action.VIEW_CENTER_CHECKLISTS: Rule(
        frozenset({CENTER, Role.OFFICIAL}), frozenset({"county", "city", "province"})
    ),
    # The county center fills its own checklist; a city or province official judges it (the
    # center does not certify itself; a county bureau official is its own line manager).
    Action.FILL_CENTER_CHECKLIST: Rule(frozenset({CENTER}), frozenset({"county"})),
    Action.JUDGE_CENTER_STANDARD: Rule(frozenset({Role.OFFICIAL}), frozenset({"city", "province"})),
    # --- compliance indicators (issue 12): aggregates of a county or wider, never a student ---
    Action.VIEW_INDICATORS: Rule(
        frozenset({CENTER, Role.OFFICIAL}), frozenset({"county", "city", "province"})
    ),
    # --- staffing (issue 11) ---
    # The bureau reads the staffing numbers of its subtree; the people (adults, not students) are
    # named to the school and the county center only.
    Action.VIEW_STAFFING: _roles(PSYCH, LEADER, CENTER, Role.OFFICIAL),
    Action.VIEW_STAFF_NAMES: _roles(PSYCH, LEADER, CENTER),
    Action.MANAGE_STAFFING: Rule(frozenset({PSYCH, LEADER}), frozenset({"school"})),
    Action.MANAGE_BUREAU_STAFFING: Rule(
        frozenset({CENTER, Role.OFFICIAL}), frozenset({"county", "city", "province"})
    ),
    # --- staffing: lessons and activities (issue 11) ---
    Action.VIEW_LESSONS: _roles(PSYCH, LEADER, HOMEROOM, SUBJECT, CENTER, Role.OFFICIAL),
    Action.LOG_LESSON: _roles(PSYCH, LEADER, HOMEROOM, SUBJECT),
    Action.IMPORT_LESSONS: _roles(PSYCH, LEADER),
    Action.VIEW_ACTIVITIES: _roles(PSYCH, LEADER, CENTER, Role.OFFICIAL),
    Action.RECORD_ACTIVITY: _roles(PSYCH, LEADER),
    # --- referrals (issue 10) ---
    # Institution staff read only the referrals shared with them (django-guardian, referrals app).
    Action.VIEW_REFERRALS: Rule(
        _readers(RecordKind.REFERRAL).roles | frozenset({Role.INSTITUTION_STAFF})
    ),
    Action.MAKE_REFERRAL: _roles(PSYCH, CENTER),
    Action.OVERRIDE_REFERRAL_CONSENT: _roles(LEADER),
    Action.ANSWER_REFERRAL: Rule(frozenset({Role.INSTITUTION_STAFF}), frozenset({"institution"})),
    Action.VIEW_INSTITUTIONS: _roles(PSYCH, LEADER, CENTER, Role.OFFICIAL, Role.INSTITUTION_STAFF),
    # The county center of its county; officials of a city or the province (a county bureau
    # does not: referrals.services.institution_keepers narrows the officials to city / province).
    Action.KEEP_INSTITUTIONS: Rule(
        frozenset({CENTER, Role.OFFICIAL}), frozenset({"county", "city", "province"})
    ),
    # --- counseling rooms, duty, appointments, sessions (issue 10) ---
    Action.VIEW_ROOMS: _roles(PSYCH, LEADER, CENTER),
    Action.MANAGE_ROOMS: _roles(PSYCH, LEADER, CENTER),
    Action.BOOK_APPOINTMENT: _roles(PSYCH, CENTER, HOMEROOM),
    Action.COUNSEL: _roles(PSYCH, CENTER),
    Action.VIEW_SESSION_LOG: _roles(LEADER, CENTER),
    # --- hardening: break-glass (issue 13): the county center and a school's crisis group ---
    Action.BREAK_GLASS: Rule(frozenset(BREAK_GLASS_ROLES)),
    # --- compliance inspections and rectifications (issue 12, part 2) ---
    # A county or city official inspects schools (and a city official counties) below them.
    Action.MANAGE_INSPECTIONS: Rule(frozenset({Role.OFFICIAL}), frozenset({"county", "city"})),
    # The school's leader answers a rectification notice for their school.
    Action.REPLY_RECTIFICATION: Rule(frozenset({LEADER}), frozenset({"school"})),
    # --- roll (issue 11): the psychology teacher or leader of the student's school ---
    Action.CHANGE_ROLL: Rule(frozenset({PSYCH, LEADER}), frozenset({"school"})),
    # --- hardening: guardian consent (PIPL art. 31, issue 13) ---
    # The school's psychology teacher, or the homeroom teacher for their own class.
    Action.RECORD_CONSENT: _roles(PSYCH, HOMEROOM),
    # --- sod: separation of duties (issue 13): the approver roles of approvals.APPROVAL_RULES;
    # which request one of them may decide is approvals.pending_for ---
    Action.APPROVE_GRANTS: _roles(LEADER, CENTER, Role.OFFICIAL),
    # --- protect: masking and break-glass oversight (issue 13) ---
    # The full student number is for those who match the school roll and the provincial platform.
    Action.REVEAL_STUDENT_NUMBER: _roles(PSYCH, LEADER, CENTER),
    # The leaders of the record's school and the county center are told of each emergency access
    # and may end it; the auditor reads the list (and ends nothing).
    Action.REVIEW_BREAK_GLASS: _roles(LEADER, CENTER, Role.AUDITOR),
    Action.END_BREAK_GLASS: _roles(LEADER, CENTER),
}

READ_ACTIONS: dict[str, Action] = {
    RecordKind.STUDENT: Action.VIEW_STUDENTS,
    RecordKind.SCORE: Action.VIEW_SCORES,
    RecordKind.SCORE_SUMMARY: Action.VIEW_SCORE_SUMMARIES,
    RecordKind.FLAG: Action.VIEW_FLAGS,
    RecordKind.CASE: Action.VIEW_CASES,
    RecordKind.OBSERVATION: Action.VIEW_OBSERVATIONS,
    RecordKind.FAMILY: Action.VIEW_FAMILIES,
    RecordKind.INCIDENT: Action.VIEW_INCIDENTS,
    RecordKind.AGGREGATE: Action.VIEW_AGGREGATES,
}


# --- decisions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where an object sits: its school's (or unit's) path and, when it has one, its class."""

    path: str
    class_id: int | None = None


def granting(user: Any, action: Action) -> list[Grant]:
    """The user's assignments whose role allows ``action`` (no query after the first)."""
    rule = ACTION_RULES[action]
    return [
        g
        for g in grants(user)
        if g.role in rule.roles and (rule.unit_kinds is None or g.unit_kind in rule.unit_kinds)
    ]


def anywhere(user: Any, action: Action) -> bool:
    """Whether some assignment allows ``action`` somewhere: for menus, buttons and page gates."""
    return _superuser(user, action) or bool(granting(user, action))


def covers(grant: Grant, target: Target) -> bool:
    if grant.role in CLASS_ROLES:
        return bool(grant.class_id) and grant.class_id == target.class_id
    return target.path.startswith(grant.unit_path)


def _follow(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def target_of(obj: Any) -> Target:
    """The place of an org unit, a class, a student or any scoped record."""
    if isinstance(obj, Target):
        return obj
    if isinstance(obj, OrgUnit):
        return Target(obj.path)
    if isinstance(obj, SchoolClass):
        return Target(obj.school.path, obj.pk)
    meta = getattr(type(obj), "Scope", None)
    if meta is None:
        raise TypeError(f"{type(obj).__name__} has no place in the org tree for the policy.")
    school = _follow(obj, meta.school_field)
    class_field = getattr(meta, "class_field", None)
    class_id = None
    if class_field:
        # the id on the last hop: no query for the class itself
        *hops, last = class_field.split("__")
        holder = _follow(obj, "__".join(hops)) if hops else obj
        class_id = getattr(holder, f"{last}_id", None) if holder is not None else None
    return Target(school.path if school is not None else "\0", class_id)


def _superuser(user: Any, action: Action) -> bool:
    return (
        ACTION_RULES[action].superuser
        and bool(getattr(user, "is_superuser", False))
        and bool(getattr(user, "is_active", False))
    )


def allowed(user: Any, action: Action, obj: Any = None) -> bool:
    """Whether one assignment both allows ``action`` and covers ``obj`` (``None``: anywhere)."""
    if _superuser(user, action):
        return True
    found = granting(user, action)
    if obj is None or not found:
        return bool(found)
    target = target_of(obj)
    return any(covers(g, target) for g in found)


def reads(user: Any, kind: str, obj: Any) -> bool:
    """Whether an assignment whose role reads ``kind`` covers ``obj``: which view of one student
    a page shows (a homeroom teacher of A who is psych teacher of B sees A's flag, not A's case)."""
    return allowed(user, READ_ACTIONS[kind], obj)


def holds(user: Any, role: str, obj: Any) -> bool:
    """Whether one of the user's assignments with ``role`` covers ``obj`` (who is "the psychology
    teacher of this student", not "a psychology teacher somewhere")."""
    target = target_of(obj)
    return any(g.role == role and covers(g, target) for g in grants(user))


def require(user: Any, action: Action, obj: Any = None, message: Any = None) -> None:
    if not allowed(user, action, obj):
        raise PermissionDenied(message) if message is not None else PermissionDenied


def paths(user: Any, action: Action) -> list[str]:
    """Unit paths of the (non-class) assignments that allow ``action``."""
    return [g.unit_path for g in granting(user, action) if g.role not in CLASS_ROLES]


def class_ids(user: Any, action: Action) -> set[int]:
    """Classes of the class-role assignments that allow ``action``."""
    return {g.class_id for g in granting(user, action) if g.role in CLASS_ROLES and g.class_id}


def filter_q(
    user: Any, action: Action, *, school_field: str, class_field: str | None = None
) -> Q | None:
    """A filter for rows whose school (or class) an assignment allowing ``action`` covers."""
    parts: list[Q] = [
        tree_q(g, school_field) for g in granting(user, action) if g.role not in CLASS_ROLES
    ]
    if class_field:
        parts += [Q(**{class_field: cid}) for cid in class_ids(user, action)]
    return reduce(or_, parts) if parts else None


def narrow(
    user: Any,
    action: Action,
    queryset: QuerySet[Any],
    *,
    school_field: str = "school",
    class_field: str | None = "klass",
) -> QuerySet[Any]:
    """``queryset`` reduced to the rows an assignment allowing ``action`` covers."""
    condition = filter_q(user, action, school_field=school_field, class_field=class_field)
    return queryset.none() if condition is None else queryset.filter(condition)


def units(user: Any, action: Action) -> QuerySet[OrgUnit]:
    """Org units (with their subtrees) where ``action`` is allowed by a non-class assignment."""
    found = paths(user, action)
    if not found:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(reduce(or_, (Q(path__startswith=p) for p in found)))


# --- declarations on views (deny by default) ---------------------------------------------------

POLICY_ATTR = "mhcare_policy"


@dataclass(frozen=True)
class Declaration:
    """What a view needs: ``public`` (anyone), ``authenticated`` (any signed-in user) or
    ``actions`` (one of them, allowed anywhere)."""

    public: bool = False
    actions: tuple[Action, ...] = ()

    def admits(self, user: Any) -> bool:
        if self.public:
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        return not self.actions or any(anywhere(user, a) for a in self.actions)


def declaration(view: Any) -> Declaration | None:
    """The declaration of a URL pattern's callback (a function, or ``as_view()`` of a class)."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        found = getattr(candidate, POLICY_ATTR, None)
        if isinstance(found, Declaration):
            return found
    return None


def may_open(user: Any, url_name: str, *args: Any) -> bool:
    """Whether the page at ``url_name`` admits the user by its declaration: menus and links show
    exactly the pages that would open (an undeclared page admits nobody)."""
    from django.urls import resolve, reverse

    found = declaration(resolve(reverse(url_name, args=args)).func)
    return found is not None and found.admits(user)


def _drf_permission(decl: Declaration) -> type:
    from rest_framework.permissions import BasePermission

    class Declared(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return decl.admits(request.user)

    return Declared


def _declare(decl: Declaration) -> Callable[[V], V]:
    def decorate(view: Any) -> Any:
        if isinstance(view, type):
            view = cast(Any, view)
            setattr(view, POLICY_ATTR, decl)
            if decl.public:
                return view
            try:
                from rest_framework.views import APIView
            except ImportError:  # pragma: no cover - DRF is installed
                APIView = None  # type: ignore[assignment,misc]  # noqa: N806
            if APIView is not None and issubclass(view, APIView):
                view.permission_classes = [_drf_permission(decl), *view.permission_classes]
            else:
                original = view.dispatch

                @wraps(original)
                def dispatch(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                    denied = _refuse(request, decl)
                    return denied or original(self, request, *args, **kwargs)

                view.dispatch = dispatch
            return view
        if decl.public:
            setattr(view, POLICY_ATTR, decl)
            return view

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            denied = _refuse(request, decl)
            return denied or view(request, *args, **kwargs)

        setattr(wrapped, POLICY_ATTR, decl)
        return wrapped

    return decorate  # type: ignore[return-value]


def _refuse(request: HttpRequest, decl: Declaration) -> HttpResponse | None:
    """None when the request may go on; a redirect to the login page for an anonymous user; 403
    (``PermissionDenied``) for a signed-in user whose assignments allow none of the actions."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return redirect_to_login(request.get_full_path())
    if not decl.admits(user):
        raise PermissionDenied
    return None


def requires(*actions: Action) -> Callable[[V], V]:
    """The view needs one of ``actions`` allowed somewhere (checked before it runs); the view or
    its service checks the object with ``allowed`` / ``require``."""
    if not actions:
        raise ValueError("requires() needs at least one action")
    return _declare(Declaration(actions=tuple(actions)))


def public(view: V) -> V:
    """Anyone, signed in or not (login, health check, language switch, the student self-screening
    pages that authenticate by code)."""
    return _declare(Declaration(public=True))(view)


def any_authenticated(view: V) -> V:
    """Any signed-in user, whatever their roles (home, inbox, password change)."""
    return _declare(Declaration())(view)
