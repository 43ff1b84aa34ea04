from django.utils.translation import gettext_lazy as _

from sunlit.core.errors import ValidationFailed


class PersonInvalid(ValidationFailed):
    default_code = "person_invalid"
    default_message = _("The person's data is not valid.")
