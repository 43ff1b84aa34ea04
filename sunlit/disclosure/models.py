"""Disclosures (三务公开): one logical item per publication, immutable versions, attachments,
structured benefit lists, a search index, periodic schedules and the supervision committee's contact.

A Disclosure is the item the public links to (its ``code``); what the public reads is its
``current`` DisclosureVersion. Versions are never updated: a correction or a redaction adds a version
with its reason and the history is public. What a version holds is already masked (what the public
sees); where masking or redaction changed anything, the unmasked original is kept encrypted in
DisclosureOriginal, readable only by holders of ``disclosure.redact`` and every reading is audited.
Every write goes through services.py, which appends the ledger event in the same transaction.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocab import AttachmentState, DisclosureModule, DisclosureStatus, ScheduleFrequency


class Disclosure(models.Model):
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="disclosures", verbose_name=_("village")
    )
    module = models.CharField(_("module"), max_length=16, choices=DisclosureModule.choices)
    code = models.CharField(_("disclosure number"), max_length=24, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DisclosureStatus.choices, default=DisclosureStatus.PUBLISHED
    )
    # The record this publication comes from, as a ledger subject ("cases.notice:12"); unique so an
    # automatic publication is made once however often its event is delivered.
    source = models.CharField(_("source"), max_length=80, null=True, blank=True, unique=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
        verbose_name=_("case"),
    )
    publisher = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )  # None: published by the system (e.g. a case notice)
    first_published_at = models.DateTimeField(_("first published at"))
    updated_at = models.DateTimeField(_("last changed at"))
    current = models.OneToOneField(
        "DisclosureVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    class Meta:
        ordering = ["-first_published_at", "-id"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        indexes = [
            models.Index(
                fields=["village", "module", "-first_published_at"], name="disclosure_village_module"
            ),
            models.Index(fields=["village", "-first_published_at"], name="disclosure_village_recent"),
            models.Index(fields=["module", "-first_published_at"], name="disclosure_module_recent"),
        ]

    def __str__(self) -> str:
        return self.code


class DisclosureVersion(models.Model):
    """One immutable version: what the public saw from ``published_at`` until the next version."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)  # masked: exactly what the public sees
    period_start = models.DateField(_("posted from"), null=True, blank=True)
    period_end = models.DateField(_("posted until"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"))
    reason = models.CharField(_("reason for the change"), max_length=500, blank=True)
    publisher = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_hash = models.CharField(_("content hash"), max_length=64)
    # What privacy processing did, without the values: [{"field": "body", "kind": "id_number"}],
    # and the redactions made by staff: [{"target": "body", "reason": "…"}].
    masked = models.JSONField(_("masked automatically"), default=list, blank=True)
    redactions = models.JSONField(_("redactions"), default=list, blank=True)

    class Meta:
        ordering = ["disclosure_id", "number"]
        verbose_name = _("disclosure version")
        verbose_name_plural = _("disclosure versions")
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "number"], name="uniq_disclosure_version"),
            models.CheckConstraint(
                condition=Q(number=1) | ~Q(reason=""), name="disclosure_version_reason_from_v2"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="disclosure_version_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disclosure_id} v{self.number}"


class DisclosureOriginal(models.Model):
    """The unmasked content of a version, encrypted (sunlit.core.pii_store); only for
    ``disclosure.redact`` holders, every reading audited in the ledger."""

    version = models.OneToOneField(DisclosureVersion, on_delete=models.PROTECT, related_name="original")
    token = models.TextField()  # encrypted JSON {"title", "body", "entries": [...]}

    class Meta:
        verbose_name = _("unmasked original")
        verbose_name_plural = _("unmasked originals")

    def __str__(self) -> str:
        return f"original of {self.version_id}"


class DisclosureAttachment(models.Model):
    """A file of a version, stored content-addressed (sunlit.cases.documents). A withheld attachment
    (redacted) is served to authorised roles only; its bytes stay stored."""

    version = models.ForeignKey(DisclosureVersion, on_delete=models.PROTECT, related_name="attachments")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("attachment"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    state = models.CharField(
        _("state"), max_length=10, choices=AttachmentState.choices, default=AttachmentState.PUBLIC
    )
    scanned = models.BooleanField(_("text scanned for personal data"), default=False)
    reviewed = models.BooleanField(_("checked by the publisher"), default=False)
    withheld_reason = models.CharField(_("reason withheld"), max_length=500, blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        verbose_name = _("disclosure attachment")
        verbose_name_plural = _("disclosure attachments")
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="uniq_disclosure_attachment_pos")
        ]

    def __str__(self) -> str:
        return self.name


class BenefitListEntry(models.Model):
    """One row of a structured benefit list (民生公示): what the rules allow the public to see."""

    version = models.ForeignKey(DisclosureVersion, on_delete=models.PROTECT, related_name="entries")
    position = models.PositiveIntegerField(_("row"))
    name = models.CharField(_("name"), max_length=60)
    village_group = models.CharField(_("village group"), max_length=60, blank=True)
    benefit = models.CharField(_("benefit"), max_length=100)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    period = models.CharField(_("period"), max_length=40, blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        verbose_name = _("benefit list entry")
        verbose_name_plural = _("benefit list entries")
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="uniq_benefit_entry_pos")]

    def __str__(self) -> str:
        return f"{self.name} {self.benefit}"


class DisclosureSearchToken(models.Model):
    """The search index: jieba ``cut_for_search`` tokens of the current version, with a weight
    (title tokens count more). Rebuilt by every service that changes the current version."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=32)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("search token")
        verbose_name_plural = _("search tokens")
        constraints = [models.UniqueConstraint(fields=["disclosure", "token"], name="uniq_disclosure_token")]
        indexes = [models.Index(fields=["token", "disclosure"], name="disclosure_token_lookup")]

    def __str__(self) -> str:
        return self.token


class DisclosureSchedule(models.Model):
    """A periodic disclosure a region's villages owe (定期公开). Set on a county (the default for its
    villages) or on a village (overrides the county's row for the same module). Periods before
    ``starts_on`` are not required."""

    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="disclosure_schedules",
        verbose_name=_("region"),
    )
    module = models.CharField(_("module"), max_length=16, choices=DisclosureModule.choices)
    frequency = models.CharField(_("frequency"), max_length=10, choices=ScheduleFrequency.choices)
    due_day = models.PositiveSmallIntegerField(_("due by day of the following month"))
    grace_days = models.PositiveSmallIntegerField(_("grace period (days)"), default=0)
    starts_on = models.DateField(_("required from"))
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["region_id", "module"]
        verbose_name = _("disclosure schedule")
        verbose_name_plural = _("disclosure schedules")
        constraints = [
            models.UniqueConstraint(fields=["region", "module"], name="uniq_disclosure_schedule"),
            models.CheckConstraint(
                condition=Q(due_day__gte=1) & Q(due_day__lte=28), name="disclosure_schedule_due_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.module} {self.frequency}"


class SupervisionContact(models.Model):
    """The village supervision committee's public contact (村务监督委员会), shown on the village page."""

    village = models.OneToOneField(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="supervision_contact",
        verbose_name=_("village"),
    )
    chair = models.CharField(_("chair"), max_length=60)
    members = models.CharField(_("members"), max_length=300, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=40, blank=True)
    address = models.CharField(_("office address"), max_length=200, blank=True)
    hours = models.CharField(_("office hours"), max_length=100, blank=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("supervision committee contact")
        verbose_name_plural = _("supervision committee contacts")

    def __str__(self) -> str:
        return f"{self.village_id} {self.chair}"
