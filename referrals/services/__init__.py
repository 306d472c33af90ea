"""Writes of referrals (医教协同, notice §11) and of the institutions they go to.

The transition table (``TRANSITIONS``) is the one rule for what may follow what; the database
constraints of ``Referral`` refuse a row that skips what a state needs. Who moves a referral:

- the school (``MAKE_REFERRAL``: the student's psychology teacher, the county center): create,
  record the guardian's consent, send, mark the return to school (with the institution's clearance
  or the guardian's medical certificate), write the return plan, close, withdraw (with a reason);
- the school leader (``OVERRIDE_REFERRAL_CONSENT``): the emergency override of the consent gate,
  with a reason — audited and shown on the case;
- the staff of the institution it is addressed to (``ANSWER_REFERRAL``): accept, decline (with a
  reason), start treatment, write feedback (assessment, diagnosis, recommendations, return advice).

Sending shares the referral with the institution's staff (django-guardian, ``scope.share``) and the
student as the referral kind only — never as scores, cases or notes; closing or withdrawing takes
both shares back. Every transition is a ``ReferralEvent``, audited in the same transaction and
notified to the people concerned. A sent referral sets the case "referred"; the return to school
sets it back to "open" with the next follow-up at the level's cadence (crisis services).
"""

from referrals.services.common import (
    ALREADY_PROFILED,
    ANOTHER_ACTIVE,
    BEFORE_CREATED,
    CASE_OTHER_STUDENT,
    CHOICE_INVALID,
    CLEARANCE_REQUIRED,
    CONSENT_REQUIRED,
    FEEDBACK_REQUIRED,
    FUTURE_TIME,
    GUARDIAN_REQUIRED,
    INSTITUTION,
    LEADER,
    NON_FINAL,
    NOT_ACCEPTING,
    NOT_ALLOWED,
    NOT_AN_INSTITUTION,
    NOT_KEEPER,
    NOT_LEADER,
    NOTIFICATION_KIND,
    OVERRIDE_DONE,
    PLAN_NOT_RETURNED,
    PLAN_REQUIRED,
    REASON_ACTIONS,
    REASON_REQUIRED,
    SCAN_TOO_LARGE,
    SCAN_TYPE,
    SCAN_TYPES,
    SCHOOL,
    SIMPLE_ACTIONS,
    STEP_TITLES,
    TRANSITION_REFUSED,
    TRANSITIONS,
    S,
    Transition,
    allowed_pairs,
    institution_staff,
    keeper_paths,
    may_answer,
    may_keep,
    may_make,
    may_override,
    school_people,
    staff_unit_ids,
)
from referrals.services.institutions import (
    INSTITUTION_FIELDS,
    institution_save,
    institution_shares_refresh,
    institution_staff_assignments,
)
from referrals.services.transitions import (
    referral_create,
    referral_feedback,
    referral_override_consent,
    referral_record_consent,
    referral_return,
    referral_transition,
    referral_write_return_plan,
)

__all__ = [
    "institution_shares_refresh",
    "INSTITUTION",
    "LEADER",
    "SCHOOL",
    "ALREADY_PROFILED",
    "ANOTHER_ACTIVE",
    "BEFORE_CREATED",
    "CASE_OTHER_STUDENT",
    "CHOICE_INVALID",
    "CLEARANCE_REQUIRED",
    "CONSENT_REQUIRED",
    "FEEDBACK_REQUIRED",
    "FUTURE_TIME",
    "GUARDIAN_REQUIRED",
    "INSTITUTION_FIELDS",
    "NON_FINAL",
    "NOTIFICATION_KIND",
    "NOT_ACCEPTING",
    "NOT_ALLOWED",
    "NOT_AN_INSTITUTION",
    "NOT_KEEPER",
    "NOT_LEADER",
    "OVERRIDE_DONE",
    "PLAN_NOT_RETURNED",
    "PLAN_REQUIRED",
    "REASON_ACTIONS",
    "REASON_REQUIRED",
    "S",
    "SCAN_TOO_LARGE",
    "SCAN_TYPE",
    "SCAN_TYPES",
    "SIMPLE_ACTIONS",
    "STEP_TITLES",
    "TRANSITIONS",
    "TRANSITION_REFUSED",
    "Transition",
    "allowed_pairs",
    "institution_save",
    "institution_staff",
    "institution_staff_assignments",
    "keeper_paths",
    "may_answer",
    "may_keep",
    "may_make",
    "may_override",
    "referral_create",
    "referral_feedback",
    "referral_override_consent",
    "referral_record_consent",
    "referral_return",
    "referral_transition",
    "referral_write_return_plan",
    "school_people",
    "staff_unit_ids",
]
