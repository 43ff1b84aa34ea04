"""The configuration tables (routing, time limits) in the admin, for holders of rule.manage; every
change is recorded in the ledger. The access log is read-only for the audit administrator."""

from django.contrib import admin
from django.db import transaction

from sunlit.accounts.admin_scoping import ReadOnlyScopedAdmin, ScopedAdmin
from sunlit.accounts.roles import Perm
from sunlit.core.ledger import ledger_append, ledger_subject

from .models import DeadlineRule, ReporterAccess, RoutingRule


class _ConfigAdmin(ScopedAdmin):
    view_perm = Perm.RULE_MANAGE
    change_perm = Perm.RULE_MANAGE
    allow_delete = True

    def _record(self, request, obj, action: str) -> None:
        payload = {f.name: str(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}
        ledger_append(
            kind=f"complaints.config_{action}",
            actor=request.user,
            subject=ledger_subject(obj),
            payload=payload,
        )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._record(request, obj, "changed" if change else "added")

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._record(request, obj, "deleted")
            super().delete_model(request, obj)


@admin.register(RoutingRule)
class RoutingRuleAdmin(_ConfigAdmin):
    list_display = ["region", "kind", "category", "office"]
    list_filter = ["office", "kind", "category"]
    autocomplete_fields: list[str] = []
    raw_id_fields = ["region"]


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(_ConfigAdmin):
    list_display = ["key", "days", "count"]


@admin.register(ReporterAccess)
class ReporterAccessAdmin(ReadOnlyScopedAdmin):
    view_perm = Perm.AUDIT_VIEW
    list_display = ["complaint", "user", "reason", "at"]
    fields = ["complaint", "user", "reason", "at"]
    readonly_fields = ["complaint", "user", "reason", "at"]
