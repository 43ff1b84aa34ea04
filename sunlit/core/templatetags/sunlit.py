from django import template

from sunlit.core.numbers import format_decimal

register = template.Library()


@register.filter
def num(value):
    """Render a Decimal plainly: {{ param.default|num }} → 50000."""
    if value is None or value == "":
        return ""
    return format_decimal(value)


@register.simple_tag
def calendar_warnings():
    """Warnings for this year and next when the working-day calendar may be wrong."""
    from django.utils import timezone

    from sunlit.core.calendar import calendar_warning

    year = timezone.localdate().year
    return [w for w in (calendar_warning(year), calendar_warning(year + 1)) if w]
