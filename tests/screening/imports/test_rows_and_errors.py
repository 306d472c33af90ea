"""Rows the results import skips on purpose (students not screened, template example rows),
the one-class template, the errors summarised by kind and downloadable, and what the pages say
when nothing was stored."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mhcare.audit.models import Action, AuditEvent
from mhcare.core.spreadsheets import EXAMPLE_MARKER
from screening.imports import parsing, services
from screening.models import (
    CampaignInstrument,
    ImportJob,
    ImportStatus,
    Instrument,
    ScreeningResult,
)
from tests import factories
from tests.conftest import login
from tests.screening.imports.conftest import HEADER, csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(world, campaign, instrument, content, *, filename="results.csv"):
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=instrument,
        unit=world.school_a,
        filename=filename,
        content=content,
        enqueue=False,
    )
    return services.import_run(job_id=job.pk)


def blank(student):
    return [student.student_number, student.name, *[""] * 9]


def more_students(world, count, klass=None):
    return [
        factories.StudentFactory(klass=klass or world.class_a, name=f"学生{i}")
        for i in range(count)
    ]


# ---------------------------------------------------------------- students not screened


def test_rows_left_blank_are_skipped_and_counted_not_reported(client, world, campaign, phq9):
    # given a class template where two students were not screened
    a = world.students["a"]
    absent = more_students(world, 2)
    content = csv_bytes([row(a, [1] * 9), *(blank(s) for s in absent)])
    # when
    job = run(world, campaign, phq9, content)
    # then
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.blank_rows, job.inserted_rows) == (3, 2, 1)
    assert job.errors == []
    assert list(ScreeningResult.objects.values_list("student_id", flat=True)) == [a.pk]
    login(client, world.users["psych_a"])
    body = client.get(reverse("screening:import_detail", args=[job.pk])).content.decode()
    assert "2 students not screened (rows left blank), skipped." in body
    assert "1 rows imported: 1 results stored, 0 already up to date." in body


def test_blank_rows_of_an_xlsx_are_skipped_too(world, campaign, phq9):
    a, absent = world.students["a"], more_students(world, 1)[0]
    content = xlsx_bytes([row(a, [0] * 9), [absent.student_number, absent.name, *[None] * 9]])
    job = run(world, campaign, phq9, content, filename="r.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.blank_rows, job.inserted_rows) == (1, 1)


def test_a_half_answered_row_stays_an_error(world, campaign, phq9):
    a, other = world.students["a"], world.students["a_other_class"]
    content = csv_bytes([blank(a), row(other, [1, 1, "", "", "", "", "", "", ""])])
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["kind"]) for e in job.errors] == [(3, "missing_item")] * 7
    assert job.error_counts == {"missing_item": [1, 7]}
    assert not ScreeningResult.objects.exists()


def test_a_file_of_blank_rows_only_is_refused_saying_so(client, world, campaign, phq9):
    students = [world.students["a"], world.students["a_other_class"]]
    job = run(world, campaign, phq9, csv_bytes([blank(s) for s in students]))
    assert job.status == ImportStatus.FAILED
    message = parsing.format_message(parsing.ERROR_ALL_BLANK, count=2)
    assert [e["message"] for e in job.errors] == [message]
    login(client, world.users["psych_a"])
    body = client.get(reverse("screening:import_detail", args=[job.pk])).content.decode()
    assert message in body
    assert "Imported" not in body


def test_blank_rows_of_a_score_level_instrument_are_skipped(world, campaign):
    sdq = Instrument.objects.latest_of("SDQ")
    CampaignInstrument.objects.create(campaign=campaign, instrument=sdq, grade_min=4, grade_max=12)
    a, other = world.students["a"], world.students["a_other_class"]
    header = parsing.template_headers(sdq)
    content = csv_bytes(
        [[a.student_number, a.name, 1, 2, 3, 4, 5], [other.student_number, other.name] + [""] * 5],
        header=header,
    )
    job = run(world, campaign, sdq, content)
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.blank_rows, job.inserted_rows) == (1, 1)


def test_a_formula_column_dragged_down_adds_no_error(world, campaign, phq9):
    a = world.students["a"]
    header = [*HEADER, "总分 Sum"]
    rows = [[*row(a, [1] * 9), 9]] + [["", "", *[""] * 9, 0] for _ in range(50)]
    job = run(world, campaign, phq9, csv_bytes(rows, header=header))
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.inserted_rows) == (1, 1)


# ---------------------------------------------------------------- template example rows


def blank_template(client, world, campaign, phq9):
    login(client, world.users["psych_a"])
    url = reverse("screening:import_template", args=[campaign.pk, phq9.code])
    return load_workbook(io.BytesIO(client.get(url).content))


def test_the_blank_templates_example_row_is_marked_and_never_imported(
    client, world, campaign, phq9
):
    workbook = blank_template(client, world, campaign, phq9)
    sheet = workbook.active
    example = [c.value for c in sheet[2]]
    assert example[-1] == EXAMPLE_MARKER
    assert sheet["A2"].font.i  # shown in italics
    # as downloaded: refused, saying why
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run(world, campaign, phq9, buffer.getvalue(), filename="t.xlsx")
    assert job.status == ImportStatus.FAILED
    assert [e["message"] for e in job.errors] == [str(parsing.ERROR_ONLY_EXAMPLE)]
    # with a real row below it (the example's answers filled in too): the example is skipped
    sheet["D2"] = 3
    a = world.students["a"]
    sheet.append([a.student_number, a.name, "八(1)班", *[1] * 9])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run(world, campaign, phq9, buffer.getvalue(), filename="t2.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.example_rows, job.inserted_rows) == (1, 1)
    assert list(ScreeningResult.objects.values_list("student_id", flat=True)) == [a.pk]


def test_an_example_row_with_every_answer_allowed_is_still_skipped(world, campaign, phq9):
    a = world.students["a"]
    example = ["G330106201300000001", "张小明", *["0"] * 9, EXAMPLE_MARKER]
    content = csv_bytes([example, row(a, [0] * 9)], header=[*HEADER, "说明 Note"])
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.example_rows, job.inserted_rows) == (1, 1)


# ---------------------------------------------------------------- one-class template


def test_the_template_of_one_class_carries_its_students_and_is_audited(
    client, world, campaign, phq9
):
    extra = more_students(world, 2, klass=world.class_a_other)
    login(client, world.users["psych_a"])
    url = reverse("screening:import_template", args=[campaign.pk, phq9.code])
    response = client.get(url, {"class": world.class_a_other.pk})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][2] == parsing.CLASS_HEADER
    students = [world.students["a_other_class"], *extra]
    assert sorted(r[:3] for r in rows[1:]) == sorted(
        (s.student_number, s.name, "八(2)班") for s in students
    )
    event = AuditEvent.objects.get(action=Action.EXPORT, actor_username="psych_a")
    assert event.detail["class"] == world.class_a_other.pk
    assert event.detail["students"] == 3
    # another school's class: 404, nothing exported
    assert client.get(url, {"class": world.class_b.pk}).status_code == 404
    assert client.get(url, {"class": world.class_a2.pk}).status_code == 404
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == 1


def test_the_class_template_left_partly_blank_imports_the_screened(client, world, campaign, phq9):
    more_students(world, 3)
    login(client, world.users["psych_a"])
    url = reverse("screening:import_template", args=[campaign.pk, phq9.code])
    workbook = load_workbook(io.BytesIO(client.get(url, {"class": world.class_a.pk}).content))
    sheet = workbook.active
    for cell in sheet[2][3:]:
        cell.value = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run(world, campaign, phq9, buffer.getvalue(), filename="class.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.blank_rows, job.inserted_rows) == (4, 3, 1)


def test_the_import_page_and_the_class_page_offer_the_class_template(client, world, campaign):
    login(client, world.users["psych_a"])
    page = client.get(reverse("screening:import_upload")).content.decode()
    assert 'data-testid="class-template-form"' in page
    assert f'value="{world.class_a.pk}"' in page
    assert f'value="{world.class_b.pk}"' not in page
    picked = client.get(
        reverse("screening:import_class_template"),
        {"template": f"{campaign.pk}:PHQ-9", "class": world.class_a.pk},
    )
    expected = reverse("screening:import_template", args=[campaign.pk, "PHQ-9"])
    assert picked["Location"] == f"{expected}?class={world.class_a.pk}"
    class_page = client.get(
        reverse("screening:campaign_class", args=[campaign.pk, world.class_a.pk])
    ).content.decode()
    assert f"{expected}?class={world.class_a.pk}" in class_page


# ---------------------------------------------------------------- formulas in what we write


def test_a_stored_name_that_looks_like_a_formula_comes_back_as_text(client, world, campaign, phq9):
    student = world.students["a"]
    student.name = '=HYPERLINK("http://x","y")'
    student.save()
    login(client, world.users["psych_a"])
    url = reverse("screening:import_template", args=[campaign.pk, phq9.code])
    for params in ({"unit": world.school_a.pk}, {"class": world.class_a.pk}):
        sheet = load_workbook(io.BytesIO(client.get(url, params).content)).active
        cells = [r[1] for r in sheet.iter_rows(min_row=2) if r[0].value == student.student_number]
        assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("http://x","y")', "s")]
        assert all(c.quotePrefix for c in cells)


# ---------------------------------------------------------------- errors by kind


def test_a_long_error_list_is_summarised_by_kind(client, world, campaign, phq9, monkeypatch):
    # given a file with many rows out of range and two unknown students, and a short list
    monkeypatch.setattr(parsing.common, "MAX_ERRORS", 5)
    students = more_students(world, 30)
    rows = [row(s, [0, 0, 4, 0, 0, 0, 0, 0, 0]) for s in students]
    rows += [["G0000000000000001", "某某", *[0] * 9], ["G0000000000000002", "某某", *[0] * 9]]
    # when
    job = run(world, campaign, phq9, csv_bytes(rows))
    # then every error is counted by kind; the first rows of each kind are kept
    assert job.status == ImportStatus.FAILED
    assert job.error_counts == {"out_of_range": [30, 30], "unknown_student": [2, 2]}
    kinds = [e["kind"] for e in job.errors]
    assert kinds.count("unknown_student") == 2
    assert kinds.count("out_of_range") == parsing.common.ROWS_PER_KIND
    login(client, world.users["psych_a"])
    body = client.get(reverse("screening:import_detail", args=[job.pk])).content.decode()
    assert 'data-kind="out_of_range"' in body
    assert "Answer out of range" in body
    assert "Student number not found" in body
    assert reverse("screening:import_errors_download", args=[job.pk]) in body


def test_the_error_list_downloads_as_excel_audited_and_scoped(client, world, campaign, phq9):
    student = world.students["a"]
    rows = [row(student, [0] * 9, name='=HYPERLINK("http://x","y")')]
    rows += [row(s, [9] * 9) for s in more_students(world, 3)]
    job = run(world, campaign, phq9, csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    url = reverse("screening:import_errors_download", args=[job.pk])
    login(client, world.users["psych_a"])
    response = client.get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    lines = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    assert len(lines) == len(job.errors) == 1 + 3 * 9
    assert {line[2] for line in lines} == {"Name does not match", "Answer out of range"}
    summary = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert summary == [("Answer out of range", 3, 27), ("Name does not match", 1, 1)]
    for sheet in book.worksheets:
        assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    assert AuditEvent.objects.filter(action=Action.DOWNLOAD, actor_username="psych_a").count() == 1
    # another school's teacher, a wrong role: no file, no trace
    for who, status in (("psych_b", 404), ("homeroom_a", 403)):
        login(client, world.users[who])
        assert client.get(url).status_code == status
    assert AuditEvent.objects.filter(action=Action.DOWNLOAD).count() == 1


def test_the_whole_error_list_downloads_not_only_the_first_thousands(client, world, campaign, phq9):
    # 250 students with every answer out of range: 2 250 errors (more than the 2 000 once kept)
    rows = [row(s, [9] * 9) for s in more_students(world, 250)]
    job = run(world, campaign, phq9, csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    login(client, world.users["psych_a"])
    response = client.get(reverse("screening:import_errors_download", args=[job.pk]))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    lines = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    assert len(lines) == 250 * 9
    assert {line[2] for line in lines} == {"Answer out of range"}


# ---------------------------------------------------------------- nothing stored, said so


def test_the_same_file_twice_does_not_say_imported_the_second_time(client, world, campaign, phq9):
    content = csv_bytes([row(world.students["a"], [1] * 9)])
    run(world, campaign, phq9, content)
    job = run(world, campaign, phq9, content)
    assert (job.status, job.inserted_rows) == (ImportStatus.DONE, 0)
    login(client, world.users["psych_a"])
    body = client.get(reverse("screening:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-done"' not in body
    assert "0 results stored: the 1 row of the file was already stored as it is." in body
    assert ">Imported<" not in body
    progress = client.get(reverse("screening:import_progress", args=[job.pk])).content.decode()
    assert "Imported" not in progress


def test_jobs_are_counted_in_the_database_not_in_memory(world, campaign, phq9):
    run(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    assert ImportJob.objects.get().attempts == 1
