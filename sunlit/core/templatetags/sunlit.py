from django import template

from sunlit.core.numbers import format_decimal

register = template.Library()


@register.filter
def num(value):
    """Render a Decimal plainly: {{ param.default|num }} → 50000."""
    if value is None or value == "":
        return ""
    return format_decimal(value)
