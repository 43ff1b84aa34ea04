"""Refusals of disclosure services. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import ValidationFailed


class DisclosureErrorCode:
    PII_BLOCKED = "pii_blocked"  # personal data that cannot be masked safely; the field is named
    NOT_A_VILLAGE = "not_a_village"
    MODULE_INVALID = "module_invalid"
    TITLE_REQUIRED = "title_required"
    PERIOD_INVALID = "period_invalid"
    REASON_REQUIRED = "reason_required"
    ENTRY_INVALID = "entry_invalid"
    ATTACHMENT_INVALID = "attachment_invalid"
    REDACTION_INVALID = "redaction_invalid"
    WITHDRAWN = "withdrawn"
    UNCHANGED = "unchanged"
    SCHEDULE_INVALID = "schedule_invalid"
    CONTACT_INVALID = "contact_invalid"


class DisclosureError(ValidationFailed):
    default_code = "disclosure_refused"
    default_message = _("The disclosure cannot be published as it is.")
