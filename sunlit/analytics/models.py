"""Models of analytics: stored topic analyses of complaint text and the supervision recommendation
letters (监察建议书) drafted from them. Data only; writes go through services.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TopicRun(models.Model):
    """One topic analysis of the masked complaint text of a region over a period, with its result."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="topic_runs", verbose_name=_("region")
    )
    period_from = models.DateField(_("from"))
    period_to = models.DateField(_("to"))
    documents = models.PositiveIntegerField(_("messages analysed"), default=0)
    params = models.JSONField(_("parameters"), default=dict)
    result = models.JSONField(_("result"), default=dict)  # TopicReport.as_json()
    seconds = models.FloatField(_("duration (s)"), default=0)
    created_at = models.DateTimeField(_("run at"), db_index=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("topic analysis")
        verbose_name_plural = _("topic analyses")

    def __str__(self) -> str:
        return f"{self.region_id} {self.period_from}–{self.period_to}"


class RecommendationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # 草稿: staff edit it
    ISSUED = "issued", _("Issued")  # 已印发: frozen


class Recommendation(models.Model):
    """监察建议书: a letter to a department drawn from a topic analysis; an editable draft until issued."""

    run = models.ForeignKey(
        TopicRun, on_delete=models.PROTECT, null=True, blank=True, related_name="recommendations"
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="recommendations",
        verbose_name=_("issuing region"),
    )
    department = models.CharField(_("department"), max_length=120)
    reference = models.CharField(_("reference number"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=8, choices=RecommendationStatus.choices, default=RecommendationStatus.DRAFT
    )
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("drafted at"))
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("last edited"))
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("supervision recommendation")
        verbose_name_plural = _("supervision recommendations")

    def __str__(self) -> str:
        return self.title
