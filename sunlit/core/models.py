from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class CalendarOverride(models.Model):
    """An administrator's correction of the statutory calendar for one date.

    Used when the State Council publishes a change, or for a year the shipped data does not cover.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("is a working day"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%Y-%m-%d} {kind}"


# --- The ledger (行权日志): append-only, hash-chained, Merkle-checkpointed. See docs/ledger.md. ---
#
# AuditEvent, MerkleNode and Checkpoint refuse UPDATE and DELETE by database trigger (migration
# 0003). PiiSalt may be deleted (to unlink personal data) but never updated. LedgerHead and
# LedgerVerification are mutable bookkeeping: losing or corrupting them never hides tampering, the
# verifier recomputes everything from the events themselves.


class SeqField(models.BigIntegerField):
    """A 64-bit integer primary key that is SQLite's rowid (column type ``integer``), so reading
    the ledger in seq order is a plain table scan there; ``bigint`` elsewhere."""

    def db_type(self, connection):  # type: ignore[no-untyped-def]
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AuditEvent(models.Model):
    """One entry of the ledger. ``leaf`` (RFC 8785 canonical JSON) is the record; the other
    columns copy fields of it for queries and are checked against it by ``sunlit audit verify``."""

    seq = SeqField(_("sequence number"), primary_key=True)  # = Merkle leaf index, from 0
    time = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=100)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)  # no FK: rows never change
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    region_code = models.CharField(_("region code"), max_length=12, blank=True)
    leaf = models.BinaryField(_("leaf"))
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)  # SHA-256(0x00 || leaf)
    chain = models.BinaryField(_("chain hash"), max_length=32)  # SHA-256(previous chain || leaf hash)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["subject", "seq"], name="core_audit_subject_idx"),
            models.Index(fields=["kind", "seq"], name="core_audit_kind_idx"),
            models.Index(fields=["actor_id", "seq"], name="core_audit_actor_idx"),
            models.Index(fields=["region_code", "seq"], name="core_audit_region_idx"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"

    @property
    def record(self) -> dict:
        import json

        return json.loads(bytes(self.leaf))

    @property
    def payload(self) -> dict:
        return self.record["payload"]

    @property
    def pii_commitments(self) -> dict[str, str]:
        return self.record["pii"]


class PiiSalt(models.Model):
    """The random salt of one personal-data commitment in an event. Deleting it unlinks the value:
    the commitment in the leaf can then no longer be tied to a person. Never updated."""

    seq = models.BigIntegerField(_("event sequence number"))
    name = models.CharField(_("field name"), max_length=100)
    salt = models.BinaryField(_("salt"), max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seq", "name"], name="core_piisalt_unique")]
        verbose_name = _("personal data salt")
        verbose_name_plural = _("personal data salts")

    def __str__(self) -> str:
        return f"#{self.seq} {self.name}"


class MerkleNode(models.Model):
    """The hash of a complete, aligned subtree of 2**level leaves starting at leaf index * 2**level.

    Stored once the subtree completes, for levels >= ``merkle.STORED_MIN_LEVEL`` (smaller subtrees
    are rehashed from at most that many leaf hashes), so proofs need O(log n) lookups.
    """

    level = models.PositiveSmallIntegerField(_("level"))
    index = models.BigIntegerField(_("index"))
    leaf_end = models.BigIntegerField(_("tree size at completion"))  # = (index + 1) * 2**level
    hash = models.BinaryField(_("hash"), max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="core_merklenode_unique")]
        indexes = [models.Index(fields=["leaf_end", "level"], name="core_merklenode_end_idx")]
        verbose_name = _("Merkle node")
        verbose_name_plural = _("Merkle nodes")

    def __str__(self) -> str:
        return f"L{self.level}[{self.index}]"


class Checkpoint(models.Model):
    """A signed tree head: the ledger's size, Merkle root and chain head at a moment, signed with
    the Ed25519 key kept outside the database."""

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    chain_head = models.BinaryField(_("chain head"), max_length=32)
    timestamp = models.DateTimeField(_("timestamp"))
    key_id = models.CharField(_("key id"), max_length=64)
    signature = models.BinaryField(_("signature"), max_length=64)

    class Meta:
        ordering = ["tree_size"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class LedgerHead(models.Model):
    """The single row holding the log's tip: size, chain head and the Merkle frontier (the hashes of
    the complete subtrees on the right edge, largest first). Appends lock it; a cache, rebuilt by
    from the events by ``ledger_verify.rebuild_head`` if ever lost."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    chain = models.BinaryField(max_length=32)
    frontier = models.BinaryField()  # 32-byte hashes concatenated, one per set bit of ``size``

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger head")

    def __str__(self) -> str:
        return f"ledger head at {self.size}"


class LedgerVerification(models.Model):
    """How far ``sunlit audit verify`` has checked the log: the state it recomputed itself at
    ``size`` so the next run continues from there. Mutable; ``--full`` ignores it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    chain = models.BinaryField(max_length=32)
    frontier = models.BinaryField()
    checkpoints_verified = models.BigIntegerField(default=0)  # checkpoints up to this tree size checked
    verified_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("ledger verification")
        verbose_name_plural = _("ledger verifications")

    def __str__(self) -> str:
        return f"verified up to {self.size}"


class ScheduledRun(models.Model):
    """One firing of a periodic job (sunlit/core/schedule.py). The unique (job, slot) key makes the
    job fire exactly once per slot however many workers tick."""

    job = models.CharField(_("job"), max_length=100)
    slot = models.BigIntegerField(_("slot"))  # start of the slot, in seconds since the epoch
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="core_scheduledrun_unique")]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self) -> str:
        return f"{self.job}@{self.slot}"
