"""Single sign-on in Chromium, in Chinese: the provincial account's button on the login page, an
unlinked person refused in their language, a linked teacher in and out again (through the test
provider on loopback, ``tests/accounts/oidc_provider.py``)."""

from urllib.parse import urlparse

import pytest

from mhcare.accounts import sso
from mhcare.accounts.models import ExternalIdentity
from mhcare.audit.models import Action, AuditEvent
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings):
    running = Provider().start()
    settings.OIDC_ENABLED = True
    settings.OIDC_DISCOVERY_URL = running.discovery_url
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    sso._metadata_cache.clear()
    try:
        yield running
    finally:
        running.stop()
        sso._metadata_cache.clear()


def test_teacher_signs_in_and_out_with_the_provincial_account(page, world, provider):
    # given the login page, in Chinese: the local form and the provincial account's button
    page.goto("/accounts/login/")
    button = page.get_by_test_id("sso-login")
    assert button.inner_text() == "使用省统一身份认证登录"
    assert page.locator("input[name=password]").is_visible()
    screenshot(page, "sso-login-zh")

    # when a person the platform does not know signs in at the provider
    provider.claims = {"sub": "prov-unknown"}
    button.click()
    page.wait_for_load_state("networkidle")

    # then they are back on the login page, told why in Chinese
    assert page.url.endswith("/accounts/login/")
    assert page.get_by_text("您的省统一身份认证账号尚未关联本平台的账号").is_visible()
    screenshot(page, "sso-unknown-subject-zh")

    # when the teacher linked to her provincial account signs in
    teacher = world.users["psych_a"]
    ExternalIdentity.objects.create(user=teacher, issuer=provider.issuer, subject="prov-0001")
    provider.claims = {"sub": "prov-0001"}
    page.get_by_test_id("sso-login").click()
    page.wait_for_load_state("networkidle")

    # then she is on her home page, with her own name and role
    assert urlparse(page.url).path == "/"
    assert page.get_by_text("退出登录").is_visible()
    screenshot(page, "sso-home-psych-zh")
    login = AuditEvent.objects.get(action=Action.LOGIN)
    assert (login.actor_id, login.detail["method"]) == (teacher.pk, "oidc")

    # when she logs out: the local session ends and the provider's too, back to the login page
    page.get_by_text("退出登录").click()
    page.wait_for_url("**/accounts/login/**")
    assert "/logout" in provider.requests
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor_id=teacher.pk).exists()
    page.goto("/")
    assert "/accounts/login/" in page.url  # no session left
