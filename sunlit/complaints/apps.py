from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "sunlit.complaints"
    label = "complaints"
    verbose_name = _("Complaints and reports")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  # registers the periodic escalation job
