"""Closed vocabularies of supervision: severities, alert statuses, rule families."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Severity(models.TextChoices):
    RED = "red", _("Red")  # 红色预警: serious; downgraded only with rectification evidence
    YELLOW = "yellow", _("Yellow")  # 黄色预警
    BLUE = "blue", _("Blue")  # 蓝色预警: reminder


SEVERITY_RANK = {Severity.BLUE: 1, Severity.YELLOW: 2, Severity.RED: 3}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")  # raised, nobody has taken it
    CLAIMED = "claimed", _("Claimed")  # 认领: someone is checking it
    VERIFIED = "verified", _("Verified")  # 核实: the problem is real
    DISMISSED = "dismissed", _("Dismissed")  # not a problem; the reason is recorded
    RECTIFYING = "rectifying", _("Rectifying")  # 整改中
    CLOSED = "closed", _("Closed")  # 整改完成 with evidence


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.CLAIMED, AlertStatus.VERIFIED, AlertStatus.RECTIFYING)


class RuleFamily(models.TextChoices):
    TIME = "time", _("Time limits")  # 时限
    PROCEDURE = "procedure", pgettext_lazy("rule family", "Procedure")  # 程序
    CONFLICT = "conflict", _("Conflict of interest")  # 优亲厚友
    ELIGIBILITY = "eligibility", _("Eligibility cross-checks")  # 大数据比对
    MONEY = "money", _("Money")  # 资金
    ASSETS = "assets", _("Collective assets")  # 三资
    SEALS_DISCLOSURE = "seals_disclosure", _("Seals and disclosure")  # 印章与公开
