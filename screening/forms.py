"""The entry form for an item-level instrument, built from its definition."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput
from screening.models import Instrument
from screening.scoring import item_values, localized

ANSWER_REQUIRED = _("Choose an answer for this item.")


def item_field_name(number: int) -> str:
    return f"item_{number}"


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
        options = {int(o["value"]): localized(o) for o in definition.get("options", [])}
        for item in instrument.items:
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
        return [self[item_field_name(int(item["number"]))] for item in self.instrument.items]

    def answers(self) -> list[int]:
        return [self.cleaned_data[item_field_name(int(i["number"]))] for i in self.instrument.items]

    @property
    def administered_on_value(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["administered_on"]
        return value
