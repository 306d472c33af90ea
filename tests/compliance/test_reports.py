"""Compliance reports: the indicator SQL, the request → render → download path, the PDF's content,
and the scope matrix of every compliance URL."""

import datetime
import subprocess

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from compliance import selectors, services
from compliance.models import ReportRequest, ReportStatus
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.charts import bar_chart_svg
from mhcare.orgs.models import SchoolYear
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


def test_request_render_and_download(client, screened, django_capture_on_commit_callbacks):
    w = screened
    client.force_login(w.users["official_a"])
    # request (the task runs eagerly in tests after commit)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST_URL, {"org_unit": w.county_a.pk})
    assert response.status_code == 302
    report = ReportRequest.objects.get()
    assert (report.requested_by, report.org_unit, report.status) == (
        w.users["official_a"],
        w.county_a,
        ReportStatus.DONE,
    )
    assert bytes(report.pdf).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.CREATE, object_id=str(report.pk)).count() == 1
    # the list shows a download link; the status fragment stops polling
    body = client.get(LIST_URL).content.decode()
    download = reverse("compliance:report_download", args=[report.pk])
    assert download in body
    fragment = client.get(reverse("compliance:report_status", args=[report.pk])).content.decode()
    assert download in fragment
    assert "hx-trigger" not in fragment
    # download: an attachment, audited
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(action=Action.DOWNLOAD)
    assert (event.object_id, event.actor_username) == (str(report.pk), "official_a")


def test_the_pdf_has_the_county_name_and_no_student_name(screened, tmp_path):
    w = screened
    report = services.report_request(actor=w.users["official_a"], org_unit=w.county_a)
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    path = tmp_path / "report.pdf"
    path.write_bytes(bytes(report.pdf))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "西湖区" in text
    assert "西湖一中" in text
    assert "50%" in text
    for student in w.students.values():
        assert student.name not in text
    # the twelve indicators from the snapshots (none computed yet here: no data, never a value)
    assert "Screening coverage" in text
    assert "No data yet" in text


@pytest.mark.zh
def test_the_pdf_lists_the_indicators_from_the_snapshots(screened, tmp_path):
    w = screened
    refresh_snapshots()
    report = services.report_request(actor=w.users["official_a"], org_unit=w.county_a)
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    path = tmp_path / "report.pdf"
    path.write_bytes(bytes(report.pdf))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    line = next(ln for ln in text.splitlines() if "筛查覆盖率" in ln and "§7" in ln)
    assert "40.0%" in line  # 2 of 5, as on the dashboard
    assert "未达标" in line
    assert "指标数据截至" in text
    for code in ("心理健康课时", "转介 30 天内反馈", "教师心理健康培训"):
        assert code in text


def test_rendering_twice_changes_nothing(screened):
    w = screened
    report = services.report_request(actor=w.users["official_a"], org_unit=w.county_a)
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    first = (bytes(report.pdf), report.finished_at)
    services.report_render(report_id=report.pk)
    report.refresh_from_db()
    assert (bytes(report.pdf), report.finished_at) == first
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(report.pk)).count() == 1


def test_a_pending_report_polls_its_status(client, world):
    report = ReportRequest.objects.create(
        requested_by=world.users["official_a"],
        org_unit=world.county_a,
        school_year=SchoolYear.current(),
    )
    client.force_login(world.users["official_a"])
    fragment = client.get(reverse("compliance:report_status", args=[report.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert reverse("compliance:report_download", args=[report.pk]) not in fragment
    # not ready: no download
    assert client.get(reverse("compliance:report_download", args=[report.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.DOWNLOAD).exists()


def test_a_county_official_cannot_request_another_county(client, world):
    with pytest.raises(PermissionDenied):
        services.report_request(actor=world.users["official_a"], org_unit=world.county_b)
    client.force_login(world.users["official_a"])
    response = client.post(LIST_URL, {"org_unit": world.county_b.pk})
    assert response.status_code == 400
    assert not ReportRequest.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CREATE).exists()


def test_a_province_official_may_choose_any_county(client, world):
    client.force_login(world.users["official_province"])
    body = client.get(LIST_URL).content.decode()
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
