"""The roster import on the corpus of files staff really upload (tests/core/imports/corpus.py):
for each file, the exact rows stored or the exact errors, and the database unchanged on
refusal."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from mhcare.core.imports import headers, readers
from mhcare.orgs import importers, services
from mhcare.orgs.importers import ERROR_NO_SHEET, ERROR_TOO_LONG
from mhcare.orgs.models import Guardian, SchoolClass, Student
from tests.core.imports import corpus

TODAY = datetime.date(2026, 10, 1)
HEADER = [
    "班级",
    "年级",
    "学籍号",
    "姓名",
    "性别",
    "出生日期",
    "监护人姓名",
    "监护人关系",
    "监护人电话",
]
ALICE = [
    "八(3)班",
    "8",
    "G330106201300000101",
    "陈一",
    "男",
    "2013-03-14",
    "陈强",
    "父亲",
    "13800000001",
]
BOB = ["七(1)班", "7", "G330106201400000102", "周二", "女", "2014-05-02", "", "", ""]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def snapshot():
    return (
        sorted(Student.objects.values_list("student_number", "name", "klass__name")),
        sorted(SchoolClass.objects.values_list("name", flat=True)),
        sorted(Guardian.objects.values_list("name", "phone")),
    )


def students():
    return sorted(
        Student.objects.filter(student_number__startswith="G3301062").values_list(
            "student_number", "name", "klass__name", "birth_date"
        )
    )


def run(world, data, filename):
    """Parse and import into school A; returns the errors (as tuples) of the whole import."""
    rows, errors = importers.parse_roster(data, filename)
    if not errors:
        result = services.roster_import(
            actor=world.users["psych_a"], school=world.school_a, rows=rows, today=TODAY
        )
        errors = result.errors
    return [(e.sheet, e.row, e.column, e.message) for e in errors]


def refused(world, data, filename):
    before = snapshot()
    errors = run(world, data, filename)
    assert errors
    assert snapshot() == before
    return errors


EXPECTED = [
    ("G330106201300000101", "陈一", "八(3)班", datetime.date(2013, 3, 14)),
    ("G330106201400000102", "周二", "七(1)班", datetime.date(2014, 5, 2)),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_of_every_encoding(world, encoding):
    rows = [HEADER, ALICE, BOB]
    data = (
        corpus.unicode_text(rows)
        if encoding == "utf-16"
        else corpus.csv_bytes(rows, encoding=encoding)
    )
    assert run(world, data, "名单.csv") == []
    assert students() == EXPECTED


def test_one_sheet_per_grade_stores_every_sheet(world):
    data = corpus.xlsx_bytes({"八年级": [HEADER, ALICE], "七年级": [HEADER, BOB]})
    assert run(world, data, "roster.xlsx") == []
    assert students() == EXPECTED


def test_old_xls_with_title_row_two_sheets_and_full_width_class(world):
    # given the class the second sheet names with full-width brackets already exists
    existing = SchoolClass.objects.create(
        school=world.school_a, school_year=world.class_a.school_year, name="八年级(1)班", grade=8
    )
    assert run(world, corpus.fixture("roster_two_grades.xls"), "名单.xls") == []
    assert students() == [
        ("G330106201300000203", "王三", "八年级(1)班", datetime.date(2013, 3, 4)),
        ("G330106201400000201", "王一", "七(1)班", datetime.date(2014, 1, 2)),
        ("G330106201400000202", "王二", "七(1)班", datetime.date(2014, 2, 3)),
    ]
    assert Student.objects.get(student_number="G330106201300000203").klass == existing
    assert SchoolClass.objects.filter(name__startswith="八年级").count() == 1


@pytest.mark.parametrize(
    "number_header", ["学籍号码", "全国学籍号码", f"学籍号{corpus.ZWSP}", f"{corpus.BOM}学籍号"]
)
def test_students_sheet_is_not_taken_for_classes(world, number_header):
    rows = [[number_header if h == "学籍号" else h for h in HEADER], ALICE, BOB]
    assert run(world, corpus.csv_bytes(rows), "Sheet1.csv") == []
    assert students() == EXPECTED


def test_students_sheet_missing_its_number_column_says_so(world):
    rows = [["班级", "年级", "编号", "姓名", "性别", "出生日期"], ALICE[:6]]
    assert refused(world, corpus.csv_bytes(rows), "s.csv") == [
        ("students", 1, "学籍号 Student number", "This column is missing.")
    ]


def test_title_rows_reordered_english_and_extra_columns(world):
    header = ["Name", "备注", "Student number", "Class", "Grade", "Birth date", "Gender", "序号"]
    rows = [
        ["2026 学年 学生名册（八年级）", None, None, None, None, None, None, None],
        ["填表说明：学籍号请设置为文本格式", None, None, None, None, None, None, None],
        header,
        ["陈一", "转入", "G330106201300000101", "八(3)班", 8, "2013-03-14", "M", 1],
        ["周二", "", "G330106201400000102", "七(1)班", 7, "2014-05-02", "F", 2],
    ]
    data = corpus.xlsx_bytes({"学生": rows}, merged={"学生": ["A1:H1", "A2:H2"]})
    assert run(world, data, "roster.xlsx") == []
    assert students() == EXPECTED


def test_identifiers_stored_as_numbers_are_refused_with_the_fix(world):
    rows = [HEADER, [*ALICE[:2], 330106201300000101, *ALICE[3:8], 13800000001]]
    errors = refused(world, corpus.xlsx_bytes({"学生": rows}), "roster.xlsx")
    assert [(sheet, row, column) for sheet, row, column, _ in errors] == [
        ("students", 2, "学籍号 Student number"),
        ("students", 2, "监护人电话 Guardian phone"),
    ]
    # (the float Excel stored has already lost the last digits: ...101 became ...128)
    shown = {"value": "330106201300000128"}
    assert errors[0][3] == str(headers.ERROR_NUMBER_IDENTIFIER) % shown
    assert "Format the column as text" in errors[0][3]


def test_xls_number_identifier_is_refused(world):
    errors = refused(world, corpus.fixture("roster_number_id.xls"), "roster.xls")
    assert [(e[1], e[2]) for e in errors] == [(2, "学籍号 Student number")]


def test_scientific_notation_in_csv_is_refused(world):
    rows = [HEADER, [*ALICE[:2], "3.30106E+17", *ALICE[3:]]]
    errors = refused(world, corpus.csv_bytes(rows, encoding="gbk"), "roster.csv")
    assert errors == [
        (
            "students",
            2,
            "学籍号 Student number",
            str(headers.ERROR_NUMBER_IDENTIFIER) % {"value": "3.30106E+17"},
        )
    ]


def test_guardian_phone_longer_than_the_database_allows_is_a_row_error(world):
    rows = [HEADER, [*ALICE[:8], "+" + "1" * 20]]
    assert refused(world, corpus.csv_bytes(rows), "roster.csv") == [
        ("students", 2, "监护人电话 Guardian phone", str(ERROR_TOO_LONG) % {"max": 20})
    ]


def test_formula_column_blank_and_formatted_empty_rows_do_not_count(world):
    header = [*HEADER[:6], "人数"]
    rows = [header, [*ALICE[:6], "=COUNTA(C2)"], [None] * 6 + ["=COUNTA(C3)"], [], BOB[:6]]
    rows += [[None] * 6 + [f"=COUNTA(C{n})"] for n in range(6, 300)]
    data = corpus.xlsx_bytes({"学生": rows}, formatted_empty={"学生": ["A400", "C401"]})
    assert run(world, data, "roster.xlsx") == []
    assert students() == EXPECTED


def test_serial_dates_full_width_and_invisible_characters_are_normalised(world):
    rows = [
        HEADER[:6],
        [
            "八（3）班",
            corpus.full_width("8"),
            f"{corpus.ZWSP}{corpus.full_width('G330106201300000101')}",
            f"{corpus.BOM}陈一{corpus.NBSP}",
            "男",
            41347,
        ],
        ["七(1)班", "7", "G330106201400000102", "周\u200d二", "女", "41761"],
    ]
    assert run(world, corpus.xlsx_bytes({"学生": rows}), "roster.xlsx") == []
    assert students() == EXPECTED


def test_a_sheet_of_unknown_data_refuses_the_file_naming_it(world):
    data = corpus.xlsx_bytes({"学生": [HEADER, ALICE], "统计": [["合计", "备注"], [1, "x"]]})
    assert refused(world, data, "roster.xlsx") == [
        ("统计", 0, "", str(readers.ERROR_UNKNOWN_SHEET) % {"sheet": "统计"})
    ]


def test_a_file_without_rows_stores_nothing_and_says_so(world):
    data = corpus.xlsx_bytes({"学生": [HEADER, [None] * 9, []]})
    assert refused(world, data, "roster.xlsx") == [("", 0, "", "The file contains no data rows.")]
    assert refused(world, corpus.csv_bytes([["统计"], ["1"]]), "x.csv") == [
        ("", 0, "", str(ERROR_NO_SHEET))
    ]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (corpus.stray_cell_xlsx, "XFD1048576"),
        (corpus.zip_bomb_xlsx, "compressed in a way"),
        (lambda: b"<html><table></table></html>", "could not be read"),
    ],
    ids=["stray-cell", "zip-bomb", "html-as-xls"],
)
def test_hostile_files_are_refused(world, make, expected):
    errors = refused(world, make(), "roster.xls")
    assert len(errors) == 1
    assert expected in errors[0][3]


def test_beyond_the_old_50000_cap_every_row_is_parsed():
    rows = [HEADER[:6]]
    rows += [
        ["八(1)班", "8", f"G33010620130{n:07d}", "学生", "男", "2013-03-14"] for n in range(60_001)
    ]
    parsed, errors = importers.parse_roster(corpus.csv_bytes(rows), "big.csv")
    assert errors == []
    assert len(parsed.students) == 60_001


def test_command_imports_xls_and_fails_on_errors(world, tmp_path, capsys):
    path = tmp_path / "名单.xls"
    path.write_bytes(corpus.fixture("roster_two_grades.xls"))
    call_command("import_roster", str(path), "--school", world.school_a.code)
    assert len(students()) == 3
    assert "'students': 3" in capsys.readouterr().out
    # the same file again writes nothing and does not claim it imported anything
    call_command("import_roster", str(path), "--school", world.school_a.code)
    assert "nothing changed" in capsys.readouterr().out
    bad = tmp_path / "bad.xls"
    bad.write_bytes(corpus.fixture("roster_number_id.xls"))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_roster", str(bad), "--school", world.school_a.code)


def test_refusals_speak_chinese_to_chinese_users():
    rows = [HEADER[:6], ["八(3)班", 8, 330106201300000101, "陈一", "男", "2013-03-14"]]
    with translation.override("zh-hans"):
        _, errors = importers.parse_roster(corpus.xlsx_bytes({"学生": rows}), "r.xlsx")
        _, stray = importers.parse_roster(corpus.stray_cell_xlsx(), "r.xlsx")
    assert "将该列设置为文本格式" in errors[0].message
    assert "XFD1048576" in stray[0].message
    assert "请删除数据以外的行和列" in stray[0].message
