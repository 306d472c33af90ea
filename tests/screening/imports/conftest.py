import csv
import datetime
import io

import pytest

from screening.models import Campaign, CampaignInstrument, Instrument
from tests import factories


@pytest.fixture
def phq9(db):
    return Instrument.objects.latest_of("PHQ-9")


def city_campaign(world, phq9, name="2026 秋季心理筛查"):
    """A city-wide campaign (every school of the world takes part) using PHQ-9 for grades 4–12."""
    item = Campaign.objects.create(
        name=name,
        school_year=world.class_a.school_year,
        org_unit=world.city,
        window_start=datetime.date(2026, 1, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(campaign=item, instrument=phq9, grade_min=4, grade_max=12)
    return item


def new_class(world, *, grade, name):
    """A class of school A in the world's school year (its students are the test's own)."""
    return factories.SchoolClassFactory(
        school=world.school_a, school_year=world.class_a.school_year, grade=grade, name=name
    )


@pytest.fixture
def campaign(world, phq9):
    return city_campaign(world, phq9)


HEADER = ["学籍号 Student number", "姓名 Name"] + [f"第{n}题 Item {n}" for n in range(1, 10)]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(student, answers, name=None):
    return [student.student_number, student.name if name is None else name, *answers]


@pytest.fixture(autouse=True)
def english_uploaders(request):
    """The import reports errors in the uploader's language: make the world's users English
    readers, like the rest of the tests (the Chinese path is the browser test's)."""
    if "world" in request.fixturenames and not request.node.get_closest_marker("zh"):
        from mhcare.accounts.models import User

        request.getfixturevalue("world")
        User.objects.update(language="en")


def run_import(
    world, campaign, phq9, content, *, filename="results.csv", user="psych_a", unit=None
):
    """Upload ``content`` as ``user`` (school A's psychology teacher) and run the import in this
    process: the finished job."""
    from screening.imports import services

    job = services.import_job_create(
        actor=world.users[user],
        campaign=campaign,
        instrument=phq9,
        unit=unit or world.school_a,
        filename=filename,
        content=content,
        enqueue=False,
    )
    return services.import_run(job_id=job.pk)
