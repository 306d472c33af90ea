"""The kernel reader on the corpus: encodings, sheets, header rows, blank and formula rows,
normalisation, identifiers, limits — and no file can take the process's memory or kill it."""

import datetime
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mhcare.core.imports import headers, limits, readers
from mhcare.core.imports.limits import FileRefused, Limits
from mhcare.core.imports.normalise import excel_serial_date, normalize_text
from tests.core.imports import corpus

ROWS = [["学籍号", "姓名", "班级"], ["G330106201300000001", "张小明", "八(1)班"]]
ROOT = Path(__file__).resolve().parents[3]


def read(data, filename="upload.xlsx", **kwargs):
    return {
        sheet.name: list(sheet.rows()) for sheet in readers.read_workbook(data, filename, **kwargs)
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("八年级（1）班", "八年级(1)班"),
        ("Ｇ３３０１０６", "G330106"),
        (f"{corpus.BOM}张小明{corpus.ZWSP}", "张小明"),
        (f"{corpus.NBSP}张 小明{corpus.FULL_WIDTH_SPACE}", "张 小明"),
        ("张\x00小\u2060明\u200c\u200d", "张小明"),
        ("  line\r\nbreak\t", "line  break"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


def test_excel_serial_dates():
    assert excel_serial_date(41347.0) == datetime.date(2013, 3, 14)
    assert excel_serial_date(41347.75) == datetime.date(2013, 3, 14)
    assert excel_serial_date("41347") == datetime.date(2013, 3, 14)
    assert excel_serial_date("2013-03-14") is None
    assert excel_serial_date(True) is None


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"], ids=lambda e: e
)
def test_csv_in_every_encoding(encoding):
    rows = [*ROWS, ["G330106201300000002", "𠀾佳", "八(2)班"]] if encoding != "gbk" else ROWS
    if encoding == "utf-16":
        data = corpus.unicode_text(rows)
    else:
        data = corpus.csv_bytes(rows, encoding=encoding)
    assert read(data, "名单.csv") == {"名单.csv": list(enumerate(rows, start=1))}


def test_every_sheet_is_given_with_its_data_flag():
    data = corpus.xlsx_bytes({"七年级": ROWS, "空": [], "八年级": ROWS})
    sheets = readers.read_workbook(data, "roster.xlsx")
    assert [(s.name, s.has_data) for s in sheets] == [
        ("七年级", True),
        ("空", False),
        ("八年级", True),
    ]


def test_blank_formatted_empty_and_formula_only_rows_are_skipped():
    # given a 总分 column dragged to row 30 and styled cells without values
    rows = [["学籍号", "姓名", "第1题", "总分"], ["G1234567", "张", 1, "=SUM(C2:C2)"]]
    rows += [[None, None, None, f"=SUM(C{n}:C{n})"] for n in range(3, 31)]
    data = corpus.xlsx_bytes({"s": rows}, formatted_empty={"s": ["A40", "B41"]})
    # then only the header and the typed row remain, numbers as numbers
    assert read(data) == {
        "s": [(1, ["学籍号", "姓名", "第1题", "总分"]), (2, ["G1234567", "张", 1, 0])]
    }


def test_text_is_normalised_and_types_kept():
    rows = [["学籍号", "姓名", "出生日期"], [f"{corpus.ZWSP}G1", f"{corpus.BOM}张三 ", 41348]]
    rows.append([corpus.full_width("G2"), "李四", datetime.date(2013, 3, 14)])
    assert read(corpus.xlsx_bytes({"s": rows}))["s"][1:] == [
        (2, ["G1", "张三", 41348]),
        (3, ["G2", "李四", datetime.date(2013, 3, 14)]),
    ]


def test_header_found_below_merged_title_rows():
    rows = [["2026 年秋季 学生名册", None, None], [None, None, None], *ROWS]
    data = corpus.xlsx_bytes({"s": rows}, merged={"s": ["A1:C1"]})
    sheet = readers.read_workbook(data, "r.xlsx")[0]

    def score(cells):
        return sum(1 for c in cells if c in {"学籍号", "姓名", "班级"})

    number, header, rest = headers.find_header(sheet.rows(), score)
    assert (number, header, list(rest)) == (3, ROWS[0], [(4, ROWS[1])])


def test_identifier_typed_as_a_number_is_a_problem():
    assert "format the column as text" in headers.identifier_problem(3.301062013e17).lower()
    assert headers.identifier_problem("1.23457E+17") is not None
    assert headers.identifier_problem(13800000000) is not None
    assert headers.identifier_problem("G330106201300000001") is None
    assert headers.identifier_problem("0571-88888888") is None


def test_xls_is_read():
    sheets = read(corpus.fixture("roster_two_grades.xls"), "roster.xls")
    assert list(sheets) == ["七年级", "八年级"]
    assert sheets["八年级"] == [
        (1, ["班级", "年级", "学籍号", "姓名", "性别", "出生日期"]),
        (2, ["八年级(1)班", "8", "G330106201300000203", "王三", "男", datetime.date(2013, 3, 4)]),
    ]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"PK\x03\x04garbage", "roster.xlsx"),
        (corpus.xlsx_bytes({"s": ROWS})[:2000], "truncated.xlsx"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "export.xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "broken.xls"),
    ],
    ids=["garbage", "truncated", "html-named-xls", "broken-ole"],
)
def test_malformed_files_are_refused_as_unreadable(data, filename):
    with pytest.raises(FileRefused) as refused:
        read(data, filename)
    assert refused.value.message == str(readers.ERROR_UNREADABLE)


def test_limits_refuse_before_parsing():
    with pytest.raises(FileRefused) as refused:
        read(b"x" * (2 * 2**20 + 1), "big.csv", limits=Limits(upload_bytes=2 * 2**20))
    assert refused.value.message == str(limits.ERROR_TOO_BIG) % {"mb": 2}
    small = Limits(rows=3, columns=3)
    with pytest.raises(FileRefused) as refused:
        read(corpus.csv_bytes([["a"]] * 10), "rows.csv", limits=small)
    assert refused.value.message == str(limits.ERROR_ROWS) % {"max": 3}
    with pytest.raises(FileRefused) as refused:
        read(corpus.xlsx_bytes({"宽": [list("abcd")]}), limits=small)
    assert "D1" in refused.value.message
    with pytest.raises(FileRefused) as refused:
        read(corpus.xlsx_bytes({"长": [["a"]] * 5}), limits=small)
    assert "A5" in refused.value.message


def test_a_cell_longer_than_excel_allows_refuses_the_file():
    data = corpus.csv_bytes([["学籍号", "姓名"], ["G1", "x" * 40_000]])
    with pytest.raises(FileRefused) as refused:
        read(data, "long.csv")
    assert "row 2" in refused.value.message


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (corpus.stray_cell_xlsx, "XFD1048576"),
        (corpus.stray_cell_hidden_dimension_xlsx, "XFD1048576"),
        (corpus.zip_bomb_xlsx, "compressed in a way"),
        (lambda: corpus.fixture("stray_cell.xls"), "16777216 cells"),
    ],
    ids=["stray-cell", "stray-cell-hidden-dimension", "zip-bomb", "xls-stray-cell"],
)
def test_hostile_files_are_refused_in_little_memory(tmp_path, make, expected):
    """Read in a child process whose address space is capped at 1 GiB: before the limits, the
    stray cell made the reader ask for 512 GiB and abort (SIGABRT). Peak RSS stays < 300 MB."""
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(make())
    script = textwrap.dedent(
        f"""
        import os, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        os.environ["DJANGO_SETTINGS_MODULE"] = "mhcare.settings.test"
        import django
        django.setup()
        from django.utils import translation
        translation.activate("en")
        from mhcare.core.imports import headers, readers
        from mhcare.core.imports.limits import FileRefused
        data = open({str(path)!r}, "rb").read()
        try:
            for sheet in readers.read_workbook(data, "hostile.xlsx"):
                list(sheet.rows())
            print("READ")
        except FileRefused as refused:
            print(refused.message)
        # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
        status = open("/proc/self/status").read()
        print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
        """
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    message, peak_mb = done.stdout.strip().splitlines()[-2:]
    assert expected in message
    assert int(peak_mb) < 300


def test_a_workbook_unpacking_beyond_the_budget_is_refused():
    # given a workbook whose styles part unpacks to 3 MB (stored: no compression ratio to see)
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(corpus.xlsx_bytes({"s": ROWS})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/styles.xml":
                content += b" " * (3 * 2**20)
            target.writestr(info.filename, content)
    # when the budget of unpacked bytes is 2 MB, then it is refused
    with pytest.raises(FileRefused) as refused:
        read(out.getvalue(), limits=Limits(uncompressed_bytes=2 * 2**20))
    assert refused.value.message == str(limits.ERROR_UNCOMPRESSED) % {"mb": 2}


def test_a_corrupt_part_is_unreadable_not_a_crash():
    data = bytearray(corpus.xlsx_bytes({"s": ROWS * 50}))
    start = data.index(b"xl/worksheets/sheet1.xml") + 200
    data[start : start + 50] = b"\x00" * 50
    with pytest.raises(FileRefused) as refused:
        read(bytes(data))
    assert refused.value.message == str(readers.ERROR_UNREADABLE)


def test_a_cell_with_only_a_style_far_away_is_not_refused():
    # Excel declares it in the sheet's dimension; the reader leaves it out of its grid
    data = corpus.xlsx_bytes({"s": ROWS}, formatted_empty={"s": ["XFD1048576"]})
    assert b"A1:XFD1048576" in corpus.sheet_xml(data)
    assert read(data) == {"s": list(enumerate(ROWS, start=1))}


def test_unicode_text_with_a_title_line_is_split_on_tabs():
    rows = [["2026 年秋季 学生名册"], *ROWS]
    assert read(corpus.unicode_text(rows), "名单.txt")["名单.txt"][1:] == [
        (2, ROWS[0]),
        (3, ROWS[1]),
    ]
