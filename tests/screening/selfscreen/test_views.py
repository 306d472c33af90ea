import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from screening.models import ResultSource, RiskProposal, ScreeningResult, SelfScreeningCode
from screening.selfscreen import services, views
from screening.selfscreen.services import CodeRejectedError

START = reverse("screening:selfscreen_start")
ANSWER = reverse("screening:selfscreen_answer")
CODES = reverse("screening:selfscreen_codes")


def issue(world, campaign):
    return services.selfscreen_codes_issue(
        actor=world.users["psych_a"], campaign=campaign, klass=world.class_a
    )


def answers(values):
    return {f"item_{n}": str(v) for n, v in enumerate(values, start=1)}


def enter_code(client, code):
    response = client.post(START, {"code": code})
    token = response.context["form"]["token"].value() if response.status_code == 200 else None
    return response, token


# --- the student -----------------------------------------------------------------------------


def test_the_start_page_shows_nothing_but_the_code_box_and_is_never_cached(world, campaign):
    issue(world, campaign)
    response = Client().get(START)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert 'name="code"' in body
    assert world.students["a"].name not in body
    assert "csrfmiddlewaretoken" in body


def test_a_student_answers_with_a_valid_code_end_to_end(
    world, campaign, django_capture_on_commit_callbacks
):
    [item] = issue(world, campaign)
    client = Client(enforce_csrf_checks=False)

    # the code (typed in lower case, without the dash) opens the questions
    response, token = enter_code(client, item.code.lower())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert world.students["a"].name in body
    assert "Little interest or pleasure in doing things" in body
    assert item.code not in body  # the code itself is not echoed back into the page
    assert (
        str(SelfScreeningCode.objects.get().pk) not in response.url
        if hasattr(response, "url")
        else True
    )

    # submit: item 9 > 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ANSWER, {"token": token, **answers([2, 2, 2, 2, 2, 2, 2, 2, 1])})
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:selfscreen_done")
    done = client.get(response["Location"])
    text = done.content.decode()
    assert "no-store" in done["Cache-Control"]
    # never the score (looked for outside the random CSRF token of the language switch)
    visible = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    assert "17" not in visible
    assert "moderately" not in visible
    assert world.students["a"].name not in text

    result = ScreeningResult.objects.get(student=world.students["a"])
    assert (result.source, result.total, result.is_critical) == (ResultSource.SELF, 17, True)
    assert result.campaign == campaign
    assert SelfScreeningCode.objects.get().used_at is not None
    assert RiskProposal.objects.get(source_result=result).level == "2"
    # the critical alert reached the school's psychology teacher and leader (after commit)
    recipients = set(
        Notification.objects.filter(key=f"screening-critical:{result.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"psych_a", "leader_a"} <= recipients
    assert AuditEvent.objects.filter(
        object_type="screening.selfscreeningcode", detail__self_administered=True
    ).exists()

    # the same code a second time: refused, with its own wording
    response, _ = enter_code(client, item.code)
    assert response.status_code == 400
    assert str(views.REJECTED_MESSAGES[CodeRejectedError.USED]) in response.content.decode()
    # replaying the token: refused too, nothing changes
    response = client.post(ANSWER, {"token": token, **answers([0] * 9)})
    assert response.status_code == 400
    assert ScreeningResult.objects.get().total == 17


@pytest.mark.zh
def test_the_questions_are_in_chinese_by_default(world, campaign):
    [item] = issue(world, campaign)
    response, _ = enter_code(Client(), item.code)
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "做事时提不起劲或没有兴趣" in body
    assert "完全不会" in body


def test_a_missing_answer_is_shown_next_to_the_item_and_the_others_are_kept(world, campaign):
    [item] = issue(world, campaign)
    client = Client()
    _, token = enter_code(client, item.code)
    data = {"token": token, **answers([1, 1, 1, 1, 1, 1, 1, 1, 0])}
    del data["item_5"]
    response = client.post(ANSWER, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "item_5" in form.errors
    assert form["item_4"].value() == "1"
    assert not ScreeningResult.objects.exists()
    assert SelfScreeningCode.objects.get().used_at is None


def test_switching_language_keeps_the_answers(world, campaign):
    [item] = issue(world, campaign)
    client = Client()
    _, token = enter_code(client, item.code)
    response = client.post(ANSWER, {"token": token, "language": "en", "item_1": "3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Little interest or pleasure in doing things" in body
    assert response.context["form"]["item_1"].value() == "3"
    assert response.cookies["django_language"].value == "en"
    assert not ScreeningResult.objects.exists()


def test_an_expired_code_is_refused_with_a_clear_message(world, campaign):
    [item] = issue(world, campaign)
    campaign.window_start = timezone.localdate() - datetime.timedelta(days=30)
    campaign.window_end = timezone.localdate() - datetime.timedelta(days=1)
    campaign.save()
    response, _ = enter_code(Client(), item.code)
    assert response.status_code == 400
    assert str(views.REJECTED_MESSAGES[CodeRejectedError.EXPIRED]) in response.content.decode()
    assert world.students["a"].name not in response.content.decode()


def test_a_wrong_code_is_refused_without_any_student_data(world, campaign):
    issue(world, campaign)
    response, _ = enter_code(Client(), "ABCD-EFGH")
    assert response.status_code == 400
    body = response.content.decode()
    assert str(views.REJECTED_MESSAGES[CodeRejectedError.INVALID]) in body
    assert world.students["a"].name not in body


def test_wrong_codes_are_limited_per_ip(world, campaign):
    [item] = issue(world, campaign)
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(views.FAILURE_LIMIT):
        response, _token = enter_code(client, "ZZZZ-ZZZZ")
        assert response.status_code == 400
    # now even the right code is refused from this address…
    response, _token = enter_code(client, item.code)
    assert response.status_code == 429
    assert str(views.TOO_MANY_ATTEMPTS) in response.content.decode()
    # …while another computer is not affected
    response, _token = enter_code(Client(REMOTE_ADDR="10.9.9.9"), item.code)
    assert response.status_code == 200


def test_a_forged_token_is_refused_and_counted(world, campaign):
    issue(world, campaign)
    code = SelfScreeningCode.objects.get()
    client = Client(REMOTE_ADDR="10.1.2.4")
    response = client.post(ANSWER, {"token": f"{code.pk}:forged", **answers([0] * 9)})
    assert response.status_code == 400
    assert not ScreeningResult.objects.exists()


def test_an_old_token_has_run_out(world, campaign, monkeypatch):
    [item] = issue(world, campaign)
    client = Client()
    _, token = enter_code(client, item.code)
    monkeypatch.setattr(views, "TOKEN_MAX_AGE_SECONDS", -1)
    response = client.post(ANSWER, {"token": token, **answers([0] * 9)})
    assert response.status_code == 400
    assert str(views.TIME_RAN_OUT) in response.content.decode()
    assert SelfScreeningCode.objects.get().used_at is None


def test_the_student_pages_are_csrf_protected(world, campaign):
    [item] = issue(world, campaign)
    client = Client(enforce_csrf_checks=True)
    assert client.post(START, {"code": item.code}).status_code == 403


def test_the_student_pages_use_no_session(world, campaign):
    [item] = issue(world, campaign)
    client = Client()
    _, token = enter_code(client, item.code)
    client.post(ANSWER, {"token": token, **answers([0] * 9)})
    assert "sessionid" not in client.cookies


# --- the teacher -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, 302),
        ("homeroom_a", 403),
        ("official_a", 403),
        ("leader_a", 403),
        ("center_a", 403),
        ("admin", 403),
        ("psych_a", 200),
    ],
)
def test_codes_page_matrix(world, campaign, who, expected):
    client = Client()
    if who:
        client.force_login(world.users[who])
    response = client.get(CODES)
    assert response.status_code == expected
    response = client.post(CODES, {"campaign": campaign.pk, "klass": world.class_a.pk})
    assert response.status_code == expected
    assert SelfScreeningCode.objects.exists() == (expected == 200)
    assert AuditEvent.objects.filter(action=Action.EXPORT).exists() == (expected == 200)


@pytest.mark.parametrize("klass", ["class_a", "class_a2"])
def test_another_schools_class_is_404(world, campaign, klass):
    client = Client()
    client.force_login(world.users["psych_b"])
    response = client.post(CODES, {"campaign": campaign.pk, "klass": getattr(world, klass).pk})
    assert response.status_code == 404
    assert not SelfScreeningCode.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_another_countys_campaign_is_404(world, campaign):
    client = Client()
    client.force_login(world.users["psych_b"])
    response = client.post(CODES, {"campaign": campaign.pk, "klass": world.class_b.pk})
    assert response.status_code == 404


def test_the_teacher_prints_slips_once(world, campaign, classmate, django_assert_max_num_queries):
    client = Client()
    client.force_login(world.users["psych_a"])
    page = client.get(CODES)
    assert campaign.name in page.content.decode()
    with django_assert_max_num_queries(30):
        response = client.post(CODES, {"campaign": campaign.pk, "klass": world.class_a.pk})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    issued = response.context["issued"]
    body = response.content.decode()
    assert len(issued) == 2
    for item in issued:
        assert item.student.name in body
        assert item.display in body
        assert services.selfscreen_code_check(code=item.code).student == item.student
    assert "http://testserver/screening/s/" in body
    assert campaign.window_end.isoformat() in body
    # the clear codes are nowhere in the database
    hashes = set(SelfScreeningCode.objects.values_list("code_hash", flat=True))
    assert not {item.code for item in issued} & hashes


def test_a_campaign_error_is_shown_next_to_the_field(world, campaign):
    world.class_a.grade = 3
    world.class_a.save()
    client = Client()
    client.force_login(world.users["psych_a"])
    response = client.post(CODES, {"campaign": campaign.pk, "klass": world.class_a.pk})
    assert response.status_code == 400
    assert str(services.GRADE_NOT_TARGETED) in response.context["form"].errors["klass"]
    assert response.context["form"]["campaign"].value() == str(campaign.pk)
