"""The results import on the corpus of files staff really upload (tests/core/imports/corpus.py):
for each file, the exact results stored or the exact errors, and nothing stored on refusal."""

import pytest

from mhcare.core.imports import headers, readers
from screening.imports import parsing, services
from screening.models import ImportStatus, ScreeningResult
from tests.core.imports import corpus
from tests.factories import StudentFactory
from tests.screening.imports.conftest import HEADER, row

pytestmark = pytest.mark.django_db
NUMBER = "学籍号 Student number"


def run(world, campaign, phq9, content, filename="results.csv"):
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename=filename,
        content=content,
        enqueue=False,
    )
    return services.import_run(job_id=job.pk)


def stored(campaign):
    return sorted(
        ScreeningResult.objects.filter(campaign=campaign).values_list(
            "student__student_number", "total"
        )
    )


def errors_of(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


@pytest.fixture
def two(world):
    a, other = world.students["a"], world.students["a_other_class"]
    return a, other


def expected(two, totals=(9, 0)):
    return sorted((s.student_number, t) for s, t in zip(two, totals, strict=True))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_of_every_encoding(world, campaign, phq9, two, encoding):
    rows = [HEADER, row(two[0], [1] * 9), row(two[1], [0] * 9)]
    data = (
        corpus.unicode_text(rows)
        if encoding == "utf-16"
        else corpus.csv_bytes(rows, encoding=encoding)
    )
    job = run(world, campaign, phq9, data)
    assert job.status == ImportStatus.DONE, job.errors
    assert stored(campaign) == expected(two)


def test_old_xls_is_read(world, campaign, phq9):
    for number, name in (("R000000001", "赵一"), ("R000000002", "赵二")):
        StudentFactory(klass=world.class_a, student_number=number, name=name)
    job = run(world, campaign, phq9, corpus.fixture("results_phq9.xls"), "结果.xls")
    assert job.status == ImportStatus.DONE, job.errors
    assert stored(campaign) == [("R000000001", 9), ("R000000002", 18)]


def test_title_rows_invisible_and_full_width_characters(world, campaign, phq9, two):
    a, other = two
    rows = [
        ["2026 秋季 PHQ-9 筛查 八(1)班", *[None] * 10],
        HEADER,
        [f"{corpus.ZWSP}{a.student_number}", f"{corpus.BOM}{a.name}", *["１"] * 9],
        [other.student_number, f"{other.name}{corpus.NBSP}", *[0] * 9],
    ]
    data = corpus.xlsx_bytes({"PHQ-9": rows}, merged={"PHQ-9": ["A1:K1"]})
    job = run(world, campaign, phq9, data, "results.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert stored(campaign) == expected(two)


def test_formula_total_dragged_below_the_data_adds_no_errors(world, campaign, phq9, two):
    header = [*HEADER, "总分"]
    rows = [header, [*row(two[0], [1] * 9), "=SUM(C2:K2)"], [*row(two[1], [0] * 9), "=SUM(C3:K3)"]]
    rows += [[*[None] * 11, f"=SUM(C{n}:K{n})"] for n in range(4, 3002)]
    data = corpus.xlsx_bytes({"结果": rows}, formatted_empty={"结果": ["A3005", "B3006"]})
    job = run(world, campaign, phq9, data, "results.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, stored(campaign)) == (2, expected(two))


def test_student_number_stored_as_a_number_is_refused_with_the_fix(world, campaign, phq9, two):
    numeric = StudentFactory(klass=world.class_a, student_number="330106201300000123")
    rows = [HEADER, row(two[0], [1] * 9), [330106201300000123, numeric.name, *[0] * 9]]
    job = run(world, campaign, phq9, corpus.xlsx_bytes({"s": rows}), "results.xlsx")
    assert job.status == ImportStatus.FAILED
    assert errors_of(job) == [
        (3, NUMBER, str(headers.ERROR_NUMBER_IDENTIFIER) % {"value": "330106201300000128"})
    ]
    assert stored(campaign) == []


def test_data_in_two_sheets_is_refused_naming_them(world, campaign, phq9, two):
    data = corpus.xlsx_bytes(
        {"八(1)班": [HEADER, row(two[0], [1] * 9)], "八(2)班": [HEADER, row(two[1], [0] * 9)]}
    )
    job = run(world, campaign, phq9, data, "results.xlsx")
    assert job.status == ImportStatus.FAILED
    assert errors_of(job) == [
        (0, "", str(readers.ERROR_SEVERAL_SHEETS) % {"sheets": "八(1)班、八(2)班"})
    ]
    assert stored(campaign) == []


def test_empty_sheets_beside_the_data_are_fine(world, campaign, phq9, two):
    data = corpus.xlsx_bytes({"Sheet1": [HEADER, row(two[0], [1] * 9)], "Sheet2": [], "Sheet3": []})
    job = run(world, campaign, phq9, data, "results.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert stored(campaign) == [(two[0].student_number, 9)]


@pytest.mark.parametrize(
    ("make", "expected_text"),
    [
        (corpus.stray_cell_xlsx, "XFD1048576"),
        (corpus.zip_bomb_xlsx, "compressed in a way"),
        (lambda: b"PK\x03\x04garbage", parsing.ERROR_UNREADABLE),
    ],
    ids=["stray-cell", "zip-bomb", "garbage"],
)
def test_hostile_files_fail_the_job_with_a_message(world, campaign, phq9, make, expected_text):
    job = run(world, campaign, phq9, make(), "results.xlsx")
    assert job.status == ImportStatus.FAILED
    assert len(job.errors) == 1
    assert str(expected_text) in job.errors[0]["message"]
    assert stored(campaign) == []


def test_nul_and_control_characters_in_cells_are_removed(world, campaign, phq9, two):
    a, other = two
    rows = [
        HEADER,
        [a.student_number, f"{a.name}\x00", *[1] * 9],
        [f"\x00{other.student_number}\x1f", other.name, *[0] * 9],
    ]
    job = run(world, campaign, phq9, corpus.csv_bytes(rows, encoding="gb18030"))
    assert job.status == ImportStatus.DONE, job.errors
    assert stored(campaign) == expected(two)


def test_the_plain_name_shortcut_gives_what_the_whole_normalisation_gives():
    """``normalize_name`` returns a name of CJK ideographs, middle dots and ASCII letters and
    digits as it is; every name,
    plain or not, must come out as the full normalisation (NFKC, invisible characters, spaces)
    would make it."""
    import random
    import unicodedata

    from screening.imports.parsing import common

    def full(value):
        return "".join(common.normalize(value).split())

    rng = random.Random(11)
    pool = (
        [chr(c) for c in range(0x4E00, 0x4E40)]
        + [chr(c) for c in range(0x9FA0, 0xA000)]  # the end of the block (and past it)
        + ["·", "•", "・", " ", "\u3000", "\u200b", "\ufeff", "\xa0", "\t", "Ａ", "a", "1", "１"]
        + ["\uf900", "\u2f00", "\u3400", "豈"]  # compatibility ideographs, radicals, extension A
    )
    names = ["张小明", "阿依古丽·买买提", "欧阳娜娜", "", "张 小明", "张\u3000小明", "\ufeff张小明"]
    names += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 6))) for _ in range(5000)]
    for name in names:
        assert common.normalize_name(name) == full(name), repr(name)
    assert all(unicodedata.normalize("NFKC", chr(c)) == chr(c) for c in range(0x4E00, 0xA000))
