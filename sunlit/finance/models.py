"""Models of finance (三资): registers of assets and resources, contracts with their instalments and
events, accounts, entries (every yuan in or out, with its voucher), reimbursements, monthly bank
reconciliations and the monthly finance disclosure.

Money is ``DecimalField(max_digits=14, decimal_places=2)`` (yuan and fen), never float. Writes go
through services.py; nothing here computes or enforces a business rule in ``save()``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocab import (
    AccountKind,
    AssetCategory,
    AssetStatus,
    Category,
    ContractEventKind,
    ContractKind,
    ContractStatus,
    CounterpartyKind,
    Direction,
    EntryKind,
    ReimbursementStatus,
    ResourceKind,
    ResourceStatus,
)


def money(verbose: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=14, decimal_places=2, **kwargs)


class Counterparty(models.Model):
    """Who the village contracts with or pays: a private person (matched on the keyed hash of the
    ID number, like the people registry) or a business (matched on its credit code)."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_counterparties")
    kind = models.CharField(_("kind"), max_length=10, choices=CounterpartyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="fin_counterparties"
    )
    id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["village_id", "name", "id"]
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "id_hash"], condition=~Q(id_hash=""), name="uniq_fin_cp_id_hash"
            ),
            models.UniqueConstraint(
                fields=["village", "credit_code"], condition=~Q(credit_code=""), name="uniq_fin_cp_credit"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    """A fixed asset of the collective (building, equipment …) with straight-line depreciation."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_assets")
    code = models.CharField(_("asset number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=AssetCategory.choices)
    location = models.CharField(_("location"), max_length=200, blank=True)
    acquired_on = models.DateField(_("acquired on"))
    original_value = money(_("original value (yuan)"))
    salvage_value = money(_("salvage value (yuan)"), default=0)
    useful_life_years = models.PositiveSmallIntegerField(_("useful life (years)"))
    status = models.CharField(_("status"), max_length=10, choices=AssetStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["village_id", "code"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [models.UniqueConstraint(fields=["village", "code"], name="uniq_fin_asset_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Resource(models.Model):
    """A natural resource of the collective: land, ponds, forest."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_resources")
    code = models.CharField(_("resource number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=14, choices=ResourceKind.choices)
    area_mu = models.DecimalField(_("area (mu)"), max_digits=12, decimal_places=2)
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=ResourceStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["village_id", "code"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [models.UniqueConstraint(fields=["village", "code"], name="uniq_fin_resource_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ReferencePrice(models.Model):
    """A county's reference rent for a kind of resource (yuan per mu per year), from ``valid_from``."""

    county = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="fin_reference_prices"
    )
    kind = models.CharField(_("resource kind"), max_length=14, choices=ResourceKind.choices)
    price_per_mu = money(_("reference rent (yuan per mu per year)"))
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("source"), max_length=300, blank=True)
    set_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        ordering = ["county_id", "kind", "-valid_from"]
        verbose_name = _("reference price")
        verbose_name_plural = _("reference prices")
        constraints = [
            models.UniqueConstraint(fields=["county", "kind", "valid_from"], name="uniq_fin_reference_price")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.price_per_mu}"


class Contract(models.Model):
    """A contract of the village: letting an asset or resource (rent comes in) or works, procurement
    and services (money goes out). A renewal is a new contract pointing at the one it follows."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_contracts")
    number = models.CharField(_("contract number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=12, choices=ContractKind.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    title = models.CharField(_("title"), max_length=200)
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("counterparty")
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("asset"),
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("resource"),
    )
    amount = money(_("contract amount (yuan)"))
    annual_price = money(_("price per year (yuan)"), null=True, blank=True)
    start_date = models.DateField(_("starts"))
    end_date = models.DateField(_("ends"))
    signed_on = models.DateField(_("signed on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=_("renewal of"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fin_contracts",
        verbose_name=_("approving case"),
    )
    document_sha256 = models.CharField(_("SHA-256 of the signed contract"), max_length=64, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["village_id", "-start_date", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="uniq_fin_contract_number")]
        indexes = [models.Index(fields=["status", "end_date"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Instalment(models.Model):
    """One payment due under a contract (the schedule). What was paid is the sum of its entries."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="instalments")
    sequence = models.PositiveSmallIntegerField(_("instalment"))
    due_date = models.DateField(_("due"), db_index=True)
    amount = money(_("amount due (yuan)"))
    cancelled = models.BooleanField(_("cancelled"), default=False)  # after an early termination

    class Meta:
        ordering = ["contract_id", "sequence"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="uniq_fin_instalment_seq")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.sequence}"


class ContractEvent(models.Model):
    """What happened to a contract after signing: renewal, price change, termination, arrears."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=14, choices=ContractEventKind.choices)
    on = models.DateField(_("date"))
    old_price = money(_("previous price"), null=True, blank=True)
    new_price = money(_("new price"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    related = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the renewal contract
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["contract_id", "on", "id"]
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")

    def __str__(self) -> str:
        return f"{self.contract_id} {self.kind}"


class Account(models.Model):
    """Where the village's money is: cash on hand or a bank account."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_accounts")
    kind = models.CharField(_("kind"), max_length=4, choices=AccountKind.choices)
    name = models.CharField(_("name"), max_length=100)
    bank = models.CharField(_("bank"), max_length=100, blank=True)
    number_masked = models.CharField(_("account number"), max_length=30, blank=True)
    opening_balance = money(_("opening balance (yuan)"), default=0)
    opened_on = models.DateField(_("opening date"))

    class Meta:
        ordering = ["village_id", "kind", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [models.UniqueConstraint(fields=["village", "name"], name="uniq_fin_account_name")]

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """One movement of money on one account, with its voucher. A transfer is two entries (out of
    one account, into the other) linked by ``pair``."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    number = models.CharField(_("entry number"), max_length=30)
    date = models.DateField(_("date"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    amount = money(_("amount (yuan)"))
    summary = models.CharField(_("summary"), max_length=300)
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    instalment = models.ForeignKey(
        Instalment, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fin_entries",
        verbose_name=_("approving case"),
    )
    voucher_no = models.CharField(_("voucher number"), max_length=40)
    voucher_sha256 = models.CharField(_("SHA-256 of the voucher"), max_length=64, blank=True)
    pair = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["village_id", "-date", "-id"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="uniq_fin_entry_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fin_entry_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "date"]),
            models.Index(fields=["village", "kind", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class Reimbursement(models.Model):
    """A spending request (报销) approved through the catalog's PA-07 flow (三签一章): the handler and
    a witness sign the vouchers; the case records the secretary's, the chair's and the supervision
    chair's signatures, the township leader's above the limit, and the committee seal is a seal use on
    the case. Only then is it paid, as an expense entry pointing at the case."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_reimbursements")
    number = models.CharField(_("number"), max_length=30)
    purpose = models.CharField(_("purpose"), max_length=300)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    amount = money(_("amount (yuan)"))
    handler_name = models.CharField(_("handler (经办人)"), max_length=50)
    witness_name = models.CharField(_("witness (证明人)"), max_length=50)
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.PROTECT, null=True, blank=True, related_name="reimbursements"
    )
    voucher_sha256 = models.CharField(_("SHA-256 of the vouchers"), max_length=64)
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="fin_reimbursement",
        verbose_name=_("approving case"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReimbursementStatus.choices, default=ReimbursementStatus.PENDING
    )
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["village_id", "-requested_at", "-id"]
        verbose_name = _("reimbursement")
        verbose_name_plural = _("reimbursements")
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="uniq_fin_reimb_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.purpose}"


class Reconciliation(models.Model):
    """A bank account's month-end reconciliation: the statement balance against the books; any
    difference must be explained."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="reconciliations")
    month = models.DateField(_("month"))  # the first day of the month
    statement_balance = money(_("balance on the bank statement"))
    book_balance = money(_("balance in the books"))
    difference = money(_("difference"))
    explanation = models.TextField(_("explanation of the difference"), blank=True)
    statement_sha256 = models.CharField(_("SHA-256 of the statement"), max_length=64, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["account_id", "-month"]
        verbose_name = _("bank reconciliation")
        verbose_name_plural = _("bank reconciliations")
        constraints = [models.UniqueConstraint(fields=["account", "month"], name="uniq_fin_reconciliation")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}"


class MonthlyStatement(models.Model):
    """The monthly finance disclosure of a village (income, expenses, major items, arrears), as
    published: counterparties who are private persons are masked in ``body``."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="fin_statements")
    month = models.DateField(_("month"))
    body = models.JSONField(_("content"))
    income = money(_("income"))
    expense = money(_("expenses"))
    arrears = money(_("arrears"))
    published_at = models.DateTimeField(_("published at"))
    disclosure_ref = models.CharField(max_length=80, blank=True)  # the disclosure app's record, when there

    class Meta:
        ordering = ["village_id", "-month"]
        verbose_name = _("monthly finance statement")
        verbose_name_plural = _("monthly finance statements")
        constraints = [models.UniqueConstraint(fields=["village", "month"], name="uniq_fin_statement")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month:%Y-%m}"
