"""``{% may_view_leads as flag %}``: whether the workbench nav shows the accountability pages."""

from django import template

from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_leads(context) -> bool:
    user = context.get("user")
    return bool(user is not None and user.is_authenticated and has_perm(user, Perm.LEAD_VIEW))
