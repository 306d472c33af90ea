"""The school leader, told of an emergency access to a case of her school, opens the list of
emergency accesses in Chromium, reads who opened what, why and until when, and ends it early."""

import pytest

from crisis import services
from mhcare.accounts import breakglass
from mhcare.accounts.models import BreakGlassGrant
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "学生在校外发生紧急情况，需要立即了解其危机个案"


def test_the_leader_reads_and_ends_an_emergency_access(page, world):
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    case = services.evaluation_confirm(
        actor=world.users["psych_a"], student=world.students["a"], level="2", reason="面谈确认"
    ).case
    breakglass.break_glass_open(actor=world.users["psych_b"], query=str(case.pk), reason=REASON)

    log_in(page, "leader_a", world.password)
    page.goto("/accounts/emergency-access/grants/")
    row = page.locator("[data-testid=grant-row]")
    assert row.count() == 1
    assert REASON in row.inner_text()
    screenshot(page, "break-glass-oversight")

    page.click("[data-testid=end-grant]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=end-grant]").count() == 0
    assert "结束" in page.locator("[data-testid=grant-row]").inner_text()
    screenshot(page, "break-glass-oversight-ended")
    grant = BreakGlassGrant.objects.get()
    assert grant.ended_by == world.users["leader_a"]
    assert errors == []
