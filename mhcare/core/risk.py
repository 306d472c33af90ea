"""Risk levels, shared by every app (DESIGN.md "Risk levels"): screening proposes a level, crisis
confirms it and follows the student up at the level's cadence, referrals and counseling read it.

- ``RiskLevel``: 1 (red, the most severe) … 3 (yellow); stored as the one-character value.
- ``LEVEL_COLOURS``: the colour of each level on pages, charts and timelines.
- ``cadence_days(level)``: days between follow-ups at a level: ``DEFAULT_CADENCE``, which the
  province overrides per level with the setting ``CRISIS_FOLLOW_UP_DAYS`` (``{"1": 2}``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    LEVEL_1 = "1", _("Level 1 (red)")
    LEVEL_2 = "2", _("Level 2 (orange)")
    LEVEL_3 = "3", _("Level 3 (yellow)")


LEVEL_COLOURS = {RiskLevel.LEVEL_1: "red", RiskLevel.LEVEL_2: "orange", RiskLevel.LEVEL_3: "yellow"}

DEFAULT_CADENCE = {"1": 3, "2": 7, "3": 30}


def cadence_days(level: str) -> int:
    """Days between follow-ups at ``level`` (province-configurable: ``CRISIS_FOLLOW_UP_DAYS``)."""
    configured = getattr(settings, "CRISIS_FOLLOW_UP_DAYS", None) or {}
    return int({**DEFAULT_CADENCE, **{str(k): v for k, v in configured.items()}}[str(level)])
