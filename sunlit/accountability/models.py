"""Models of accountability (问责): leads (问题线索), their dispositions, findings in the four forms
(四种形态) with 一案双查 links, rectification tasks with evidence, follow-up visits (回访) and public
naming notices (通报曝光).

Data only: every write goes through services.py (one transaction, a ledger event), every read through
selectors.py (region-scoped).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocab import (
    Disposition,
    FindingKind,
    Form,
    LeadSource,
    LeadStatus,
    Measure,
    NameDisplay,
    NoticeStatus,
    TaskStatus,
    VisitOutcome,
)


class Lead(models.Model):
    """A possible violation to be handled (问题线索)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=LeadSource.choices)
    alert = models.ForeignKey(
        "supervision.Alert",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("alert"),
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("complaint"),
    )
    source_description = models.TextField(_("source"), blank=True)  # inspections: who found what, where
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="leads", verbose_name=_("village")
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    status = models.CharField(
        _("status"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.REGISTERED, db_index=True
    )
    disposition = models.CharField(_("disposition"), max_length=20, choices=Disposition.choices, blank=True)
    disposition_note = models.TextField(_("reason for the disposition"), blank=True)
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)
    publication_required = models.BooleanField(_("public naming required"), default=False)
    publication_waiver = models.TextField(_("reason public naming is not required"), blank=True)
    registered_at = models.DateTimeField(_("registered at"), db_index=True)
    registered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [models.Index(fields=["village", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["alert"], condition=Q(alert__isnull=False), name="uniq_lead_alert"
            ),
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(complaint__isnull=False), name="uniq_lead_complaint"
            ),
            models.CheckConstraint(
                condition=~Q(source="alert") | Q(alert__isnull=False), name="alert_lead_has_alert"
            ),
            models.CheckConstraint(
                condition=~Q(source="complaint") | Q(complaint__isnull=False),
                name="complaint_lead_has_complaint",
            ),
            models.CheckConstraint(
                condition=~Q(source="inspection") | ~Q(source_description=""),
                name="inspection_lead_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class LeadAction(models.Model):
    """One step in a lead's life (registered, disposed, finding, rectification, notice, closed …)."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["lead_id", "at", "id"]
        verbose_name = _("lead action")
        verbose_name_plural = _("lead actions")

    def __str__(self) -> str:
        return f"{self.lead_id} {self.kind}"


class Finding(models.Model):
    """What was established about one person, in one of the four forms, with its measure or sanction.

    A responsibility finding (一案双查) names the leaders answerable for a violation and points at the
    violation finding it follows from (``responsibility_for``).
    """

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField(_("kind"), max_length=28, choices=FindingKind.choices)
    responsibility_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsibility_findings",
        verbose_name=_("responsibility for"),
    )
    subject_name = models.CharField(_("person"), max_length=100)
    subject_post = models.CharField(_("post"), max_length=100)
    party_member = models.BooleanField(_("party member"), default=True)
    public_servant = models.BooleanField(_("subject to civil-service sanctions"), default=False)
    form = models.PositiveSmallIntegerField(_("form"), choices=Form.choices)
    measure = models.CharField(_("measure or sanction"), max_length=24, choices=Measure.choices)
    facts = models.TextField(_("facts established"))
    decision_ref = models.CharField(_("decision reference"), max_length=100, blank=True)  # 处分决定文号
    executed_on = models.DateField(_("carried out on"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), db_index=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["lead_id", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(condition=Q(form__gte=1, form__lte=4), name="finding_form_range"),
            models.CheckConstraint(
                condition=Q(kind="violation", responsibility_for__isnull=True)
                | (~Q(kind="violation") & Q(responsibility_for__isnull=False)),
                name="responsibility_links_violation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.subject_name} {self.measure}"


class RectificationTask(models.Model):
    """整改: what must be fixed, by whom, by when (working days); done only with evidence."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="tasks")
    description = models.TextField(_("what must be rectified"))
    responsible_unit = models.CharField(_("responsible unit"), max_length=120)
    working_days = models.PositiveSmallIntegerField(_("working days allowed"))
    due_on = models.DateField(_("due on"), db_index=True)
    status = models.CharField(_("status"), max_length=6, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_note = models.TextField(_("how it was rectified"), blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    evidence_name = models.CharField(_("evidence file"), max_length=200, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_size = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["lead_id", "id"]
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(evidence_sha256="") & Q(done_at__isnull=False)),
                name="rectification_done_has_evidence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.responsible_unit} {self.due_on}"


class FollowUpVisit(models.Model):
    """回访: a later visit checking that the rectification holds and how people see it."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visited by"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=10, choices=VisitOutcome.choices)
    note = models.TextField(_("what was found"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["lead_id", "visited_on", "id"]
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")

    def __str__(self) -> str:
        return f"{self.lead_id} {self.visited_on}"


class NamingPolicy(models.Model):
    """A county's rule for naming people in public notices (default: surname only)."""

    county = models.OneToOneField(
        "regions.Region", on_delete=models.PROTECT, related_name="naming_policy", verbose_name=_("county")
    )
    name_display = models.CharField(
        _("names in public notices"), max_length=8, choices=NameDisplay.choices, default=NameDisplay.MASKED
    )
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("naming policy")
        verbose_name_plural = _("naming policies")

    def __str__(self) -> str:
        return f"{self.county_id} {self.name_display}"


class PublicNotice(models.Model):
    """通报曝光: the public text of an outcome, masked when it was published and frozen since."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="notices")
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="naming_notices", verbose_name=_("village")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))  # masked at publication
    name_display = models.CharField(max_length=8, choices=NameDisplay.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PUBLISHED
    )
    published_at = models.DateTimeField(_("published at"), db_index=True)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("public naming notice")
        verbose_name_plural = _("public naming notices")
        indexes = [models.Index(fields=["village", "status"])]

    def __str__(self) -> str:
        return self.title
