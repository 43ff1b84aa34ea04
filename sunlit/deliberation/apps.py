from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "sunlit.deliberation"
    label = "deliberation"
    verbose_name = _("Deliberation")

    def ready(self) -> None:
        from sunlit.cases import hooks

        from . import services, tasks  # noqa: F401  (tasks registers the reminder job)

        # A case's vote step for a body the county lists in resolution_required_bodies is satisfied only
        # by a passed resolution of that body for that case (see services.validate_case_vote).
        hooks.register_vote_validator("deliberation.resolution", services.validate_case_vote)
