"""Forms of the alert pages. They parse input only; the lifecycle rules live in
sunlit.supervision.services, whose refusals are put back on the form (``add_domain_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.supervision.vocab import SEVERITY_RANK, AlertStatus, RuleFamily, Severity

from .case_forms import add_domain_error

__all__ = ["ACTION_FORMS", "AlertFilterForm", "RuleSettingForm", "add_domain_error", "next_actions"]


class AlertFilterForm(forms.Form):
    severity = forms.ChoiceField(label=_("Colour"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    family = forms.ChoiceField(label=_("Rule family"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, rules=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = [("", _("Any")), *Severity.choices]
        self.fields["status"].choices = [
            ("", _("Any")),
            ("unresolved", _("Not yet resolved")),
            *AlertStatus.choices,
        ]
        self.fields["rule"].choices = [("", _("Any")), *rules]
        self.fields["family"].choices = [("", _("Any")), *RuleFamily.choices]
        self.fields["region"].choices = [("", _("Any")), *regions]


class ClaimForm(forms.Form):
    pass


class VerifyForm(forms.Form):
    note = forms.CharField(
        label=_("What the check found"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,  # the service refuses an empty note with its own message
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for dismissing the alert"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,  # the service refuses an empty reason with its own message
    )


class RectifyForm(forms.Form):
    note = forms.CharField(
        label=_("What must be rectified"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("How it was rectified"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )
    evidence = forms.FileField(label=_("Rectification evidence (PDF, JPEG, PNG, DOCX, XLSX)"), required=False)


class DowngradeForm(forms.Form):
    severity = forms.ChoiceField(label=_("New colour"))
    note = forms.CharField(
        label=_("Why the alert is downgraded"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )
    evidence = forms.FileField(label=_("Rectification evidence (PDF, JPEG, PNG, DOCX, XLSX)"), required=False)

    def __init__(self, *args, current: str = Severity.RED, **kwargs):
        super().__init__(*args, **kwargs)
        rank = SEVERITY_RANK.get(Severity(current), 3) if current in Severity.values else 3
        self.fields["severity"].choices = [(s.value, s.label) for s in Severity if SEVERITY_RANK[s] < rank]


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "claim": ClaimForm,
    "verify": VerifyForm,
    "dismiss": DismissForm,
    "rectify": RectifyForm,
    "close": CloseForm,
    "downgrade": DowngradeForm,
}

ACTION_LABELS = {
    "claim": _("Claim"),
    "verify": _("Verify: the problem is real"),
    "dismiss": _("Dismiss"),
    "rectify": _("Send to rectification"),
    "close": _("Close with evidence"),
    "downgrade": _("Downgrade"),
}


def next_actions(status: str, severity: str) -> list[str]:
    """The transitions the lifecycle allows from ``status`` (the service still decides)."""
    allowed = {
        AlertStatus.OPEN: ["claim", "dismiss"],
        AlertStatus.CLAIMED: ["verify", "dismiss"],
        AlertStatus.VERIFIED: ["rectify"],
        AlertStatus.RECTIFYING: ["close"],
    }.get(AlertStatus(status), [])
    if severity == Severity.RED:
        downgradable = status in (AlertStatus.VERIFIED, AlertStatus.RECTIFYING)  # with evidence only
    else:
        downgradable = severity != Severity.BLUE and status not in (AlertStatus.DISMISSED, AlertStatus.CLOSED)
    return [*allowed, "downgrade"] if downgradable else allowed


def action_form(action: str, alert: Any, data: Any = None, files: Any = None) -> forms.Form:
    cls = ACTION_FORMS[action]
    kwargs: dict[str, Any] = {"prefix": action}
    if cls is DowngradeForm:
        kwargs["current"] = alert.severity
    return cls(data, files, **kwargs)


class RuleSettingForm(forms.Form):
    """One rule's values for a region: a field per parameter (bounds shown, checked by the service)."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    severity = forms.ChoiceField(label=_("Colour"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)

    def __init__(self, *args, rule: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.fields["severity"].choices = [("", _("Rule default")), *Severity.choices]
        self.param_names = list(rule["params"])
        for name, spec in rule["params"].items():
            self.fields[f"p_{name}"] = forms.CharField(
                label=spec["label"],
                required=False,
                help_text=_("Between %(min)s and %(max)s %(unit)s; default %(default)s")
                % {"min": spec["min"], "max": spec["max"], "unit": spec["unit"], "default": spec["default"]},
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )

    def params(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"p_{name}"]
            for name in self.param_names
            if (self.cleaned_data.get(f"p_{name}") or "").strip()
        }

    def param_fields(self) -> list[Any]:
        return [self[f"p_{name}"] for name in self.param_names]

    def add_domain_error(self, exc: Any) -> None:
        from sunlit.core.errors import DomainError

        renamed = {(f"p_{k}" if k in self.param_names else k): v for k, v in exc.fields.items()}
        add_domain_error(self, DomainError(exc.message, code=exc.code, fields=renamed))
