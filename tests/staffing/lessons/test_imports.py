"""Lesson imports with files as people send them: GBK CSV from Chinese Excel, UTF-8 with a BOM,
an .xlsx with title rows above the header, numbers and dates as Excel stores them, full-width
characters; and the exact errors for a class that does not exist or is another school's, with the
database unchanged on refusal."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from staffing.lessons import importers, services
from staffing.lessons.importers import HEADERS, parse_lessons
from staffing.lessons.services import IMPORT_OTHER_SCHOOL, IMPORT_REPEATED, IMPORT_UNKNOWN_CLASS
from staffing.models import Lesson, LessonSource

pytestmark = pytest.mark.django_db

CSV_ROWS = [
    "班级,日期,课时,主题,授课教师",
    "八(1)班,2026-10-12,1,认识情绪,王老师",
    "八(2)班,2026/10/12,1.5,认识情绪,王老师",
    "八(1)班,2026年10月19日,1,学会减压,",
]


def run_import(world, data, filename, actor=None, school=None):
    rows, errors = parse_lessons(data, filename)
    if errors:
        return rows, errors
    result = services.lesson_import(
        actor=actor or world.users["psych_a"],
        school=school or world.school_a,
        rows=rows,
        source=filename,
        columns=HEADERS,
    )
    return rows, result.errors


def stored():
    return sorted(
        (lesson.klass.name, lesson.given_on, lesson.hours, lesson.topic, lesson.teacher_name)
        for lesson in Lesson.objects.select_related("klass")
    )


EXPECTED = [
    ("八(1)班", datetime.date(2026, 10, 12), Decimal("1.0"), "认识情绪", "王老师"),
    ("八(1)班", datetime.date(2026, 10, 19), Decimal("1.0"), "学会减压", "psych_a"),
    ("八(2)班", datetime.date(2026, 10, 12), Decimal("1.5"), "认识情绪", "王老师"),
]


def test_a_gbk_csv_from_chinese_excel_is_imported_and_a_second_time_changes_nothing(world):
    world.users["psych_a"].display_name = ""
    data = "\r\n".join(CSV_ROWS).encode("gbk")
    _rows, errors = run_import(world, data, "课表.csv")
    assert errors == []
    assert stored() == EXPECTED
    assert set(Lesson.objects.values_list("source", flat=True)) == {LessonSource.IMPORT}
    rows, _ = parse_lessons(data, "课表.csv")
    again = services.lesson_import(
        actor=world.users["psych_a"], school=world.school_a, rows=rows, source="课表.csv"
    )
    assert (again.created, again.unchanged, again.errors) == (0, 3, [])
    assert stored() == EXPECTED


def test_utf8_with_bom_full_width_characters_and_invisible_ones(world):
    text = "\ufeff" + "\n".join(
        [
            "班级,日期,课时,主题,授课教师",
            "八（1）班,２０２６-10-12,１,认识情绪\u200b,王老师",
            "八(2)班\u3000,2026.10.12,1.5课时,认识情绪,王老师",
            "八(1)班,20261019,1,学会减压,psych_a",
        ]
    )
    _rows, errors = run_import(world, text.encode("utf-8"), "lessons.csv")
    assert errors == []
    assert stored() == EXPECTED


def _xlsx(rows, title_rows=2):
    workbook = Workbook()
    sheet = workbook.active
    for index in range(title_rows):
        sheet.append([f"西湖一中 2026 学年第一学期 心理健康课记录 {index}"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_with_title_rows_dates_and_numbers_as_excel_stores_them(world):
    data = _xlsx(
        [
            ["授课教师", "班级", "上课日期", "课时数", "课题"],
            ["王老师", "八(1)班", datetime.datetime(2026, 10, 12), 1, "认识情绪"],
            ["王老师", "八(2)班", 46307, 1.5, "认识情绪"],  # a date saved as its serial
            ["psych_a", "八(1)班", "2026-10-19", 1.0, "学会减压"],
        ]
    )
    _rows, errors = run_import(world, data, "lessons.xlsx")
    assert errors == []
    assert stored() == EXPECTED


def test_bad_rows_are_reported_exactly_and_nothing_is_stored(world):
    data = "\n".join(
        [
            "班级,日期,课时,主题,学校代码",
            "八(1)班,2026-10-12,1,认识情绪,",
            "九(9)班,2026-10-12,1,认识情绪,",  # no such class
            f"八(1)班,2026-10-12,1,认识情绪,{world.school_b.code}",  # another school's row
            "八(1)班,2026-13-40,0.3,,",  # bad date, bad hours, no topic
            "八(1)班,2026-10-12,1,认识情绪,",  # the first row again
            "八(1)班,2026-08-20,1,暑假,",  # before the class's school year
        ]
    ).encode("utf-8")
    rows, errors = parse_lessons(data, "bad.csv")
    assert [(e.row, e.column, e.message) for e in errors] == [
        (5, HEADERS["given_on"], str(importers.ERROR_DATE)),
        (5, HEADERS["hours"], str(importers.ERROR_HOURS) % {"max": Decimal("4")}),
        (5, HEADERS["topic"], str(importers.ERROR_REQUIRED)),
    ]
    # the rows that parse are then resolved against the school: every problem at once
    result = services.lesson_import(
        actor=world.users["psych_a"],
        school=world.school_a,
        rows=rows,
        source="bad.csv",
        columns=HEADERS,
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (
            3,
            HEADERS["class_name"],
            str(IMPORT_UNKNOWN_CLASS)
            % {"name": "九(9)班", "school": world.school_a.name, "date": "2026-10-12"},
        ),
        (
            4,
            HEADERS["school_code"],
            str(IMPORT_OTHER_SCHOOL)
            % {
                "code": world.school_b.code,
                "school": world.school_a.name,
                "own": world.school_a.code,
            },
        ),
        (6, HEADERS["topic"], str(IMPORT_REPEATED) % {"row": 2}),
        (
            7,
            HEADERS["class_name"],
            str(IMPORT_UNKNOWN_CLASS)
            % {"name": "八(1)班", "school": world.school_a.name, "date": "2026-08-20"},
        ),
    ]
    assert not Lesson.objects.exists()


def test_a_school_code_excel_stored_as_a_number_is_refused_with_how_to_fix_it(world):
    data = _xlsx(
        [
            ["班级", "日期", "课时", "主题", "学校代码"],
            ["八(1)班", "2026-10-12", 1, "情绪", 3301060001],
        ],
        title_rows=0,
    )
    _rows, errors = parse_lessons(data, "x.xlsx")
    assert [(e.row, e.column) for e in errors] == [(2, HEADERS["school_code"])]
    assert "3301060001" in errors[0].message


def test_missing_columns_unknown_sheets_and_empty_files(world):
    _rows, errors = parse_lessons("班级,日期\n八(1)班,2026-10-12\n".encode(), "x.csv")
    assert [(e.column, e.message) for e in errors] == [
        (HEADERS["hours"], str(importers.ERROR_MISSING_COLUMN)),
        (HEADERS["topic"], str(importers.ERROR_MISSING_COLUMN)),
    ]
    _rows, errors = parse_lessons(b"", "x.csv")
    assert [e.message for e in errors] == [str(importers.ERROR_NO_ROWS)]
    _rows, errors = parse_lessons(b"PK\x03\x04 broken", "x.xlsx")
    assert len(errors) == 1
    assert errors[0].row == 0


def test_the_template_round_trips_its_example_row_is_never_imported(world):
    data = importers.template_workbook()
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]][:4] == [
        "班级 Class",
        "日期 Date",
        "课时 Hours",
        "主题 Topic",
    ]
    _rows, errors = parse_lessons(data, "template.xlsx")
    assert [e.message for e in errors] == [str(importers.ERROR_NO_ROWS)]


def test_only_the_schools_psych_teacher_or_leader_imports(world, two_roles):
    rows, _ = parse_lessons("\n".join(CSV_ROWS).encode(), "x.csv")
    for actor in (
        world.users["homeroom_a"],
        world.users["psych_b"],
        two_roles,
        world.users["official_a"],
    ):
        with pytest.raises(PermissionDenied):
            services.lesson_import(actor=actor, school=world.school_a, rows=rows, source="x.csv")
    assert not Lesson.objects.exists()


def test_the_import_page_shows_every_error_and_stores_nothing(client, world):
    client.force_login(world.users["leader_a"])
    url = reverse("lessons:import")
    assert client.get(url).status_code == 200
    upload = io.BytesIO("班级,日期,课时,主题\n九(9)班,2026-10-12,1,情绪\n".encode("gbk"))
    upload.name = "lessons.csv"
    response = client.post(url, {"school": world.school_a.pk, "file": upload})
    assert response.status_code == 400
    assert response.context["errors"][0].message == str(IMPORT_UNKNOWN_CLASS) % {
        "name": "九(9)班",
        "school": world.school_a.name,
        "date": "2026-10-12",
    }
    assert not Lesson.objects.exists()
    upload = io.BytesIO("\n".join(CSV_ROWS).encode("gbk"))
    upload.name = "lessons.csv"
    response = client.post(url, {"school": world.school_a.pk, "file": upload})
    assert response.status_code == 302
    assert Lesson.objects.count() == 3
    template = client.get(reverse("lessons:template"))
    assert template.status_code == 200
    assert template["Content-Disposition"].endswith('lessons-template.xlsx"')
