"""Closed vocabularies of the catalog: groups, categories, step kinds, vote bodies, types."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # editable; not in force anywhere
    PUBLISHED = "published", _("Published")  # immutable, hashed; the edition in force for adopters
    RETIRED = "retired", _("Retired")  # superseded by a newer edition; kept for cases pinned to it


class ItemGroup(models.TextChoices):
    PUBLIC_AFFAIRS = "public_affairs", _("Public affairs")  # 公共权力事项
    VILLAGER_SERVICES = "villager_services", _("Villager services")  # 便民服务事项


class ItemCategory(models.TextChoices):
    DECISION = "decision", _("Deliberation and decisions")  # 议事决策
    PERSONNEL = "personnel", _("Organisation and personnel")  # 组织人事
    VILLAGE_AFFAIRS = "village_affairs", _("Open village affairs")  # 阳光村务
    PUBLIC_SERVICE = "public_service", _("Public services")  # 公共服务
    COLLECTIVE_ASSETS = "collective_assets", _("Collective assets, funds and resources")  # 三资管理
    WORKS_PROCUREMENT = "works_procurement", _("Works and procurement")  # 工程采购
    RELIEF = "relief", _("Relief and assistance")  # 救助救济
    LAND = "land", _("Land requisition and homesteads")  # 征地拆迁/宅基地
    FARM_SUBSIDIES = "farm_subsidies", _("Farm subsidies")  # 惠农补贴
    ELECTIONS = "elections", _("Elections")  # 换届选举


class StepKind(models.TextChoices):
    TASK = "task", _("Task")  # someone does something and records it
    APPROVAL = "approval", _("Approval")  # a role approves, returns or rejects
    VOTE = "vote", _("Vote")  # a body votes; quorum and threshold apply
    PUBLIC_NOTICE = "public_notice", _("Public notice")  # posted for N working days; objections possible
    DOCUMENT = "document", _("Document")  # a document is issued (and usually stamped)
    END = "end", _("End")  # the case closes here


class VoteBody(models.TextChoices):
    BRANCH_COMMITTEE = "branch_committee", _("Party branch committee")  # 支委会
    TWO_COMMITTEES = "two_committees", _("Joint two-committee meeting")  # 两委联席会
    PARTY_MEMBERS = "party_members", _("Party members' assembly")  # 党员大会
    VILLAGER_REPRESENTATIVES = (
        "villager_representatives",
        _("Villager representatives' meeting"),
    )  # 村民代表会议
    VILLAGERS_MEETING = "villagers_meeting", _("Villagers' meeting")  # 村民会议
    SUPERVISION_COMMITTEE = "supervision_committee", _("Village supervision committee")  # 村监委
    FINANCE_GROUP = "finance_group", _("Democratic finance group")  # 民主理财小组


class CompareRule(models.TextChoices):
    GT = "gt", _("more than")
    GTE = "gte", _("at least")


class VoteBase(models.TextChoices):
    EXPECTED = "expected", _("of those entitled")
    PRESENT = "present", _("of those present")


class ParamKind(models.TextChoices):
    INT = "int", _("Whole number")
    DECIMAL = "decimal", _("Amount (yuan)")
    DAYS = "days", _("Working days")


class OverrideLevel(models.TextChoices):
    NONE = "none", _("Fixed by the county")
    TOWNSHIP = "township", _("Townships may adjust")
    VILLAGE = "village", _("Townships and villages may adjust")


class VarType(models.TextChoices):
    INT = "int", _("Whole number")
    DOUBLE = "double", _("Number")
    STRING = "string", _("Text")
    BOOL = "bool", _("Yes/no")
    LIST = "list", _("List of text")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")  # 高 / A / 一级
    MEDIUM = "medium", _("Medium")  # 中 / B / 二级
    LOW = "low", _("Low")  # 低 / C / 三级


DEFAULT_RISK_MATRIX = {
    "likelihood": ["低", "中", "高"],
    "impact": ["低", "中", "高"],
    # levels[likelihood-1][impact-1]
    "levels": [
        ["low", "low", "medium"],
        ["low", "medium", "high"],
        ["medium", "high", "high"],
    ],
}
