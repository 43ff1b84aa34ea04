"""Read-only admin views of catalogs; edits go through the workbench and the services."""

from django.contrib import admin

from sunlit.accounts.admin_scoping import ReadOnlyScopedAdmin
from sunlit.accounts.permissions import region_q
from sunlit.accounts.roles import Perm

from .models import Adoption, Catalog, PowerItem, RiskPoint


class CatalogScoped(ReadOnlyScopedAdmin):
    view_perm = Perm.CATALOG_VIEW


@admin.register(Catalog)
class CatalogAdmin(CatalogScoped):
    list_display = ["name", "owner", "version", "status", "published_at"]
    list_filter = ["status"]

    def get_queryset(self, request):
        from .selectors import catalogs_for_user

        return catalogs_for_user(request.user)


@admin.register(PowerItem)
class PowerItemAdmin(CatalogScoped):
    list_display = ["code", "name", "group", "category", "catalog"]
    list_filter = ["group", "category"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        from .selectors import catalogs_for_user

        return super().get_queryset(request).filter(catalog__in=catalogs_for_user(request.user))


@admin.register(RiskPoint)
class RiskPointAdmin(CatalogScoped):
    list_display = ["code", "item", "level", "likelihood", "impact"]
    list_filter = ["level"]

    def get_queryset(self, request):
        from .selectors import catalogs_for_user

        return super().get_queryset(request).filter(item__catalog__in=catalogs_for_user(request.user))


@admin.register(Adoption)
class AdoptionAdmin(CatalogScoped):
    list_display = ["region", "catalog", "adopted_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(region_q(request.user, Perm.CATALOG_VIEW))
