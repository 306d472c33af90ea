"""The growth file: student-page sections (score trends, support plan), the plan form and the PDF,
with their scope matrices."""

import datetime
import re
import subprocess

import pytest
from django.db import connection
from django.urls import reverse

from mhcare.audit.models import Action, AuditEvent
from mhcare.core import registry
from mhcare.core.charts import line_chart_svg, text_width
from mhcare.orgs.models import SupportPlan
from screening.growth import services
from screening.models import Instrument
from screening.services import result_create

GOALS = "情绪稳定，按时到校"
MEASURES = "每周一次心理辅导，班主任每日关注"


def enter(world, answers, day, code="PHQ-9"):
    return result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.latest_of(code),
        answers=answers,
        administered_on=day,
    )


def save_plan(world, **overrides):
    values = {
        "goals": GOALS,
        "measures": MEASURES,
        "responsible": "王老师（心理）、李老师（班主任）",
        "review_date": datetime.date(2027, 1, 10),
    }
    values.update(overrides)
    return services.support_plan_save(
        actor=world.users["psych_a"], student=world.students["a"], **values
    )


def student_page(client, world, who):
    client.force_login(world.users[who])
    return client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))


# --- the chart helper --------------------------------------------------------------------------


def test_line_chart_svg_escapes_labels_and_breaks_on_missing_values():
    svg = line_chart_svg(
        [("2025-10-01", 4), ("<b>", None), ("2026-10-01", 17)],
        title="PHQ-9 <total>",
        max_value=27,
        thresholds=[(10, "中度"), (40, "out of range")],
    )
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "<b>" not in svg
    assert "&lt;b&gt;" in svg
    assert "&lt;total&gt;" in svg
    assert "中度" in svg
    assert "out of range" not in svg
    assert svg.count("<circle") == 2
    assert "<polyline" not in svg  # the gap leaves no two consecutive points


@pytest.mark.parametrize("label", ["Moderately severe", "中重度"])
def test_line_chart_svg_keeps_each_band_label_inside_the_chart(label):
    """The English band names are twice as wide as the Chinese: none may run off the right edge
    (the fixed margin cut "Moderately severe" to "Moderately s")."""
    width = 640
    svg = str(line_chart_svg([("a", 1), ("b", 20)], max_value=27, thresholds=[(15, label)]))
    x = float(re.search(rf'<text x="([0-9.]+)"[^>]*>{label}</text>', svg).group(1))
    assert x + text_width(label, 10) <= width


def test_line_chart_svg_draws_a_line_through_consecutive_points():
    svg = line_chart_svg([("a", 1), ("b", 2), ("c", 3)], max_value=3)
    assert svg.count("<polyline") == 1


# --- registry ------------------------------------------------------------------------------------


def test_the_kernel_registry_carries_screening_sections(world):
    sections = registry.student_sections_for(world.users["psych_a"], world.students["a"])
    assert [s.key for s in sections] == ["support_plan", "score_trends"]
    assert registry.student_sections_for(world.users["homeroom_a"], world.students["a"]) == []


# --- student page sections -----------------------------------------------------------------------


def test_psych_teacher_sees_a_trend_chart_per_instrument_and_the_plan(client, world):
    enter(world, [1, 1, 0, 0, 0, 0, 0, 0, 0], datetime.date(2025, 10, 10))
    enter(world, [2, 2, 2, 2, 2, 2, 2, 2, 0], datetime.date(2026, 10, 10))
    enter(world, [1, 1, 1, 1, 1, 1, 1], datetime.date(2026, 10, 10), code="GAD-7")
    save_plan(world)
    response = student_page(client, world, "psych_a")
    body = response.content.decode()
    assert response.status_code == 200
    sections = {s.key: s for s in response.context["sections"]}
    charts = sections["score_trends"].context["trends"].charts
    assert [c.code for c in charts] == ["GAD-7", "PHQ-9"]
    assert 'data-section="score_trends"' in body
    assert "<svg" in body
    assert ">16<" in body
    assert GOALS in body
    assert MEASURES in body
    assert reverse("screening:support_plan_edit", args=[world.students["a"].pk]) in body
    assert reverse("screening:growth_pdf", args=[world.students["a"].pk]) in body


def test_county_center_sees_charts_but_cannot_edit_the_plan(client, world):
    enter(world, [2, 2, 2, 2, 2, 2, 2, 2, 0], datetime.date(2026, 10, 10))
    save_plan(world)
    body = student_page(client, world, "center_a").content.decode()
    assert "<svg" in body
    assert GOALS in body
    assert reverse("screening:support_plan_edit", args=[world.students["a"].pk]) not in body


def test_school_leader_sees_bands_only(client, world):
    enter(world, [2, 2, 2, 2, 2, 2, 2, 2, 0], datetime.date(2026, 10, 10))
    save_plan(world)
    response = student_page(client, world, "leader_a")
    trends = {s.key: s for s in response.context["sections"]}["score_trends"].context["trends"]
    assert trends.charts == []
    assert [row.instrument for row in trends.bands] == ["PHQ-9"]
    body = response.content.decode()
    assert "<svg" not in body
    assert ">16<" not in body
    assert GOALS in body


def test_homeroom_teacher_keeps_the_roster_view_only(client, world):
    enter(world, [2, 2, 2, 2, 2, 2, 2, 2, 0], datetime.date(2026, 10, 10))
    save_plan(world)
    response = student_page(client, world, "homeroom_a")
    body = response.content.decode()
    assert response.context["sections"] == []
    assert "<svg" not in body
    assert GOALS not in body
    assert reverse("screening:growth_pdf", args=[world.students["a"].pk]) not in body


# --- support plan -----------------------------------------------------------------------------


def test_plan_is_saved_encrypted_and_audited(client, world):
    client.force_login(world.users["psych_a"])
    url = reverse("screening:support_plan_edit", args=[world.students["a"].pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "goals": GOALS,
            "measures": MEASURES,
            "responsible": "王老师",
            "review_date": "2027-01-10",
        },
    )
    assert response.status_code == 302
    plan = SupportPlan.objects.get(student=world.students["a"])
    assert plan.goals == GOALS
    assert plan.school == world.school_a
    assert plan.updated_by == world.users["psych_a"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT goals, measures FROM orgs_supportplan WHERE id = %s", [plan.pk])
        goals, measures = cursor.fetchone()
    assert GOALS not in goals
    assert "情绪" not in goals
    assert MEASURES not in measures
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="orgs.supportplan")
    assert event.student_id == world.students["a"].pk
    assert GOALS not in str(event.detail)
    # a change is an UPDATE naming the changed fields
    client.post(
        url,
        {"goals": GOALS, "measures": "新措施", "responsible": "王老师", "review_date": ""},
    )
    update = AuditEvent.objects.get(action=Action.UPDATE, object_type="orgs.supportplan")
    assert update.detail["changed"] == ["measures", "review_date"]
    assert SupportPlan.objects.count() == 1


def test_plan_form_errors_keep_what_was_typed(client, world):
    client.force_login(world.users["psych_a"])
    url = reverse("screening:support_plan_edit", args=[world.students["a"].pk])
    response = client.post(url, {"goals": GOALS, "review_date": "not a date"})
    assert response.status_code == 400
    assert "review_date" in response.context["form"].errors
    assert GOALS in response.content.decode()
    assert not SupportPlan.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("psych_b", 404),  # psych teacher of another school (and county)
        ("leader_a", 403),
        ("center_a", 403),
        ("homeroom_a", 403),
        ("official_a", 403),
        ("admin", 403),
    ],
)
def test_plan_form_matrix(client, world, who, status):
    if who:
        client.force_login(world.users[who])
    url = reverse("screening:support_plan_edit", args=[world.students["a"].pk])
    before = AuditEvent.objects.count()
    assert client.get(url).status_code == status
    assert client.post(url, {"goals": "x"}).status_code == status
    assert not SupportPlan.objects.exists()
    assert AuditEvent.objects.count() == before


# --- PDF ---------------------------------------------------------------------------------------


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "growth.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_growth_pdf_contains_the_name_plan_chart_and_is_audited(client, world, tmp_path):
    from screening.observations.services import observation_report

    enter(world, [1, 1, 0, 0, 0, 0, 0, 0, 0], datetime.date(2025, 10, 10))
    enter(world, [2, 2, 2, 2, 2, 2, 2, 2, 0], datetime.date(2026, 10, 10))
    save_plan(world)
    student = world.students["a"]
    student.disadvantages = ["left_behind"]
    student.save(update_fields=["disadvantages"])
    observation_report(
        actor=world.users["homeroom_a"],
        student=student,
        category="mood",
        description="x",
        observed_on=datetime.date(2026, 10, 12),
    )
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("screening:growth_pdf", args=[student.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    flat = "".join(text.split())
    assert student.name in flat
    assert "".join(GOALS.split()) in flat
    assert "".join(MEASURES.split()) in flat
    assert "PHQ-9" in text
    assert "16" in text  # the plotted total
    assert "".join(student.get_disadvantages_display()[0].split()) in flat
    assert AuditEvent.objects.filter(
        action=Action.DOWNLOAD, student=student, actor_username="psych_a"
    ).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("psych_b", 404),  # psych teacher of another school
        ("center_b", 404),  # another county's center
        ("homeroom_a", 403),  # own class, but no growth file
        ("official_a", 403),
        ("admin", 403),
        ("leader_a", 200),
        ("center_a", 200),
    ],
)
def test_growth_pdf_matrix(client, world, who, status):
    save_plan(world)
    if who:
        client.force_login(world.users[who])
    before = AuditEvent.objects.count()
    response = client.get(reverse("screening:growth_pdf", args=[world.students["a"].pk]))
    assert response.status_code == status
    downloads = AuditEvent.objects.filter(action=Action.DOWNLOAD).count()
    assert downloads == (1 if status == 200 else 0)
    if status != 200:
        assert AuditEvent.objects.count() == before


def test_growth_pdf_of_another_school_in_the_same_county_is_404(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("screening:growth_pdf", args=[world.students["a2"].pk]))
    assert response.status_code == 404


def test_leader_pdf_has_bands_but_no_totals(client, world, tmp_path):
    enter(world, [3, 3, 3, 3, 3, 2, 0, 0, 0], datetime.date(2026, 10, 10))  # total 17
    client.force_login(world.users["leader_a"])
    response = client.get(reverse("screening:growth_pdf", args=[world.students["a"].pk]))
    text = pdf_text(response.content, tmp_path)
    assert world.students["a"].name in "".join(text.split())
    assert "Moderately severe" in " ".join(text.split())  # the band
    # the total never shows: no standalone 17 once dates, times and the masked student number
    # (…4176) and the printer's user name are taken out
    without_dates = re.sub(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}|\*+\d+|用户\d+", "", text)
    assert not re.search(r"(?<!\d)17(?!\d)", without_dates)
