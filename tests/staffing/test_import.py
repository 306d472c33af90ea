"""The MH-teacher import with what people really send: GBK and BOM CSV, title rows above the
header, full-width characters, numbers in the user-name column, bad rows — exact rows stored or
exact errors, and an unchanged database on refusal."""

import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from mhcare.audit.models import AuditEvent
from mhcare.core.imports.headers import ERROR_NUMBER_IDENTIFIER
from staffing.models import MHTeacher
from staffing.teachers import importing, services
from staffing.teachers.importing import RowError, parse_teachers

pytestmark = pytest.mark.django_db
HEADER = "姓名,岗位类型,任职日期,离任日期,心理学专业,证书等级,证书日期,班主任同等待遇,账号"
NAME, KIND, START, END, DEGREE, LEVEL, LEVEL_DATE, EQUAL, USER = (
    c.header for c in importing.COLUMNS
)


def run(world, data: bytes, filename: str = "teachers.csv", user="psych_a"):
    rows, errors = parse_teachers(data, filename)
    if errors:
        return rows, errors, None
    result = services.teacher_import(
        actor=world.users[user], school=world.school_a, rows=rows, source=filename
    )
    return rows, list(result.errors), result


def test_a_gbk_csv_with_a_title_row_and_full_width_text_is_stored_exactly(world):
    text = (
        "西湖一中心理健康教师名册（2024学年）\n"
        f"{HEADER}\n"
        "林晓,专职,２０２４－０９－０１,,是,Ｂ级,2023年6月30日,是,psych_a\n"
        "周　敏 ,兼职,2024/2/20,2025-01-31,否,,,否,\n"
    )
    rows, errors, result = run(world, text.encode("gbk"))
    assert errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    stored = list(
        MHTeacher.objects.order_by("start_date").values_list(
            "name",
            "kind",
            "start_date",
            "end_date",
            "psychology_degree",
            "certificate_level",
            "certificate_date",
            "homeroom_equal_treatment",
            "user__username",
        )
    )
    assert stored == [
        (
            "周 敏",
            "parttime",
            datetime.date(2024, 2, 20),
            datetime.date(2025, 1, 31),
            False,
            "",
            None,
            False,
            None,
        ),
        (
            "林晓",
            "fulltime",
            datetime.date(2024, 9, 1),
            None,
            True,
            "B",
            datetime.date(2023, 6, 30),
            True,
            "psych_a",
        ),
    ]
    assert AuditEvent.objects.get().detail["created"] == 2


def test_a_bom_csv_imported_twice_changes_nothing_the_second_time(world):
    data = f"{HEADER}\n林晓,专职,2024-09-01,,是,B,2023-06-30,是,\n".encode("utf-8-sig")
    run(world, data)
    _, errors, again = run(world, data)
    assert errors == []
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert MHTeacher.objects.count() == 1


def test_a_later_file_ends_a_post_and_adds_the_next(world):
    run(world, f"{HEADER}\n林晓,兼职,2024-09-01,,,,,,\n".encode())
    _, errors, result = run(
        world,
        f"{HEADER}\n林晓,兼职,2024-09-01,2025-08-31,,,,,\n林晓,专职,2025-09-01,,,,,,\n".encode(),
    )
    assert errors == []
    assert (result.created, result.updated) == (1, 1)
    assert list(MHTeacher.objects.order_by("start_date").values_list("kind", "end_date")) == [
        ("parttime", datetime.date(2025, 8, 31)),
        ("fulltime", None),
    ]


def test_bad_rows_give_exact_errors_and_store_nothing(world):
    text = (
        f"{HEADER}\n"
        "林晓,专职,2024-09-01,,是,B,2023-06-30,是,\n"  # row 2: fine
        ",全职,2024-13-01,,也许,D,2023-01-01,,\n"  # row 3: four problems and a level-less date
        "周敏,兼职,2024-09-01,2024-08-01,,,2023-01-01,,\n"  # row 4: end before start, no level
        "郑洁,专职,2024-09-01,,,,,,nobody\n"  # row 5: unknown account (needs the database)
    )
    rows, errors = parse_teachers(text.encode(), "t.csv")
    assert errors == [
        RowError(3, NAME, str(importing.ERROR_REQUIRED)),
        RowError(3, KIND, str(importing.ERROR_KIND)),
        RowError(3, START, str(importing.ERROR_DATE)),
        RowError(3, DEGREE, str(importing.ERROR_YES_NO)),
        RowError(3, LEVEL, str(importing.ERROR_CERTIFICATE)),
        RowError(4, END, str(importing.ERROR_END_BEFORE_START)),
        RowError(4, LEVEL_DATE, str(importing.ERROR_CERTIFICATE_DATE)),
    ]
    assert not MHTeacher.objects.exists()
    assert not AuditEvent.objects.exists()


def test_errors_that_need_the_database_also_refuse_the_whole_file(world):
    services.teacher_add(
        actor=world.users["psych_a"],
        school=world.school_a,
        name="周敏",
        kind="parttime",
        start_date=datetime.date(2023, 9, 1),
    )
    text = (
        f"{HEADER}\n"
        "林晓,专职,2024-09-01,,,,,,\n"
        "郑洁,专职,2024-09-01,,,,,,psych_b\n"  # an account of another school
        "周敏,专职,2024-09-01,,,,,,\n"  # overlaps the part-time post on record
    )
    rows, errors, result = run(world, text.encode())
    assert errors == [
        RowError(3, USER, str(services.IMPORT_UNKNOWN_USER) % {"username": "psych_b"}),
        RowError(4, START, str(services.IMPORT_OVERLAP) % {"start": datetime.date(2023, 9, 1)}),
    ]
    assert list(MHTeacher.objects.values_list("name", flat=True)) == ["周敏"]


def test_the_same_person_twice_in_a_file(world):
    text = (
        f"{HEADER}\n林晓,专职,2024-09-01,,,,,,\n"
        "林晓,兼职,2024-12-01,,,,,,\n林晓,兼职,2024-09-01,,,,,,\n"
    )
    _, errors = parse_teachers(text.encode(), "t.csv")
    assert errors == [
        RowError(3, START, str(importing.ERROR_OVERLAP_IN_FILE) % {"row": 4}),
        RowError(4, START, str(importing.ERROR_DUPLICATE) % {"row": 2}),
    ]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_a_number_in_the_user_name_column_is_refused_with_how_to_fix(world):
    data = xlsx(
        [
            ["心理教师名册"],
            HEADER.split(","),
            ["林晓", "专职", datetime.datetime(2024, 9, 1), None, "是", "B", None, "是", 20240101],
        ]
    )
    _, errors = parse_teachers(data, "t.xlsx")
    assert errors == [RowError(3, USER, str(ERROR_NUMBER_IDENTIFIER) % {"value": "20240101"})]
    assert not MHTeacher.objects.exists()


def test_an_xlsx_with_date_cells_and_english_headers(world):
    data = xlsx(
        [
            ["Name", "Post", "Start date", "End date", "Certificate level"],
            ["Lin Xiao", "full-time", datetime.datetime(2024, 9, 1), None, "a"],
        ]
    )
    rows, errors = parse_teachers(data, "t.xlsx")
    assert errors == []
    assert [(r.name, r.kind, r.start_date, r.certificate_level) for r in rows] == [
        ("Lin Xiao", "fulltime", datetime.date(2024, 9, 1), "A")
    ]


def test_a_file_without_the_required_columns_or_rows(world):
    _, errors = parse_teachers("姓名,岗位类型\n林晓,专职\n".encode(), "t.csv")
    assert errors == [RowError(1, START, str(importing.ERROR_MISSING_COLUMN))]
    _, errors = parse_teachers(f"{HEADER}\n".encode(), "t.csv")
    assert errors == [RowError(0, "", str(importing.ERROR_NO_ROWS))]
    _, errors = parse_teachers(b"\x00\x01garbage", "t.xlsx")
    assert len(errors) == 1
    assert errors[0].row == 0


def test_the_template_round_trips_without_importing_its_example(world):
    data = importing.template_workbook()
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]][: len(importing.COLUMNS)] == [
        c.header for c in importing.COLUMNS
    ]
    _, errors = parse_teachers(data, "template.xlsx")
    assert errors == [RowError(0, "", str(importing.ERROR_NO_ROWS))]
