"""Writes of the growth file: the student's support plan is a kernel record
(``mhcare.orgs.plans``); the growth-file pages call it through these names."""

from mhcare.orgs.plans import NOT_PLAN_EDITOR, PLAN_FIELDS, may_edit_plan, support_plan_save

__all__ = ["NOT_PLAN_EDITOR", "PLAN_FIELDS", "may_edit_plan", "support_plan_save"]
