"""Complaints and reports (投诉建议 / 信访举报).

A Complaint is filed through a channel (portal, staff entry, SMS webhook, Open311, API), gets a
public tracking ``code`` and a follow-up secret (only its hash is kept), is routed to a handling
unit (a region plus an office, :class:`RoutingRule` overriding the built-in table), claimed,
accepted or refused, answered, rated and possibly escalated, reviewed (复查) and re-reviewed (复核).

Reporter protection: the reporter's name, phone and ID number are stored only encrypted
(``sunlit.core.pii_store``); ``phone_hash`` is a keyed hash used for rate limits and matching.
``text`` is the raw wording (restricted to handlers); ``public_text`` is the same after
``mask_pii`` and is the only wording shown outside the handling unit. Every reveal of the identity
is recorded in :class:`ReporterAccess` and in the ledger. Every write goes through services.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .vocab import (
    Category,
    Channel,
    DayCount,
    DeadlineKey,
    Kind,
    MessageAuthor,
    MessageKind,
    Office,
    Rating,
    Stage,
    Status,
)


class Complaint(models.Model):
    code = models.CharField(_("tracking code"), max_length=16, unique=True)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, db_index=True)
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("village")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("subject"), max_length=120)  # masked, public
    text = models.TextField(_("text as submitted"))  # raw: handlers only
    public_text = models.TextField(_("text (masked)"))  # mask_pii(text): the only public wording
    text_hash = models.CharField(max_length=64, db_index=True, editable=False)  # duplicate detection
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.ORIGINAL)
    created_at = models.DateTimeField(_("filed at"), db_index=True)

    # Reporter (all identity encrypted; blank for anonymous submissions)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    reporter_name_enc = models.TextField(blank=True, editable=False)
    reporter_phone_enc = models.TextField(blank=True, editable=False)
    reporter_id_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    secret_hash = models.CharField(max_length=128, editable=False)  # follow-up secret, hashed
    consent_publish = models.BooleanField(_("consents to publication of the masked answer"), default=False)

    # Handling unit
    unit = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="complaints_handled",
        verbose_name=_("responsible unit (region)"),
    )
    office = models.CharField(_("responsible office"), max_length=32, choices=Office.choices)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0
    )  # 0 unit, 1 team, 2 county
    claimed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    # Deadlines (all aware datetimes; the end of the last day counted)
    accept_due = models.DateTimeField(_("acceptance decision due"), null=True, blank=True, db_index=True)
    handle_due = models.DateTimeField(_("answer due"), null=True, blank=True, db_index=True)
    request_until = models.DateTimeField(_("review may be requested until"), null=True, blank=True)
    rate_until = models.DateTimeField(_("rating open until"), null=True, blank=True, db_index=True)
    extended = models.BooleanField(_("extended"), default=False)
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=500, blank=True)

    # Outcome
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for not accepting"), max_length=500, blank=True)
    answer = models.TextField(_("answer"), blank=True)  # raw
    public_answer = models.TextField(_("answer (masked)"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=14, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)  # bumped by every write

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["village", "created_at"]),
            models.Index(fields=["status", "handle_due"]),
        ]

    def __str__(self) -> str:
        return self.code


class ComplaintMessage(models.Model):
    """One entry of the thread between the reporter and the handler."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="messages")
    author = models.CharField(_("from"), max_length=10, choices=MessageAuthor.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("message"))  # raw (shown to the reporter and handlers only)
    created_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["complaint_id", "created_at", "id"]
        verbose_name = _("complaint message")
        verbose_name_plural = _("complaint messages")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


class ComplaintAttachment(models.Model):
    """A file attached by the reporter, metadata stripped, stored content-addressed."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(
        ComplaintMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["complaint_id", "uploaded_at", "id"]
        verbose_name = _("complaint attachment")
        verbose_name_plural = _("complaint attachments")

    def __str__(self) -> str:
        return self.sha256[:12]


class ComplaintEvent(models.Model):
    """The visible history of a complaint (the ledger holds the tamper-evident copy)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    note = models.CharField(_("note"), max_length=500, blank=True)  # never identifying

    class Meta:
        ordering = ["complaint_id", "at", "id"]
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        constraints = [
            # a deadline escalation happens once per complaint, level and stage
            models.UniqueConstraint(
                fields=["complaint", "action", "note"],
                condition=models.Q(action="escalated_overdue"),
                name="uniq_overdue_escalation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action}"


class ReporterAccess(models.Model):
    """Every view of a reporter's identity, with the reason given (like people.PersonAccessLog)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="reporter_accesses")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("reporter identity access")
        verbose_name_plural = _("reporter identity accesses")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.user_id}"


class PhoneVerification(models.Model):
    """A one-time code sent to a real-name reporter's phone; only hashes are kept."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="verifications")
    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.created_at:%Y-%m-%d %H:%M}"


class RoutingRule(models.Model):
    """Configuration: which office handles a kind/category, optionally only within a region.

    The most specific matching rule wins (region set > region blank; kind and category set > blank);
    without any row the built-in defaults of ``routing.DEFAULT_ROUTES`` apply.
    """

    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("within region"),
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    office = models.CharField(_("responsible office"), max_length=32, choices=Office.choices)

    class Meta:
        ordering = ["region_id", "kind", "category"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "category"], name="uniq_complaint_route"),
        ]

    def __str__(self) -> str:
        return f"{self.kind or '*'}/{self.category or '*'} → {self.office}"


class DeadlineRule(models.Model):
    """Configuration: a time limit overriding the default of ``deadlines.DEFAULT_LIMITS``."""

    key = models.CharField(_("time limit"), max_length=16, choices=DeadlineKey.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))
    count = models.CharField(_("counted in"), max_length=10, choices=DayCount.choices)

    class Meta:
        ordering = ["key"]
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")

    def __str__(self) -> str:
        return f"{self.key}: {self.days} {self.count}"
