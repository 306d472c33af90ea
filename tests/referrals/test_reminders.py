"""Referral reminders through the kernel engine: sent and not accepted in N days, no feedback in
30 days, no return plan after the return — each once, to the people concerned."""

from __future__ import annotations

import datetime

from django.utils import timezone

from mhcare.core.reminders.services import reminder_scan
from mhcare.notifications.models import Notification
from referrals import reminders
from referrals.models import Referral, ReferralState
from tests.referrals.conftest import bring_to

S = ReferralState


def _scan(days: int, rule: str):
    return reminder_scan(today=timezone.localdate() + datetime.timedelta(days=days), rules=[rule])


def test_not_accepted_after_n_days_reminds_the_institution_and_the_maker(world, inst, settings):
    settings.REFERRAL_ACCEPT_WITHIN_DAYS = 7
    referral = bring_to(world, S.SENT)
    assert _scan(6, reminders.RULE_NOT_ACCEPTED).total == 0
    assert _scan(7, reminders.RULE_NOT_ACCEPTED).total == 2
    assert _scan(8, reminders.RULE_NOT_ACCEPTED).total == 0  # once
    kinds = Notification.objects.filter(kind="referrals.referral_not_accepted")
    assert {n.recipient.username for n in kinds} == {"staff_h", "psych_a"}
    assert all(world.students["a"].name not in n.title for n in kinds)
    assert kinds.first().url.endswith(f"/referrals/{referral.pk}/")


def test_no_feedback_within_30_days_of_acceptance(world, inst):
    referral = bring_to(world, S.IN_TREATMENT)
    Referral.objects.filter(pk=referral.pk).update(
        accepted_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert _scan(0, reminders.RULE_NO_FEEDBACK).total == 2
    feedback = bring_to(world, S.FEEDBACK_RECEIVED, student_key="a_other_class")
    Referral.objects.filter(pk=feedback.pk).update(
        accepted_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert _scan(1, reminders.RULE_NO_FEEDBACK).total == 0  # feedback arrived: nothing


def test_return_plan_not_written(world, inst, settings):
    settings.REFERRAL_RETURN_PLAN_WITHIN_DAYS = 3
    bring_to(world, S.RETURNED)
    assert _scan(2, reminders.RULE_RETURN_PLAN).total == 0
    assert _scan(3, reminders.RULE_RETURN_PLAN).total == 1
    planned = bring_to(world, S.CLOSED, student_key="a_other_class")
    assert planned.return_plan_at is not None
    assert _scan(5, reminders.RULE_RETURN_PLAN).total == 0
