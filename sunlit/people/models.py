"""The person registry (村民/户籍): households, persons, kinship and cadres' declared relatives.

ID numbers and phones are never stored in clear: ``id_hash`` is a keyed hash used to match people
across datasets (benefit lists, death records, cadre declarations), ``id_token``/``phone_token``
hold the encrypted values (sunlit.core.pii_store), and ``*_masked`` what may be displayed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Male")  # 男
    FEMALE = "female", _("Female")  # 女


class PersonStatus(models.TextChoices):
    ALIVE = "alive", _("Alive")  # 健在
    DECEASED = "deceased", _("Deceased")  # 死亡
    MOVED_OUT = "moved_out", _("Moved out")  # 迁出


class Relation(models.TextChoices):
    """What the relative is to the person."""

    SPOUSE = "spouse", _("Spouse")  # 配偶
    PARENT = "parent", _("Parent")  # 父母
    CHILD = "child", _("Child")  # 子女
    SIBLING = "sibling", _("Sibling")  # 兄弟姐妹
    GRANDPARENT = "grandparent", _("Grandparent")  # 祖父母、外祖父母
    GRANDCHILD = "grandchild", _("Grandchild")  # 孙子女、外孙子女
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")  # 公婆、岳父母
    CHILD_IN_LAW = "child_in_law", _("Child-in-law")  # 儿媳、女婿
    SIBLING_IN_LAW = "sibling_in_law", _("Sibling-in-law")  # 配偶的兄弟姐妹、兄弟姐妹的配偶
    OTHER = "other", _("Other close relative")  # 其他近亲属


# Seen from the other side: B is A's parent ⇔ A is B's child.
INVERSE_RELATION: dict[Relation, Relation] = {
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.PARENT: Relation.CHILD,
    Relation.CHILD: Relation.PARENT,
    Relation.SIBLING: Relation.SIBLING,
    Relation.GRANDPARENT: Relation.GRANDCHILD,
    Relation.GRANDCHILD: Relation.GRANDPARENT,
    Relation.PARENT_IN_LAW: Relation.CHILD_IN_LAW,
    Relation.CHILD_IN_LAW: Relation.PARENT_IN_LAW,
    Relation.SIBLING_IN_LAW: Relation.SIBLING_IN_LAW,
    Relation.OTHER: Relation.OTHER,
}


class Household(models.Model):
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="households")
    number = models.CharField(_("household number"), max_length=30)
    group = models.CharField(_("village group"), max_length=50, blank=True)

    class Meta:
        ordering = ["village_id", "number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="uniq_household_number")]

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="persons")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_hash = models.CharField(max_length=64, unique=True)
    id_token = models.TextField()
    id_masked = models.CharField(_("ID number"), max_length=18)
    phone_token = models.TextField(blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.ALIVE
    )
    died_on = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["village_id", "household_id", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.CheckConstraint(
                condition=Q(died_on__isnull=True) | Q(status=PersonStatus.DECEASED),
                name="death_date_only_when_deceased",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"


class Kinship(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="kinships")
    relative = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="kinships_as_relative")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)

    class Meta:
        verbose_name = _("kinship")
        verbose_name_plural = _("kinships")
        constraints = [
            models.UniqueConstraint(fields=["person", "relative"], name="uniq_kinship_pair"),
            models.CheckConstraint(condition=~Q(person=F("relative")), name="kinship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.relative_id}: {self.relation}"


class CadreDeclaration(models.Model):
    cadre = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="declarations")
    cadre_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="cadre_roles"
    )
    relative = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="declared_by_cadres"
    )
    relative_id_hash = models.CharField(max_length=64, db_index=True)
    relative_name = models.CharField(_("relative's name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        ordering = ["cadre_id", "id"]
        verbose_name = _("cadre declaration")
        verbose_name_plural = _("cadre declarations")
        constraints = [
            models.UniqueConstraint(fields=["cadre", "relative_id_hash"], name="uniq_declared_relative")
        ]

    def __str__(self) -> str:
        return f"{self.relative_name} ({self.relation})"


class PersonAccessLog(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_log")
    field = models.CharField(_("field"), max_length=20)
    reason = models.CharField(_("reason"), max_length=300)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self) -> str:
        return f"{self.user_id} {self.field} {self.person_id}"
