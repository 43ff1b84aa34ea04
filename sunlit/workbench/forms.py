from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LockoutAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed attempts. This account is locked for a while; try again later or ask the security "
            "administrator to unlock it."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "sunlit_login_locked", False):
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class CatalogImportForm(forms.Form):
    owner = forms.ChoiceField(label=_("Owner (county)"))
    file = forms.FileField(label=_("Catalog file (YAML or XLSX)"))

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(r.code, r.name) for r in owners]


class OverrideForm(forms.Form):
    item_code = forms.CharField(widget=forms.HiddenInput)
    key = forms.CharField(widget=forms.HiddenInput)
    value = forms.CharField(label=_("Local value"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=500)
