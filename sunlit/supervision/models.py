"""Alerts raised by supervision rules, their history, and rule settings per region.

An alert is identified by ``key`` = ``"<rule code>:<finding key>"``, unique in the database, so a
sweep or an on-commit check that finds the same thing again never duplicates it: it only refreshes
``last_seen_at``. Every state change goes through services.py, appends an AlertAction and a ledger
event in the same transaction.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocab import AlertStatus, Severity


class RuleSetting(models.Model):
    """A region's parameters for one rule (county staff, within the rule's bounds)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="rule_settings")
    rule_code = models.CharField(_("rule"), max_length=40)
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices, blank=True)
    params = models.JSONField(_("parameters"), default=dict)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        ordering = ["region__code", "rule_code"]
        verbose_name = _("rule setting")
        verbose_name_plural = _("rule settings")
        constraints = [models.UniqueConstraint(fields=["region", "rule_code"], name="uniq_rule_setting")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.rule_code}"


class Alert(models.Model):
    key = models.CharField(max_length=160, unique=True)
    rule_code = models.CharField(_("rule"), max_length=40, db_index=True)
    family = models.CharField(_("family"), max_length=20, db_index=True)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="alerts")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    subject = models.CharField(_("subject"), max_length=80)  # "app.model:pk" of what the finding is about
    title = models.CharField(_("title"), max_length=300)
    explanation = models.TextField(_("explanation"))
    evidence = models.JSONField(_("evidence"), default=dict)
    first_seen_at = models.DateTimeField(_("raised at"), db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"))
    claimed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("verified or dismissed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    dismiss_reason = models.TextField(_("reason for dismissal"), blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    handling_region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="handled_alerts",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["village", "status"]),
            models.Index(fields=["status", "first_seen_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismiss_reason=""), name="dismissal_needs_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.title}"


class AlertAction(models.Model):
    """One step in an alert's life: raised, claimed, verified, dismissed, rectification, escalated …"""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["alert_id", "at", "id"]
        verbose_name = _("alert action")
        verbose_name_plural = _("alert actions")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind}"


class SweepRun(models.Model):
    """One run of the rules (a sweep or an on-commit check), for monitoring and benchmarks."""

    kind = models.CharField(max_length=10)  # "sweep" or "commit"
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rules = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    raised = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


# --- notifications (sunlit/supervision/notify.py) ----------------------------------------------------------


class Notification(models.Model):
    """One message owed to one handler about one alert event: a new red alert or an escalation.

    The unique key makes delivery idempotent (a re-run task or a second worker finds the row and does
    not notify twice); ``sent_at`` stays empty until a backend accepted it, and with a digest period the
    rows wait to be sent as one message. A failed delivery is recorded (``attempts``, ``last_error``)
    and retried from ``next_attempt_at`` on, with exponential back-off up to a cap, until it is given up
    (``failed_at``) after the configured number of attempts. A worker sends a row only after claiming it
    (``claim`` + ``claimed_until``, a conditional update), so two workers never send the same one.
    """

    class Event(models.TextChoices):
        RAISED = "raised", _("New red alert")  # a red alert was raised
        ESCALATED = "escalated", _("Escalated")  # an alert moved up to the recipient's region

    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    backend = models.CharField(_("sent by"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="notification_due")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "alert", "event", "level"], name="uniq_alert_notification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.event} {self.alert_id}"


# --- ground truth (sunlit/supervision/anomalies.py) ----------------------------------------------------------


class InjectedAnomaly(models.Model):
    """An irregularity planted on purpose (by ``sunlit demo`` or ``--anomalies``) and the finding it must
    produce: ``key`` is the exact finding key of ``rule_code``, so the alert key is ``"<rule>:<key>"``.
    Tests and benchmarks compare the alerts raised with these rows (100% recall, no false alerts)."""

    rule_code = models.CharField(_("rule"), max_length=40)
    key = models.CharField(_("finding key"), max_length=120)
    injector = models.CharField(_("injected by"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=300)
    injected_at = models.DateTimeField(_("injected at"))

    class Meta:
        ordering = ["rule_code", "key"]
        verbose_name = _("injected anomaly")
        verbose_name_plural = _("injected anomalies")
        constraints = [models.UniqueConstraint(fields=["rule_code", "key"], name="uniq_injected_anomaly")]

    def __str__(self) -> str:
        return f"{self.rule_code}:{self.key}"

    @property
    def alert_key(self) -> str:
        return f"{self.rule_code}:{self.key}"[:160]
