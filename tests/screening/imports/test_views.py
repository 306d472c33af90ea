import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mhcare.audit.models import Action, AuditEvent
from screening.imports import parsing, services
from screening.models import ImportJob, ImportStatus, ScreeningResult
from tests.conftest import login
from tests.screening.imports.conftest import csv_bytes, row, run_import

pytestmark = pytest.mark.django_db

UPLOAD = reverse("screening:import_upload")


def upload(client, world, campaign, phq9, content, name="results.csv"):
    return client.post(
        UPLOAD,
        {
            "campaign": campaign.pk,
            "instrument": phq9.pk,
            "unit": world.school_a.pk,
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        },
    )


@pytest.mark.parametrize(
    ("user", "status"),
    [("homeroom_a", 403), ("leader_a", 403), ("official_a", 403), ("admin", 403), ("psych_a", 200)],
)
def test_upload_page_access(client, world, campaign, user, status):
    login(client, world.users[user])
    assert client.get(UPLOAD).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_upload_runs_the_task_and_shows_the_result(
    client, world, campaign, phq9, django_capture_on_commit_callbacks
):
    login(client, world.users["psych_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client, world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)])
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert ScreeningResult.objects.filter(student=world.students["a"]).exists()
    page = client.get(response["Location"])
    assert 'data-testid="import-done"' in page.content.decode()


def test_errors_are_listed_on_the_result_page(client, world, campaign, phq9):
    login(client, world.users["psych_a"])
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="bad.csv",
        content=csv_bytes([["G0000000000000000", "某某", *[0] * 9]]),
        enqueue=False,
    )
    services.import_run(job_id=job.pk)
    body = client.get(reverse("screening:import_detail", args=[job.pk])).content.decode()
    assert str(parsing.ERROR_UNKNOWN_STUDENT) in body


def test_a_job_of_another_school_is_404(client, world, campaign, phq9):
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="a.csv",
        content=csv_bytes([row(world.students["a"], [0] * 9)]),
        enqueue=False,
    )
    login(client, world.users["psych_b"])
    for name in ("screening:import_detail", "screening:import_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_progress_fragment_refreshes_when_done(client, world, campaign, phq9):
    login(client, world.users["psych_a"])
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="a.csv",
        content=csv_bytes([row(world.students["a"], [0] * 9)]),
        enqueue=False,
    )
    url = reverse("screening:import_progress", args=[job.pk])
    assert "HX-Refresh" not in client.get(url)
    services.import_run(job_id=job.pk)
    assert client.get(url)["HX-Refresh"] == "true"


def test_upload_page_lists_jobs_in_bounded_queries(
    client, world, campaign, phq9, django_assert_max_num_queries
):
    for _ in range(5):
        services.import_job_create(
            actor=world.users["psych_a"],
            campaign=campaign,
            instrument=phq9,
            unit=world.school_a,
            filename="a.csv",
            content=b"x",
            enqueue=False,
        )
    login(client, world.users["psych_a"])
    with django_assert_max_num_queries(16):  # + the classes of the one-class template picker
        assert client.get(UPLOAD).status_code == 200


def test_template_prefilled_with_the_school_and_audited(client, world, campaign, phq9):
    from openpyxl import load_workbook

    login(client, world.users["psych_a"])
    url = reverse("screening:import_template", args=[campaign.pk, "PHQ-9"])
    response = client.get(url, {"unit": world.school_a.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = parsing.template_headers(phq9)
    assert list(rows[0]) == [headers[0], headers[1], parsing.CLASS_HEADER, *headers[2:]]
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {
        world.students["a"].student_number,
        world.students["a_other_class"].student_number,
    }
    assert AuditEvent.objects.filter(action=Action.EXPORT, actor_username="psych_a").exists()
    # another school's roster is not for psych_a
    assert client.get(url, {"unit": world.school_b.pk}).status_code == 404


def test_filled_template_imports(client, world, campaign, phq9):
    login(client, world.users["psych_a"])
    url = reverse("screening:import_template", args=[campaign.pk, "PHQ-9"])
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(client.get(url, {"unit": world.school_a.pk}).content))
    sheet = workbook.active
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells[2:]:
            cell.value = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="filled.xlsx",
        content=buffer.getvalue(),
        enqueue=False,
    )
    job = services.import_run(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    assert job.inserted_rows == 2


def test_management_command(world, campaign, phq9, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([row(world.students["a"], [0] * 9)]))
    call_command(
        "import_screening",
        str(path),
        campaign=campaign.pk,
        instrument="PHQ-9",
        school=world.school_a.code,
        user="psych_a",
    )
    assert ScreeningResult.objects.filter(student=world.students["a"], campaign=campaign).exists()


# --- what the uploader acts on next: the critical results and the proposed levels ---------------

CRITICAL = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # item 9 (thoughts of self-harm) positive
LOW = [0] * 9


def _done_page(client, world, job, user):
    login(client, world.users[user])
    return client.get(reverse("screening:import_detail", args=[job.pk])).content.decode()


def test_the_done_page_counts_the_critical_results_and_the_levels_to_evaluate(
    client, world, campaign, phq9
):
    content = csv_bytes(
        [row(world.students["a"], CRITICAL), row(world.students["a_other_class"], LOW)]
    )
    job = run_import(world, campaign, phq9, content)
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.inserted_rows, job.critical_rows, job.proposal_rows) == (2, 1, 1)
    page = _done_page(client, world, job, "psych_a")
    assert "1 result is critical: the school's psychology teachers and leaders" in page
    assert "1 student has a risk level proposed from these scores" in page
    assert reverse("crisis:highrisk_list") in page  # where it is evaluated
    assert "<dt>School</dt>" in page


def test_a_file_with_nothing_critical_says_nothing_of_alerts(client, world, campaign, phq9):
    job = run_import(world, campaign, phq9, csv_bytes([row(world.students["a"], LOW)]))
    assert (job.critical_rows, job.proposal_rows) == (0, 0)
    page = _done_page(client, world, job, "psych_a")
    assert 'data-testid="import-critical"' not in page
    assert 'data-testid="import-proposals"' not in page


@pytest.mark.zh
def test_a_county_centers_import_names_its_unit_and_counts_in_chinese(
    client, world, campaign, phq9
):
    from mhcare.accounts.models import User

    User.objects.filter(pk=world.users["center_a"].pk).update(language="zh-hans")
    content = csv_bytes([row(world.students["a"], CRITICAL), row(world.students["a2"], CRITICAL)])
    job = run_import(world, campaign, phq9, content, user="center_a", unit=world.county_a)
    assert (job.critical_rows, job.proposal_rows) == (2, 2)
    page = _done_page(client, world, job, "center_a")
    assert "<dt>组织机构</dt>" in page  # a county, not a school
    assert "2 条结果为危急结果：已即时通知所在学校的心理教师和学校负责人。" in page
    assert "根据这些得分，2 名学生有预警等级建议，待综合评估。" in page
    assert "前往高危名单评估" in page
