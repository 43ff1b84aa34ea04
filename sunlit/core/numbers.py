"""Plain display of decimal amounts: 50000, 1.5, 0.25 (never 5E+4, never trailing zeros)."""

from decimal import Decimal


def format_decimal(number: Decimal | int | float | str) -> str:
    value = Decimal(str(number)).quantize(Decimal("0.01"))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
