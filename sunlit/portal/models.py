"""Anonymous view counters of the public portal.

One row per day, village and item (``item_code`` is a disclosure's public code, or "" for the
village page itself). Rows hold numbers only: no IP address, cookie, session or user agent is ever
stored, so a count cannot be traced to a reader. Counts are buffered in each web process and
added in bulk (sunlit/portal/counters.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ViewCount(models.Model):
    day = models.DateField(_("day"))
    village = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("village")
    )
    item_code = models.CharField(_("item"), max_length=40, blank=True)  # "" = the village page
    views = models.PositiveBigIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("view count")
        verbose_name_plural = _("view counts")
        constraints = [
            models.UniqueConstraint(fields=["day", "village", "item_code"], name="uniq_portal_viewcount")
        ]
        indexes = [models.Index(fields=["village", "item_code"], name="portal_viewcount_item_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.village_id} {self.item_code or '-'}: {self.views}"


class LookupOutcome(models.TextChoices):
    FOUND = "found", _("Found")  # name and ID number matched a person
    NOT_FOUND = "not_found", _("Nothing found")  # unknown, malformed or name mismatch (not told apart)
    LIMITED = "limited", _("Refused: too many lookups")  # the address or the ID number hit its limit


class LookupCount(models.Model):
    """How many “my funds” lookups were made per day and outcome; nothing about who looked."""

    day = models.DateField(_("day"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=LookupOutcome.choices)
    count = models.PositiveBigIntegerField(_("lookups"), default=0)

    class Meta:
        verbose_name = _("“my funds” lookup count")
        verbose_name_plural = _("“my funds” lookup counts")
        constraints = [models.UniqueConstraint(fields=["day", "outcome"], name="uniq_portal_lookupcount")]

    def __str__(self) -> str:
        return f"{self.day} {self.outcome}: {self.count}"
