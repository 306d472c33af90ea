"""Whole imports of random files for every shipped instrument: each stored result and proposal is
what ``scoring`` and ``risk`` give for its row (every row is scored by the parser,
``test_staged_outcome``); re-imports and corrections keep the proposal rules."""

import datetime
import random
from decimal import Decimal

import pytest

from screening import risk, scoring
from screening.imports import parsing, services
from screening.models import (
    Campaign,
    CampaignInstrument,
    ImportStatus,
    Instrument,
    ProposalStatus,
    RiskProposal,
    ScreeningResult,
)
from tests import factories
from tests.screening.imports.conftest import csv_bytes, new_class

pytestmark = pytest.mark.django_db

STUDENTS = 40


@pytest.fixture
def grade_11(world):
    """A grade-11 class of school A (every shipped instrument covers grade 11)."""
    klass = new_class(world, grade=11, name="高二(1)班")
    return [factories.StudentFactory(klass=klass) for _ in range(STUDENTS)]


def campaign_for(world, instrument):
    campaign = Campaign.objects.create(
        name=f"筛查 {instrument.code}",
        school_year=world.class_a.school_year,
        org_unit=world.city,
        window_start=datetime.date(2026, 1, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(campaign=campaign, instrument=instrument)
    return campaign


def run(world, campaign, instrument, content):
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=instrument,
        unit=world.school_a,
        filename="results.csv",
        content=content,
        enqueue=False,
    )
    return services.import_run(job_id=job.pk)


def stored(campaign):
    return {
        r.student_id: r
        for r in ScreeningResult.objects.filter(campaign=campaign).prefetch_related("proposals")
    }


def expected_proposal(code, outcome):
    proposal = risk.propose(code, outcome)
    return (proposal.level, proposal.reasons) if proposal else None


def stored_proposal(result):
    proposals = [(p.level, p.reasons) for p in result.proposals.all()]
    assert len(proposals) <= 1
    return proposals[0] if proposals else None


def random_cell(rng, value, refusable):
    if value is None:
        return rng.choice(["拒答", "refused", "NULL"])
    text = str(value)
    return rng.choice([text, text, text, f" {text} ", chr(0xFF10 + value) if value < 10 else text])


@pytest.mark.parametrize("code", ["PHQ-9", "PHQ-A", "GAD-7", "ASQ"])
def test_item_level_import_stores_what_scoring_gives(world, grade_11, code):
    instrument = Instrument.objects.latest_of(code)
    campaign = campaign_for(world, instrument)
    definition = instrument.definition
    rng = random.Random(code)
    answers, rows = {}, []
    for student in grade_11:
        vector = [
            rng.choice(
                scoring.item_values(definition, item)
                + ([None] if scoring.is_refusable(definition, item) else [])
            )
            for item in definition["items"]
        ]
        answers[student.pk] = vector
        cells = [random_cell(rng, v, True) for v in vector]
        rows.append([student.student_number, student.name, *cells])
    content = csv_bytes(rows, header=parsing.template_headers(instrument))

    job = run(world, campaign, instrument, content)

    assert job.status == ImportStatus.DONE, job.errors
    results = stored(campaign)
    assert len(results) == STUDENTS
    for student_id, vector in answers.items():
        outcome = scoring.score(definition, vector, instrument_code=code)
        result = results[student_id]
        assert result.answers == vector
        assert result.scores == {}
        assert (result.total, result.band, result.is_critical) == (
            outcome.total,
            outcome.band,
            outcome.is_critical,
        )
        assert stored_proposal(result) == expected_proposal(code, outcome)


def random_scores(rng, definition):
    """Entered scores of a score-level instrument (text cells, as in a file), within range but
    for one in ten rows somewhere out of range."""
    specs = [dict(s) for s in definition["subscales"]]
    total = definition.get("total", {})
    if total.get("from") == "entered":
        specs.append({"code": "total", "min": total["min"], "max": total["max"]})
    scores = {}
    for spec in specs:
        step = Decimal(str(spec.get("step", 1)))
        low, high = Decimal(str(spec["min"])), Decimal(str(spec["max"]))
        steps = int((high - low) / step)
        value = low + step * rng.randint(0, steps)
        if spec.get("optional") and rng.random() < 0.3:
            scores[spec["code"]] = ""
        else:
            scores[spec["code"]] = str(value)
    return scores


@pytest.mark.parametrize("code", ["SDQ", "MHT", "MSSMHS", "SCL-90"])
def test_score_level_import_stores_what_scoring_gives(world, grade_11, code):
    instrument = Instrument.objects.latest_of(code)
    campaign = campaign_for(world, instrument)
    definition = instrument.definition
    keys = [c.key for c in parsing.instrument_columns(instrument)]
    rng = random.Random(code)
    entered, rows = {}, []
    for student in grade_11:
        scores = random_scores(rng, definition)
        entered[student.pk] = scores
        rows.append([student.student_number, student.name, *[scores[k] for k in keys]])
    content = csv_bytes(rows, header=parsing.template_headers(instrument))

    job = run(world, campaign, instrument, content)

    assert job.status == ImportStatus.DONE, job.errors
    results = stored(campaign)
    assert len(results) == STUDENTS
    for student_id, scores in entered.items():
        given = {k: v for k, v in scores.items() if v != ""}
        outcome = scoring.score_entered(definition, given, instrument_code=code)
        result = results[student_id]
        assert result.answers == []
        assert result.scores == outcome.scores
        assert (result.total, result.band, result.is_critical) == (
            outcome.total,
            outcome.band,
            outcome.is_critical,
        )
        assert stored_proposal(result) == expected_proposal(code, outcome)


def test_answers_typed_by_hand_are_scored_like_the_templates(world, grade_11):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    a, b = grade_11[:2]
    content = csv_bytes(
        [
            [a.student_number, a.name, *[1] * 9],
            [b.student_number, b.name, "３", 3, 3, 3, 3, 0, 0, 0, 0],
        ]
    )
    # when
    job = run(world, campaign, phq9, content)
    # then a full-width digit counts as the digit
    assert job.status == ImportStatus.DONE, job.errors
    first, second = stored(campaign)[a.pk], stored(campaign)[b.pk]
    assert (first.total, first.band, first.is_critical) == (9, "mild", True)
    assert stored_proposal(first) == ("2", ["phq9_item9"])
    assert (second.total, second.band, second.answers) == (
        15,
        "moderately_severe",
        [3] * 5 + [0] * 4,
    )
    assert stored_proposal(second) == ("2", ["phq9_total_15"])


def test_every_error_of_a_file_is_reported_by_row_and_column(world, grade_11):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    a, b = grade_11[:2]
    content = csv_bytes(
        [
            [a.student_number, a.name, 0, 0, 4, 0, 0, 0, 0, 0, ""],
            [b.student_number, "某某", *[0] * 9],
            [a.student_number, a.name, *[0] * 9],
            ["G0000000000000000", "某某", *[0] * 9],
        ]
    )
    job = run(world, campaign_for(world, phq9), phq9, content)
    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "第3题 Item 3"),
        (2, "第9题 Item 9"),
        (3, "姓名 Name"),
        (4, "学籍号 Student number"),
        (5, "学籍号 Student number"),
    ]
    assert not ScreeningResult.objects.exists()


def test_pending_proposals_follow_a_corrected_file_and_decided_ones_stay(world, grade_11):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    pending, confirmed, dismissed, dropped = grade_11[:4]

    def file(values):
        pairs = zip(grade_11[:4], values, strict=True)
        return csv_bytes([[s.student_number, s.name, *v] for s, v in pairs])

    high = [3, 3, 3, 3, 3, 0, 0, 0, 0]  # 15: level 2
    run(world, campaign, phq9, file([high, high, high, high]))
    results = stored(campaign)
    for student, status in ((confirmed, "confirmed"), (dismissed, "dismissed")):
        RiskProposal.objects.filter(source_result=results[student.pk]).update(status=status)
    ids = {pk: r.pk for pk, r in results.items()}

    # when a corrected file lowers every score (10: level 3; the last one below any rule)
    middle = [2, 2, 2, 2, 2, 0, 0, 0, 0]
    job = run(world, campaign, phq9, file([middle, middle, middle, [0] * 9]))

    # then the same results are updated, pending proposals follow, decided ones stay
    assert job.status == ImportStatus.DONE, job.errors
    assert job.inserted_rows == 4
    results = stored(campaign)
    assert {pk: r.pk for pk, r in results.items()} == ids
    assert stored_proposal(results[pending.pk]) == ("3", ["phq9_total_10"])
    assert stored_proposal(results[dropped.pk]) is None
    for student, status in ((confirmed, "confirmed"), (dismissed, "dismissed")):
        statuses = sorted(
            (p.status, p.level) for p in RiskProposal.objects.filter(source_result=ids[student.pk])
        )
        # the decision stays; a new pending proposal is added for the new level
        assert statuses == sorted([(status, "2"), (ProposalStatus.PENDING, "3")])

    # and the same corrected file again changes nothing
    counts = (ScreeningResult.objects.count(), RiskProposal.objects.count())
    again = run(world, campaign, phq9, file([middle, middle, middle, [0] * 9]))
    assert again.inserted_rows == 0
    assert (ScreeningResult.objects.count(), RiskProposal.objects.count()) == counts


def test_progress_is_written_while_the_file_is_staged(world, grade_11, monkeypatch):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    seen = []
    original = services._progress

    def spy(job, processed, total):
        seen.append(processed)
        original(job, processed, total)

    monkeypatch.setattr(services, "_progress", spy)
    content = csv_bytes([[s.student_number, s.name, *[0] * 9] for s in grade_11])
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.DONE, job.errors
    assert seen == [12, 24, 36, STUDENTS]
    assert ScreeningResult.objects.filter(campaign=campaign).count() == STUDENTS


def test_a_batch_whose_rows_are_not_where_expected_is_resolved_again(world, grade_11, monkeypatch):
    """Each batch is resolved from the staging table's pages its COPY filled (a TID range scan).
    Should a row have landed on an earlier page, the batch comes out short: it is resolved again
    by row number alone and no row is left out. (Forced here by saying the table is longer
    than it is.)"""
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    original_pages = services._pages
    monkeypatch.setattr(services, "_pages", lambda cursor, table: original_pages(cursor, table) + 5)
    again = []
    original_resolve = services._resolve

    def spy(*args, **kwargs):
        if "rows" in kwargs and kwargs.get("staged") is None:
            again.append(kwargs["rows"])
        return original_resolve(*args, **kwargs)

    monkeypatch.setattr(services, "_resolve", spy)
    rows = [
        [s.student_number, s.name, *[(n + i) % 4 for i in range(9)]] for n, s in enumerate(grade_11)
    ]
    job = run(world, campaign, phq9, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, job.errors
    assert again == [(0, 13), (13, 25), (25, 37), (37, 41)]  # every batch, once more
    stored = dict(
        ScreeningResult.objects.filter(campaign=campaign).values_list("student_id", "answers")
    )
    assert stored == {s.pk: [(n + i) % 4 for i in range(9)] for n, s in enumerate(grade_11)}


def test_every_batch_is_read_from_its_own_pages_only(world, grade_11, monkeypatch):
    """Without the forced fault, no batch is resolved twice and every row is stored once."""
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    calls = []
    original_resolve = services._resolve

    def spy(*args, **kwargs):
        calls.append((kwargs.get("rows"), kwargs.get("staged")))
        return original_resolve(*args, **kwargs)

    monkeypatch.setattr(services, "_resolve", spy)
    rows = [[s.student_number, s.name, *[0] * 9] for s in grade_11]
    job = run(world, campaign, phq9, csv_bytes(rows))
    assert job.status == ImportStatus.DONE, job.errors
    assert [r for r, _staged in calls] == [(0, 13), (13, 25), (25, 37), (37, 41)]  # file rows 2–41
    assert [staged for _r, staged in calls] == [12, 12, 12, 4]  # each batch once, by its pages
    assert ScreeningResult.objects.filter(campaign=campaign).count() == STUDENTS


def test_duplicate_of_an_unknown_number_is_a_duplicate(world, grade_11):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    content = csv_bytes(
        [
            ["G0000000000000000", "某某", *[0] * 9],
            [grade_11[0].student_number, grade_11[0].name, *[0] * 9],
            ["G0000000000000000", "某某", *[0] * 9],
        ]
    )
    job = run(world, campaign_for(world, phq9), phq9, content)
    assert [(e["row"], e["message"]) for e in job.errors] == [
        (2, str(parsing.ERROR_UNKNOWN_STUDENT)),
        (4, parsing.format_message(parsing.ERROR_DUPLICATE, row=2)),
    ]


def test_a_number_too_long_to_index_is_an_unknown_student(world, grade_11):
    # (random, so that PostgreSQL cannot compress it into an index entry)
    phq9 = Instrument.objects.latest_of("PHQ-9")
    first = grade_11[0]
    rng = random.Random(3)
    number = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9000))
    content = csv_bytes(
        [
            [number, "某某", *[0] * 9],
            [first.student_number, first.name, *[0] * 9],
        ]
    )
    job = run(world, campaign_for(world, phq9), phq9, content)
    assert [(e["row"], e["message"]) for e in job.errors] == [
        (2, str(parsing.ERROR_UNKNOWN_STUDENT))
    ]


@pytest.mark.zh
def test_rows_parsed_ahead_in_the_parser_thread_report_in_the_uploaders_language(
    world, grade_11, monkeypatch
):
    """The rows after the first are parsed in a thread (ahead of the COPY): their errors are
    still in the uploader's language — English here, not the product's default 简体中文 — and
    every batch's students are checked."""
    from mhcare.accounts.models import User

    User.objects.filter(pk=world.users["psych_a"].pk).update(language="en")
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    rows = [[s.student_number, s.name, *[0] * 9] for s in grade_11]
    rows[30][2] = "x"  # row 32 of the file: parsed in the thread, in the fourth batch
    rows[35][1] = "别人"  # row 37: a name that is not the student's (found by the resolve)
    job = run(world, campaign, phq9, csv_bytes(rows))
    assert job.status == ImportStatus.FAILED
    by_row = {e["row"]: e["message"] for e in job.errors}
    assert by_row[32] == "“x” is not a number."
    assert grade_11[35].name in by_row[37]
    assert not ScreeningResult.objects.filter(campaign=campaign).exists()


def test_a_file_error_raised_in_the_parser_thread_fails_the_job(world, grade_11, monkeypatch):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    original = parsing.parse_lines

    def breaks_midway(*args, **kwargs):
        for number, line in enumerate(original(*args, **kwargs)):
            if number == 25:
                raise parsing.FileError([parsing.RowError(0, "", "broken midway")])
            yield line

    monkeypatch.setattr(parsing, "parse_lines", breaks_midway)
    content = csv_bytes([[s.student_number, s.name, *[0] * 9] for s in grade_11])
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.FAILED
    assert [e["message"] for e in job.errors] == ["broken midway"]
    assert not ScreeningResult.objects.filter(campaign=campaign).exists()


def test_an_unexpected_error_in_the_parser_thread_fails_the_job(world, grade_11, monkeypatch):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = campaign_for(world, phq9)
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    original = parsing.parse_lines

    def crashes_midway(*args, **kwargs):
        for number, line in enumerate(original(*args, **kwargs)):
            if number == 25:
                raise RuntimeError("reader bug")
            yield line

    monkeypatch.setattr(parsing, "parse_lines", crashes_midway)
    content = csv_bytes([[s.student_number, s.name, *[0] * 9] for s in grade_11])
    job = run(world, campaign, phq9, content)
    assert job.status == ImportStatus.FAILED
    assert [e["message"] for e in job.errors] == [
        parsing.format_message(services.ERROR_UNEXPECTED, job=job.pk)
    ]
    assert not ScreeningResult.objects.filter(campaign=campaign).exists()
