from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "sunlit.supervision"
    label = "supervision"
    verbose_name = _("Electronic supervision")

    def ready(self) -> None:
        # Registers the rules, the ledger listener and the periodic jobs (sweep, escalation, digest).
        from . import hooks, notify, rules, tasks  # noqa: F401

        hooks.connect()
