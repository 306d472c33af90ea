"""Two-factor in Chromium with the second factor enforced (as in production): a county-center
member enrols (QR code drawn on the server, no script), sees the recovery codes once, logs in again
with a code; then breaks the glass on a case of another county."""

import pytest

from crisis import services
from mhcare.accounts.models import BreakGlassGrant
from mhcare.accounts.models import EncryptedTOTPDevice as TOTPDevice
from tests.browser.conftest import log_in, screenshot
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrol_verify_and_break_the_glass(page, world, two_factor_on):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # given a county-center member without a second factor, sent to enrol after the password
    log_in(page, "center_b", world.password)
    assert "/accounts/two-factor/" in page.url
    assert page.locator("[data-testid=qr] svg").count() == 1
    screenshot(page, "two-factor-enrol")

    # when she enters the app's first code
    device = TOTPDevice.objects.get(user=world.users["center_b"], confirmed=False)
    page.fill("input[name=code]", totp_code(device))
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state("networkidle")

    # then the ten recovery codes are shown once
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    screenshot(page, "two-factor-recovery-codes")

    # and a new login asks for the code
    page.context.clear_cookies()
    log_in(page, "center_b", world.password)
    assert "/accounts/two-factor/verify/" in page.url
    screenshot(page, "two-factor-verify")
    device.refresh_from_db()
    page.fill("input[name=code]", totp_code(device, steps_ahead=1))
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/two-factor/" not in page.url

    # break the glass on a case of county A
    case = services.evaluation_confirm(
        actor=world.users["psych_a"],
        student=world.students["a"],
        level="1",
        reason="面谈确认有自伤计划",
    ).case
    assert page.goto(f"/crisis/cases/{case.pk}/").status == 404
    page.goto("/accounts/emergency-access/")
    page.fill("input[name=query]", world.students["a"].student_number)
    page.fill("textarea[name=reason]", "学生家长来电称孩子离家出走，需立即查看其危机个案")
    screenshot(page, "emergency-access")
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/crisis/cases/{case.pk}/")
    screenshot(page, "emergency-access-case")
    assert BreakGlassGrant.objects.filter(user=world.users["center_b"]).count() == 1
    assert not [e for e in errors if "Content Security Policy" in e]
