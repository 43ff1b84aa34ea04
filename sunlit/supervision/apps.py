from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "sunlit.supervision"
    label = "supervision"
    verbose_name = _("Electronic supervision")

    def ready(self) -> None:
        from . import hooks, rules  # noqa: F401 - registers the rules and the ledger listener

        hooks.connect()
