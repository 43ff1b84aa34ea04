"""Forms of the finance staff pages. They only parse input; the services decide (and refuse)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import DomainError
from sunlit.finance.vocab import EXPENSE_CATEGORIES, INCOME_CATEGORIES, Category

CATEGORY_CHOICES = [(c.value, c.label) for c in Category if c in INCOME_CATEGORIES or c in EXPENSE_CATEGORIES]
DATE = forms.DateInput(attrs={"type": "date"})


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a refusal on the form: field messages next to their fields, the message on top."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, str(message))
            placed = True
    if not placed or error.message:
        form.add_error(None, str(error.message))


class EntryForm(forms.Form):
    village = forms.ChoiceField(label=_("Village"))
    kind = forms.ChoiceField(label=_("Kind"), choices=[("income", _("Income")), ("expense", _("Expense"))])
    category = forms.ChoiceField(label=_("Category"), choices=CATEGORY_CHOICES)
    account = forms.IntegerField(label=_("Account"), widget=forms.Select)
    date = forms.DateField(label=_("Date"), widget=DATE)
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    summary = forms.CharField(label=_("Summary"), max_length=300)
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=40)
    contract = forms.IntegerField(label=_("Contract (optional)"), required=False, widget=forms.Select)
    voucher = forms.FileField(label=_("Voucher (PDF or image)"), required=False)


class ReconciliationForm(forms.Form):
    account = forms.IntegerField(label=_("Bank account"), widget=forms.Select)
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)
    statement_balance = forms.CharField(label=_("Balance on the bank statement (yuan)"), max_length=20)
    explanation = forms.CharField(
        label=_("Explanation of any difference"), required=False, widget=forms.Textarea
    )
    statement = forms.FileField(label=_("Bank statement (PDF or image)"), required=False)


class TerminateForm(forms.Form):
    on = forms.DateField(label=_("Terminated on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(forms.Form):
    on = forms.DateField(label=_("Closed on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PriceForm(forms.Form):
    new_annual_price = forms.CharField(label=_("New price per year (yuan)"), max_length=20)
    on = forms.DateField(label=_("From"), widget=DATE)
    note = forms.CharField(label=_("Reason and decision"), max_length=500)


class ArrearsForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("What was done (reminder, notice, agreement)"), max_length=500)


class PayForm(forms.Form):
    account = forms.IntegerField(label=_("Pay from"), widget=forms.Select)
    date = forms.DateField(label=_("Date"), widget=DATE)
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=40)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("CSV or XLSX file"))
