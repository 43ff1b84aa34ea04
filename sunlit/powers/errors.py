from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import Conflict, ValidationFailed


class CatalogNotDraft(Conflict):
    default_code = "catalog_not_draft"
    default_message = _("Only a draft edition can be changed; create a new draft from the published edition.")


class CatalogInvalid(ValidationFailed):
    default_code = "catalog_invalid"
    default_message = _("The catalog has problems that must be fixed first.")
