"""Closed vocabularies of cases: statuses, party roles, seal kinds, refusal kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")  # 办理中: one step is active
    COMPLETED = "completed", _("Completed")  # 办结: reached an end step
    TERMINATED = "terminated", _("Terminated")  # 终止: stopped by staff with a recorded reason


class StepStatus(models.TextChoices):
    ACTIVE = "active", _("Active")  # the case is at this step now
    COMPLETED = "completed", _("Completed")  # done; the case moved on
    CANCELLED = "cancelled", _("Cancelled")  # the case was terminated while at this step


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")  # 申请人
    BENEFICIARY = "beneficiary", _("Beneficiary")  # 受益人 / 保障对象
    COUNTERPARTY = "counterparty", _("Counterparty")  # 合同相对方 / 承包方 / 供应商


class ObjectionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("objection status", "Open")  # lodged, not yet answered; blocks the case
    UPHELD = "upheld", _("Upheld")  # 异议成立
    DISMISSED = "dismissed", pgettext_lazy("objection status", "Dismissed")  # 异议不成立


class SealKind(models.TextChoices):
    COMMITTEE = "committee", _("Village committee seal")  # 村委会公章
    PARTY_BRANCH = "party_branch", _("Party branch seal")  # 村党组织印章
    FINANCE = "finance", _("Finance seal")  # 财务专用章
    SUPERVISION = "supervision", _("Supervision committee seal")  # 村务监督委员会印章
    ECONOMIC = "economic", _("Economic cooperative seal")  # 村股份经济合作社印章


class RefusalKind(models.TextChoices):
    START = "start", _("Case start refused")  # e.g. a power outside the village's catalog
    OUT_OF_ROLE = "out_of_role", _("Step attempted without its role")  # 越权
    STEP = "step", _("Step completion refused")  # missing documents, notice running, open objection …
    SEAL = "seal", _("Seal use refused")
