"""Exercise of power (行权): cases that follow a pinned flow version, one step at a time.

A Case pins the FlowVersion (and so the catalog edition) it started on and a snapshot of the
parameter values in force for its village at that moment, so later edits or overrides never change
a running case. Each entry into a step is a StepInstance (loops re-enter a step as a new row); the
database allows at most one active instance per case. Every write goes through services.py, which
appends the matching event to the ledger in the same transaction.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocab import CaseStatus, ObjectionStatus, PartyRole, RefusalKind, SealKind, StepStatus


class Case(models.Model):
    tracking_no = models.CharField(_("tracking number"), max_length=24, unique=True)
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="cases", verbose_name=_("village")
    )
    item = models.ForeignKey(
        "powers.PowerItem", on_delete=models.PROTECT, related_name="cases", verbose_name=_("power item")
    )
    flow = models.ForeignKey(
        "powers.FlowVersion", on_delete=models.PROTECT, related_name="cases", verbose_name=_("flow version")
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.ACTIVE, db_index=True
    )
    variables = models.JSONField(_("case variables"), default=dict)
    parameters = models.JSONField(_("parameters in force at start"), default=dict)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    current = models.OneToOneField(
        "StepInstance",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current step"),
    )
    started_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    end_step_key = models.CharField(_("ended at step"), max_length=40, blank=True)
    termination_reason = models.CharField(_("reason for termination"), max_length=500, blank=True)
    revision = models.PositiveIntegerField(default=0)  # bumped by every write; optimistic checks

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["village", "status"]), models.Index(fields=["item", "status"])]

    def __str__(self) -> str:
        return f"{self.tracking_no} {self.title}"


class StepInstance(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps", verbose_name=_("case"))
    step = models.ForeignKey(
        "powers.Step", on_delete=models.PROTECT, related_name="instances", verbose_name=_("step")
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    status = models.CharField(
        _("status"), max_length=10, choices=StepStatus.choices, default=StepStatus.ACTIVE, db_index=True
    )
    entered_at = models.DateTimeField(_("entered at"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_as = models.CharField(_("completed in the role of"), max_length=32, blank=True)
    on_behalf = models.BooleanField(_("done on the applicant's behalf"), default=False)
    note = models.TextField(_("note"), blank=True)
    inputs = models.JSONField(_("values entered"), default=dict)
    routing = models.JSONField(_("evaluated conditions"), default=list)
    next_step_key = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["case_id", "sequence"]
        verbose_name = _("step instance")
        verbose_name_plural = _("step instances")
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="uniq_step_sequence"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="active"), name="one_active_step_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.sequence} {self.step_id}"


class CaseParty(models.Model):
    """A person or organisation the case is about: applicant, beneficiary, counterparty."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("role"), max_length=14, choices=PartyRole.choices)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="case_parties"
    )
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = _("case party")
        verbose_name_plural = _("case parties")
        indexes = [models.Index(fields=["person", "role"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class CaseDocument(models.Model):
    """An uploaded document, stored content-addressed by its SHA-256."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    step_instance = models.ForeignKey(
        StepInstance, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    name = models.CharField(_("document"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["case_id", "uploaded_at", "id"]
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class Notice(models.Model):
    """A public notice (公示) opened by a case's public_notice step; it has its own public page."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    step_instance = models.OneToOneField(StepInstance, on_delete=models.PROTECT, related_name="notice")
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="case_notices")
    code = models.CharField(_("notice number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    opens_at = models.DateTimeField(_("posted at"))
    closes_at = models.DateTimeField(_("notice period ends"), db_index=True)
    working_days = models.PositiveIntegerField(_("notice period (working days)"))

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """A villager's objection (异议) lodged during a notice period; while open it blocks the case."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="objections")
    receipt_code = models.CharField(_("receipt code"), max_length=24, unique=True)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    name_token = models.TextField(blank=True)  # encrypted; only for real-name objections
    phone_token = models.TextField(blank=True)  # encrypted
    contact_masked = models.CharField(_("contact"), max_length=60, blank=True)
    text = models.TextField(_("objection"))
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    lodged_at = models.DateTimeField(_("lodged at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["lodged_at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return self.receipt_code


class VoteRecord(models.Model):
    """The tally of a meeting that voted on a case's vote step (the deliberation app links its
    meeting here through ``meeting_ref``)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="votes")
    step_instance = models.ForeignKey(StepInstance, on_delete=models.PROTECT, related_name="votes")
    body = models.CharField(_("voting body"), max_length=30)
    expected = models.PositiveIntegerField(_("entitled to vote"))
    present = models.PositiveIntegerField(_("present"))
    votes_for = models.PositiveIntegerField(_("for"))
    votes_against = models.PositiveIntegerField(_("against"))
    abstentions = models.PositiveIntegerField(_("abstentions"))
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("passed"))
    meeting_ref = models.CharField(_("meeting"), max_length=64, blank=True)
    held_on = models.DateField(_("held on"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["case_id", "recorded_at", "id"]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")

    def __str__(self) -> str:
        return f"{self.votes_for}/{self.present}/{self.expected}"


class SealUse(models.Model):
    """One stamping of a document (公章使用登记). Without a case only as a logged exception."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="seal_uses")
    seal = models.CharField(_("seal"), max_length=14, choices=SealKind.choices)
    purpose = models.CharField(_("purpose"), max_length=300)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="seal_uses")
    step_instance = models.ForeignKey(
        StepInstance, on_delete=models.PROTECT, null=True, blank=True, related_name="seal_uses"
    )
    approver = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by")
    )
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(_("used at"), db_index=True)
    is_exception = models.BooleanField(_("exception (no case)"), default=False)
    exception_reason = models.CharField(_("reason for the exception"), max_length=500, blank=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        verbose_name = _("seal use")
        verbose_name_plural = _("seal uses")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | (Q(is_exception=True) & ~Q(exception_reason="")),
                name="seal_use_case_or_exception",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_seal_display()} {self.purpose}"


class RefusedAttempt(models.Model):
    """A refused attempt (start outside the catalog, 越权 step, …), kept for supervision."""

    kind = models.CharField(_("kind"), max_length=12, choices=RefusalKind.choices, db_index=True)
    code = models.CharField(_("error code"), max_length=60)
    message = models.CharField(_("message"), max_length=500)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="refusals")
    step_instance = models.ForeignKey(
        StepInstance, on_delete=models.PROTECT, null=True, blank=True, related_name="refusals"
    )
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("refused attempt")
        verbose_name_plural = _("refused attempts")

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"
