"""The province generator (``manage.py seed_province``) at a small size on the test database: the
same seed gives the same rows, counts and distributions are within bounds, every county is a real
one, the results are scored as the app scores them, and a generated county-center user uses the
app."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from crisis.models import Case
from mhcare.accounts.models import RoleAssignment, User
from mhcare.orgs.models import Guardian, OrgKind, OrgUnit, SchoolClass, Student
from province import generate
from province.plan import divisions
from screening import risk, scoring
from screening.loader import SHIPPED_FILES, load_instruments
from screening.models import Instrument, RiskProposal, ScreeningResult

N = 3_000
SEED = 7


def _student_numbers() -> list[str]:
    return list(Student.objects.order_by("student_number").values_list("student_number", flat=True))


def _definitions() -> set[tuple[str, str]]:
    """Index and foreign-key definitions of the loaded tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [list(generate.LOADED_TABLES)],
        )
        found = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [list(generate.LOADED_TABLES)],
        )
        found |= set(cursor.fetchall())
    assert len(found) > 60
    return found


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker):
    """One committed generated province for the module (emptied after it)."""
    with django_db_blocker.unblock():
        # A transactional test earlier in the suite flushed the instruments the migrations load
        # (tests/fixtures_instruments.py puts them back per test, after module fixtures).
        load_instruments(Instrument, list(SHIPPED_FILES))
        report = generate.seed_province(students=N, seed=SEED)
        yield report
        generate.reset()


@pytest.mark.django_db
def test_the_counts_and_distributions_are_within_bounds(province):
    # given the generated province; then
    students = Student.objects.count()
    assert 0.9 * N <= students <= 1.1 * N
    assert province.students == students
    assert Student.objects.exclude(status="enrolled").count() == 0
    sizes = Counter(Student.objects.values_list("klass_id", flat=True))
    assert SchoolClass.objects.count() == len(sizes)
    assert all(1 <= size <= 45 for size in sizes.values())
    assert sum(40 <= size <= 45 for size in sizes.values()) / len(sizes) > 0.8
    stages = Counter(OrgUnit.objects.schools().values_list("stage", flat=True))
    assert set(stages) == {"primary", "junior", "senior"}
    assert stages["primary"] > stages["junior"] > 0
    assert stages["senior"] > 0
    flagged = Student.objects.exclude(disadvantages=[]).count()
    assert 0.05 * students < flagged < 0.15 * students
    guardians = Guardian.objects.count()
    assert 1.3 * students < guardians < 1.8 * students
    assert not Student.objects.filter(guardians__isnull=True).exists()

    results = ScreeningResult.objects.all()
    screened = results.count()
    eligible = Student.objects.filter(klass__grade__gte=4).count()
    assert 0.85 * eligible < screened <= eligible
    high = results.filter(total__gte=10).count() / screened
    critical = results.filter(is_critical=True).count() / screened
    assert 0.15 < high < 0.25
    assert 0.005 < critical < 0.03
    cases = Case.objects.count()
    assert 0.03 * screened < cases < 0.07 * screened
    assert Case.objects.filter(level__in=["1", "2"]).exists()
    assert Case.objects.filter(follow_ups__isnull=False).distinct().count() == cases


@pytest.mark.django_db
def test_every_county_is_a_real_one_and_every_school_sits_in_one(province):
    real = {(row["county_code"], row["county_name"]) for row in divisions()}
    counties = set(OrgUnit.objects.counties().values_list("code", "name"))
    assert counties == real
    assert OrgUnit.objects.filter(kind=OrgKind.CITY).count() == 11
    parents = set(OrgUnit.objects.schools().values_list("parent__code", flat=True))
    assert parents <= {code for code, _ in real}
    for school in OrgUnit.objects.schools()[:20]:
        assert school.path == school.compute_path()


@pytest.mark.django_db
def test_the_results_are_scored_and_proposed_as_the_app_does(province):
    instrument = Instrument.objects.latest_of("PHQ-9")
    ids = list(ScreeningResult.objects.values_list("id", flat=True))
    sample = random.Random(1).sample(ids, 300)
    proposals = {
        p.source_result_id: p for p in RiskProposal.objects.filter(source_result_id__in=sample)
    }
    for result in ScreeningResult.objects.filter(id__in=sample):
        outcome = scoring.score(instrument.definition, result.answers, instrument_code="PHQ-9")
        assert (result.total, result.band, result.is_critical) == (
            outcome.total,
            outcome.band,
            outcome.is_critical,
        )
        proposal = risk.propose("PHQ-9", outcome)
        stored = proposals.get(result.pk)
        if proposal is None:
            assert stored is None
        else:
            assert (stored.level, stored.reasons) == (proposal.level, proposal.reasons)


@pytest.mark.django_db
def test_the_encrypted_columns_read_back(province):
    guardian = Guardian.objects.order_by("id").first()
    assert guardian.phone.startswith("1")
    assert len(guardian.phone) == 11
    case = Case.objects.order_by("id").first()
    assert case.open_reason in generate.OPEN_REASONS


@pytest.mark.django_db
def test_a_generated_county_center_user_uses_the_app(province):
    logins = generate.marker()["logins"]
    user = User.objects.get(username=logins["county_center"])
    assert user.check_password(generate.DEFAULT_PASSWORD)
    county = RoleAssignment.objects.get(user=user).org_unit
    client = Client()
    client.force_login(user)
    for url in (
        reverse("core:home"),
        reverse("orgs:student_list"),
        reverse("crisis:highrisk_list"),
    ):
        assert client.get(url).status_code == 200, url
    student = Student.objects.filter(county=county).order_by("id").first()
    response = client.get(reverse("orgs:student_detail", args=[student.pk]))
    assert response.status_code == 200
    assert student.name in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_database_with_students(province):
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_province", "--students", "500")


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows_with_or_without_the_index_rebuild(province):
    # given the module's province (plain indexes dropped and rebuilt around the load)
    numbers = _student_numbers()
    indexes = _definitions()
    names = list(Student.objects.order_by("student_number").values_list("name", flat=True))
    # when it is made again from the same seed, loading with every index in place
    generate.seed_province(students=N, seed=SEED, reset_first=True, drop_indexes=False)
    # then
    assert _student_numbers() == numbers
    assert list(Student.objects.order_by("student_number").values_list("name", flat=True)) == names
    # and the indexes and foreign keys the bulk load dropped were all restored
    assert _definitions() == indexes
    # and another seed gives other students
    generate.seed_province(students=N, seed=SEED + 1, reset_first=True)
    assert _student_numbers() != numbers
