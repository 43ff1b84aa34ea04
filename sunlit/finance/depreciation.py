"""Straight-line depreciation of fixed assets (平均年限法), in Decimal.

Method (as in the accounting rules for village collective economic organisations):
- Depreciable amount = original value − salvage value; monthly charge = depreciable amount ÷
  (useful life in years × 12).
- An asset is depreciated from the month after it was acquired (an asset acquired in March is first
  depreciated in April) and not in the month it was disposed of; land and fully depreciated assets
  are not depreciated further.
- The accumulated depreciation after *n* full months is computed directly as
  depreciable × n ÷ (life × 12), rounded half-up to the fen, and capped at the depreciable amount, so
  rounding never accumulates month by month and the last month absorbs the remainder.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Depreciation:
    months: int  # full months depreciated by the date
    monthly: Decimal  # the regular monthly charge
    accumulated: Decimal
    net_value: Decimal


def months_depreciated(acquired_on: datetime.date, on: datetime.date, life_months: int) -> int:
    """Full months from the month after acquisition up to and including the month of ``on``."""
    months = (on.year - acquired_on.year) * 12 + (on.month - acquired_on.month)
    return max(0, min(months, life_months))


def depreciation(
    *,
    original_value: Decimal,
    salvage_value: Decimal,
    useful_life_years: int,
    acquired_on: datetime.date,
    on: datetime.date,
) -> Depreciation:
    original = Decimal(original_value)
    salvage = Decimal(salvage_value)
    depreciable = max(original - salvage, Decimal(0))
    life_months = int(useful_life_years) * 12
    if life_months <= 0:
        return Depreciation(0, Decimal("0.00"), Decimal("0.00"), original.quantize(CENT))
    months = months_depreciated(acquired_on, on, life_months)
    monthly = (depreciable / life_months).quantize(CENT, rounding=ROUND_HALF_UP)
    accumulated = (depreciable * months / life_months).quantize(CENT, rounding=ROUND_HALF_UP)
    accumulated = min(accumulated, depreciable.quantize(CENT))
    return Depreciation(months, monthly, accumulated, (original - accumulated).quantize(CENT))


def of_asset(asset, on: datetime.date) -> Depreciation:
    return depreciation(
        original_value=asset.original_value,
        salvage_value=asset.salvage_value,
        useful_life_years=asset.useful_life_years,
        acquired_on=asset.acquired_on,
        on=on,
    )
