from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "sunlit.portal"
    label = "portal"
    verbose_name = _("Public portal")

    def ready(self) -> None:
        from sunlit.core import events

        from .cache import on_ledger_event

        events.listen(on_ledger_event)  # published disclosures and notices refresh the cached pages
