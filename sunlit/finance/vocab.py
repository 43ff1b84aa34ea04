"""Closed vocabularies of finance (三资): kinds of assets, resources, contracts, entries and statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AssetCategory(models.TextChoices):
    BUILDING = "building", _("Building")  # 房屋建筑物
    EQUIPMENT = "equipment", _("Equipment")  # 机器设备
    VEHICLE = "vehicle", _("Vehicle")  # 运输工具
    FACILITY = "facility", _("Public facility")  # 公益设施 (roads, lights, water works)
    OTHER = "other", pgettext_lazy("asset category", "Other")


class AssetStatus(models.TextChoices):
    IN_USE = "in_use", _("In use by the village")  # 自用
    LEASED = "leased", _("Leased out")  # 出租/发包中
    IDLE = "idle", _("Idle")  # 闲置
    DISPOSED = "disposed", _("Disposed of")  # 已处置 (sold, scrapped)


class ResourceKind(models.TextChoices):
    FARMLAND = "farmland", _("Farmland")  # 耕地
    WOODLAND = "woodland", _("Woodland")  # 林地
    POND = "pond", _("Pond")  # 水面/鱼塘
    ORCHARD = "orchard", _("Orchard or tea garden")  # 园地/茶园
    WASTELAND = "wasteland", _("Wasteland")  # 四荒地
    CONSTRUCTION = "construction", _("Construction land")  # 集体经营性建设用地
    OTHER = "other", pgettext_lazy("resource kind", "Other")


class ResourceStatus(models.TextChoices):
    SELF_MANAGED = "self_managed", _("Managed by the village")  # 自营
    CONTRACTED = "contracted", _("Contracted out")  # 已发包
    IDLE = "idle", _("Not in use")  # 未利用


class ContractKind(models.TextChoices):
    LEASE = "lease", _("Lease of an asset")  # 资产租赁
    CONTRACTING = "contracting", _("Contracting of a resource")  # 资源发包
    WORKS = "works", _("Works")  # 工程
    PROCUREMENT = "procurement", _("Procurement")  # 采购
    SERVICES = "services", _("Services")  # 服务


# Contracts under which the village lets out what it owns and collects rent.
LETTING_KINDS = (ContractKind.LEASE, ContractKind.CONTRACTING)


class Direction(models.TextChoices):
    INCOME = "in", _("Money in")  # the village receives
    EXPENSE = "out", _("Money out")  # the village pays


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("In force")  # signed, within or past its period until closed
    COMPLETED = "completed", _("Completed")  # ran its term and was closed
    RENEWED = "renewed", _("Renewed")  # replaced by a renewal contract
    TERMINATED = "terminated", _("Terminated early")  # 提前解除, with a reason


CLOSED_CONTRACT = (ContractStatus.COMPLETED, ContractStatus.RENEWED, ContractStatus.TERMINATED)


class ContractEventKind(models.TextChoices):
    SIGNED = "signed", _("Signed")
    RENEWED = "renewed", _("Renewed")  # 续签: a new contract follows this one
    PRICE_CHANGED = "price_changed", _("Price changed")  # 调价
    TERMINATED = "terminated", _("Terminated early")  # 提前解除
    COMPLETED = "completed", _("Closed at the end of its term")
    ARREARS = "arrears", _("Arrears recorded")  # 欠款登记/催缴


class CounterpartyKind(models.TextChoices):
    PERSON = "person", _("Private person")  # 自然人: name masked in public
    BUSINESS = "business", _("Business or organisation")  # 企业/合作社/单位


class AccountKind(models.TextChoices):
    CASH = "cash", _("Cash on hand")  # 库存现金
    BANK = "bank", _("Bank account")  # 银行存款


class EntryKind(models.TextChoices):
    INCOME = "income", _("Income")  # 收入
    EXPENSE = "expense", _("Expense")  # 支出
    TRANSFER = "transfer", _("Transfer between accounts")  # 存现/取现


class Category(models.TextChoices):
    # income
    CONTRACTING_INCOME = "contracting_income", _("Rent and contracting income")  # 发包及上交收入
    OPERATING_INCOME = "operating_income", _("Operating income")  # 经营收入
    SUBSIDY_INCOME = "subsidy_income", _("Subsidies received")  # 补助收入
    INVESTMENT_INCOME = "investment_income", _("Investment income")  # 投资收益
    OTHER_INCOME = "other_income", _("Other income")  # 其他收入
    # expense
    ADMINISTRATION = "administration", _("Administrative expenses")  # 管理费用
    ALLOWANCES = "allowances", _("Cadre allowances")  # 干部报酬
    PUBLIC_WELFARE = "public_welfare", _("Public welfare")  # 公益支出
    WORKS = "works", _("Works and construction")  # 在建工程
    PURCHASES = "purchases", _("Purchases")  # 采购
    DISTRIBUTION = "distribution", _("Payments to members")  # 分配 (land-transfer rent, dividends)
    OTHER_EXPENSE = "other_expense", _("Other expenses")  # 其他支出
    # transfer
    TRANSFER = "transfer", _("Transfer")


INCOME_CATEGORIES = (
    Category.CONTRACTING_INCOME,
    Category.OPERATING_INCOME,
    Category.SUBSIDY_INCOME,
    Category.INVESTMENT_INCOME,
    Category.OTHER_INCOME,
)
EXPENSE_CATEGORIES = (
    Category.ADMINISTRATION,
    Category.ALLOWANCES,
    Category.PUBLIC_WELFARE,
    Category.WORKS,
    Category.PURCHASES,
    Category.DISTRIBUTION,
    Category.OTHER_EXPENSE,
)


class ReimbursementStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting signatures")  # the PA-07 case is running
    PAID = "paid", _("Paid")  # all signatures and the seal were there; the expense is booked
    REJECTED = "rejected", _("Rejected")  # the case ended without approval
