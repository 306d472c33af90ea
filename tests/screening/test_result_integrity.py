"""What the results table no longer asks PostgreSQL to check (migration 0006: only ``student``
is a foreign key in the database; see the comment on ``ScreeningResult``) still holds:

- deleting an instrument, a campaign, an org unit or a user that has results through the ORM
  (admin, ``Model.delete``, ``QuerySet.delete``) is refused with ``ProtectedError`` and leaves
  the result as it was;
- every path that writes results stores the student's own school and county (the county being
  the school's parent): form entry, campaign entry (API, one and bulk), self-screening, the file
  import (by a school and by a county center for several schools) and the demo data.
"""

import datetime
import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mhcare.accounts.models import User
from mhcare.orgs.models import OrgUnit
from screening.demo import seed_screening_demo
from screening.imports import services as import_services
from screening.models import (
    Campaign,
    CampaignInstrument,
    ImportStatus,
    Instrument,
    ResultSource,
    ScreeningResult,
)
from screening.selfscreen import services as selfscreen_services
from screening.services import result_create
from tests import factories
from tests.screening.imports.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db

LOW = [1, 1, 1, 1, 1, 0, 0, 0, 0]
CRITICAL = [2, 2, 2, 2, 1, 1, 1, 1, 1]


@pytest.fixture
def phq9(db):
    return Instrument.objects.latest_of("PHQ-9")


@pytest.fixture
def campaign(world, phq9):
    """A county-A campaign open today (both schools of county A take part), PHQ-9 for 4–12,
    with self-screening codes allowed."""
    today = timezone.localdate()
    item = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=7),
        window_end=today + datetime.timedelta(days=7),
        allow_self_screening=True,
    )
    CampaignInstrument.objects.create(campaign=item, instrument=phq9, grade_min=4, grade_max=12)
    return item


def enter(world, phq9, student="a", *, user="psych_a", campaign=None, answers=LOW):
    return result_create(
        actor=world.users[user],
        student=world.students[student],
        instrument=phq9,
        answers=answers,
        administered_on=timezone.localdate(),
        campaign=campaign,
    )


def assert_school_and_county_are_the_students():
    """Every stored result carries its student's school and county, and the county is the
    school's parent unit."""
    results = list(ScreeningResult.objects.select_related("student", "school"))
    assert results
    for result in results:
        assert result.school_id == result.student.school_id, result.pk
        assert result.county_id == result.student.county_id, result.pk
        assert result.county_id == result.school.parent_id, result.pk


def assert_unchanged(result):
    stored = ScreeningResult.objects.filter(pk=result.pk).values(
        "student_id", "school_id", "county_id", "instrument_id", "campaign_id", "entered_by_id"
    )
    assert list(stored) == [
        {
            "student_id": result.student_id,
            "school_id": result.school_id,
            "county_id": result.county_id,
            "instrument_id": result.instrument_id,
            "campaign_id": result.campaign_id,
            "entered_by_id": result.entered_by_id,
        }
    ]


# --- the database keeps the student key only ----------------------------------------------------


def test_only_the_student_is_a_database_foreign_key():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
            "WHERE c.conrelid = 'screening_screeningresult'::regclass AND c.contype = 'f'"
        )
        assert [r[0] for r in cursor.fetchall()] == ["student_id"]


# --- one result per student, instrument and campaign (migration 0014) -----------------------------


def _insert_copy(result, **changes):
    """A raw INSERT of ``result``'s row with ``changes`` (past the ORM: the database's own key)."""
    values = {
        "student_id": result.student_id,
        "school_id": result.school_id,
        "county_id": result.county_id,
        "instrument_id": result.instrument_id,
        "campaign_id": result.campaign_id,
        **changes,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO screening_screeningresult (student_id, school_id, county_id, "
            "instrument_id, campaign_id, source, answers, scores, total, band, is_critical, "
            "administered_on, created_at) "
            "VALUES (%(student_id)s, %(school_id)s, %(county_id)s, %(instrument_id)s, "
            "%(campaign_id)s, 'form', '{}', '{}', 0, 'minimal', FALSE, now()::date, now())",
            values,
        )


def test_the_database_keeps_one_result_per_student_instrument_and_campaign(world, phq9, campaign):
    stored = enter(world, phq9, campaign=campaign)
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_copy(stored)
    # another student, or another campaign, is another key
    _insert_copy(stored, student_id=world.students["b"].pk, school_id=world.students["b"].school_id)
    other = Campaign.objects.create(
        name="复查",
        school_year=campaign.school_year,
        org_unit=campaign.org_unit,
        window_start=campaign.window_start,
        window_end=campaign.window_end,
    )
    _insert_copy(stored, campaign_id=other.pk)
    assert ScreeningResult.objects.filter(student=stored.student).count() == 2


def test_results_outside_a_campaign_never_conflict(world, phq9):
    """No campaign: a NULL in the key, and NULLs are distinct — as in the partial index it
    replaced (``WHERE campaign_id IS NOT NULL``), a student may have any number of them."""
    first = enter(world, phq9)
    enter(world, phq9, answers=CRITICAL)
    _insert_copy(first)
    assert ScreeningResult.objects.filter(student=first.student, campaign=None).count() == 3


def test_the_unique_key_leads_with_the_student_and_is_the_students_index():
    """The key's index is the one every lookup of a student's results uses (the student page,
    the growth file, coverage): no second index on the student beside it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'screening_screeningresult' "
            "AND indexdef LIKE '%%(student_id%%'"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "CREATE UNIQUE INDEX result_once_per_campaign ON public.screening_screeningresult "
            "USING btree (student_id, campaign_id, instrument_id)"
        ]


# --- PROTECT still holds in the ORM ---------------------------------------------------------------


def test_an_instrument_with_results_cannot_be_deleted(world, phq9):
    # a form entry, no campaign: the result is the only thing that refers to the instrument
    result = enter(world, phq9)
    with pytest.raises(ProtectedError) as refused:
        phq9.delete()
    assert set(refused.value.protected_objects) == {result}
    with pytest.raises(ProtectedError):
        Instrument.objects.filter(pk=phq9.pk).delete()
    assert Instrument.objects.filter(pk=phq9.pk).exists()
    assert_unchanged(result)


def test_a_campaign_with_results_cannot_be_deleted(world, phq9, campaign):
    result = enter(world, phq9, campaign=campaign)
    with pytest.raises(ProtectedError) as refused:
        campaign.delete()
    assert set(refused.value.protected_objects) == {result}
    with pytest.raises(ProtectedError):
        Campaign.objects.filter(pk=campaign.pk).delete()
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert CampaignInstrument.objects.filter(campaign=campaign).exists()  # nothing cascaded
    assert_unchanged(result)


@pytest.mark.parametrize("unit", ["school_a", "county_a"])
def test_a_school_or_county_with_results_cannot_be_deleted(world, phq9, unit):
    result = enter(world, phq9)
    target = getattr(world, unit)
    with pytest.raises(ProtectedError) as refused:
        target.delete()
    # (its students protect it too; the result must be among what protects it)
    assert result in set(refused.value.protected_objects)
    with pytest.raises(ProtectedError) as refused:
        OrgUnit.objects.filter(pk=target.pk).delete()
    assert result in set(refused.value.protected_objects)
    assert OrgUnit.objects.filter(pk=target.pk).exists()
    assert_unchanged(result)


def test_the_user_who_entered_results_cannot_be_deleted(world, phq9):
    result = enter(world, phq9)
    with pytest.raises(ProtectedError) as refused:
        world.users["psych_a"].delete()
    assert result in set(refused.value.protected_objects)
    assert User.objects.filter(pk=world.users["psych_a"].pk).exists()
    assert_unchanged(result)


# --- every write path stores the student's school and county ----------------------------------


def test_form_entry_stores_the_students_school_and_county(world, phq9):
    enter(world, phq9, "a")
    # a county center enters for a student of the county's other school
    enter(world, phq9, "a2", user="center_a")
    stored = ScreeningResult.objects.get(student=world.students["a2"])
    assert (stored.school, stored.county) == (world.school_a2, world.county_a)
    assert_school_and_county_are_the_students()


def test_campaign_entry_api_one_and_bulk(world, phq9, campaign):
    client = APIClient()
    client.force_authenticate(world.users["center_a"])
    day = timezone.localdate().isoformat()
    one = client.post(
        reverse("api-result-list"),
        {
            "campaign": campaign.pk,
            "student": world.students["a2"].pk,
            "instrument": "PHQ-9",
            "administered_on": day,
            "answers": LOW,
        },
        format="json",
    )
    assert one.status_code == 201, one.content
    bulk = client.post(
        reverse("api-result-bulk"),
        {
            "campaign": campaign.pk,
            "instrument": "PHQ-9",
            "administered_on": day,
            "results": [
                {"student": world.students[key].pk, "answers": CRITICAL}
                for key in ("a", "a_other_class", "a2")
            ],
            "replace": True,  # a2's saved result is replaced on purpose
        },
        format="json",
    )
    assert bulk.status_code == 201, bulk.content
    assert ScreeningResult.objects.filter(source=ResultSource.API).count() == 3
    assert set(ScreeningResult.objects.values_list("school_id", flat=True)) == {
        world.school_a.pk,
        world.school_a2.pk,
    }
    assert_school_and_county_are_the_students()


def test_self_screening_stores_the_students_school_and_county(world, campaign):
    [item] = selfscreen_services.selfscreen_codes_issue(
        actor=world.users["psych_a"], campaign=campaign, klass=world.class_a
    )
    code = selfscreen_services.selfscreen_code_check(code=item.display)
    result = selfscreen_services.selfscreen_submit(code_id=code.pk, answers=LOW)
    assert (result.source, result.school, result.county) == (
        ResultSource.SELF,
        world.school_a,
        world.county_a,
    )
    assert_school_and_county_are_the_students()


@pytest.mark.parametrize(
    ("user", "unit", "students"),
    [
        ("psych_a", "school_a", ["a", "a_other_class"]),
        # a county center imports one file for both of its schools
        ("center_a", "county_a", ["a", "a_other_class", "a2"]),
    ],
)
def test_import_stores_the_students_school_and_county(world, phq9, campaign, user, unit, students):
    content = csv_bytes(
        [row(world.students[key], CRITICAL if n % 2 else LOW) for n, key in enumerate(students)]
    )
    job = import_services.import_job_create(
        actor=world.users[user],
        campaign=campaign,
        instrument=phq9,
        unit=getattr(world, unit),
        filename="results.csv",
        content=content,
        enqueue=False,
    )
    job = import_services.import_run(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    assert ScreeningResult.objects.filter(source=ResultSource.IMPORT).count() == len(students)
    assert_school_and_county_are_the_students()


def test_demo_results_store_the_students_school_and_county(world):
    for _ in range(20):
        factories.StudentFactory(klass=world.class_a2)
    seed_screening_demo(stdout=io.StringIO(), today=timezone.localdate())
    assert ScreeningResult.objects.filter(school=world.school_a2).exists()
    assert_school_and_county_are_the_students()
