"""Forms of self-screening: issuing codes (teacher), typing a code and answering (student)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import SchoolClass
from screening.models import Campaign, Instrument
from screening.scoring import item_values, localized
from screening.selfscreen import selectors

CODE_REQUIRED = _("Please type the code from your slip.")
ANSWER_REQUIRED = _("Please choose one answer for this question.")


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SchoolClass) -> str:
        return f"{obj.school.name} · {obj.name} ({obj.school_year.name})"


class CodeIssueForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    klass = ClassChoiceField(label=_("Class"), queryset=SchoolClass.objects.none())

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign_field = cast(forms.ModelChoiceField, self.fields["campaign"])
        klass_field = cast(forms.ModelChoiceField, self.fields["klass"])
        campaign_field.queryset = selectors.selfscreen_campaign_list(actor=actor)
        klass_field.queryset = selectors.selfscreen_class_list(actor=actor)


class CodeEntryForm(forms.Form):
    code = forms.CharField(
        label=_("Your code"),
        max_length=20,
        error_messages={"required": CODE_REQUIRED},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "inputmode": "text",
                "placeholder": "ABCD-EFGH",
            }
        ),
    )


def item_field_name(number: int) -> str:
    return f"item_{number}"


class SelfAnswerForm(forms.Form):
    """The instrument's items as big radio buttons, in the student's language."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        definition = instrument.definition
        options = {int(o["value"]): localized(o) for o in definition.get("options", [])}
        for item in instrument.items:
            number = int(item["number"])
            item_options = {int(o["value"]): localized(o) for o in item.get("options", [])}
            choices = [
                (str(value), item_options.get(value) or options.get(value) or str(value))
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
