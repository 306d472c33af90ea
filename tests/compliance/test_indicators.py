"""Compliance indicators (issue 12): each implemented indicator on a hand-built data set whose
answer is known, "no data yet" for the others, periods, snapshot refresh, the dashboards and the
API with their scope matrix and query bounds."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import indicators, selectors, services
from compliance.models import IndicatorSnapshot
from compliance.periods import UnknownPeriodError, parse_period
from crisis.models import CaseStatus, FamilyContact, FollowUp
from mhcare.accounts.models import Role
from mhcare.orgs.models import Semester, Student
from screening.models import Instrument
from screening.services import result_create
from tests import factories
from tests.crisis.reporting.helpers import make_case, make_report

API = reverse("api-compliance-indicators")
# Every indicator has its source now (the provision ones: test_provision_indicators.py).
IMPLEMENTED = {
    "screening_coverage",
    "highrisk_reported",
    "followup_on_time",
    "family_contact",
    "lesson_hours",
    "fulltime_teacher_required",
    "fulltime_teacher_all",
    "researcher_coverage",
    "center_standardized",
    "referral_feedback",
    "leading_groups",
    "teacher_training",
}
TZ = datetime.timezone(datetime.timedelta(hours=8))


def unit_page(unit, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("compliance:unit", args=[unit.code]) + (f"?{query}" if query else "")


def snapshot(unit, period, code):
    row = IndicatorSnapshot.objects.get(unit=unit, period=period, indicator=code)
    return row.numerator, row.denominator


def refresh(code):
    return services.snapshot_refresh(period=parse_period(code))


def screen(world, student, day):
    return result_create(
        actor=world.users["center_a" if student.county_id == world.county_a.pk else "center_b"],
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[0] * 9,
        administered_on=day,
    )


def move(student, klass):
    """The student changes school mid-period (the roster import's effect)."""
    Student.objects.filter(pk=student.pk).update(
        klass=klass, school=klass.school, county=klass.school.parent
    )
    student.refresh_from_db()


# --- registry and periods ------------------------------------------------------------------------


def test_the_twelve_indicators_are_registered_with_definitions_and_targets():
    codes = [i.code for i in indicators.all_indicators()]
    assert codes == [
        "screening_coverage",
        "lesson_hours",
        "fulltime_teacher_required",
        "fulltime_teacher_all",
        "researcher_coverage",
        "center_standardized",
        "highrisk_reported",
        "followup_on_time",
        "family_contact",
        "referral_feedback",
        "leading_groups",
        "teacher_training",
    ]
    for indicator in indicators.all_indicators():
        assert str(indicator.definition)
        assert indicator.notice.startswith("§")
        assert indicator.name_en
        assert indicator.name_zh
    assert {i.code for i in indicators.all_indicators() if i.has_source} == IMPLEMENTED
    assert indicators.get("center_standardized").target == 70.0
    assert indicators.get("referral_feedback").target is None


def test_targets_and_screened_grades_are_settings(settings):
    settings.COMPLIANCE_TARGETS = {**settings.COMPLIANCE_TARGETS, "screening_coverage": 95}
    assert indicators.get("screening_coverage").target == 95.0
    assert indicators.screened_grades() == (5, 12)


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2026-10", "month", datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)),
        ("2027-02", "month", datetime.date(2027, 2, 1), datetime.date(2027, 2, 28)),
        ("2026-S1", "semester", datetime.date(2026, 9, 1), datetime.date(2027, 1, 31)),
        ("2026", "year", datetime.date(2026, 9, 1), datetime.date(2027, 8, 31)),
    ],
)
def test_periods_map_to_the_school_calendar(school_year, code, kind, start, end):
    period = parse_period(code)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period.school_year == school_year


@pytest.mark.parametrize("code", ["", "2026-13", "2026-S3", "26", "2026-1", "x"])
def test_a_malformed_period_is_refused(school_year, code):
    with pytest.raises(ValueError, match="A period is"):
        parse_period(code)


def test_an_undefined_school_year_or_semester_is_not_a_period(school_year):
    with pytest.raises(UnknownPeriodError):
        parse_period("2019")
    with pytest.raises(UnknownPeriodError):
        parse_period("2026-S2")  # only term 1 is defined
    assert parse_period("2019-10").school_year is None  # a month has no school year then


# --- screening_coverage --------------------------------------------------------------------------


def test_screening_coverage_counts_grades_5_to_12_and_a_student_who_moved(world):
    w = world
    grade4 = factories.SchoolClassFactory(
        school=w.school_a, school_year=w.class_a.school_year, grade=4
    )
    factories.StudentFactory(klass=grade4)  # not screened, not counted (grade 4)
    screen(w, w.students["a"], datetime.date(2026, 10, 8))
    screen(w, w.students["a2"], datetime.date(2026, 8, 30))  # last school year: not counted
    mover = w.students["a_other_class"]
    screen(w, mover, datetime.date(2026, 10, 9))  # screened at 西湖一中 …
    move(mover, w.class_b)  # … then moved to 上城一中: counts there, once
    empty = factories.SchoolFactory(parent=w.county_b, code="3301020009", name="空学校")

    refresh("2026")
    assert snapshot(w.school_a, "2026", "screening_coverage") == (1, 1)
    assert snapshot(w.school_a2, "2026", "screening_coverage") == (0, 1)
    assert snapshot(w.school_b, "2026", "screening_coverage") == (1, 2)
    assert snapshot(empty, "2026", "screening_coverage") == (0, 0)
    assert snapshot(w.county_a, "2026", "screening_coverage") == (1, 2)
    assert snapshot(w.county_b, "2026", "screening_coverage") == (1, 2)
    assert snapshot(w.province, "2026", "screening_coverage") == (2, 4)
    # the month: only results dated in it
    refresh("2026-11")
    assert snapshot(w.province, "2026-11", "screening_coverage") == (0, 4)

    rows = {
        r.code: r
        for r in selectors.unit_indicators(actor=None, unit=empty, period=parse_period("2026"))
    }
    assert (rows["screening_coverage"].value, rows["screening_coverage"].status) == (None, "empty")


def test_screened_grades_follow_the_setting(world, settings):
    grade4 = factories.SchoolClassFactory(
        school=world.school_a, school_year=world.class_a.school_year, grade=4
    )
    factories.StudentFactory(klass=grade4)
    settings.COMPLIANCE_SCREENED_GRADES = (4, 12)
    refresh("2026")
    assert snapshot(world.school_a, "2026", "screening_coverage") == (0, 3)


# --- highrisk_reported ---------------------------------------------------------------------------


def confirmed(day, hour=9):
    return datetime.datetime(2026, 10, day, hour, tzinfo=TZ)


def test_highrisk_reported_counts_cases_reported_within_24_hours(world):
    w = world
    students = [factories.StudentFactory(klass=w.class_a) for _ in range(5)]
    on_time = make_case(students[0], confirmed_at=confirmed(5))
    make_report(on_time, sent_at=confirmed(5) + datetime.timedelta(hours=2), status="sent")
    after_25h = make_case(students[1], level="2", confirmed_at=confirmed(6))
    make_report(after_25h, sent_at=confirmed(6) + datetime.timedelta(hours=25), status="sent")
    never_sent = make_case(students[2], confirmed_at=confirmed(7))
    make_report(never_sent)  # due long ago, still pending: late
    twice = make_case(students[3], level="2", confirmed_at=confirmed(8))
    make_report(twice, sent_at=confirmed(8) + datetime.timedelta(hours=1), status="sent")
    twice.version, twice.level, twice.level_confirmed_at = 2, "1", confirmed(20)
    twice.save()
    make_report(twice, sent_at=confirmed(20) + datetime.timedelta(hours=30), status="sent")
    yellow = make_case(students[4], level="3", confirmed_at=confirmed(9))
    make_report(yellow, sent_at=confirmed(12), status="sent")  # 三级 is not high-risk
    other_month = make_case(w.students["b"], confirmed_at=datetime.datetime(2026, 9, 3, tzinfo=TZ))
    make_report(other_month, sent_at=other_month.level_confirmed_at, status="sent")

    refresh("2026-10")
    # on_time ✓; after_25h ✗; never_sent ✗; twice ✗ (one of its two reports was late), once
    assert snapshot(w.school_a, "2026-10", "highrisk_reported") == (1, 4)
    assert snapshot(w.school_b, "2026-10", "highrisk_reported") == (0, 0)
    refresh("2026")
    assert snapshot(w.province, "2026", "highrisk_reported") == (2, 5)


def test_a_report_not_due_yet_is_not_counted_yet(world):
    case = make_case(world.students["a"], confirmed_at=timezone.now() - datetime.timedelta(hours=2))
    make_report(case)
    period = timezone.localdate().strftime("%Y-%m")
    refresh(period)
    assert snapshot(world.school_a, period, "highrisk_reported") == (0, 0)


def test_the_report_hours_are_a_setting(world, settings):
    case = make_case(world.students["a"], confirmed_at=confirmed(6))
    make_report(case, sent_at=confirmed(6) + datetime.timedelta(hours=25), status="sent")
    settings.COMPLIANCE_HIGHRISK_REPORT_HOURS = 26
    refresh("2026-10")
    assert snapshot(world.school_a, "2026-10", "highrisk_reported") == (1, 1)


# --- followup_on_time ----------------------------------------------------------------------------


def case_opened(student, level, opened_on, **fields):
    case = make_case(student, level=level)
    case.opened_on = opened_on
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()
    return case


def follow_up(case, day, by):
    return FollowUp.objects.create(
        case=case,
        student=case.student,
        school=case.school,
        done_on=day,
        way="talk",
        by=by,
        state_observed="情绪平稳",
        next_due=day + datetime.timedelta(days=3),
    )


def test_followup_on_time_reads_the_latest_follow_up_against_the_level_cadence(world):
    w = world
    by = w.users["psych_a"]
    s = [factories.StudentFactory(klass=w.class_a) for _ in range(6)]
    d = datetime.date
    ok = case_opened(s[0], "1", d(2026, 10, 1))
    follow_up(ok, d(2026, 10, 20), by)
    follow_up(ok, d(2026, 10, 28), by)  # 3 days before 31 Oct: on time (cadence 3)
    late = case_opened(s[1], "1", d(2026, 10, 1))
    follow_up(late, d(2026, 10, 27), by)  # 4 days: late
    follow_up(late, d(2026, 11, 2), by)  # after the period's last day: not read
    case_opened(s[2], "2", d(2026, 10, 28))  # new, no follow-up yet, 3 days < 7: on time
    case_opened(s[3], "3", d(2026, 9, 1))  # no follow-up for 60 days > 30: late
    closed = case_opened(
        s[4], "1", d(2026, 9, 1), status=CaseStatus.CLOSED, closed_on=d(2026, 10, 15)
    )
    assert closed.pk
    case_opened(s[5], "1", d(2026, 11, 5))  # opened after the period
    closed_later = case_opened(
        w.students["b"], "3", d(2026, 10, 30), status=CaseStatus.CLOSED, closed_on=d(2026, 11, 3)
    )
    assert closed_later.pk  # open on 31 Oct, on time

    refresh("2026-10")
    assert snapshot(w.school_a, "2026-10", "followup_on_time") == (2, 4)
    assert snapshot(w.school_b, "2026-10", "followup_on_time") == (1, 1)
    assert snapshot(w.city, "2026-10", "followup_on_time") == (3, 5)


# --- family_contact ------------------------------------------------------------------------------


def contact(student, day, way="phone"):
    return FamilyContact.objects.create(
        student=student,
        school=student.school,
        klass=student.klass,
        semester=Semester.objects.get(),
        contacted_on=day,
        way=way,
        by=factories.UserFactory(),
        with_whom="母亲",
    )


def test_family_contact_counts_direct_contacts_in_the_period(world):
    w = world
    contact(w.students["a"], datetime.date(2026, 10, 2))
    contact(w.students["a_other_class"], datetime.date(2026, 10, 2), way="online")  # not direct
    contact(w.students["a2"], datetime.date(2026, 12, 2))  # another month
    mover = w.students["b"]
    contact(mover, datetime.date(2026, 10, 3))
    move(mover, w.class_a2)  # contacted by 上城一中, moved to 西湖二中: counts there

    refresh("2026-10")
    assert snapshot(w.school_a, "2026-10", "family_contact") == (1, 2)
    assert snapshot(w.school_a2, "2026-10", "family_contact") == (1, 2)
    assert snapshot(w.school_b, "2026-10", "family_contact") == (0, 0)
    refresh("2026-S1")
    assert snapshot(w.county_a, "2026-S1", "family_contact") == (3, 4)


# --- no data yet, snapshots ----------------------------------------------------------------------


def test_indicators_without_a_source_say_no_data(world):
    refresh("2026")
    rows = selectors.unit_indicators(actor=None, unit=world.county_a, period=parse_period("2026"))
    assert len(rows) == 12
    for row in rows:
        if row.code in IMPLEMENTED:
            assert row.status != "no_data"
            assert row.as_of is not None
        else:
            assert (row.numerator, row.denominator, row.value, row.status) == (
                None, None, None, "no_data"
            )  # fmt: skip
    assert not IndicatorSnapshot.objects.exclude(indicator__in=IMPLEMENTED).exists()


def test_a_period_not_computed_yet_says_no_data(world):
    rows = selectors.unit_indicators(actor=None, unit=world.county_a, period=parse_period("2026"))
    assert {r.status for r in rows} == {"no_data"}


def test_refreshing_twice_writes_the_same_rows(world):
    screen(world, world.students["a"], datetime.date(2026, 10, 8))

    def rows():
        return sorted(
            IndicatorSnapshot.objects.values_list(
                "unit_id", "period", "indicator", "numerator", "denominator"
            )
        )

    written = refresh("2026")
    first = rows()
    # every indicator × 7 units (province, city, 2 counties, 3 schools)
    assert written == len(first) == len(IMPLEMENTED) * 7
    refresh("2026")
    assert rows() == first


def test_a_subtree_refresh_leaves_the_units_above_alone(world):
    refresh("2026")
    screen(world, world.students["b"], datetime.date(2026, 10, 8))
    services.snapshot_refresh(period=parse_period("2026"), root=world.county_b)
    assert snapshot(world.school_b, "2026", "screening_coverage") == (1, 1)
    assert snapshot(world.province, "2026", "screening_coverage") == (0, 4)


def test_status_follows_target_and_amber_margin():
    cov = indicators.get("screening_coverage")
    assert indicators.status(cov, 10, 10) == "met"
    assert indicators.status(cov, 95, 100) == "near"
    assert indicators.status(cov, 89, 100) == "below"
    assert indicators.status(cov, 0, 0) == "empty"
    # an indicator without a target is reported, not judged
    assert indicators.status(indicators.get("referral_feedback"), 1, 2) == "info"
    assert "95.0% (95 of 100), below the target of 100%" in indicators.reason(cov, 95, 100)


# --- API -----------------------------------------------------------------------------------------


@pytest.fixture
def computed(world):
    screen(world, world.students["a"], datetime.date(2026, 10, 8))
    refresh("2026")
    return world


def test_api_returns_one_row_per_indicator_with_the_page_numbers(client, computed):
    client.force_login(computed.users["official_a"])
    response = client.get(API, {"unit": computed.county_a.code, "period": "2026"})
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()}
    assert list(rows) == [i.code for i in indicators.all_indicators()]
    cov = rows["screening_coverage"]
    assert (cov["numerator"], cov["denominator"], cov["value"], cov["target"], cov["status"]) == (
        1, 3, 33.3, 100.0, "below"
    )  # fmt: skip
    assert cov["as_of"]
    # no class had a lesson: 0 of the county's classes
    assert rows["lesson_hours"]["value"] == 0.0
    assert rows["lesson_hours"]["status"] == "below"
    page = client.get(unit_page(computed.county_a, period="2026")).content.decode()
    assert 'data-indicator="screening_coverage"' in page
    assert "33.3%" in page
    assert "张小明" not in page
    assert "张小明" not in response.content.decode()


@pytest.mark.parametrize(
    ("user_key", "unit_key", "expected"),
    [
        ("official_a", "county_a", 200),
        ("official_a", "school_a", 200),
        ("official_a", "county_b", 404),  # another county
        ("official_a", "school_b", 404),
        ("official_a", "city", 404),  # above their unit
        ("official_province", "school_b", 200),
        ("center_a", "school_a2", 200),
        ("center_b", "school_a", 404),
        ("psych_a", "school_a", 403),  # a school role: no indicators API
        ("leader_a", "school_a", 403),
        ("homeroom_a", "school_a", 403),
        ("admin", "province", 403),
    ],
)
def test_api_scope_matrix(client, computed, user_key, unit_key, expected):
    client.force_login(computed.users[user_key])
    unit = getattr(computed, unit_key)
    assert client.get(API, {"unit": unit.code, "period": "2026"}).status_code == expected
    assert client.get(unit_page(unit, period="2026")).status_code == expected


def test_anonymous_is_refused(client, computed):
    assert client.get(API, {"unit": computed.county_a.code, "period": "2026"}).status_code in (
        401,
        403,
    )
    response = client.get(unit_page(computed.county_a))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_user_with_two_roles_in_two_units(client, computed):
    user = factories.user_with_role(Role.OFFICIAL, computed.county_a, username="two_roles")
    factories.RoleAssignmentFactory(user=user, role=Role.PSYCH_TEACHER, org_unit=computed.school_b)
    client.force_login(user)
    assert client.get(API, {"unit": computed.county_a.code, "period": "2026"}).status_code == 200
    assert client.get(API, {"unit": computed.school_b.code, "period": "2026"}).status_code == 404
    assert client.get(unit_page(computed.school_b)).status_code == 404
    assert client.get(unit_page(computed.school_a)).status_code == 200


def test_api_refuses_bad_parameters(client, computed):
    client.force_login(computed.users["official_a"])
    assert client.get(API, {"period": "2026"}).status_code == 400
    assert client.get(API, {"unit": computed.county_a.code, "period": "2026-13"}).status_code == 400
    assert client.get(API, {"unit": computed.county_a.code, "period": "2019"}).status_code == 400
    assert client.get(API, {"unit": "nope", "period": "2026"}).status_code == 404


def test_api_is_in_the_openapi_schema(client, world):
    client.force_login(world.users["official_a"])  # the schema is for signed-in users now
    body = client.get(reverse("api-schema")).content.decode()
    for path in (
        "/api/v1/compliance/indicators/",
        "/api/v1/compliance/reports/",
        "/api/v1/compliance/reports/{id}/download/",
        "/api/v1/compliance/inspections/",
        "/api/v1/compliance/rectifications/{id}/",
    ):
        assert path in body, path


# --- pages ---------------------------------------------------------------------------------------


def test_dashboard_drills_down_and_lists_non_compliant_units_with_reasons(client, computed):
    w = computed
    client.force_login(w.users["official_province"])
    response = client.get(reverse("compliance:indicators"))  # their own unit's dashboard
    assert response.status_code == 200
    assert response.context["unit"] == w.province
    body = client.get(unit_page(w.province, period="2026")).content.decode()
    assert f'data-testid="drill-{w.city.code}"' in body
    assert "<svg" in body
    body = client.get(unit_page(w.city, period="2026")).content.decode()
    assert f'data-testid="drill-{w.county_a.code}"' in body
    body = client.get(unit_page(w.county_a, period="2026")).content.decode()
    assert f'data-testid="drill-{w.school_a.code}"' in body
    assert "西湖二中" in body
    assert "0.0% (0 of 1), below the target of 100%" in body
    assert "as of" in body
    body = client.get(unit_page(w.school_a, period="2026")).content.decode()
    assert "50.0%" in body
    assert 'data-testid="sub-units"' not in body


def test_unknown_period_on_the_page_is_404(client, computed):
    client.force_login(computed.users["official_a"])
    assert client.get(unit_page(computed.county_a, period="2019")).status_code == 404


def test_methods_page_lists_every_definition(client, computed):
    client.force_login(computed.users["official_a"])
    body = client.get(reverse("compliance:methods")).content.decode()
    for indicator in indicators.all_indicators():
        assert f'id="{indicator.code}"' in body
    assert "grades 5–6 of the six-year primary" in body


def test_pages_and_api_stay_within_a_query_bound(client, computed, django_assert_max_num_queries):
    for _ in range(20):
        factories.SchoolFactory(parent=computed.county_a)
    refresh("2026")
    client.force_login(computed.users["official_a"])
    with django_assert_max_num_queries(17):  # + 1: the trend (one query for every month)
        assert client.get(unit_page(computed.county_a, period="2026")).status_code == 200
    with django_assert_max_num_queries(10):
        assert (
            client.get(API, {"unit": computed.county_a.code, "period": "2026"}).status_code == 200
        )


def test_the_dashboards_query_count_does_not_grow_with_the_schools(client, computed):
    """Issue 14: an official's dashboard reads snapshots only — the same statements for a county
    of 2 schools as of 22, and for the province above them; none reads the students."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(computed.users["official_province"])

    def statements(unit):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(unit_page(unit, period="2026")).status_code == 200
        return [q["sql"] for q in queries.captured_queries]

    few = {unit.code: statements(unit) for unit in (computed.county_a, computed.province)}
    for _ in range(20):
        factories.SchoolFactory(parent=computed.county_a)
    refresh("2026")
    for unit in (computed.county_a, computed.province):
        many = statements(unit)
        assert len(many) == len(few[unit.code]), unit
        assert not [sql for sql in many if '"orgs_student"' in sql]


def test_refresh_issues_one_statement_per_indicator(computed, django_assert_max_num_queries):
    for _ in range(20):
        factories.SchoolFactory(parent=computed.county_a)
    # one grouped statement per indicator (the staffing rule: three), the units and the upsert —
    # constant in the number of schools
    with django_assert_max_num_queries(30):
        refresh("2026")


@pytest.mark.zh
def test_dashboard_in_chinese(client, computed):
    client.force_login(computed.users["official_a"])
    body = client.get(unit_page(computed.county_a, period="2026"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "筛查覆盖率" in body.content.decode()


def test_the_nightly_task_refreshes_the_current_periods(world):
    from compliance.periods import current_periods
    from compliance.tasks import snapshot_refresh_task

    today = datetime.date(2026, 12, 6)
    assert [p.code for p in current_periods(today)] == ["2026-12", "2026-11", "2026-S1", "2026"]
    # the first run also computes the months of the school year never computed (09, 10) …
    assert snapshot_refresh_task.run() == (len(current_periods()) + 2) * len(IMPLEMENTED) * 7
    # … once: the next night refreshes the current periods only
    assert snapshot_refresh_task.run() == len(current_periods()) * len(IMPLEMENTED) * 7


def test_a_county_center_unit_is_not_an_indicator_unit(client, world):
    center = factories.CountyFactory(
        parent=world.county_a, code="330106C", name="西湖区心理辅导中心", kind="county_center"
    )
    refresh("2026")
    assert not IndicatorSnapshot.objects.filter(unit=center).exists()
    client.force_login(world.users["official_a"])
    assert client.get(unit_page(center)).status_code == 404
    body = client.get(unit_page(world.county_a, period="2026")).content.decode()
    assert "西湖区心理辅导中心" not in body
