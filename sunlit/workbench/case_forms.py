"""Forms of the case pages. They only parse and shape input; every rule lives in sunlit.cases.services,
whose DomainError is shown back on the form (``add_domain_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.cases import engine
from sunlit.cases.vocab import CaseStatus, PartyRole
from sunlit.core.errors import DomainError

TYPE_HINTS = {
    "bool": _("yes or no"),
    "int": _("whole number"),
    "double": _("number"),
    "string": _("text"),
    "list": _("comma-separated list"),
}


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a service's refusal on the form: field messages on their fields, the rest on top."""
    form.add_error(None, str(exc.message))
    for name, messages in exc.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            text = str(message) if target else f"{name}: {message}"
            if target is None and text == str(exc.message):
                continue
            form.add_error(target, text)


def variable_field(variable: dict[str, Any], *, required: bool = False) -> forms.Field:
    """A typed form field for a declared case variable (``{"name", "type", "label"}``)."""
    kind = variable.get("type", "string")
    label = variable.get("label") or variable.get("name")
    help_text = TYPE_HINTS.get(kind, "")
    if kind == "bool":
        return forms.TypedChoiceField(
            label=label,
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            required=required,
            help_text=help_text,
        )
    if kind == "int":
        return forms.CharField(
            label=label,
            required=required,
            help_text=help_text,
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        )
    if kind == "double":
        return forms.CharField(
            label=label,
            required=required,
            help_text=help_text,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        )
    return forms.CharField(
        label=label, required=required, help_text=help_text, max_length=engine.MAX_TEXT_INPUT
    )


class VariablesMixin:
    """Adds one ``var_<name>`` field per declared variable; ``variable_values()`` returns the filled ones
    as raw strings (typed by the engine, which reports each bad value on its field)."""

    prefix_var = "var_"

    def add_variables(self, variables: list[dict[str, Any]]) -> None:
        self.variable_names: list[str] = []
        for variable in variables:
            name = variable.get("name")
            if not name:
                continue
            self.fields[f"{self.prefix_var}{name}"] = variable_field(variable)  # type: ignore[attr-defined]
            self.variable_names.append(name)

    def variable_values(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {
            name: data[f"{self.prefix_var}{name}"]
            for name in self.variable_names
            if data.get(f"{self.prefix_var}{name}") not in (None, "")
        }

    def add_domain_error(self, exc: DomainError) -> None:
        renamed = {
            (f"{self.prefix_var}{k}" if k in self.variable_names else k): v for k, v in exc.fields.items()
        }
        add_domain_error(self, DomainError(exc.message, code=exc.code, fields=renamed))  # type: ignore[arg-type]

    def variable_fields(self) -> list[Any]:
        return [self[f"{self.prefix_var}{n}"] for n in self.variable_names]  # type: ignore[index]


class CaseStartForm(VariablesMixin, forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    item = forms.ChoiceField(label=_("Power item"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    party_role = forms.ChoiceField(
        label=_("The person's role"), choices=PartyRole.choices, initial="applicant", required=False
    )
    party_name = forms.CharField(label=_("Applicant or beneficiary name"), max_length=200, required=False)

    def __init__(self, *args, villages=(), items=(), variables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "—"), *((v.code, v.name) for v in villages)]
        self.fields["item"].choices = [("", "—"), *((i.code, f"{i.code} {i.name}") for i in items)]
        self.add_variables(list(variables))

    def parties(self) -> list[dict[str, str]]:
        name = self.cleaned_data.get("party_name", "").strip()
        role = self.cleaned_data.get("party_role") or PartyRole.APPLICANT
        return [{"role": role, "name": name}] if name else []


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    item = forms.ChoiceField(label=_("Power item"), required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)

    def __init__(self, *args, items=(), villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any")), *CaseStatus.choices]
        self.fields["item"].choices = [("", _("Any")), *items]
        self.fields["village"].choices = [("", _("Any")), *villages]


class DocumentForm(forms.Form):
    sequence = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(widget=forms.HiddenInput, max_length=200)
    file = forms.FileField(label=_("File (PDF, JPEG, PNG, DOCX, XLSX)"))


class StepCompleteForm(VariablesMixin, forms.Form):
    sequence = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    VOTE_FIELDS = ("expected", "present", "votes_for", "votes_against", "abstentions")

    def __init__(self, *args, variables=(), needs_vote=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_variables(list(variables))
        self.needs_vote = needs_vote
        if needs_vote:
            labels = {
                "expected": _("Entitled to vote"),
                "present": _("Present"),
                "votes_for": _("For"),
                "votes_against": _("Against"),
                "abstentions": _("Abstentions"),
            }
            for name in self.VOTE_FIELDS:
                self.fields[name] = forms.IntegerField(label=labels[name], min_value=0, required=False)
            self.fields["held_on"] = forms.DateField(
                label=_("Meeting held on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields["meeting_ref"] = forms.CharField(
                label=_("Meeting reference"), max_length=64, required=False
            )

    def clean(self):
        data = super().clean()
        if self.needs_vote:
            given = [data.get(n) for n in self.VOTE_FIELDS]
            if any(v is not None for v in given) and any(v is None for v in given):
                raise forms.ValidationError(_("Fill in every number of the tally, or none of them."))
        return data

    def tally(self) -> engine.Tally | None:
        if not self.needs_vote or self.cleaned_data.get("expected") is None:
            return None
        return engine.Tally(**{n: self.cleaned_data[n] for n in self.VOTE_FIELDS})

    def vote_fields(self) -> list[Any]:
        return [self[n] for n in (*self.VOTE_FIELDS, "held_on", "meeting_ref")] if self.needs_vote else []


class ObjectionAnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("dismissed", _("Dismissed (异议不成立)")), ("upheld", _("Upheld (异议成立)"))],
        widget=forms.RadioSelect,
        initial="dismissed",
    )
    answer = forms.CharField(
        label=_("Answer the villager will see"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,  # the service refuses an empty answer with its own message
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for terminating the case"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        required=False,  # the service refuses an empty reason with its own message
    )
