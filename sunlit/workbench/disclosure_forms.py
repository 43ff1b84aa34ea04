"""Forms of the staff disclosure pages. They only parse input; every rule lives in
sunlit.disclosure.services, whose DomainError is shown back on the form (``add_domain_error``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.disclosure.vocab import DisclosureModule, DisclosureStatus, ScheduleFrequency

from .case_forms import add_domain_error  # noqa: F401 - re-exported for the views

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DisclosureFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    village = forms.CharField(label=_("Village code"), required=False, max_length=12)
    module = forms.ChoiceField(
        label=_("Module"), required=False, choices=[("", _("All modules")), *DisclosureModule.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *DisclosureStatus.choices]
    )


class _ContentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    period_start = forms.DateField(label=_("Posted from"), required=False, widget=DATE)
    period_end = forms.DateField(label=_("Posted until"), required=False, widget=DATE)
    entries_file = forms.FileField(
        label=_("Benefit list (CSV or XLSX)"),
        required=False,
        help_text=_("Columns: 姓名, 村民小组, 补助项目, 金额, 期间. Never ID numbers, phones or bank cards."),
    )
    attachment = forms.FileField(
        label=_("Attachment"), required=False, help_text=_("PDF, JPEG, PNG, DOCX, XLSX")
    )
    attachment_name = forms.CharField(label=_("Attachment name"), required=False, max_length=200)
    attachment_reviewed = forms.BooleanField(
        label=_("I have checked this attachment: it contains no ID numbers, phone numbers or bank cards"),
        required=False,
        help_text=_("Required for PDF and image files, which cannot be checked automatically."),
    )


class PublishForm(_ContentForm):
    village = forms.ChoiceField(label=_("Village"))
    module = forms.ChoiceField(label=_("Module"), choices=DisclosureModule.choices)
    field_order = ["village", "module", "title", "body", "period_start", "period_end"]

    def __init__(self, *args, villages=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(v.code, f"{v.name} ({v.code})") for v in villages]


class CorrectForm(_ContentForm):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)
    replace_attachments = forms.BooleanField(
        label=_("Replace the attachments with the file above (none if empty)"), required=False
    )


class RedactForm(forms.Form):
    target = forms.ChoiceField(label=_("What to redact"))
    text = forms.CharField(
        label=_("Passage to hide (title or text; empty hides the whole field)"),
        required=False,
        max_length=500,
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, targets=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(targets)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ContactForm(forms.Form):
    chair = forms.CharField(label=_("Chair"), max_length=60)
    members = forms.CharField(label=_("Members"), required=False, max_length=300)
    office_phone = forms.CharField(label=_("Office phone"), required=False, max_length=40)
    address = forms.CharField(label=_("Office address"), required=False, max_length=200)
    hours = forms.CharField(label=_("Office hours"), required=False, max_length=100)


class ScheduleForm(forms.Form):
    module = forms.ChoiceField(label=_("Module"), choices=DisclosureModule.choices)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=ScheduleFrequency.choices)
    due_day = forms.IntegerField(label=_("Due by day of the following month"), min_value=1, max_value=28)
    grace_days = forms.IntegerField(label=_("Grace period (days)"), min_value=0, max_value=60)
    starts_on = forms.DateField(label=_("Required from"), widget=DATE)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
