"""Closed vocabularies of disclosure: the nine modules, statuses, schedule frequencies."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DisclosureModule(models.TextChoices):
    """The nine modules of a village's public page (三务公开)."""

    ORGANISATION = "organisation", _("Party and organisation")  # 组织建设: 党务, branch, committees
    SERVICES = "services", _("Villager services")  # 便民服务: guides of the power catalog
    ECONOMY = "economy", _("Collective economy")  # 集体经济: cooperative income, dividends
    LIVELIHOOD = "livelihood", _("Benefit lists")  # 民生公示: 低保, 五保, subsidies (benefit lists)
    ASSETS = "assets", _("Assets, funds and resources")  # 三资管理: monthly finance, contracts, leases
    PROJECTS = "projects", _("Projects")  # 项目公示: works and procurement
    DECISIONS = "decisions", _("Decisions")  # 决策公示: resolutions of 四议两公开, 村务
    REVITALISATION = "revitalisation", _("Rural revitalisation")  # 乡村振兴/脱贫攻坚: monitored households
    COMPLAINTS = "complaints", _("Complaints and suggestions")  # 投诉建议: answered complaints


class DisclosureStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("disclosure status", "Published")  # on the portal
    WITHDRAWN = "withdrawn", pgettext_lazy("disclosure status", "Withdrawn")  # taken down, reason public


class ScheduleFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")  # one disclosure per calendar month
    QUARTERLY = "quarterly", _("Quarterly")  # one disclosure per calendar quarter


class AttachmentState(models.TextChoices):
    PUBLIC = "public", _("Public")  # the public may download it
    WITHHELD = "withheld", _("Withheld (redacted)")  # kept for authorised roles only
