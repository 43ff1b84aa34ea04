"""Refusals of analytics. Each carries a stable code; nothing has changed when one is raised."""

from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import ValidationFailed


class AnalyticsRefused(ValidationFailed):
    default_code = "analytics_refused"
    default_message = _("The analysis cannot do that.")
