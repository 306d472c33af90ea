"""Scope matrix and behaviour of the PHQ-9 entry page; what the student page shows of screening."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mhcare.audit.models import AuditEvent
from screening.forms import ANSWER_REQUIRED
from screening.models import Instrument, RiskProposal, ScreeningResult
from screening.services import result_create

GOOD = {f"item_{n}": "0" for n in range(1, 10)}


def entry_url(student, code="PHQ-9"):
    return reverse("screening:result_create", args=[student.pk, code])


def form_data(answers, day=None):
    data = {f"item_{n}": str(v) for n, v in enumerate(answers, start=1) if v is not None}
    data["administered_on"] = (day or timezone.localdate()).isoformat()
    return data


def enter(world, student, answers):
    """A result entered by the school's psych teacher through the service (no session messages)."""
    return result_create(
        actor=world.users["psych_a"],
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=answers,
        administered_on=timezone.localdate(),
    )


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(entry_url(world.students["a"]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("user_key", "student_key", "status"),
    [
        ("psych_a", "a2", 404),  # another school
        ("psych_b", "a", 404),  # another county
        ("center_b", "a", 404),  # another county's center
        ("psych_a", "missing", 404),
        ("homeroom_a", "a", 403),  # wrong role (own class)
        ("leader_a", "a", 403),
        ("official_a", "a", 403),
        ("admin", "a", 403),
    ],
)
def test_denied_users_get_the_same_answer_and_leave_no_trace(
    client, world, user_key, student_key, status
):
    client.force_login(world.users[user_key])
    url = (
        reverse("screening:result_create", args=[999999, "PHQ-9"])
        if student_key == "missing"
        else entry_url(world.students[student_key])
    )
    before = AuditEvent.objects.count()
    assert client.get(url).status_code == status
    assert client.post(url, form_data([3] * 9)).status_code == status
    assert not ScreeningResult.objects.exists()
    assert not RiskProposal.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.zh
def test_the_form_shows_the_items_in_chinese_by_default(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(entry_url(world.students["a"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "有不如死掉或用某种方式伤害自己的念头" in body
    assert body.count('type="radio"') == 36


def test_the_form_follows_the_english_language(client, world):
    client.force_login(world.users["psych_a"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(entry_url(world.students["a"])).content.decode()
    assert "Thoughts that you would be better off dead" in body
    assert "Nearly every day" in body


def test_the_phq9_shortcut_url_opens_the_same_form(client, world):
    client.force_login(world.users["psych_a"])
    url = reverse("screening:phq9_create", args=[world.students["a"].pk])
    assert client.get(url).status_code == 200


def test_an_unknown_instrument_is_404(client, world):
    client.force_login(world.users["psych_a"])
    assert client.get(entry_url(world.students["a"], "NOPE")).status_code == 404


def test_missing_items_are_shown_next_to_the_field_and_nothing_typed_is_lost(client, world):
    client.force_login(world.users["psych_a"])
    response = client.post(
        entry_url(world.students["a"]), form_data([2, 2, 1, None, 0, 0, 0, 0, 1])
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["item_4"]
    assert form.errors["item_4"] == [str(ANSWER_REQUIRED)]
    body = response.content.decode()
    # the error sits inside the item's fieldset, and the answers already chosen are still checked
    fieldset = body.split('id="fs-item_4"')[1].split("</fieldset>")[0]
    assert str(ANSWER_REQUIRED) in fieldset
    checked = re.findall(r'<input type="radio" name="(item_\d)" value="(\d)"[^>]*checked', body)
    assert sorted(checked) == sorted(
        [
            ("item_1", "2"),
            ("item_2", "2"),
            ("item_3", "1"),
            ("item_5", "0"),
            ("item_6", "0"),
            ("item_7", "0"),
            ("item_8", "0"),
            ("item_9", "1"),
        ]
    )
    assert not ScreeningResult.objects.exists()


@pytest.mark.zh
def test_a_saved_result_redirects_to_the_student_with_total_band_and_flag(client, world):
    client.force_login(world.users["psych_a"])
    student = world.students["a"]
    response = client.post(entry_url(student), form_data([2, 2, 2, 2, 1, 1, 1, 1, 1]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("orgs:student_detail", args=[student.pk])
    result = ScreeningResult.objects.get()
    assert (result.total, result.band, result.is_critical) == (13, "moderate", True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("13" in m and "中度" in m and "PHQ-9" in m for m in messages), messages
    assert RiskProposal.objects.get().level == "2"


def test_the_student_page_offers_entry_and_shows_scores_to_the_psych_teacher(client, world):
    client.force_login(world.users["psych_a"])
    student = world.students["a"]
    client.post(entry_url(student), form_data([3, 3, 2, 2, 1, 1, 0, 0, 0]))
    body = client.get(reverse("orgs:student_detail", args=[student.pk])).content.decode()
    assert entry_url(student) in body
    assert "total 12" in body
    assert "level-yellow" in body


def test_homeroom_teacher_sees_neither_scores_nor_the_entry_action(client, world):
    # given a critical result for a student of the homeroom teacher's class
    student = world.students["a"]
    enter(world, student, [3, 3, 3, 3, 3, 2, 2, 1, 1])
    # when the homeroom teacher opens the student's page
    client.force_login(world.users["homeroom_a"])
    response = client.get(reverse("orgs:student_detail", args=[student.pk]))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "PHQ" not in body
    # the total, 21, as a number of its own: not the minutes of a time ("15:21") or a date
    timeline = body.split('data-testid="timeline"')[1]
    assert not re.search(r"(?<![\d:\-])21(?![\d:\-])", timeline)
    assert "total" not in body
    assert "level-orange" not in body
    assert entry_url(student) not in body
    assert "Flagged for the psychology teacher" in body


def test_school_leader_sees_the_band_but_not_the_total(client, world):
    student = world.students["a"]
    enter(world, student, [3, 3, 2, 2, 1, 1, 0, 0, 0])
    client.force_login(world.users["leader_a"])
    body = client.get(reverse("orgs:student_detail", args=[student.pk])).content.decode()
    assert "PHQ-9: Moderate" in body
    assert "total 12" not in body
    assert "level-yellow" in body  # the proposal (case-level) is visible to the leader
    assert entry_url(student) not in body


def test_entry_form_date_is_iso_in_chinese(client, world):
    """A Chinese locale formats dates as 2026/11/28, which <input type=date> silently drops."""
    from django.utils import translation

    client.force_login(world.users["psych_a"])
    with translation.override("zh-hans"):
        response = client.get(
            reverse("screening:phq9_create", args=[world.students["a"].pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert f'value="{timezone.localdate().isoformat()}"' in response.content.decode()
