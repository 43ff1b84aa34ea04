from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PowersConfig(AppConfig):
    name = "sunlit.powers"
    label = "powers"
    verbose_name = _("Power catalog")
