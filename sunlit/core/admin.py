import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from sunlit.accounts.admin_scoping import ReadOnlyScopedAdmin, ScopedAdmin
from sunlit.accounts.roles import Perm

from .models import AuditEvent, CalendarOverride, Checkpoint, LedgerHead, LedgerVerification, MerkleNode


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ScopedAdmin):
    view_perm = Perm.CALENDAR_MANAGE
    change_perm = Perm.CALENDAR_MANAGE
    allow_delete = False
    list_display = ["date", "is_working_day", "reason", "created_by", "created_at"]
    fields = ["date", "is_working_day", "reason"]

    def save_model(self, request, obj, form, change):
        from .services import calendar_override_set

        saved = calendar_override_set(
            actor=request.user, date=obj.date, is_working_day=obj.is_working_day, reason=obj.reason
        )
        obj.pk = saved.pk


# --- The ledger, read-only for the audit administrator (安全审计员). The personal-data salts are not
# shown: with a salt, a commitment to an ID number could be matched by trying every ID number.


class LedgerAdmin(ReadOnlyScopedAdmin):
    view_perm = Perm.AUDIT_VIEW
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [f.name for f in self.model._meta.fields]


def _hex(value) -> str:
    return bytes(value).hex() if value is not None else ""


@admin.register(AuditEvent)
class AuditEventAdmin(LedgerAdmin):
    list_display = ["seq", "time", "kind", "subject", "actor_username", "region_code"]
    list_filter = ["kind"]
    search_fields = ["subject"]
    show_full_result_count = False
    fields = [
        "seq",
        "time",
        "kind",
        "subject",
        "actor_id",
        "actor_username",
        "region_code",
        "leaf_json",
        "leaf_hash_hex",
        "chain_hex",
        "inclusion_proof",
    ]

    @admin.display(description=_("leaf"))
    def leaf_json(self, obj: AuditEvent) -> str:
        pretty = json.dumps(obj.record, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", pretty)

    @admin.display(description=_("leaf hash"))
    def leaf_hash_hex(self, obj: AuditEvent) -> str:
        return _hex(obj.leaf_hash)

    @admin.display(description=_("chain hash"))
    def chain_hex(self, obj: AuditEvent) -> str:
        return _hex(obj.chain)

    @admin.display(description=_("inclusion proof"))
    def inclusion_proof(self, obj: AuditEvent) -> str:
        from .ledger import ledger_size

        query = urlencode({"tree_size": ledger_size(), "index": obj.seq})
        return format_html(
            '<a href="/api/v1/ledger/proofs/inclusion?{}">{}</a>', query, _("in the current tree")
        )


@admin.register(Checkpoint)
class CheckpointAdmin(LedgerAdmin):
    list_display = ["tree_size", "timestamp", "key_id", "root_hex"]
    fields = ["tree_size", "timestamp", "key_id", "root_hex", "chain_head_hex", "signature_hex"]

    @admin.display(description=_("root hash"))
    def root_hex(self, obj: Checkpoint) -> str:
        return _hex(obj.root_hash)

    @admin.display(description=_("chain head"))
    def chain_head_hex(self, obj: Checkpoint) -> str:
        return _hex(obj.chain_head)

    @admin.display(description=_("signature"))
    def signature_hex(self, obj: Checkpoint) -> str:
        return _hex(obj.signature)


@admin.register(MerkleNode)
class MerkleNodeAdmin(LedgerAdmin):
    list_display = ["level", "index", "leaf_end", "hash_hex"]
    list_filter = ["level"]
    fields = ["level", "index", "leaf_end", "hash_hex"]

    @admin.display(description=_("hash"))
    def hash_hex(self, obj: MerkleNode) -> str:
        return _hex(obj.hash)


@admin.register(LedgerHead)
class LedgerHeadAdmin(LedgerAdmin):
    list_display = ["size", "chain_hex"]
    fields = ["size", "chain_hex"]

    @admin.display(description=_("chain hash"))
    def chain_hex(self, obj: LedgerHead) -> str:
        return _hex(obj.chain)


@admin.register(LedgerVerification)
class LedgerVerificationAdmin(LedgerAdmin):
    list_display = ["size", "checkpoints_verified", "verified_at"]
    fields = ["size", "checkpoints_verified", "verified_at"]
