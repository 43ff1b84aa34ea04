from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")  # 省
    CITY = "city", _("City")  # 市 (prefecture level)
    COUNTY = "county", _("County")  # 县/区
    TOWNSHIP = "township", _("Township")  # 乡/镇/街道
    VILLAGE = "village", _("Village")  # 村/社区


LEVEL_ORDER = [
    RegionLevel.PROVINCE,
    RegionLevel.CITY,
    RegionLevel.COUNTY,
    RegionLevel.TOWNSHIP,
    RegionLevel.VILLAGE,
]
LEVEL_DEPTH = {level: depth for depth, level in enumerate(LEVEL_ORDER)}
# Significant digits of the 12-digit statistical division code at each level (GB/T 2260 + township + village).
CODE_DIGITS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


class Region(models.Model):
    """A node of the administrative tree, identified by its 12-digit division code.

    ``path`` is the materialised chain of codes ("/410000000000/411500000000/.../") so a
    subtree is one indexed prefix query on every database.
    """

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=80, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def short_code(self) -> str:
        return self.code[: CODE_DIGITS[RegionLevel(self.level)]]

    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.strip("/").split("/") if c]

    def is_within(self, other: "Region") -> bool:
        """True when self is other or lies below it."""
        return self.path.startswith(other.path)
