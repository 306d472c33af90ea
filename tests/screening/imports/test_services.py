import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mhcare.audit.models import AuditEvent
from screening.imports import parsing, services
from screening.models import ImportStatus, ResultSource, RiskProposal, ScreeningResult
from tests import factories
from tests.screening.imports.conftest import HEADER, csv_bytes, row, run_import, xlsx_bytes

pytestmark = pytest.mark.django_db


run = run_import


def errors_of(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


NUMBER = "学籍号 Student number"
NAME = "姓名 Name"


def test_good_csv_stores_scores_proposals_and_one_audit_event(world, campaign, phq9):
    # given two students of school A, one with item 9 positive
    a, other = world.students["a"], world.students["a_other_class"]
    content = csv_bytes([row(a, [1, 1, 1, 1, 1, 1, 1, 1, 1]), row(other, [0] * 9)])
    # when
    job = run(world, campaign, phq9, content)
    # then
    assert job.status == ImportStatus.DONE, job.errors
    assert job.total_rows == 2
    assert job.inserted_rows == 2
    stored = ScreeningResult.objects.get(student=a, campaign=campaign)
    assert stored.answers == [1] * 9
    assert (stored.total, stored.band, stored.is_critical) == (9, "mild", True)
    assert stored.source == ResultSource.IMPORT
    assert stored.entered_by == world.users["psych_a"]
    assert stored.school == world.school_a
    assert stored.county == world.county_a
    assert ScreeningResult.objects.get(student=other).band == "minimal"
    proposal = RiskProposal.objects.get(source_result=stored)
    assert (proposal.level, proposal.reasons) == ("2", ["phq9_item9"])
    assert not RiskProposal.objects.filter(student=other).exists()
    event = AuditEvent.objects.get(object_type="screening.importjob", detail__rows=2)
    assert event.detail["inserted"] == 2
    assert event.detail["critical"] == 1


def test_good_xlsx(world, campaign, phq9):
    a = world.students["a"]
    content = xlsx_bytes([row(a, [3, 3, 3, 3, 3, 0, 0, 0, 0])])
    job = run(world, campaign, phq9, content, filename="results.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    stored = ScreeningResult.objects.get(student=a)
    assert (stored.total, stored.band, stored.is_critical) == (15, "moderately_severe", False)
    assert RiskProposal.objects.get(source_result=stored).reasons == ["phq9_total_15"]


def test_full_width_digits_and_spaces_are_normalised(world, campaign, phq9):
    a = world.students["a"]
    number = a.student_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    content = csv_bytes(
        [[f" {number} ", "张 小明", "１", "２", " 3 ", "０", "0", "0", "0", "0", "0"]]
    )
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.DONE, job.errors
    assert ScreeningResult.objects.get(student=a).answers == [1, 2, 3, 0, 0, 0, 0, 0, 0]


def test_gbk_csv(world, campaign, phq9):
    a = world.students["a"]
    content = csv_bytes([row(a, [0] * 9)], encoding="gbk")
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.DONE, job.errors


def test_unknown_student(world, campaign, phq9):
    content = csv_bytes([["G0000000000000000", "某某", *[0] * 9]])
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.FAILED
    assert errors_of(job) == [(2, NUMBER, str(parsing.ERROR_UNKNOWN_STUDENT))]


def test_student_outside_your_school_reads_as_unknown(world, campaign, phq9):
    # the psych teacher of school B imports a file with a student of school A: the same answer as
    # for a number nobody has, so that no import tells which numbers exist elsewhere
    content = csv_bytes([row(world.students["a"], [0] * 9)])
    job = run(world, campaign, phq9, content, user="psych_b", unit=world.school_b)
    assert job.status == ImportStatus.FAILED
    assert errors_of(job) == [(2, NUMBER, str(parsing.ERROR_UNKNOWN_STUDENT))]
    assert not ScreeningResult.objects.exists()


def test_name_mismatch(world, campaign, phq9):
    a = world.students["a"]
    content = csv_bytes([row(a, [0] * 9, name="张大明")])
    job = run(world, campaign, phq9, content)
    assert errors_of(job) == [
        (2, NAME, parsing.format_message(parsing.ERROR_NAME_MISMATCH, expected=a.name))
    ]


def test_value_out_of_range(world, campaign, phq9):
    content = csv_bytes([row(world.students["a"], [0, 0, 4, 0, 0, 0, 0, 0, 0])])
    job = run(world, campaign, phq9, content)
    message = parsing.format_message(parsing.ERROR_OUT_OF_RANGE, value="4", allowed="0, 1, 2, 3")
    assert errors_of(job) == [(2, "第3题 Item 3", message)]


def test_missing_item(world, campaign, phq9):
    content = csv_bytes([row(world.students["a"], [0, 0, 0, 0, 0, 0, 0, 0, ""])])
    job = run(world, campaign, phq9, content)
    assert errors_of(job) == [(2, "第9题 Item 9", str(parsing.ERROR_MISSING_ITEM))]


def test_non_numeric(world, campaign, phq9):
    content = csv_bytes([row(world.students["a"], [0, "x", 0, 0, 0, 0, 0, 0, 0])])
    job = run(world, campaign, phq9, content)
    message = parsing.format_message(parsing.ERROR_NOT_A_NUMBER, value="x")
    assert errors_of(job) == [(2, "第2题 Item 2", message)]


def test_duplicate_row(world, campaign, phq9):
    a = world.students["a"]
    content = csv_bytes(
        [row(a, [0] * 9), row(world.students["a_other_class"], [0] * 9)] * 1 + [row(a, [1] * 9)]
    )
    job = run(world, campaign, phq9, content)
    assert errors_of(job) == [(4, NUMBER, parsing.format_message(parsing.ERROR_DUPLICATE, row=2))]


def test_the_parser_notes_when_two_numbers_may_be_the_same():
    parsed = parsing.ParseResult()
    for number in ("G1", "G2", "G3"):
        parsed.note_number(number)
    assert not parsed.maybe_duplicates
    parsed.note_number("G2")
    assert parsed.maybe_duplicates


def test_past_the_hashes_kept_the_database_looks_for_duplicates(monkeypatch):
    monkeypatch.setattr(parsing.lines, "HASHED_NUMBERS", 2)
    parsed = parsing.ParseResult()
    for number in ("G1", "G2"):
        parsed.note_number(number)
    assert not parsed.maybe_duplicates
    parsed.note_number("G3")
    assert parsed.maybe_duplicates


def test_without_two_equal_hashes_the_database_is_not_asked_for_duplicates(world, campaign, phq9):
    a, other = world.students["a"], world.students["a_other_class"]
    with CaptureQueriesContext(connection) as queries:
        job = run(world, campaign, phq9, csv_bytes([row(a, [0] * 9), row(other, [0] * 9)]))
    assert job.status == ImportStatus.DONE, job.errors
    assert not [q for q in queries if "CREATE UNIQUE INDEX" in q["sql"]]


def test_two_equal_hashes_without_a_duplicate_row_import_all_the_same(
    world, campaign, phq9, monkeypatch
):
    # given the parser's hashes say two numbers may be equal (a collision) but none is
    def collides(self, number):
        self.maybe_duplicates = True

    monkeypatch.setattr(parsing.ParseResult, "note_number", collides)
    a, other = world.students["a"], world.students["a_other_class"]
    with CaptureQueriesContext(connection) as queries:
        job = run(world, campaign, phq9, csv_bytes([row(a, [0] * 9), row(other, [1] * 9)]))
    # then the database is asked, finds no duplicate, and the file is stored
    assert [q for q in queries if "CREATE UNIQUE INDEX" in q["sql"]]
    assert job.status == ImportStatus.DONE, job.errors
    assert ScreeningResult.objects.filter(campaign=campaign).count() == 2
    # and a real duplicate is still found when the hashes say so
    job = run(world, campaign, phq9, csv_bytes([row(a, [0] * 9), row(a, [1] * 9)]))
    assert errors_of(job) == [(3, NUMBER, parsing.format_message(parsing.ERROR_DUPLICATE, row=2))]


def test_missing_column_rejects_the_file(world, campaign, phq9):
    content = csv_bytes([row(world.students["a"], [0] * 8)], header=HEADER[:-1])
    job = run(world, campaign, phq9, content)
    assert errors_of(job) == [(1, "第9题 Item 9", str(parsing.ERROR_MISSING_COLUMN))]


def test_every_bad_row_is_reported_and_nothing_stored(world, campaign, phq9):
    # given a file of four rows, one of them bad, and one result already stored
    a, other = world.students["a"], world.students["a_other_class"]
    run(world, campaign, phq9, csv_bytes([row(a, [0] * 9)]))
    before = (ScreeningResult.objects.count(), RiskProposal.objects.count())
    content = csv_bytes(
        [
            row(a, [3] * 9),
            row(other, [3] * 9),
            ["G0000000000000000", "某某", *[0] * 9],
            row(world.students["a2"], [0, 9, 0, 0, 0, 0, 0, 0, 0]),
        ]
    )
    # when
    job = run(world, campaign, phq9, content)
    # then every error is listed and nothing changed
    assert job.status == ImportStatus.FAILED
    assert [e[0] for e in errors_of(job)] == [4, 5, 5]
    assert (ScreeningResult.objects.count(), RiskProposal.objects.count()) == before
    assert ScreeningResult.objects.get(student=a).total == 0


def test_same_file_twice_adds_nothing(world, campaign, phq9):
    a, other = world.students["a"], world.students["a_other_class"]
    content = csv_bytes([row(a, [2] * 9), row(other, [0] * 9)])
    first = run(world, campaign, phq9, content)
    counts = (ScreeningResult.objects.count(), RiskProposal.objects.count())
    second = run(world, campaign, phq9, content)
    assert second.status == ImportStatus.DONE
    assert second.inserted_rows == 0
    assert first.inserted_rows == 2
    assert (ScreeningResult.objects.count(), RiskProposal.objects.count()) == counts


def test_corrected_file_updates_the_corrected_rows_and_their_proposals(world, campaign, phq9):
    a, other = world.students["a"], world.students["a_other_class"]
    run(world, campaign, phq9, csv_bytes([row(a, [2] * 9), row(other, [0] * 9)]))
    result_id = ScreeningResult.objects.get(student=a).pk
    job = run(
        world, campaign, phq9, csv_bytes([row(a, [1, 1, 1, 1, 1, 1, 0, 0, 0]), row(other, [0] * 9)])
    )
    assert job.inserted_rows == 1
    stored = ScreeningResult.objects.get(student=a)
    assert stored.pk == result_id
    assert stored.total == 6
    assert not stored.is_critical
    assert not RiskProposal.objects.filter(source_result=stored).exists()


def test_critical_rows_alert_the_school_after_commit(
    world, campaign, phq9, django_capture_on_commit_callbacks
):
    from mhcare.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        run(world, campaign, phq9, csv_bytes([row(world.students["a"], [0] * 8 + [2])]))
    assert Notification.objects.filter(recipient=world.users["psych_a"]).exists()


def test_a_role_that_does_not_enter_results_cannot_import(world, campaign, phq9):
    with pytest.raises(PermissionDenied):
        run(world, campaign, phq9, csv_bytes([]), user="homeroom_a")
    with pytest.raises(PermissionDenied):
        run(world, campaign, phq9, csv_bytes([]), user="psych_b")  # school A is not theirs


def test_county_center_imports_for_the_county(world, campaign, phq9):
    content = csv_bytes([row(world.students["a"], [0] * 9), row(world.students["a2"], [1] * 9)])
    job = run(world, campaign, phq9, content, user="center_a", unit=world.county_a)
    assert job.status == ImportStatus.DONE, job.errors
    assert ScreeningResult.objects.count() == 2


def test_fast_scorer_agrees_with_scoring_score(phq9):
    import itertools
    import random

    from screening import scoring

    scorer = parsing.Scorer(phq9)
    assert scorer.fast
    rng = random.Random(7)
    vectors = [[rng.randrange(4) for _ in range(9)] for _ in range(2000)]
    vectors += [list(v) for v in itertools.product([0, 3], repeat=9)]
    for answers in vectors:
        outcome = scoring.score(phq9.definition, answers, instrument_code=phq9.code)
        total, band, critical, _level, _reasons = scorer.score_fast(answers)
        assert (total, band, critical) == (outcome.total, outcome.band, outcome.is_critical)


def _audit_detail(job):
    events = AuditEvent.objects.filter(object_id=str(job.pk), action="create")
    return events.order_by("-id")[0].detail


def test_reimport_inserts_the_new_rows_and_updates_only_the_changed_ones(world, campaign, phq9):
    """The write is an UPDATE of the stored rows that differ plus a plain INSERT of the new ones
    (no ON CONFLICT): counts, proposals and the kept ids are those of the upsert."""
    a, other = world.students["a"], world.students["a_other_class"]
    a2 = factories.StudentFactory(klass=world.class_a, name="陈小新")
    run(world, campaign, phq9, csv_bytes([row(a, [2] * 9), row(other, [0] * 9)]))
    kept_ids = dict(ScreeningResult.objects.values_list("student_id", "pk"))
    job = run(
        world,
        campaign,
        phq9,
        csv_bytes([row(a, [3] * 8 + [0]), row(other, [0] * 9), row(a2, [3] * 8 + [1])]),
    )
    assert job.status == ImportStatus.DONE, job.errors
    assert job.inserted_rows == 2  # a updated, a2 inserted; other unchanged
    detail = _audit_detail(job)
    assert (detail["inserted"], detail["updated"], detail["unchanged"]) == (1, 1, 1)
    assert detail["critical"] == 1
    stored = {r.student_id: r for r in ScreeningResult.objects.all()}
    assert stored[a.pk].pk == kept_ids[a.pk]
    assert stored[a.pk].total == 24
    assert not stored[a.pk].is_critical
    assert stored[other.pk].pk == kept_ids[other.pk]
    assert stored[a2.pk].is_critical
    assert stored[a2.pk].total == 25
    pending = RiskProposal.objects.filter(status="pending")
    assert set(pending.values_list("source_result_id", flat=True)) == {
        stored[a.pk].pk,
        stored[a2.pk].pk,
    }


def test_a_row_stored_meanwhile_is_merged_with_on_conflict(world, campaign, phq9, monkeypatch):
    """A result of the same key committed after the stored rows were read (a teacher's form
    during the import) makes the plain INSERT fail: the write is done again with ON CONFLICT,
    and the import still succeeds with the file's values."""
    a = world.students["a"]
    a2 = factories.StudentFactory(klass=world.class_a, name="陈小新")
    run(world, campaign, phq9, csv_bytes([row(a, [0] * 9)]))
    first_id = ScreeningResult.objects.get(student=a).pk
    # The stored rows' read misses the row, as if it had been committed just after it.
    monkeypatch.setattr(
        services, "EXISTING_SQL", services.EXISTING_SQL.replace("WHERE ", "WHERE FALSE AND ", 1)
    )
    job = run(world, campaign, phq9, csv_bytes([row(a, [0] * 8 + [2]), row(a2, [1] * 8 + [0])]))
    assert job.status == ImportStatus.DONE, job.errors
    assert job.inserted_rows == 2
    detail = _audit_detail(job)
    assert (detail["inserted"], detail["updated"], detail["critical"]) == (1, 1, 1)
    stored = ScreeningResult.objects.get(student=a)
    assert stored.pk == first_id
    assert stored.is_critical
    assert ScreeningResult.objects.filter(student=a2, total=8).exists()
    assert RiskProposal.objects.filter(source_result=stored, status="pending").exists()


def test_student_of_another_county_reads_as_unknown_to_a_county_import(world, campaign, phq9):
    # the county center of county A imports a file with a student of county B's school
    content = csv_bytes([row(world.students["a"], [0] * 9), row(world.students["b"], [0] * 9)])
    job = run(world, campaign, phq9, content, user="center_a", unit=world.county_a)
    assert job.status == ImportStatus.FAILED
    assert errors_of(job) == [(3, NUMBER, str(parsing.ERROR_UNKNOWN_STUDENT))]
    assert not ScreeningResult.objects.exists()


def test_student_in_a_grade_the_campaign_does_not_screen_is_refused(world, campaign, phq9):
    # the campaign screens grades 4–12 with PHQ-9: a grade-2 pupil of the same school is refused
    # (a county import and a school import alike), a grade-8 one is fine
    grade_2 = factories.SchoolClassFactory(
        school=world.school_a, school_year=world.class_a.school_year, grade=2, name="二(1)班"
    )
    pupil = factories.StudentFactory(klass=grade_2, name="周小萌")
    content = csv_bytes([row(world.students["a"], [0] * 9), row(pupil, [0] * 9)])
    for user, unit in (("psych_a", world.school_a), ("center_a", world.county_a)):
        job = run(world, campaign, phq9, content, user=user, unit=unit)
        assert job.status == ImportStatus.FAILED
        assert errors_of(job) == [(3, NUMBER, str(parsing.ERROR_GRADE))]
        assert job.error_counts == {parsing.KIND_GRADE: [1, 1]}
    assert not ScreeningResult.objects.exists()
