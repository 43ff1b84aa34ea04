"""Template tags of complaints: whether to show the complaints entry in the workbench navigation."""

from django import template

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_complaints(context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and has_perm(user, Perm.COMPLAINT_VIEW))
