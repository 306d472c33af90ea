"""Single sign-on with the provincial identity provider (OpenID Connect), driven through the full
redirect flow: the Django test client on our side, a real HTTP provider on loopback
(``oidc_provider.py``) on the other, the browser's hop to the provider made with ``requests``."""

import datetime
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from mhcare.accounts import sso
from mhcare.accounts.middleware import LOGIN_METHOD_KEY, SSO_MFA_KEY
from mhcare.accounts.models import ExternalIdentity
from mhcare.audit.models import Action, AuditEvent
from tests import factories
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

LOGIN = reverse("accounts:login")
SSO_LOGIN = reverse("accounts:sso_login")
HOME = reverse("core:home")


@pytest.fixture
def provider():
    running = Provider().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sso_on(settings, provider):
    settings.OIDC_ENABLED = True
    settings.OIDC_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_LINK_CLAIM = ""
    sso._metadata_cache.clear()
    yield provider
    sso._metadata_cache.clear()


@pytest.fixture
def teacher(world):
    return world.users["psych_a"]


def link(user, provider, subject="prov-0001"):
    return ExternalIdentity.objects.create(user=user, issuer=provider.issuer, subject=subject)


def to_provider(client, url=SSO_LOGIN):
    """Our login redirect, then the provider's: returns the callback URL the browser would open."""
    start = client.get(url)
    assert start.status_code == 302
    assert start["Location"].startswith(f"{client_provider_issuer(start)}/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlparse(at_provider.headers["Location"])
    assert back.path == reverse("accounts:sso_callback")
    return f"{back.path}?{back.query}"


def client_provider_issuer(response):
    parsed = urlparse(response["Location"])
    return f"{parsed.scheme}://{parsed.netloc}"


def round_trip(client, url=SSO_LOGIN):
    return client.get(to_provider(client, url))


def refused_with(response, client, message):
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    page = client.get(LOGIN)
    assert str(message) in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_offers_sso_only_when_enabled(client, db, settings, sso_on):
    settings.OIDC_ENABLED = False
    page = client.get(LOGIN).content.decode()
    assert 'data-testid="sso-login"' not in page
    assert 'name="password"' in page

    settings.OIDC_ENABLED = True
    page = client.get(LOGIN).content.decode()
    assert 'data-testid="sso-login"' in page
    assert "Sign in with the provincial account" in page
    assert 'name="password"' in page  # the local login stays


def test_sso_redirect_carries_state_nonce_and_pkce(client, db, sso_on):
    response = client.get(SSO_LOGIN)
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/accounts/sso/callback/"]


def test_linked_user_logs_in_and_sees_their_pages(client, world, teacher, sso_on):
    # given a local teacher linked to the provider's subject
    identity = link(teacher, sso_on)

    # when
    response = round_trip(client)

    # then
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert str(client.session["_auth_user_id"]) == str(teacher.pk)
    assert client.session[LOGIN_METHOD_KEY] == "oidc"
    assert client.get(HOME).status_code == 200
    students = client.get(reverse("orgs:student_list")).content.decode()
    assert "张小明" in students
    assert "赵小丽" not in students  # another county's school
    identity.refresh_from_db()
    assert identity.last_login_at is not None
    event = AuditEvent.objects.get(action=Action.LOGIN)
    assert event.actor_id == teacher.pk
    assert event.roles == "psych_teacher"
    assert event.detail == {"method": "oidc", "issuer": sso_on.issuer, "subject": "prov-0001"}


def test_roles_come_from_local_assignments_not_claims(client, world, teacher, sso_on):
    # given a provider that says the person is a provincial official
    link(teacher, sso_on)
    sso_on.claims = {"sub": "prov-0001", "roles": ["official", "platform_admin"], "org": "33"}

    round_trip(client)

    # then the session has the teacher's role and nothing more
    assert client.get(reverse("compliance:report_list")).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 302  # not staff: to the admin login
    assert teacher.assignments.count() == 1
    assert AuditEvent.objects.get(action=Action.LOGIN).roles == "psych_teacher"


def test_next_page_is_kept_through_the_round_trip(client, world, teacher, sso_on):
    link(teacher, sso_on)
    wanted = reverse("orgs:student_list")
    response = round_trip(client, f"{SSO_LOGIN}?{urlencode({'next': wanted})}")
    assert response["Location"] == wanted


def test_next_page_on_another_site_is_ignored(client, world, teacher, sso_on):
    link(teacher, sso_on)
    response = round_trip(client, f"{SSO_LOGIN}?{urlencode({'next': 'https://evil.example/'})}")
    assert response["Location"] == HOME


def test_unknown_subject_is_refused(client, world, sso_on):
    sso_on.claims = {"sub": "nobody-here", "staff_id": "psych_a"}

    response = round_trip(client)

    refused_with(response, client, sso.UNKNOWN_SUBJECT_MESSAGE)
    assert not ExternalIdentity.objects.exists()  # no link made without OIDC_LINK_CLAIM
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail == {"method": "oidc", "reason": "unknown_subject", "subject": "nobody-here"}
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()


@pytest.mark.zh
def test_unknown_subject_is_refused_in_chinese(client, world, sso_on):
    sso_on.claims = {"sub": "nobody-here"}
    response = client.get(to_provider(client), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Location"] == LOGIN
    page = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您的省统一身份认证账号尚未关联本平台的账号" in page
    assert "使用省统一身份认证登录" in page


def test_disabled_user_is_refused(client, world, teacher, sso_on):
    link(teacher, sso_on)
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])

    response = round_trip(client)

    refused_with(response, client, sso.DISABLED_MESSAGE)
    assert AuditEvent.objects.get(action=Action.LOGIN_FAILED).detail["reason"] == "inactive"


def test_bad_signature_is_refused(client, world, teacher, sso_on):
    link(teacher, sso_on)
    sso_on.sign_with_other_key = True

    response = round_trip(client)

    refused_with(response, client, sso.FAILED_MESSAGE)
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail["reason"] == "protocol:BadSignatureError"


def test_id_token_of_another_login_is_refused(client, world, teacher, sso_on):
    link(teacher, sso_on)
    sso_on.nonce_override = "a-nonce-of-another-login"

    response = round_trip(client)

    refused_with(response, client, sso.FAILED_MESSAGE)
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail["reason"] == "protocol:InvalidClaimError"


def test_id_token_of_another_issuer_is_refused(client, world, teacher, sso_on):
    link(teacher, sso_on)
    sso_on.issuer_override = "http://127.0.0.1:1/"

    refused_with(round_trip(client), client, sso.FAILED_MESSAGE)
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail["reason"] == "protocol:InvalidClaimError"


def test_forged_state_is_refused(client, world, teacher, sso_on):
    link(teacher, sso_on)
    callback = urlparse(to_provider(client))
    query = parse_qs(callback.query)
    forged = urlencode({"code": query["code"][0], "state": "forged-state"})

    response = client.get(f"{callback.path}?{forged}")

    refused_with(response, client, sso.FAILED_MESSAGE)
    assert "/token" not in sso_on.requests  # the code was never exchanged
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail["reason"] == "protocol:MismatchingStateError"


def test_callback_in_another_browser_is_refused(client, world, teacher, sso_on):
    """A callback URL (code and state) opened in another session — an attacker's login link sent
    to a victim — has no state there."""
    from django.test import Client

    link(teacher, sso_on)
    callback = to_provider(client)
    other = Client()

    refused_with(other.get(callback), other, sso.FAILED_MESSAGE)


def test_callback_replayed_is_refused(client, world, teacher, sso_on):
    link(teacher, sso_on)
    callback = to_provider(client)
    assert client.get(callback)["Location"] == HOME
    client.logout()

    refused_with(client.get(callback), client, sso.FAILED_MESSAGE)


def test_provider_error_is_refused(client, world, sso_on):
    start = client.get(SSO_LOGIN)
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    response = client.get(
        reverse("accounts:sso_callback"), {"error": "access_denied", "state": state}
    )
    refused_with(response, client, sso.FAILED_MESSAGE)


def test_sso_off_refuses_both_ends(client, world, settings, sso_on):
    settings.OIDC_ENABLED = False
    refused_with(client.get(SSO_LOGIN), client, sso.NOT_ENABLED_MESSAGE)
    refused_with(
        client.get(reverse("accounts:sso_callback"), {"code": "x", "state": "y"}),
        client,
        sso.NOT_ENABLED_MESSAGE,
    )


def test_first_login_links_by_the_configured_claim(client, world, teacher, settings, sso_on):
    # given linking by the provincial staff number (from userinfo) to the local user name
    settings.OIDC_LINK_CLAIM = "staff_id"
    sso_on.claims = {"sub": "prov-7777"}
    sso_on.userinfo_claims = {"staff_id": "psych_a"}

    response = round_trip(client)

    assert response["Location"] == HOME
    identity = ExternalIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (
        teacher,
        sso_on.issuer,
        "prov-7777",
    )
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="accounts.externalidentity"
    ).exists()

    # and a second subject claiming the same staff number is not linked over it
    client.logout()
    sso_on.claims = {"sub": "prov-8888"}
    refused_with(round_trip(client), client, sso.UNKNOWN_SUBJECT_MESSAGE)
    assert ExternalIdentity.objects.count() == 1


def test_claim_linking_never_links_an_administrator(client, world, settings, sso_on):
    settings.OIDC_LINK_CLAIM = "staff_id"
    admin = world.users["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    sso_on.claims = {"sub": "prov-9999", "staff_id": "admin"}

    refused_with(round_trip(client), client, sso.UNKNOWN_SUBJECT_MESSAGE)
    assert not ExternalIdentity.objects.exists()


def test_provider_second_factor_counts_for_roles_that_need_one(
    client, world, two_factor_on, sso_on
):
    center = world.users["center_a"]  # a county role: needs a second factor
    link(center, sso_on)
    sso_on.claims = {"sub": "prov-0001", "amr": ["pwd", "mfa"]}

    round_trip(client)

    assert client.session[SSO_MFA_KEY] is True
    assert client.get(HOME).status_code == 200
    assert AuditEvent.objects.get(action=Action.LOGIN).detail["second_factor"] == "provider"


def test_without_provider_second_factor_the_local_one_is_asked(
    client, world, two_factor_on, sso_on
):
    center = world.users["center_a"]
    link(center, sso_on)
    sso_on.claims = {"sub": "prov-0001", "amr": ["pwd"]}

    round_trip(client)

    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))


def test_password_expiry_does_not_apply_to_sso_sessions(client, world, sso_on):
    center = world.users["center_a"]  # county roles' passwords expire
    center.password_changed_at = timezone.now() - datetime.timedelta(days=400)
    center.save(update_fields=["password_changed_at"])
    link(center, sso_on)

    round_trip(client)
    assert client.get(HOME).status_code == 200

    # while a password login of the same account is sent to change it
    client.logout()
    client.post(LOGIN, {"username": "center_a", "password": factories.PASSWORD})
    assert client.get(HOME)["Location"] == reverse("accounts:password_change")


def test_ending_the_users_sessions_ends_sso_sessions(client, world, teacher, sso_on):
    link(teacher, sso_on)
    round_trip(client)
    teacher.session_epoch += 1
    teacher.save(update_fields=["session_epoch"])

    assert client.get(HOME)["Location"].startswith(LOGIN)


def test_logout_ends_the_local_session_and_goes_to_the_provider(client, world, teacher, sso_on):
    link(teacher, sso_on)
    round_trip(client)
    id_token = client.session[sso.SESSION_ID_TOKEN_KEY]

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert 'http-equiv="refresh"' in page
    url = urlparse(response.context["provider_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sso_on.issuer}/logout"
    query = parse_qs(url.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [f"http://testserver{LOGIN}"]
    assert AuditEvent.objects.get(action=Action.LOGOUT).actor_id == teacher.pk


def test_password_logout_stays_local(client, world, teacher, sso_on):
    client.post(LOGIN, {"username": "psych_a", "password": factories.PASSWORD})
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_explicit_endpoints_without_discovery(client, world, teacher, settings, sso_on):
    settings.OIDC_DISCOVERY_URL = ""
    settings.OIDC_ISSUER = sso_on.issuer
    settings.OIDC_AUTHORIZATION_ENDPOINT = f"{sso_on.issuer}/authorize"
    settings.OIDC_TOKEN_ENDPOINT = f"{sso_on.issuer}/token"
    settings.OIDC_JWKS_URI = f"{sso_on.issuer}/jwks"
    link(teacher, sso_on)

    assert round_trip(client)["Location"] == HOME
    assert "/.well-known/openid-configuration" not in sso_on.requests


def test_discovery_is_fetched_once_for_many_logins(client, world, teacher, sso_on):
    link(teacher, sso_on)
    for _ in range(3):
        round_trip(client)
        client.logout()
    assert sso_on.requests.count("/.well-known/openid-configuration") == 1
    assert sso_on.requests.count("/jwks") == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"OIDC_CLIENT_SECRET": None}, "OIDC_CLIENT_SECRET"),
        ({"OIDC_DISCOVERY_URL": None}, "OIDC_DISCOVERY_URL"),
        ({"OIDC_SCOPES": "profile"}, "OIDC_SCOPES must include 'openid'"),
    ],
)
def test_production_refuses_half_configured_sso(overrides, message):
    from tests.test_deploy import _manage, _production_env

    configured = {
        "OIDC_ENABLED": "1",
        "OIDC_DISCOVERY_URL": "https://idp.example.org/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": "mhcare",
        "OIDC_CLIENT_SECRET": "not-a-real-secret",
    }
    assert _manage("check", env=_production_env(**configured)).returncode == 0

    result = _manage("check", env=_production_env(**{**configured, **overrides}))

    assert result.returncode != 0
    assert message in result.stderr


def test_discovery_naming_another_issuer_is_refused(client, world, settings, sso_on):
    settings.OIDC_ISSUER = "https://another-provider.example.org"

    refused_with(client.get(SSO_LOGIN), client, sso.FAILED_MESSAGE)
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail == {"method": "oidc", "reason": "provider:RuntimeError"}


def test_an_endpoint_given_wins_over_discovery(client, world, teacher, settings, sso_on):
    settings.OIDC_END_SESSION_ENDPOINT = f"{sso_on.issuer}/province-logout"
    link(teacher, sso_on)
    round_trip(client)  # the discovery document is loaded (and cached) here

    response = client.post(reverse("accounts:logout"))

    assert response.context["provider_url"].startswith(f"{sso_on.issuer}/province-logout?")


def test_platform_admin_links_an_account_but_not_their_own(client, world, settings, sso_on):
    admin = world.users["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    teacher = world.users["psych_a"]
    settings.OIDC_ISSUER = sso_on.issuer
    client.force_login(admin)
    add = reverse("admin:accounts_externalidentity_add")
    form = client.get(add).content.decode()
    assert f'value="{sso_on.issuer}"' in form  # the issuer is filled in

    # cannot link their own account (it would let a provider's person in as the administrator)
    own = {"user": admin.pk, "issuer": sso_on.issuer, "subject": "prov-admin"}
    assert client.post(add, own).status_code == 403

    response = client.post(add, {"user": teacher.pk, "issuer": sso_on.issuer, "subject": "prov-1"})

    assert response.status_code == 302
    identity = ExternalIdentity.objects.get()
    assert (identity.user, identity.subject) == (teacher, "prov-1")
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="accounts.externalidentity", actor_id=admin.pk
    ).exists()
    # a subject links one account only
    again = {"user": world.users["leader_a"].pk, "issuer": sso_on.issuer, "subject": "prov-1"}
    assert client.post(add, again).status_code == 200  # the form's error
    assert ExternalIdentity.objects.count() == 1
