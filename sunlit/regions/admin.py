from django.contrib import admin

from sunlit.accounts.admin_scoping import ReadOnlyScopedAdmin
from sunlit.accounts.roles import Perm

from .models import Region


@admin.register(Region)
class RegionAdmin(ReadOnlyScopedAdmin):
    """Regions change through imports (`sunlit import regions`, the API) so codes stay consistent."""

    view_perm = Perm.STAFF_VIEW
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
