"""Forms of the accountability and analysis pages. They parse input only; the rules live in
sunlit.accountability.services and sunlit.analytics.services, whose refusals are put back on the form
(``add_domain_error``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.accountability.vocab import (
    Disposition,
    FindingKind,
    Form,
    LeadSource,
    LeadStatus,
    Measure,
    NameDisplay,
    VisitOutcome,
)

from .case_forms import add_domain_error

__all__ = ["ACTION_FORMS", "LeadFilterForm", "LeadRegisterForm", "add_domain_error"]

_TEXT = {"rows": 3}


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any")), *LeadStatus.choices]
        self.fields["source"].choices = [("", _("Any")), *LeadSource.choices]


class LeadRegisterForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=LeadSource.choices)
    alert = forms.IntegerField(label=_("Alert number"), required=False, min_value=1)
    complaint = forms.IntegerField(label=_("Complaint number"), required=False, min_value=1)
    village = forms.ChoiceField(label=_("Village (inspections)"), required=False)
    source_description = forms.CharField(
        label=_("Which inspection found it, when and where"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs=_TEXT),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary of the problem"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "—"), *villages]


class DisposeForm(forms.Form):
    disposition = forms.ChoiceField(label=_("Disposition"), choices=Disposition.choices)
    note = forms.CharField(
        label=_("Reason"), required=False, max_length=4000, widget=forms.Textarea(attrs=_TEXT)
    )


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("About"), choices=FindingKind.choices, initial=FindingKind.VIOLATION)
    responsibility_for = forms.TypedChoiceField(
        label=_("Responsibility for the violation of (一案双查)"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    subject_name = forms.CharField(label=_("Person"), max_length=100, required=False)
    subject_post = forms.CharField(label=_("Post"), max_length=100, required=False)
    party_member = forms.BooleanField(label=_("Party member"), required=False, initial=True)
    public_servant = forms.BooleanField(label=_("Subject to civil-service sanctions"), required=False)
    form = forms.TypedChoiceField(label=_("Form (四种形态)"), choices=Form.choices, coerce=int)
    measure = forms.ChoiceField(label=_("Measure or sanction"), choices=Measure.choices)
    facts = forms.CharField(label=_("Facts established"), required=False, widget=forms.Textarea(attrs=_TEXT))

    def __init__(self, *args, violations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsibility_for"].choices = [("", "—"), *violations]


class ExecuteForm(forms.Form):
    finding = forms.IntegerField(widget=forms.HiddenInput)
    decision_ref = forms.CharField(label=_("Decision reference"), max_length=100, required=False)
    executed_on = forms.DateField(label=_("Carried out on"), widget=forms.DateInput(attrs={"type": "date"}))


class PublicationForm(forms.Form):
    required = forms.TypedChoiceField(
        label=_("Public naming"),
        choices=[("1", _("Required")), ("0", _("Not required"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(
        label=_("Reason it is not required"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs=_TEXT),
    )


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text (names are shown by the county's rule; ID numbers and phones are always masked)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class TaskForm(forms.Form):
    description = forms.CharField(
        label=_("What must be rectified"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=120, required=False)
    working_days = forms.IntegerField(label=_("Working days allowed"), min_value=1, max_value=250, initial=15)


class CompleteForm(forms.Form):
    task = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("How it was rectified"), required=False, widget=forms.Textarea(attrs=_TEXT)
    )
    evidence = forms.FileField(label=_("Evidence (PDF, JPEG, PNG, DOCX, XLSX)"), required=False)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Closing note"), required=False, widget=forms.Textarea(attrs=_TEXT))


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"}))
    visitors = forms.CharField(label=_("Visited by"), max_length=200, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VisitOutcome.choices)
    note = forms.CharField(label=_("What was found"), required=False, widget=forms.Textarea(attrs=_TEXT))


class NamingPolicyForm(forms.Form):
    name_display = forms.ChoiceField(label=_("Names in public notices"), choices=NameDisplay.choices)


ACTION_FORMS = {
    "dispose": DisposeForm,
    "finding": FindingForm,
    "execute": ExecuteForm,
    "publication": PublicationForm,
    "notice": NoticeForm,
    "task": TaskForm,
    "complete": CompleteForm,
    "close": CloseForm,
    "visit": VisitForm,
}


# --- analysis --------------------------------------------------------------------------------------------


class TopicRunForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    period_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    n_topics = forms.IntegerField(label=_("Topics"), min_value=2, max_value=20, initial=8)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = list(regions)


class RecommendationDraftForm(forms.Form):
    department = forms.CharField(label=_("Department the letter is for"), max_length=120, required=False)
    topics = forms.TypedMultipleChoiceField(label=_("Topics to address"), coerce=int, required=False)

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = list(topics)
        self.fields["topics"].widget = forms.CheckboxSelectMultiple(choices=list(topics))


class RecommendationEditForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    reference = forms.CharField(label=_("Reference number"), max_length=60, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 18}))
