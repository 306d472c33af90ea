import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from mhcare.accounts.models import User
from mhcare.orgs import importers
from mhcare.orgs.importers import ERROR_GENDER
from mhcare.orgs.models import Student

HEADER = "班级,年级,学籍号,姓名,性别,出生日期,监护人姓名,监护人关系,监护人电话,处境不利"


def upload(text, name="roster.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_page_shows_the_form_with_the_users_school(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("orgs:roster_import"))
    assert response.status_code == 200
    assert response.context["form"].fields["school"].initial == world.school_a.pk
    assert list(response.context["form"].fields["school"].queryset) == [world.school_a]


def test_import_page_errors_table_and_nothing_stored(client, world):
    client.force_login(world.users["psych_a"])
    content = f"{HEADER}\n八(3)班,8,G330106201300000101,陈一,?,2013-03-14,,,,\n"
    response = client.post(
        reverse("orgs:roster_import"), {"school": world.school_a.pk, "file": upload(content)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="import-errors"' in body
    assert str(ERROR_GENDER) in body
    assert response.context["form"]["school"].value() == str(world.school_a.pk)
    assert not Student.objects.filter(student_number="G330106201300000101").exists()


def test_import_page_never_imports_the_template_examples(client, world):
    client.force_login(world.users["leader_a"])
    template = client.get(reverse("orgs:roster_template"))
    assert template.status_code == 200
    assert (
        template["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    load_workbook(io.BytesIO(template.content))
    response = client.post(
        reverse("orgs:roster_import"),
        {
            "school": world.school_a.pk,
            "file": SimpleUploadedFile("t.xlsx", importers.template_workbook()),
        },
        follow=True,
    )
    assert response.status_code == 400
    assert str(importers.ERROR_NO_ROWS) in response.content.decode()
    # the template's example rows are never imported: no student, no account
    assert not Student.objects.filter(student_number="G330106201300000001").exists()
    assert not User.objects.filter(username="wangfang").exists()


def test_cannot_import_into_another_school(client, world):
    client.force_login(world.users["psych_a"])
    content = f"{HEADER}\n八(3)班,8,G330106201300000101,陈一,男,2013-03-14,,,,\n"
    response = client.post(
        reverse("orgs:roster_import"), {"school": world.school_b.pk, "file": upload(content)}
    )
    assert response.status_code == 200  # form error: not a valid choice
    assert response.context["form"].errors["school"]
    assert not Student.objects.filter(student_number="G330106201300000101").exists()


def test_roles_that_cannot_import_get_403(client, world):
    for who in ("homeroom_a", "center_a", "official_a"):
        client.force_login(world.users[who])
        assert client.get(reverse("orgs:roster_import")).status_code == 403
        assert client.get(reverse("orgs:roster_template")).status_code == 403


def test_a_file_already_stored_says_nothing_changed_never_complete(client, world):
    client.force_login(world.users["psych_a"])
    content = f"{HEADER}\n八(3)班,8,G330106201300000102,陈二,女,2013-03-14,陈父,父亲,13800000002,\n"

    def send():
        return client.post(
            reverse("orgs:roster_import"),
            {"school": world.school_a.pk, "file": upload(content)},
            follow=True,
        )

    first = [str(m) for m in send().context["messages"]]
    assert first
    assert first[0].startswith("Import complete")
    again = [str(m) for m in send().context["messages"]]
    assert again == ["Nothing changed: every row of the file is already stored."]
    assert Student.objects.filter(student_number="G330106201300000102").count() == 1
