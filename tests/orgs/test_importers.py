import datetime
import io

from openpyxl import load_workbook

from mhcare.core.spreadsheets import EXAMPLE_HEADER, EXAMPLE_MARKER
from mhcare.orgs import importers
from mhcare.orgs.importers import (
    ERROR_CLASS_GRADE_CONFLICT,
    ERROR_DATE,
    ERROR_GENDER,
    ERROR_GUARDIAN_INCOMPLETE,
    ERROR_MISSING_COLUMN,
    ERROR_NO_SHEET,
    ERROR_REQUIRED,
    ERROR_STUDENT_CONFLICT,
    ERROR_UNREADABLE,
)

HEADER = "班级,年级,学籍号,姓名,性别,出生日期,监护人姓名,监护人关系,监护人电话,处境不利"


def csv_bytes(*lines, encoding="utf-8"):
    return "\n".join([HEADER, *lines]).encode(encoding)


def test_csv_with_chinese_headers_and_two_guardian_rows():
    data = csv_bytes(
        "八(1)班,8,G330106201300000001,张小明,男,2013-03-14,张伟,父亲,138-0000-0001,留守儿童、学业困难",
        "八(1)班,8,G330106201300000001,张小明,男,2013/3/14,李娟,母亲,13800000002,",
        "八(2)班,8年级,G330106201300000002,王芳,女,20130601,,,,",
    )
    rows, errors = importers.parse_roster(data, "roster.csv")
    assert errors == []
    first, second = rows.students
    assert first.student_number == "G330106201300000001"
    assert first.gender == "M"
    assert first.birth_date == datetime.date(2013, 3, 14)
    assert first.disadvantages == ["left_behind", "academic"]
    assert [(g.name, g.relation, g.phone) for g in first.guardians] == [
        ("张伟", "father", "13800000001"),
        ("李娟", "mother", "13800000002"),
    ]
    assert second.grade == 8
    assert second.guardians == []


def test_csv_with_bom_and_gbk():
    line = "八(1)班,8,G330106201300000001,张小明,男,2013-03-14,张伟,父亲,13800000001,"
    for data in (b"\xef\xbb\xbf" + csv_bytes(line), csv_bytes(line, encoding="gbk")):
        rows, errors = importers.parse_roster(data, "roster.csv")
        assert errors == []
        assert rows.students[0].name == "张小明"


def test_english_headers_are_accepted():
    data = (
        b"Class,Grade,Student number,Name,Gender,Birth date\n"
        b"Class 8-1,8,G330106201300000001,Li Lei,M,2013-03-14\n"
    )
    rows, errors = importers.parse_roster(data, "roster.csv")
    assert errors == []
    assert rows.students[0].class_name == "Class 8-1"


def test_each_bad_cell_is_reported_with_row_and_column():
    data = csv_bytes(
        "八(1)班,8,G330106201300000001,张小明,X,2013-03-14,,,,",
        "八(1)班,8,G330106201300000002,,女,not a date,张伟,,,",
    )
    rows, errors = importers.parse_roster(data, "roster.csv")
    found = {(e.row, e.column, e.message) for e in errors}
    assert (2, "性别 Gender", str(ERROR_GENDER)) in found
    assert (3, "姓名 Name", str(ERROR_REQUIRED)) in found
    assert (3, "出生日期 Birth date", str(ERROR_DATE)) in found
    assert (3, "监护人姓名 Guardian name", str(ERROR_GUARDIAN_INCOMPLETE)) in found


def test_the_same_student_with_different_data_is_an_error():
    data = csv_bytes(
        "八(1)班,8,G330106201300000001,张小明,男,2013-03-14,,,,",
        "八(1)班,8,G330106201300000001,张小红,男,2013-03-14,,,,",
    )
    _, errors = importers.parse_roster(data, "roster.csv")
    assert [(e.row, e.message) for e in errors] == [(3, str(ERROR_STUDENT_CONFLICT % {"row": 2}))]


def test_a_class_keeps_one_grade():
    data = csv_bytes(
        "八(1)班,8,G330106201300000001,张小明,男,2013-03-14,,,,",
        "八(1)班,7,G330106201300000002,王芳,女,2014-03-14,,,,",
    )
    _, errors = importers.parse_roster(data, "roster.csv")
    assert errors[0].row == 3
    assert errors[0].message == str(
        ERROR_CLASS_GRADE_CONFLICT % {"name": "八(1)班", "grade": 8, "row": 2}
    )


def test_missing_required_column():
    _, errors = importers.parse_roster("班级,学籍号,姓名\n".encode(), "roster.csv")
    assert {e.column for e in errors if e.message == str(ERROR_MISSING_COLUMN)} >= {
        "年级 Grade",
        "性别 Gender",
    }


def test_unreadable_and_unrelated_files():
    _, errors = importers.parse_roster(b"PK\x03\x04garbage", "roster.xlsx")
    assert [e.message for e in errors] == [str(ERROR_UNREADABLE)]
    _, errors = importers.parse_roster(b"a,b\n1,2\n", "roster.csv")
    assert [e.message for e in errors] == [str(ERROR_NO_SHEET)]


def test_the_template_has_bilingual_headers_and_its_example_rows_are_never_imported():
    content = importers.template_workbook()
    workbook = load_workbook(io.BytesIO(content))
    students = workbook["学生 students"]
    assert [c.value for c in students[1]][:3] == [
        "班级 Class",
        "年级 Grade",
        "学籍号 Student number",
    ]
    # every sheet's example row is marked as one (a grey row, the marker in the last column)
    for sheet in workbook.worksheets:
        assert sheet.cell(2, sheet.max_column).value == EXAMPLE_MARKER
        assert sheet.cell(1, sheet.max_column).value == EXAMPLE_HEADER
    # the template as it is imports nothing: no student, class or account from the examples
    rows, errors = importers.parse_roster(content, "template.xlsx")
    assert not rows
    assert [e.message for e in errors] == [str(importers.ERROR_NO_ROWS)]
    # the example's values are valid: typed into a row of their own they parse cleanly
    for sheet in workbook.worksheets:
        sheet.append([c.value for c in sheet[2]][:-1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows, errors = importers.parse_roster(buffer.getvalue(), "filled.xlsx")
    assert errors == []
    assert len(rows.students) == 1
    assert rows.students[0].guardians[0].phone == "13800000000"
    assert rows.students[0].disadvantages == ["left_behind", "academic"]
    assert [c.name for c in rows.classes] == ["八(1)班"]
