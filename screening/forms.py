"""The entry form of one student's result, built from the instrument's definition: one choice
per item (item-level), or one number per subscale — and the total where it is entered —
(score-level, e.g. SDQ: only scores are licensed for entry)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput
from screening.models import Instrument
from screening.scoring import TOTAL_KEY, item_values, localized

ANSWER_REQUIRED = _("Choose an answer for this item.")
SCORE_REQUIRED = _("Enter this score.")


def item_field_name(number: int) -> str:
    return f"item_{number}"


def score_field_name(code: str) -> str:
    return f"score_{code}"


def score_specs(instrument: Instrument) -> list[dict[str, Any]]:
    """The scores a score-level instrument takes: its subscales, and the total when the total
    is entered rather than summed."""
    definition = instrument.definition
    specs = [dict(s) for s in definition.get("subscales", [])]
    total = definition.get("total") or {}
    if total.get("from") == "entered":
        specs.append({"zh": "总分", "en": "Total", **total, "code": TOTAL_KEY})
    return specs


class ResultEntryForm(forms.Form):
    administered_on = forms.DateField(
        label=_("Administered on"),
        widget=IsoDateInput(),
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"administered_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        definition = instrument.definition
        self.is_score_level = instrument.kind == "score"
        self.specs = score_specs(instrument) if self.is_score_level else []
        for spec in self.specs:
            low, high, step = spec.get("min"), spec.get("max"), spec.get("step", 1)
            label = localized(spec) or str(spec["code"])
            self.fields[score_field_name(str(spec["code"]))] = forms.DecimalField(
                label=f"{label} ({low}–{high})" if low is not None else label,
                required=not spec.get("optional"),
                widget=forms.NumberInput(
                    attrs={"min": low, "max": high, "step": step, "inputmode": "decimal"}
                ),
                error_messages={"required": SCORE_REQUIRED},
            )
        options = {int(o["value"]): localized(o) for o in definition.get("options", [])}
        items = [] if self.is_score_level else instrument.items
        for item in items:
            number = int(item["number"])
            choices = [
                (str(value), f"{value} · {options.get(value, value)}")
                for value in item_values(definition, item)
            ]
            self.fields[item_field_name(number)] = forms.TypedChoiceField(
                label=f"{number}. {localized(item)}",
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "answer"}),
                error_messages={"required": ANSWER_REQUIRED},
            )

    def item_fields(self) -> list[forms.BoundField]:
        if self.is_score_level:
            return []
        return [self[item_field_name(int(item["number"]))] for item in self.instrument.items]

    def score_fields(self) -> list[forms.BoundField]:
        return [self[score_field_name(str(spec["code"]))] for spec in self.specs]

    def answers(self) -> list[int]:
        if self.is_score_level:
            return []
        return [self.cleaned_data[item_field_name(int(i["number"]))] for i in self.instrument.items]

    def scores(self) -> dict[str, str]:
        """The entered scores by subscale code (an optional one left empty is left out)."""
        scores = {}
        for spec in self.specs:
            value = self.cleaned_data.get(score_field_name(str(spec["code"])))
            if value is not None:
                scores[str(spec["code"])] = format(value.normalize(), "f")
        return scores

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's errors next to their field: scores are keyed by subscale code."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            name = key if key in self.fields else score_field_name(key)
            self.add_error(name if name in self.fields else None, errors)

    @property
    def administered_on_value(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["administered_on"]
        return value
