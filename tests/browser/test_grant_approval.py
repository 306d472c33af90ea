"""A school leader approves a role grant the platform administrator asked for (issue 13,
separation of duties), the way she clicks through it in Chromium."""

import pytest

from mhcare.accounts import approvals
from mhcare.accounts.models import GrantStatus, Role, RoleAssignment
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_approves_a_grant_from_her_menu(page, world):
    # given a psychology teacher's grant asked for by the platform administrator
    teacher = factories.UserFactory(username="xinlaoshi", display_name="辛老师")
    assignment = approvals.assignment_request(
        actor=world.users["admin"],
        user=teacher,
        role=Role.PSYCH_TEACHER,
        org_unit=world.school_a,
        via="test",
    )
    assert not RoleAssignment.objects.get(pk=assignment.pk).is_active

    # when the school's leader sees the count on her home page and opens the approvals
    log_in(page, "leader_a", world.password)
    assert page.get_by_text("待您审批的角色授权：1").is_visible()
    screenshot(page, "grant-approvals-home-zh")
    page.click("nav.mainnav details[data-navgroup=system] > summary")
    page.get_by_role("link", name="角色审批", exact=True).click()
    page.wait_for_load_state("networkidle")
    row = page.locator("[data-testid=grant-row]")
    assert row.count() == 1
    assert "辛老师" in row.inner_text()
    screenshot(page, "grant-approvals-pending-zh")
    row.locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("[data-testid=approve]")

    # then the grant is active and the list is empty
    assert page.locator("[data-testid=grant-row]").count() == 0
    assert page.get_by_text("已处理 1 项申请").is_visible()
    screenshot(page, "grant-approvals-approved-zh")
    approved = RoleAssignment.objects.get(pk=assignment.pk)
    assert (approved.status, approved.is_active) == (GrantStatus.APPROVED, True)
    assert approved.decided_by == world.users["leader_a"]
