"""The four lists (四单): power items, their flows, risk points and controls, per catalog edition.

A Catalog row is one *edition* of a region's catalog. Drafts are edited; publishing validates
the whole edition, stores its content hash and freezes it (services refuse further writes).
Cases pin the FlowVersion of the edition they started on, so retired editions are kept.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sunlit.accounts.roles import Role

from .vocab import (
    CatalogStatus,
    CompareRule,
    ItemCategory,
    ItemGroup,
    OverrideLevel,
    ParamKind,
    RiskLevel,
    StepKind,
    VoteBase,
    VoteBody,
)


class Catalog(models.Model):
    owner = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="catalogs", verbose_name=_("owner")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("edition"))
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CatalogStatus.choices, default=CatalogStatus.DRAFT
    )
    risk_matrix = models.JSONField(_("risk matrix"))
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("based on")
    )
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["owner__code", "code", "-version"]
        verbose_name = _("catalog edition")
        verbose_name_plural = _("catalog editions")
        constraints = [
            models.UniqueConstraint(fields=["owner", "code", "version"], name="uniq_catalog_edition"),
            models.UniqueConstraint(
                fields=["owner", "code"], condition=Q(status="published"), name="one_published_edition"
            ),
            models.UniqueConstraint(
                fields=["owner", "code"], condition=Q(status="draft"), name="one_draft_edition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @property
    def is_draft(self) -> bool:
        return self.status == CatalogStatus.DRAFT


class PowerItem(models.Model):
    catalog = models.ForeignKey(
        Catalog, on_delete=models.CASCADE, related_name="items", verbose_name=_("catalog")
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    group = models.CharField(_("group"), max_length=20, choices=ItemGroup.choices)
    category = models.CharField(_("category"), max_length=20, choices=ItemCategory.choices)
    summary = models.TextField(_("summary"), blank=True)
    legal_basis = models.JSONField(_("legal basis"), default=list)  # [{"title", "article"}]
    responsible_role = models.CharField(_("responsible role"), max_length=32, choices=Role.choices)
    time_limit_days = models.PositiveIntegerField(_("time limit (working days)"), null=True, blank=True)
    time_limit_param = models.CharField(max_length=40, blank=True)
    disclosure = models.TextField(_("disclosure requirements"), blank=True)
    guide_contact = models.CharField(_("whom to ask"), max_length=500, blank=True)
    guide_materials = models.JSONField(_("what to bring"), default=list)
    guide_duration = models.CharField(_("how long"), max_length=500, blank=True)
    variables = models.JSONField(_("case variables"), default=list)  # [{"name", "type", "label"}]
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["catalog_id", "position"]
        verbose_name = _("power item")
        verbose_name_plural = _("power items")
        constraints = [models.UniqueConstraint(fields=["catalog", "code"], name="uniq_item_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ItemParameter(models.Model):
    """A county parameter of an item (a threshold, a number of days) with the bounds for overrides."""

    item = models.ForeignKey(PowerItem, on_delete=models.CASCADE, related_name="parameters")
    key = models.CharField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ParamKind.choices)
    default = models.DecimalField(_("default"), max_digits=14, decimal_places=2)
    minimum = models.DecimalField(_("minimum"), max_digits=14, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(_("maximum"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    override = models.CharField(
        _("who may adjust"), max_length=10, choices=OverrideLevel.choices, default=OverrideLevel.NONE
    )
    illustrative = models.BooleanField(_("illustrative default"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item_id", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="uniq_item_param")]
        verbose_name = _("item parameter")
        verbose_name_plural = _("item parameters")

    def __str__(self) -> str:
        return self.key


class FlowVersion(models.Model):
    """The procedure of one item in one edition. ``version`` counts changes of the flow's content
    across editions, so an unchanged flow keeps its number."""

    item = models.OneToOneField(PowerItem, on_delete=models.CASCADE, related_name="flow")
    version = models.PositiveIntegerField(_("flow version"), default=1)
    start_key = models.CharField(_("start step"), max_length=40)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")

    def __str__(self) -> str:
        return f"{self.item} v{self.version}"


class Step(models.Model):
    flow = models.ForeignKey(FlowVersion, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    position = models.PositiveIntegerField(default=0)
    deadline_days = models.PositiveIntegerField(_("time limit (working days)"), null=True, blank=True)
    deadline_param = models.CharField(max_length=40, blank=True)
    notice_days = models.PositiveIntegerField(_("notice days"), null=True, blank=True)
    notice_param = models.CharField(max_length=40, blank=True)
    documents = models.JSONField(_("required documents"), default=list)
    vote_body = models.CharField(_("voting body"), max_length=30, choices=VoteBody.choices, blank=True)
    quorum = models.CharField(_("quorum"), max_length=10, blank=True)
    quorum_rule = models.CharField(max_length=3, choices=CompareRule.choices, blank=True)
    threshold = models.CharField(_("pass threshold"), max_length=10, blank=True)
    threshold_rule = models.CharField(max_length=3, choices=CompareRule.choices, blank=True)
    threshold_base = models.CharField(max_length=10, choices=VoteBase.choices, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["flow_id", "position"]
        constraints = [models.UniqueConstraint(fields=["flow", "key"], name="uniq_step_key")]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return self.name


class Transition(models.Model):
    flow = models.ForeignKey(FlowVersion, on_delete=models.CASCADE, related_name="transitions")
    source = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="incoming")
    guard = models.TextField(_("condition (CEL)"), blank=True)
    is_default = models.BooleanField(_("default way"), default=False)
    priority = models.PositiveIntegerField(_("priority"), default=0)
    label = models.CharField(_("label"), max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["flow_id", "position"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")

    def __str__(self) -> str:
        return f"{self.source.key} → {self.target.key}"


class RiskPoint(models.Model):
    item = models.ForeignKey(PowerItem, on_delete=models.CASCADE, related_name="risks")
    step = models.ForeignKey(Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="risks")
    code = models.CharField(_("code"), max_length=40)
    description = models.TextField(_("description"))
    likelihood = models.PositiveSmallIntegerField(_("likelihood"))
    impact = models.PositiveSmallIntegerField(_("impact"))
    level = models.CharField(_("level"), max_length=10, choices=RiskLevel.choices, db_index=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item_id", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="uniq_risk_code")]
        verbose_name = _("risk point")
        verbose_name_plural = _("risk points")

    def __str__(self) -> str:
        return f"{self.code} {self.description[:30]}"


class Control(models.Model):
    risk = models.ForeignKey(RiskPoint, on_delete=models.CASCADE, related_name="controls")
    measure = models.TextField(_("measure"))
    responsible_role = models.CharField(_("responsible role"), max_length=32, choices=Role.choices)
    evidence = models.CharField(_("evidence expected"), max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["risk_id", "position"]
        verbose_name = _("control")
        verbose_name_plural = _("controls")

    def __str__(self) -> str:
        return self.measure[:40]


class ResponsibilityEntry(models.Model):
    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="responsibilities")
    code = models.CharField(_("code"), max_length=40)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    duty = models.TextField(_("duty"))
    basis = models.CharField(_("basis"), max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["catalog_id", "position"]
        constraints = [models.UniqueConstraint(fields=["catalog", "code"], name="uniq_responsibility_code")]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibility list")

    def __str__(self) -> str:
        return self.code


class NegativeEntry(models.Model):
    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="negative_entries")
    code = models.CharField(_("code"), max_length=40)
    text = models.TextField(_("forbidden act"))
    basis = models.CharField(_("basis"), max_length=500, blank=True)
    consequence = models.CharField(_("consequence"), max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["catalog_id", "position"]
        constraints = [models.UniqueConstraint(fields=["catalog", "code"], name="uniq_negative_code")]
        verbose_name = _("negative-list entry")
        verbose_name_plural = _("negative list")

    def __str__(self) -> str:
        return self.code


class Adoption(models.Model):
    """A township or village adopting a published edition; its overrides live in ParameterOverride."""

    region = models.OneToOneField("regions.Region", on_delete=models.PROTECT, related_name="adoption")
    catalog = models.ForeignKey(Catalog, on_delete=models.PROTECT, related_name="adoptions")
    adopted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adopted_at = models.DateTimeField(_("adopted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")

    def __str__(self) -> str:
        return f"{self.region} ← {self.catalog}"


class ParameterOverride(models.Model):
    adoption = models.ForeignKey(Adoption, on_delete=models.CASCADE, related_name="overrides")
    item_code = models.CharField(_("item"), max_length=40)
    key = models.CharField(_("parameter"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        ordering = ["adoption_id", "item_code", "key"]
        constraints = [models.UniqueConstraint(fields=["adoption", "item_code", "key"], name="uniq_override")]
        verbose_name = _("parameter override")
        verbose_name_plural = _("parameter overrides")

    def __str__(self) -> str:
        return f"{self.item_code}.{self.key}={self.value}"
