from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sunlit.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  # registers the periodic jobs
        from .ledger_triggers import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="sunlit_ledger_sqlite_function")
