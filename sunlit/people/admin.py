from django.contrib import admin

from sunlit.accounts.admin_scoping import ReadOnlyScopedAdmin
from sunlit.accounts.roles import Perm

from .models import CadreDeclaration, Household, Person, PersonAccessLog


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Read-only and masked: clear values are only reachable through the logged reveal service."""

    list_display = ["name", "id_masked", "village", "household", "status", "died_on"]
    list_filter = ["status"]
    search_fields = ["name"]
    fields = [
        "name",
        "id_masked",
        "phone_masked",
        "village",
        "household",
        "gender",
        "birth_date",
        "status",
        "died_on",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["number", "village", "group"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CadreDeclaration)
class CadreDeclarationAdmin(admin.ModelAdmin):
    list_display = ["cadre", "relative_name", "relation", "declared_at"]
    readonly_fields = ["cadre", "cadre_person", "relative", "relative_name", "relation", "declared_at"]
    exclude = ["relative_id_hash"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonAccessLog)
class PersonAccessLogAdmin(ReadOnlyScopedAdmin):
    """Who revealed whose ID number or phone, and why: for the audit administrator only."""

    view_perm = Perm.AUDIT_VIEW
    actions = None
    list_display = ["at", "user", "person", "field", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
