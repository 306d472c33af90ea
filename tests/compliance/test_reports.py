"""Compliance reports: the indicator SQL, the request → render → download path, the PDF's content,
and the scope matrix of every compliance URL."""

import datetime
import gzip
import io
import re
import subprocess

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from compliance import selectors, services
from compliance.models import ReportRequest, ReportStatus
from compliance.periods import default_period
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.charts import bar_chart_svg
from mhcare.orgs.models import SchoolYear, Student
from screening.models import Instrument
from screening.services import result_create
from tests import factories

LIST_URL = reverse("compliance:report_list")


def screen(world, student, day=None):
    actor = (
        world.users["psych_a"]
        if student.school_id == world.school_a.pk
        else world.users["center_a" if student.county_id == world.county_a.pk else "center_b"]
    )
    return result_create(
        actor=actor,
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[0] * 9,
        administered_on=day or timezone.localdate(),
    )


@pytest.fixture
def screened(world):
    """西湖一中: 2 of 4 screened (grade 8); 西湖二中: 0 of 1 (screened last year only); grade 3
    students are not counted."""
    factories.StudentFactory(klass=world.class_a)
    factories.StudentFactory(klass=world.class_a_other)
    grade3 = factories.SchoolClassFactory(
        school=world.school_a, school_year=world.class_a.school_year, grade=3, name="三(1)班"
    )
    factories.StudentFactory(klass=grade3)  # grade 3: not in the screened grades
    screen(world, world.students["a"])
    screen(world, world.students["a_other_class"])
    screen(world, world.students["b"])
    # last school year's result does not count for this one
    screen(world, world.students["a2"], day=world.class_a.school_year.start - datetime.timedelta(1))
    return world


def test_screening_coverage_per_school(screened):
    w = screened
    coverage = selectors.screening_coverage(
        actor=w.users["official_a"], unit=w.county_a, school_year=SchoolYear.current()
    )
    rows = {row.unit.name: (row.enrolled, row.screened, row.rate) for row in coverage.rows}
    assert rows == {"西湖一中": (4, 2, 50.0), "西湖二中": (1, 0, 0.0)}
    assert (coverage.enrolled, coverage.screened, coverage.rate) == (5, 2, 40.0)


def test_screening_coverage_per_county_for_the_province(screened):
    w = screened
    coverage = selectors.screening_coverage(
        actor=w.users["official_province"],
        unit=w.province,
        school_year=SchoolYear.current(),
        by="county",
    )
    rows = {row.unit.name: (row.enrolled, row.screened) for row in coverage.rows}
    assert rows == {"西湖区": (5, 2), "上城区": (1, 1)}


def test_an_official_cannot_compute_coverage_outside_their_scope(screened):
    w = screened
    coverage = selectors.screening_coverage(
        actor=w.users["official_a"], unit=w.county_b, school_year=SchoolYear.current()
    )
    assert coverage.rows == []


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_request_render_and_download(
    client, screened, django_capture_on_commit_callbacks, tmp_path
):
    w = screened
    client.force_login(w.users["official_a"])
    period = default_period()
    # request (the task runs eagerly in tests after commit)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST_URL, {"unit": w.county_a.code, "period": period.code})
    assert response.status_code == 302
    report = ReportRequest.objects.get()
    assert (report.requested_by, report.org_unit, report.status, report.period) == (
        w.users["official_a"],
        w.county_a,
        ReportStatus.DONE,
        period.code,
    )
    assert report.progress == 100
    assert AuditEvent.objects.filter(action=Action.CREATE, object_id=str(report.pk)).count() == 1
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(report.pk)).count() == 1
    # the list shows download links; the status fragment stops polling
    body = client.get(LIST_URL).content.decode()
    download = reverse("compliance:report_download", args=[report.pk])
    assert download in body
    fragment = client.get(reverse("compliance:report_status", args=[report.pk])).content.decode()
    assert download in fragment
    assert "hx-trigger" not in fragment
    # download: an attachment with the downloader's watermark, audited
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert "official_a" in pdf_text(content, tmp_path)
    event = AuditEvent.objects.get(action=Action.DOWNLOAD)
    assert (event.object_id, event.actor_username, event.detail["format"]) == (
        str(report.pk),
        "official_a",
        "pdf",
    )
    # the Excel export of the same tables, audited too
    response = client.get(download + "?format=xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(workbook.sheetnames) == 4
    assert AuditEvent.objects.filter(action=Action.DOWNLOAD).count() == 2


@pytest.mark.zh
def test_the_pdf_holds_the_numbers_and_no_student(screened, tmp_path):
    w = screened
    refresh_snapshots()
    report = services.report_request(
        actor=w.users["official_province"], org_unit=w.county_a, period=default_period()
    )
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    _report, content = services.report_download(actor=w.users["official_province"], pk=report.pk)
    text = pdf_text(content, tmp_path)
    assert "西湖区" in text
    assert "学生心理健康工作合规报告" in text or "合规" in text
    line = next(ln for ln in text.splitlines() if "筛查覆盖率" in ln and "§7" in ln)
    assert "40.0%" in line  # 2 of 5, as on the dashboard
    assert "未达标" in line
    assert "西湖一中" in text  # sub-unit table and the non-compliant schools
    assert "50.0%" in text
    assert "指标数据截至" in text
    for code in ("心理健康课时", "转介 30 天内反馈", "教师心理健康培训"):
        assert code in text
    # the watermark names the downloader on every page
    pages = text.split("\f")
    assert all("official_province" in page for page in pages if page.strip())
    for student in Student.objects.all():
        assert student.name not in text
        assert student.student_number not in text


def test_rendering_twice_changes_nothing(screened):
    w = screened
    report = services.report_request(actor=w.users["official_a"], org_unit=w.county_a)
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    first = (bytes(report.html), report.finished_at)
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    assert (bytes(report.html), report.finished_at) == first
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(report.pk)).count() == 1


def test_a_pending_report_polls_its_status(client, world):
    report = ReportRequest.objects.create(
        requested_by=world.users["official_a"],
        org_unit=world.county_a,
        school_year=SchoolYear.current(),
        progress=40,
    )
    client.force_login(world.users["official_a"])
    fragment = client.get(reverse("compliance:report_status", args=[report.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert 'value="40"' in fragment  # the progress bar
    assert reverse("compliance:report_download", args=[report.pk]) not in fragment
    # not ready: no download
    assert client.get(reverse("compliance:report_download", args=[report.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.DOWNLOAD).exists()


def test_a_county_official_cannot_request_another_county(client, world):
    with pytest.raises(PermissionDenied):
        services.report_request(actor=world.users["official_a"], org_unit=world.county_b)
    client.force_login(world.users["official_a"])
    response = client.post(LIST_URL, {"unit": world.county_b.code, "period": "2026"})
    assert response.status_code == 404  # out of scope, as if it did not exist
    assert client.get(LIST_URL + f"?unit={world.county_b.code}").status_code == 404
    assert not ReportRequest.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CREATE).exists()


def test_the_unit_picker_starts_at_the_own_unit_and_walks_down(client, world):
    client.force_login(world.users["official_province"])
    response = client.get(LIST_URL)
    assert response.context["current"] == world.province
    assert [u.pk for u in response.context["children"]] == [world.city.pk]
    response = client.get(LIST_URL + f"?unit={world.city.code}")
    assert {u.name for u in response.context["children"]} == {"西湖区", "上城区"}
    response = client.get(LIST_URL + f"?unit={world.county_b.code}")
    assert response.context["current"] == world.county_b
    assert [u.code for u in response.context["path"]] == [
        world.province.code,
        world.city.code,
        world.county_b.code,
    ]
    # a county official starts (and stays) at their county
    client.force_login(world.users["official_a"])
    response = client.get(LIST_URL)
    assert response.context["current"] == world.county_a
    assert list(response.context["children"]) == []


def test_a_city_official_requests_a_county_report(
    client, world, django_capture_on_commit_callbacks
):
    user = factories.user_with_role("official", world.city, username="official_city")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST_URL, {"unit": world.county_b.code, "period": "2026"})
    assert response.status_code == 302
    report = ReportRequest.objects.get()
    assert (report.org_unit, report.period, report.status) == (world.county_b, "2026", "done")


def test_monthly_schedule_twice_makes_one_report_per_unit_and_notifies(
    world, django_capture_on_commit_callbacks
):
    from mhcare.notifications.models import Notification

    month = default_period().code if len(default_period().code) == 7 else "2026-09"
    with django_capture_on_commit_callbacks(execute=True):
        first = services.reports_monthly(month=month)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.reports_monthly(month=month)
    reports = ReportRequest.objects.filter(scheduled=True, period=month)
    # province, city and the two counties: one each, however often the job runs
    assert reports.count() == 4
    assert len(first) == 4
    assert second == []
    assert set(reports.values_list("status", flat=True)) == {ReportStatus.DONE}
    assert {r.org_unit_id for r in reports} == {
        world.province.pk,
        world.city.pk,
        world.county_a.pk,
        world.county_b.pk,
    }
    # the officials of each unit get one inbox notice
    notes = Notification.objects.filter(kind="compliance.report_monthly")
    assert set(notes.values_list("recipient__username", flat=True)) >= {
        "official_a",
        "official_province",
    }
    assert notes.filter(recipient__username="official_a").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportRequest.objects.create(
            org_unit=world.county_a, period=month, scheduled=True, school_year=SchoolYear.current()
        )


def test_a_province_official_may_choose_any_county(client, world):
    client.force_login(world.users["official_province"])
    body = client.get(LIST_URL + f"?unit={world.city.code}").content.decode()
    assert "西湖区" in body
    assert "上城区" in body


@pytest.fixture
def done_report(world):
    report = services.report_request(actor=world.users["official_a"], org_unit=world.county_a)
    services.report_render(report_id=report.pk)
    return report


def test_anonymous_is_sent_to_login_everywhere(client, done_report):
    for url in (
        LIST_URL,
        reverse("compliance:report_status", args=[done_report.pk]),
        reverse("compliance:report_download", args=[done_report.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("user_key", "status"),
    [
        ("psych_a", 403),  # wrong role: school-level aggregates only
        ("homeroom_a", 403),
        ("leader_a", 403),
        ("admin", 403),
        ("center_b", 404),  # another county
    ],
)
def test_denied_users_see_no_report_and_leave_no_trace(
    client, world, done_report, user_key, status
):
    client.force_login(world.users[user_key])
    before = AuditEvent.objects.count()
    for name in ("report_status", "report_download"):
        assert (
            client.get(reverse(f"compliance:{name}", args=[done_report.pk])).status_code == status
        )
    if status == 403:
        assert client.get(LIST_URL).status_code == 403
        assert client.post(LIST_URL, {"org_unit": world.county_a.pk}).status_code == 403
    assert AuditEvent.objects.count() == before
    assert ReportRequest.objects.count() == 1


def test_another_countys_official_gets_404(client, world, done_report):
    other = factories.user_with_role("official", world.county_b, username="official_b")
    client.force_login(other)
    before = AuditEvent.objects.count()
    assert (
        client.get(reverse("compliance:report_download", args=[done_report.pk])).status_code == 404
    )
    assert client.get(reverse("compliance:report_status", args=[done_report.pk])).status_code == 404
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert list(response.context["reports"]) == []
    assert AuditEvent.objects.count() == before


def test_a_two_role_user_sees_both_counties_reports_only(client, world, done_report):
    """A county-A psychology teacher who is also an official of county B: B's reports, not A's."""
    user = factories.user_with_role("psych_teacher", world.school_a, username="two_roles")
    factories.RoleAssignmentFactory(user=user, role="official", org_unit=world.county_b)
    client.force_login(user)
    assert (
        client.get(reverse("compliance:report_download", args=[done_report.pk])).status_code == 404
    )
    response = client.get(LIST_URL)
    assert response.context["current"] == world.county_b
    other = services.report_request(actor=user, org_unit=world.county_b)
    services.report_render(report_id=other.pk)
    assert client.get(reverse("compliance:report_download", args=[other.pk])).status_code == 200


def test_the_city_and_province_officials_see_the_county_report(client, world, done_report):
    client.force_login(world.users["official_province"])
    response = client.get(reverse("compliance:report_download", args=[done_report.pk]))
    assert response.status_code == 200


def refresh_snapshots():
    from compliance.periods import default_period

    services.snapshot_refresh(period=default_period())


def test_official_home_shows_indicators(client, screened):
    refresh_snapshots()
    client.force_login(screened.users["official_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert f'data-panel="indicators-{screened.county_a.code}"' in body
    assert "40.0% (2/5)" in body
    assert "<svg" in body
    assert "张小明" not in body


def test_province_official_home_shows_coverage_per_county(client, screened):
    refresh_snapshots()
    client.force_login(screened.users["official_province"])
    body = client.get(reverse("core:home")).content.decode()
    assert "50.0% (3/6)" in body  # the province: 2 of 5 in 西湖区, 1 of 1 in 上城区
    assert "杭州市" in body  # the chart of the units below (the city)


def test_bar_chart_escapes_labels_and_marks_low_bars():
    svg = bar_chart_svg(
        [("<b>学校</b>", 40.0), ("二中", None), ("三中", 100.0)], title="覆盖率", target=100.0
    )
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "<b>" not in svg
    assert "&lt;b&gt;学校&lt;/b&gt;" in svg
    assert "40%" in svg
    assert "–" in svg
    assert "100%" in svg
    assert "#d9822b" in svg  # below target


@pytest.mark.parametrize(
    ("user_key", "shown"),
    [
        ("official_a", True),
        ("official_province", True),
        ("center_a", True),
        ("psych_a", False),
        ("leader_a", False),
        ("homeroom_a", False),
    ],
)
def test_the_reports_link_is_shown_only_to_who_may_open_it(client, world, user_key, shown):
    client.force_login(world.users[user_key])
    body = client.get(reverse("core:home")).content.decode()
    assert (f'href="{LIST_URL}"' in body) is shown
    assert client.get(LIST_URL).status_code == (200 if shown else 403)


def test_bar_chart_fits_long_school_names():
    """The official's chart cut long school names: the label area widens to the longest name
    (measured), and a name longer than half the chart is shortened with "…" and a tooltip."""
    from mhcare.core.charts import text_width

    name = "杭州市西湖区第一实验中学"  # 12 characters, ~144 px at 12 px
    svg = str(bar_chart_svg([(name, 50.0), ("二中", 100.0)], width=420, label_width=130))
    assert f">{name}</text>" in svg
    label_x = float(svg.split('text-anchor="end">')[0].rsplit('x="', 1)[1].split('"')[0])
    assert label_x - text_width(name) >= 0  # starts inside the chart
    very_long = "浙江省杭州市西湖区教育局直属第一实验学校初中部（西校区）"
    svg = str(bar_chart_svg([(very_long, 50.0)], width=420, label_width=130))
    assert f"<title>{very_long}</title>" in svg
    shown = svg.split(f"<title>{very_long}</title>")[1].split("</text>")[0]
    assert shown.endswith("…")
    assert text_width(shown) <= 210


@pytest.mark.zh
def test_a_province_pdf_of_many_schools_lists_the_worst_and_every_county(
    screened, settings, tmp_path
):
    """Issue 14: a province of thousands of schools — the PDF lists the N lowest schools (the
    setting) with their shortfalls, every county with its count of non-compliant schools, and
    says how many more the Excel lists; the Excel lists every school."""
    w = screened
    settings.COMPLIANCE_REPORT_MAX_SCHOOLS = 2
    for i in range(4):  # four more schools in 上城区, none screened
        school = factories.SchoolFactory(parent=w.county_b, code=f"330102900{i}", name=f"上城{i}校")
        klass = factories.SchoolClassFactory(school=school, school_year=w.class_a.school_year)
        factories.StudentFactory(klass=klass)
    refresh_snapshots()
    report = services.report_request(
        actor=w.users["official_province"], org_unit=w.province, period=default_period()
    )
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    _report, content = services.report_download(actor=w.users["official_province"], pk=report.pk)
    text = pdf_text(content, tmp_path)
    for shown in ("按县(市、区)", "最常见的未达标指标", "指标最低的 2 所学校", "另有 5 所学校"):
        assert shown in text
    html = gzip.decompress(bytes(report.html)).decode()

    def rows(section):
        table = re.search(rf'<table data-section="{section}".*?</table>', html, flags=re.S)
        return [
            [
                re.sub(r"\s+", " ", cell).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            ]
            for tr in re.findall(r"<tr>(.*?)</tr>", table.group(0), flags=re.S)
            if "<td" in tr
        ]

    # every county, with its schools and how many fall short, the worst share first
    counties = rows("counties")
    assert [row[:5] for row in counties] == [
        ["上城区", "杭州市", "5", "5", "100.0%"],
        ["西湖区", "杭州市", "2", "2", "100.0%"],
    ]
    # the two lowest schools with their shortfalls
    schools = rows("schools")
    assert len(schools) == 2
    assert all(row[1] == "上城区" and "筛查覆盖率 0.0%" in row[2] for row in schools)
    # the Excel lists every non-compliant school
    workbook = openpyxl.load_workbook(io.BytesIO(bytes(report.xlsx)))
    sheet = workbook[workbook.sheetnames[2]]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert {f"上城{i}校" for i in range(4)} <= set(names)
    assert len(names) >= 6
