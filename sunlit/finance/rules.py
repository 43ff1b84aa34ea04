"""Supervision rules over the 三资 records (registered in the supervision engine).

Collective assets (family ``assets``):
- ASSET_RENT_OVERDUE: an instalment of a contract under which the village receives money, not fully
  paid more than ``grace_days`` days after it fell due (exactly ``grace_days`` days late is not yet a hit).
- ASSET_LEASE_EXPIRED_IN_USE: a letting contract still marked in force more than ``grace_days`` days
  after its end, or rent taken under it for use after the end (an income entry dated after the end
  that pays none of its instalments).
- ASSET_PRICE_BELOW: a renewal whose price per year is below the previous contract's (by more than
  ``drop_pct`` %), or a letting of a resource below the county's reference rent per mu × its area (by
  more than ``reference_pct`` %).

Money (family ``money``):
- MONEY_SPENDING_NO_CASE: an expense of at least ``min_amount`` with no live approving case, neither
  on the entry nor on its contract.
- MONEY_PAYEE_CADRE: payments to a counterparty who is a cadre of the village, a declared or recorded
  relative of one, or a business registered to such a person (matched on the keyed ID hash, as the
  conflict rules do). One finding per counterparty.
- MONEY_CASH_OVER_LIMIT: the cash account's end-of-day balance above ``cash_limit`` (the county
  parameter; ¥5,000 by default). One finding per account and month.

Every rule is one or two set-based queries; money comparisons are finished exactly in Decimal
(SQLite computes in floating point, so the database only narrows the candidates).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunlit.cases.vocab import CaseStatus
from sunlit.core.masking import mask_name
from sunlit.people.models import BusinessRecord
from sunlit.supervision.rules.base import UNIT_DAYS, Finding, ParamSpec, Rule, RuleContext, register
from sunlit.supervision.rules.conflict import (
    LINK_ORDER,
    SELF,
    any_link,
    cadre_link_annotations,
    first_link,
    relation_label,
    user_labels,
)
from sunlit.supervision.vocab import RuleFamily, Severity

from .models import Contract, Counterparty, Entry, Instalment, ReferencePrice
from .vocab import LETTING_KINDS, AccountKind, ContractStatus, CounterpartyKind, Direction, EntryKind

MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
UNIT_YUAN = gettext_lazy("yuan")
UNIT_PERCENT = gettext_lazy("per cent")
LIVE_CASES = (CaseStatus.ACTIVE, CaseStatus.COMPLETED)

# Ledger kinds after which the finance rules re-check the village (sunlit/finance/hooks.py).
ENTRY_KINDS = ("finance.entry.recorded", "finance.transfer.recorded", "finance.reimbursement.paid")
CONTRACT_KINDS = (
    "finance.contract.signed",
    "finance.contract.renewed",
    "finance.contract.price_changed",
    "finance.contract.terminated",
    "finance.contract.completed",
)


def today_of(ctx: RuleContext) -> datetime.date:
    return timezone.localdate(ctx.now)


def shown_name(name: str, kind: str) -> str:
    """A counterparty as alerts and public pages show it: private persons masked."""
    return mask_name(name) if kind == CounterpartyKind.PERSON else name


def paid_subquery(instalment_ref: str = "pk") -> Subquery:
    paid = (
        Entry.objects.filter(instalment_id=OuterRef(instalment_ref), direction=Direction.INCOME)
        .order_by()
        .values("instalment_id")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    return Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY)


def overdue_instalments(today: datetime.date, grace_days: int) -> QuerySet[Instalment]:
    """Instalments owed to the village, unpaid more than ``grace_days`` days after falling due."""
    return (
        Instalment.objects.filter(
            cancelled=False,
            contract__direction=Direction.INCOME,
            due_date__lt=today - datetime.timedelta(days=grace_days),
        )
        .annotate(paid=paid_subquery())
        .filter(paid__lt=F("amount"))
    )


@register
class RentOverdue(Rule):
    code = "ASSET_RENT_OVERDUE"
    name = gettext_lazy("Rent or contract payment overdue")
    family = RuleFamily.ASSETS
    severity = Severity.YELLOW
    risk_points = ("PA05-R4",)
    watches = ENTRY_KINDS + CONTRACT_KINDS
    case_scoped = False
    params = {"grace_days": ParamSpec(30, 0, 365, gettext_lazy("Overdue for more than"), UNIT_DAYS)}

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        today = today_of(ctx)
        rows = (
            overdue_instalments(today, ctx.int_param("grace_days"))
            .filter(ctx.village_q("contract__village"))
            .values(
                "pk",
                "sequence",
                "due_date",
                "amount",
                "paid",
                "contract_id",
                "contract__village_id",
                "contract__number",
                "contract__title",
                "contract__counterparty__name",
                "contract__counterparty__kind",
            )
        )
        for row in rows:
            amount = Decimal(row["amount"]).quantize(CENT)
            paid = Decimal(row["paid"] or 0).quantize(CENT)
            if paid >= amount:  # exact check (see the module docstring)
                continue
            yield Finding(
                key=str(row["pk"]),
                village_id=row["contract__village_id"],
                subject=f"finance.instalment:{row['pk']}",
                evidence={
                    "contract": row["contract__number"],
                    "contract_id": row["contract_id"],
                    "title": row["contract__title"],
                    "counterparty": shown_name(
                        row["contract__counterparty__name"], row["contract__counterparty__kind"]
                    ),
                    "instalment": row["sequence"],
                    "due": row["due_date"],
                    "amount": amount,
                    "paid": paid,
                    "owed": amount - paid,
                    "days": (today - row["due_date"]).days,
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Rent overdue: contract %(contract)s") % {"contract": finding.evidence["contract"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        return _(
            "Instalment %(n)s of contract %(contract)s (“%(title)s”, %(party)s) was due on %(due)s: ¥%(owed)s "
            "of ¥%(amount)s is still unpaid %(days)s days later."
        ) % {
            "n": e["instalment"],
            "contract": e["contract"],
            "title": e["title"],
            "party": e["counterparty"],
            "due": e["due"],
            "owed": e["owed"],
            "amount": e["amount"],
            "days": e["days"],
        }


@register
class LeaseExpiredInUse(Rule):
    code = "ASSET_LEASE_EXPIRED_IN_USE"
    name = gettext_lazy("Lease expired but still in use")
    family = RuleFamily.ASSETS
    severity = Severity.YELLOW
    risk_points = ("PA05-R3", "PA05-R4")
    watches = ENTRY_KINDS + CONTRACT_KINDS
    case_scoped = False
    params = {
        "grace_days": ParamSpec(
            30, 0, 180, gettext_lazy("Still marked in force more than this after its end"), UNIT_DAYS
        )
    }

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        today = today_of(ctx)
        late_rent = Entry.objects.filter(
            contract_id=OuterRef("pk"),
            direction=Direction.INCOME,
            instalment__isnull=True,
            date__gt=OuterRef("end_date"),
        )
        stale = Q(
            status=ContractStatus.ACTIVE,
            end_date__lt=today - datetime.timedelta(days=ctx.int_param("grace_days")),
        )
        rows = (
            Contract.objects.filter(ctx.village_q("village"), kind__in=LETTING_KINDS)
            .annotate(
                late_rent=Exists(late_rent),
                late_first=Subquery(late_rent.order_by("date", "pk").values("date")[:1]),
            )
            .filter(stale | Q(late_rent=True))
            .values(
                "pk",
                "village_id",
                "number",
                "title",
                "end_date",
                "status",
                "late_rent",
                "late_first",
                "counterparty__name",
                "counterparty__kind",
            )
        )
        for row in rows:
            yield Finding(
                key=str(row["pk"]),
                village_id=row["village_id"],
                subject=f"finance.contract:{row['pk']}",
                evidence={
                    "contract": row["number"],
                    "contract_id": row["pk"],
                    "title": row["title"],
                    "counterparty": shown_name(row["counterparty__name"], row["counterparty__kind"]),
                    "end": row["end_date"],
                    "still_active": row["status"] == ContractStatus.ACTIVE,
                    "days": (today - row["end_date"]).days,
                    "rent_after_end": row["late_first"],
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Lease expired but still in use: %(contract)s") % {"contract": finding.evidence["contract"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        parts = []
        if e["still_active"]:
            parts.append(_("it is still marked in force %(days)s days after it ended") % {"days": e["days"]})
        if e["rent_after_end"]:
            parts.append(
                _("rent was taken for use after the end (on %(date)s)") % {"date": e["rent_after_end"]}
            )
        return _("Contract %(contract)s (“%(title)s”, %(party)s) ended on %(end)s, but %(what)s.") % {
            "contract": e["contract"],
            "title": e["title"],
            "party": e["counterparty"],
            "end": e["end"],
            "what": _("; ").join(str(p) for p in parts),
        }


def reference_subquery(kind_ref: str = "resource__kind", date_ref: str = "start_date") -> Subquery:
    """The county's reference rent per mu in force on the contract's start (the county is the
    village's grandparent in the region tree)."""
    return Subquery(
        ReferencePrice.objects.filter(
            county_id=OuterRef("village__parent__parent_id"),
            kind=OuterRef(kind_ref),
            valid_from__lte=OuterRef(date_ref),
        )
        .order_by("-valid_from")
        .values("price_per_mu")[:1],
        output_field=MONEY,
    )


@register
class PriceBelow(Rule):
    code = "ASSET_PRICE_BELOW"
    name = gettext_lazy("Renewal or letting below the previous or the reference price")
    family = RuleFamily.ASSETS
    severity = Severity.RED
    risk_points = ("PA05-R1",)
    watches = CONTRACT_KINDS
    case_scoped = False
    params = {
        "drop_pct": ParamSpec(
            0, 0, 50, gettext_lazy("Renewal below the previous price by more than"), UNIT_PERCENT
        ),
        "reference_pct": ParamSpec(
            10, 0, 50, gettext_lazy("Letting below the county reference rent by more than"), UNIT_PERCENT
        ),
    }

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        drop = ctx.param("drop_pct")
        ref_pct = ctx.param("reference_pct")
        hundred = Decimal(100)
        # Candidates: priced below the previous contract or the reference, with a 1-yuan margin
        # for floating point; the exact test follows in Decimal.
        candidates = (
            Contract.objects.filter(
                ctx.village_q("village"), kind__in=LETTING_KINDS, annual_price__isnull=False
            )
            .annotate(reference=reference_subquery())
            .filter(
                Q(previous__annual_price__isnull=False, annual_price__lt=F("previous__annual_price") + 1)
                | Q(
                    resource__isnull=False,
                    reference__isnull=False,
                    annual_price__lt=F("reference") * F("resource__area_mu") + 1,
                )
            )
            .values(
                "pk",
                "village_id",
                "number",
                "title",
                "annual_price",
                "previous__annual_price",
                "previous__number",
                "reference",
                "resource__area_mu",
                "counterparty__name",
                "counterparty__kind",
            )
        )
        for row in candidates:
            price = Decimal(row["annual_price"]).quantize(CENT)
            evidence: dict[str, Any] = {
                "contract": row["number"],
                "contract_id": row["pk"],
                "title": row["title"],
                "counterparty": shown_name(row["counterparty__name"], row["counterparty__kind"]),
                "price": price,
            }
            previous = row["previous__annual_price"]
            if previous is not None:
                floor = (Decimal(previous) * (hundred - drop) / hundred).quantize(CENT)
                if price < floor:
                    evidence |= {
                        "basis": "previous",
                        "previous": Decimal(previous).quantize(CENT),
                        "previous_contract": row["previous__number"],
                        "floor": floor,
                    }
            if (
                "basis" not in evidence
                and row["reference"] is not None
                and row["resource__area_mu"] is not None
            ):
                full = (Decimal(row["reference"]) * Decimal(row["resource__area_mu"])).quantize(CENT)
                floor = (full * (hundred - ref_pct) / hundred).quantize(CENT)
                if price < floor:
                    evidence |= {
                        "basis": "reference",
                        "reference": Decimal(row["reference"]).quantize(CENT),
                        "area": Decimal(row["resource__area_mu"]),
                        "full": full,
                        "floor": floor,
                    }
            if "basis" not in evidence:
                continue
            yield Finding(
                key=str(row["pk"]),
                village_id=row["village_id"],
                subject=f"finance.contract:{row['pk']}",
                evidence=evidence,
            )

    def title(self, finding: Finding) -> str:
        return _("Price below the previous or reference price: %(contract)s") % {
            "contract": finding.evidence["contract"]
        }

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        if e["basis"] == "previous":
            return (
                _(
                    "Contract %(contract)s (“%(title)s”, %(counterparty)s) renews %(previous_contract)s at ¥%(price)s a "
                    "year, below the previous ¥%(previous)s (lowest accepted: ¥%(floor)s)."
                )
                % e
            )
        return (
            _(
                "Contract %(contract)s (“%(title)s”, %(counterparty)s) lets %(area)s mu at ¥%(price)s a year, below the "
                "county reference of ¥%(reference)s per mu (¥%(full)s; lowest accepted: ¥%(floor)s)."
            )
            % e
        )


@register
class SpendingWithoutCase(Rule):
    code = "MONEY_SPENDING_NO_CASE"
    name = gettext_lazy("Spending without its approving case")
    family = RuleFamily.MONEY
    severity = Severity.RED
    risk_points = ("PA07-R1", "PA07-R3")
    watches = ENTRY_KINDS
    case_scoped = False
    params = {"min_amount": ParamSpec(2000, 0, 200000, gettext_lazy("Expenses from"), UNIT_YUAN)}

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        minimum = ctx.param("min_amount")
        approved = Q(case__isnull=False, case__status__in=LIVE_CASES, case__village_id=F("village_id")) | Q(
            contract__case__isnull=False,
            contract__case__status__in=LIVE_CASES,
            contract__case__village_id=F("village_id"),
        )
        rows = (
            Entry.objects.filter(ctx.village_q("village"), kind=EntryKind.EXPENSE, amount__gte=minimum - 1)
            .exclude(approved)
            .values(
                "pk",
                "village_id",
                "number",
                "date",
                "amount",
                "summary",
                "voucher_no",
                "case__tracking_no",
                "counterparty__name",
                "counterparty__kind",
            )
        )
        for row in rows:
            amount = Decimal(row["amount"]).quantize(CENT)
            if amount < minimum:
                continue
            yield Finding(
                key=str(row["pk"]),
                village_id=row["village_id"],
                subject=f"finance.entry:{row['pk']}",
                evidence={
                    "entry": row["number"],
                    "date": row["date"],
                    "amount": amount,
                    "summary": row["summary"],
                    "voucher": row["voucher_no"],
                    "case": row["case__tracking_no"] or "",
                    "counterparty": shown_name(row["counterparty__name"], row["counterparty__kind"])
                    if row["counterparty__name"]
                    else "",
                    "min_amount": minimum,
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Spending without an approving case: %(entry)s") % {"entry": finding.evidence["entry"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        if e["case"]:
            return _(
                "Expense %(entry)s of ¥%(amount)s on %(date)s (“%(summary)s”, voucher %(voucher)s) cites case "
                "%(case)s, which was terminated or belongs to another village; expenses from ¥%(min)s need "
                "an approving case."
            ) % {**e, "min": e["min_amount"]}
        return _(
            "Expense %(entry)s of ¥%(amount)s on %(date)s (“%(summary)s”, voucher %(voucher)s) has no approving "
            "case; expenses from ¥%(min)s need one."
        ) % {**e, "min": e["min_amount"]}


# --- payments to cadres and their relatives -------------------------------------------------------------


def _cadre_links(hash_ref: str, prefix: str) -> dict[str, Any]:
    """The conflict rules' cadre links for a Counterparty-rooted query: the counterparty's village, and
    the cadres in office when the first payment was made (``first_paid`` on the outer row)."""
    return cadre_link_annotations(hash_ref, prefix, village_ref="village_id", since_ref="first_paid")


def payees_linked_to_cadres(ctx: RuleContext | None = None) -> QuerySet[Counterparty]:
    """Counterparties paid by the village who are linked to one of its cadres (annotated)."""
    payments = Entry.objects.filter(
        counterparty_id=OuterRef("pk"), kind=EntryKind.EXPENSE, direction=Direction.EXPENSE
    )
    owner = BusinessRecord.objects.filter(
        batch__superseded_at__isnull=True, credit_code=OuterRef("credit_code")
    ).exclude(credit_code="")
    qs = Counterparty.objects.all()
    if ctx is not None:
        qs = qs.filter(ctx.village_q("village"))
    return (
        qs.filter(Exists(payments))
        .annotate(
            first_paid=Subquery(payments.order_by("recorded_at").values("recorded_at")[:1]),
            b_hash=Subquery(owner.order_by("pk").values("id_hash")[:1]),
            b_name=Subquery(owner.order_by("pk").values("business_name")[:1]),
        )
        .annotate(**_cadre_links("id_hash", "p_"), **_cadre_links("b_hash", "b_"))
        .filter(any_link("p_") | any_link("b_"))
    )


@register
class PayeeRelatedToCadre(Rule):
    code = "MONEY_PAYEE_CADRE"
    name = gettext_lazy("Payments to a cadre, a cadre's relative, or a business of theirs")
    family = RuleFamily.MONEY
    severity = Severity.RED
    risk_points = ("PA07-R1", "PA05-R2", "PA03-R2")
    watches = ENTRY_KINDS
    case_scoped = False

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        totals = (
            Entry.objects.filter(counterparty_id=OuterRef("pk"), kind=EntryKind.EXPENSE)
            .order_by()
            .values("counterparty_id")
        )
        rows = list(
            payees_linked_to_cadres(ctx)
            .annotate(
                total=Subquery(totals.annotate(s=Sum("amount")).values("s")[:1], output_field=MONEY),
                payments=Subquery(totals.annotate(c=Count("pk")).values("c")[:1]),
            )
            .values(
                "pk",
                "village_id",
                "name",
                "kind",
                "credit_code",
                "b_name",
                "total",
                "payments",
                *(f"p_{n}" for n in LINK_ORDER),
                *(f"b_{n}" for n in LINK_ORDER),
            )
        )
        links = []
        for row in rows:
            link = first_link(row, "p_")
            links.append((link, "person") if link else (first_link(row, "b_"), "business"))
        labels = user_labels(int(link[0]) for link, _via in links if link)
        for row, (link, via) in zip(rows, links, strict=True):
            if link is None:  # pragma: no cover - filtered in SQL
                continue
            yield Finding(
                key=str(row["pk"]),
                village_id=row["village_id"],
                subject=f"finance.counterparty:{row['pk']}",
                evidence={
                    "counterparty": shown_name(row["name"], row["kind"]),
                    "credit_code": row["credit_code"],
                    "via": via,
                    "cadre": labels.get(int(link[0]), ""),
                    "relation": link[1],
                    "source": link[2],
                    "payments": row["payments"],
                    "total": Decimal(row["total"] or 0).quantize(CENT),
                },
            )

    def title(self, finding: Finding) -> str:
        return _("Payments to a cadre-related payee: %(party)s") % {"party": finding.evidence["counterparty"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        who = (
            _("the cadre %(cadre)s") % {"cadre": e["cadre"]}
            if e["relation"] == SELF
            else _("%(relation)s of the cadre %(cadre)s")
            % {"relation": relation_label(e["relation"]), "cadre": e["cadre"]}
        )
        if e["via"] == "business":
            return _(
                "The village paid %(party)s (%(code)s), a business run by %(who)s, %(n)s time(s), ¥%(total)s in all."
            ) % {
                "party": e["counterparty"],
                "code": e["credit_code"],
                "who": who,
                "n": e["payments"],
                "total": e["total"],
            }
        return _("The village paid %(party)s, who is %(who)s, %(n)s time(s), ¥%(total)s in all.") % {
            "party": e["counterparty"],
            "who": who,
            "n": e["payments"],
            "total": e["total"],
        }


# --- cash on hand ---------------------------------------------------------------------------------------


def cash_day_balances(ctx: RuleContext | None = None) -> QuerySet[Any]:
    """Per cash account and day with movements: the balance at the end of that day."""
    signed_upto = (
        Entry.objects.filter(account_id=OuterRef("account_id"), date__lte=OuterRef("date"))
        .order_by()
        .values("account_id")
        .annotate(
            s=Sum("amount", filter=Q(direction=Direction.INCOME), default=ZERO)
            - Sum("amount", filter=Q(direction=Direction.EXPENSE), default=ZERO)
        )
        .values("s")[:1]
    )
    qs = Entry.objects.filter(account__kind=AccountKind.CASH)
    if ctx is not None:
        qs = qs.filter(ctx.village_q("village"))
    return (
        qs.order_by()
        .values("account_id", "date", "village_id", "account__opening_balance", "account__name")
        .annotate(n=Count("pk"))
        .annotate(net=Subquery(signed_upto, output_field=MONEY))
        .annotate(balance=F("account__opening_balance") + F("net"))
    )


@register
class CashOverLimit(Rule):
    code = "MONEY_CASH_OVER_LIMIT"
    name = gettext_lazy("Cash on hand over the limit")
    family = RuleFamily.MONEY
    severity = Severity.YELLOW
    risk_points = ("PA07-R4",)
    watches = ENTRY_KINDS
    case_scoped = False
    params = {"cash_limit": ParamSpec(5000, 1000, 50000, gettext_lazy("Cash on hand above"), UNIT_YUAN)}

    def detect(self, ctx: RuleContext) -> Iterable[Finding]:
        limit = ctx.param("cash_limit")
        months: dict[tuple[int, str], dict[str, Any]] = {}
        for row in cash_day_balances(ctx).filter(balance__gt=limit - 1):
            balance = Decimal(row["account__opening_balance"]).quantize(CENT) + Decimal(row["net"]).quantize(
                CENT
            )
            if balance <= limit:
                continue
            key = (row["account_id"], f"{row['date']:%Y-%m}")
            known = months.get(key)
            if known is None:
                months[key] = {
                    "village_id": row["village_id"],
                    "account": row["account__name"],
                    "first": row["date"],
                    "days": 1,
                    "highest": balance,
                    "highest_on": row["date"],
                }
            else:
                known["days"] += 1
                known["first"] = min(known["first"], row["date"])
                if balance > known["highest"]:
                    known["highest"], known["highest_on"] = balance, row["date"]
        for (account_id, month), e in sorted(months.items()):
            yield Finding(
                key=f"{account_id}:{month}",
                village_id=e.pop("village_id"),
                subject=f"finance.account:{account_id}",
                evidence=e | {"month": month, "limit": limit},
            )

    def title(self, finding: Finding) -> str:
        return _("Cash over the limit in %(month)s") % {"month": finding.evidence["month"]}

    def explain(self, finding: Finding) -> str:
        e = finding.evidence
        return (
            _(
                "%(account)s held more than the cash limit of ¥%(limit)s at the end of %(days)s day(s) in %(month)s, "
                "from %(first)s; the highest was ¥%(highest)s on %(highest_on)s."
            )
            % e
        )


FINANCE_RULES = (
    RentOverdue.code,
    LeaseExpiredInUse.code,
    PriceBelow.code,
    SpendingWithoutCase.code,
    PayeeRelatedToCadre.code,
    CashOverLimit.code,
)
