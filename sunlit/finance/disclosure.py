"""The monthly finance disclosure of a village (财务公开): income and expenses by category, the major
items, and the arrears at the month's end, published into the disclosure app's 三资管理 module
(``assets``) when it is installed, and kept as a MonthlyStatement either way (the portal's finance
page renders it).

Masking: a counterparty who is a private person appears with a masked name (张*明); businesses keep
their names; ID numbers never appear. Free text (summaries) passes through ``mask_pii``.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.core.masking import mask_pii
from sunlit.regions.models import Region, RegionLevel

from .models import Contract, Entry, Instalment, MonthlyStatement
from .rules import MONEY, shown_name
from .services import month_end
from .vocab import Category, CounterpartyKind, Direction, EntryKind

logger = logging.getLogger(__name__)

MAJOR_AMOUNT = Decimal("2000")  # the PA-07 first tier: such items are listed one by one
ZERO = Decimal("0.00")
MODULE = "assets"  # 三资管理


def _category_label(value: str) -> str:
    try:
        return str(Category(value).label)
    except ValueError:
        return value


def public_text(text: str, counterparty=None) -> str:
    """Free text for the public: personal data masked, and a private person's name (the
    counterparty's) replaced by its masked form wherever it was typed."""
    text = mask_pii(text)
    if counterparty is not None and counterparty.kind == CounterpartyKind.PERSON and counterparty.name:
        text = text.replace(counterparty.name, shown_name(counterparty.name, counterparty.kind))
    return text


def statement_build(village: Region, month: datetime.date) -> dict[str, Any]:
    """The content of the month's statement, masked for the public."""
    start, end = month.replace(day=1), month_end(month)
    entries = Entry.objects.filter(village=village, date__gte=start, date__lte=end).exclude(
        kind=EntryKind.TRANSFER
    )
    by_category = {
        (row["kind"], row["category"]): Decimal(row["s"]).quantize(Decimal("0.01"))
        for row in entries.order_by().values("kind", "category").annotate(s=Sum("amount"))
    }
    income = sum((v for (k, _c), v in by_category.items() if k == EntryKind.INCOME), ZERO)
    expense = sum((v for (k, _c), v in by_category.items() if k == EntryKind.EXPENSE), ZERO)
    major = [
        {
            "date": e.date.isoformat(),
            "kind": e.kind,
            "category": _category_label(e.category),
            "amount": str(e.amount),
            "summary": public_text(e.summary, e.counterparty),
            "counterparty": shown_name(e.counterparty.name, e.counterparty.kind) if e.counterparty else "",
            "contract": e.contract.number if e.contract else "",
            "contract_id": e.contract_id,
            "case": e.case.tracking_no if e.case else "",
        }
        for e in entries.filter(amount__gte=MAJOR_AMOUNT - 1)
        .select_related("counterparty", "contract", "case")
        .order_by("date", "id")
        if e.amount >= MAJOR_AMOUNT
    ]
    arrears_rows = []
    owed_total = ZERO
    paid_by_end = (
        Entry.objects.filter(instalment_id=OuterRef("pk"), direction=Direction.INCOME, date__lte=end)
        .order_by()
        .values("instalment_id")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    overdue = (
        Instalment.objects.filter(
            contract__village=village,
            contract__direction=Direction.INCOME,
            cancelled=False,
            due_date__lte=end,
        )
        .annotate(paid=Coalesce(Subquery(paid_by_end, output_field=MONEY), Value(ZERO), output_field=MONEY))
        .select_related("contract", "contract__counterparty")
        .order_by("due_date", "id")
    )
    for inst in overdue:
        owed = (Decimal(inst.amount) - Decimal(inst.paid)).quantize(Decimal("0.01"))
        if owed <= 0:
            continue
        owed_total += owed
        arrears_rows.append(
            {
                "contract": inst.contract.number,
                "contract_id": inst.contract_id,
                "title": inst.contract.title,
                "counterparty": shown_name(inst.contract.counterparty.name, inst.contract.counterparty.kind),
                "due": inst.due_date.isoformat(),
                "owed": str(owed),
            }
        )
    return {
        "village": village.name,
        "month": f"{start:%Y-%m}",
        "income": str(income),
        "expense": str(expense),
        "net": str(income - expense),
        "arrears": str(owed_total),
        "income_by_category": [
            {"category": _category_label(c), "amount": str(v)}
            for (k, c), v in sorted(by_category.items())
            if k == EntryKind.INCOME
        ],
        "expense_by_category": [
            {"category": _category_label(c), "amount": str(v)}
            for (k, c), v in sorted(by_category.items())
            if k == EntryKind.EXPENSE
        ],
        "major": major,
        "arrears_items": arrears_rows,
        "major_amount": str(MAJOR_AMOUNT),
    }


def statement_text(body: dict[str, Any]) -> str:
    """The statement as plain text (the disclosure's body)."""
    lines = [
        _(
            "Income ¥%(income)s, expenses ¥%(expense)s, balance ¥%(net)s; arrears owed to the village ¥%(arrears)s."
        )
        % body
    ]
    if body["major"]:
        lines.append(_("Items of ¥%(amount)s or more:") % {"amount": body["major_amount"]})
        for item in body["major"]:
            lines.append(
                f"- {item['date']} {item['category']} ¥{item['amount']} {item['summary']}"
                + (f" ({item['counterparty']})" if item["counterparty"] else "")
            )
    if body["arrears_items"]:
        lines.append(_("Arrears:"))
        for item in body["arrears_items"]:
            lines.append(
                f"- {item['contract']} {item['title']} {item['counterparty']} ¥{item['owed']} ({item['due']})"
            )
    return "\n".join(lines)


def _publish_to_disclosure(*, actor: Any, village: Region, month: datetime.date, body: dict, now) -> str:
    """Publish into the disclosure app when it offers ``disclosure_publish``; "" when it does not."""
    try:
        from sunlit.disclosure.services import disclosure_publish  # type: ignore[attr-defined]
    except ImportError:
        return ""
    record = disclosure_publish(
        actor=actor,
        village=village,
        module=MODULE,
        title=_("Finance statement for %(month)s") % {"month": body["month"]},
        body=statement_text(body),
        period_start=month.replace(day=1),
        period_end=month_end(month),
        source=f"finance.statement:{village.pk}:{body['month']}",
        now=now,
    )
    return f"{record._meta.label_lower}:{record.pk}" if hasattr(record, "_meta") else str(record)[:80]


def statement_publish(
    *, actor: Any, village: Region, month: datetime.date, now: datetime.datetime | None = None
) -> MonthlyStatement:
    """Publish the statement of ``village`` for ``month`` (a month that has ended). Idempotent: the
    month's statement is published once; a second call returns it."""
    from .errors import FinanceErrorCode, FinanceRefused

    now = now or timezone.now()
    month = month.replace(day=1)
    if village.level != RegionLevel.VILLAGE:
        raise FinanceRefused(_("Finance records belong to a village."), code=FinanceErrorCode.WRONG_VILLAGE)
    if month_end(month) >= timezone.localdate(now):
        raise FinanceRefused(
            _("%(month)s has not ended yet.") % {"month": f"{month:%Y-%m}"},
            code=FinanceErrorCode.MONTH_NOT_OVER,
        )
    existing = MonthlyStatement.objects.filter(village=village, month=month).first()
    if existing is not None:
        return existing
    body = statement_build(village, month)
    try:
        with transaction.atomic():
            statement = MonthlyStatement.objects.create(
                village=village,
                month=month,
                body=body,
                income=Decimal(body["income"]),
                expense=Decimal(body["expense"]),
                arrears=Decimal(body["arrears"]),
                published_at=now,
            )
            ref = _publish_to_disclosure(actor=actor, village=village, month=month, body=body, now=now)
            if ref:
                statement.disclosure_ref = ref[:80]
                statement.save(update_fields=["disclosure_ref"])
            ledger_append(
                kind="finance.statement.published",
                actor=actor,
                subject=ledger_subject(statement),
                region=village,
                payload={
                    "month": body["month"],
                    "income": body["income"],
                    "expense": body["expense"],
                    "arrears": body["arrears"],
                    "disclosure": ref,
                },
            )
    except IntegrityError:  # a concurrent run published it first
        return MonthlyStatement.objects.get(village=village, month=month)
    return statement


def previous_month(today: datetime.date) -> datetime.date:
    first = today.replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


def statements_publish_due(*, now: datetime.datetime | None = None, region: Region | None = None) -> int:
    """The periodic job: last month's statement for every village with finance records and none yet."""
    now = now or timezone.now()
    month = previous_month(timezone.localdate(now))
    villages = (
        Region.objects.filter(level=RegionLevel.VILLAGE)
        .filter(
            Q(pk__in=Entry.objects.values("village_id")) | Q(pk__in=Contract.objects.values("village_id"))
        )
        .exclude(pk__in=MonthlyStatement.objects.filter(month=month).values("village_id"))
    )
    if region is not None:
        villages = villages.filter(path__startswith=region.path)
    published = 0
    for village in villages.order_by("pk").iterator(chunk_size=500):
        try:
            statement_publish(actor=None, village=village, month=month, now=now)
            published += 1
        except Exception:  # one village's failure must not stop the others; it is retried next slot
            logger.exception("finance statement for village %s failed", village.pk)
    return published
