from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "sunlit.finance"
    label = "finance"
    verbose_name = _("Collective assets and funds")

    def ready(self) -> None:
        # The supervision rules and anomaly injectors of 三资, the after-commit re-checks of a village
        # when its money moves, and the monthly disclosure job.
        from . import anomalies, hooks, rules, tasks  # noqa: F401

        hooks.connect()
