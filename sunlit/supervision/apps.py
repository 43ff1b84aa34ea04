from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "sunlit.supervision"
    label = "supervision"
    verbose_name = _("Electronic supervision")

    def ready(self) -> None:
        from . import hooks, notify, rules  # noqa: F401 - registers the rules, the ledger listener, the digest job

        hooks.connect()
