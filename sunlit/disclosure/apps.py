from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "sunlit.disclosure"
    label = "disclosure"
    verbose_name = _("Village affairs disclosure")

    def ready(self) -> None:
        # The ledger listener (automatic notices and results of cases), the supervision rule of
        # periodic disclosures and its anomaly injector.
        from . import anomalies, automatic, rules, tasks  # noqa: F401

        automatic.connect()
