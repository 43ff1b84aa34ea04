"""Forms of the staff complaint pages. They parse input; every rule lives in sunlit.complaints.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.complaints.vocab import STAFF_CHANNELS, Category, Channel, Kind, Status


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Open")),
            ("all", _("All")),
            *[c for c in Status.choices if c[0] != Status.UNVERIFIED],
        ],
    )
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", "—"), *Kind.choices])
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", "—"), *Category.choices])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(label=_("Received by"), choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices])
    village = forms.ChoiceField(label=_("Village concerned"), choices=())
    text = forms.CharField(
        label=_("What the villager said"), widget=forms.Textarea(attrs={"rows": 6}), max_length=4000
    )
    anonymous = forms.BooleanField(
        label=_("The villager wants to stay anonymous"), required=False, initial=True
    )
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    consent = forms.BooleanField(label=_("Consents to publication of the masked answer"), required=False)

    def __init__(self, *args, villages: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "—"), *villages]


class TextForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=365)
    reason = forms.CharField(label=_("Reason"), max_length=500)


__all__ = ["Channel", "ExtendForm", "InboxFilterForm", "IntakeForm", "ReasonForm", "TextForm"]
