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
from django.utils.translation import pgettext_lazy


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


# --- Reference datasets (大数据比对) ------------------------------------------------------------
# Lists other agencies hold (civil affairs, public security, market regulation, finance): matched on
# the keyed ID hash only. Clear ID numbers never reach the database; ``id_masked`` is for display.


class ReferenceKind(models.TextChoices):
    DEATHS = "deaths", _("Death and cremation records")  # 死亡、火化信息 (民政、公安、卫健)
    VEHICLES = "vehicles", _("Vehicle registrations")  # 机动车登记 (公安交管)
    BUSINESSES = "businesses", _("Business registrations")  # 市场主体登记 (市场监管)
    PAYROLL = "payroll", _("Public payroll")  # 财政供养人员 (财政、人社)
    URBAN_BENEFITS = "urban_benefits", _("Urban benefit recipients")  # 城市低保、特困名单 (民政)


# Kinds whose every import is a full snapshot replacing the previous one; death records accumulate.
SNAPSHOT_KINDS = frozenset(
    {ReferenceKind.VEHICLES, ReferenceKind.BUSINESSES, ReferenceKind.PAYROLL, ReferenceKind.URBAN_BENEFITS}
)


class ReferenceImport(models.Model):
    """One imported file of a reference dataset (a batch). Rules read current batches only."""

    kind = models.CharField(_("dataset"), max_length=16, choices=ReferenceKind.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"))
    # Set when a later snapshot of the same kind replaced this batch.
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("reference dataset import")
        verbose_name_plural = _("reference dataset imports")
        indexes = [models.Index(fields=["kind", "superseded_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.rows})"


class ReferenceRecord(models.Model):
    batch = models.ForeignKey(ReferenceImport, on_delete=models.PROTECT, related_name="+")
    id_hash = models.CharField(max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18)

    class Meta:
        abstract = True


class DeathRecord(ReferenceRecord):
    name = models.CharField(_("name"), max_length=50)
    died_on = models.DateField(_("date of death"))
    source = models.CharField(_("source"), max_length=50, blank=True)  # e.g. 火化、公安注销、医院

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("death record")
        verbose_name_plural = _("death records")

    def __str__(self) -> str:
        return f"{self.id_masked} † {self.died_on}"


class VehicleKind(models.TextChoices):
    CAR = "car", _("Car")  # 小型汽车
    TRUCK = "truck", _("Truck or van")  # 货车
    MOTORCYCLE = "motorcycle", _("Motorcycle")  # 普通二轮摩托车
    TRICYCLE = "tricycle", _("Tricycle")  # 三轮汽车、三轮摩托车
    FARM = "farm", _("Farm vehicle")  # 拖拉机、农用车
    DISABILITY = "disability", _("Mobility vehicle for the disabled")  # 残疾人机动轮椅车
    OTHER = "other", _("Other")


class VehicleRecord(ReferenceRecord):
    plate_masked = models.CharField(_("plate"), max_length=12)
    vehicle_kind = models.CharField(_("vehicle type"), max_length=12, choices=VehicleKind.choices)
    registered_on = models.DateField(_("registered on"))

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("vehicle registration")
        verbose_name_plural = _("vehicle registrations")

    def __str__(self) -> str:
        return f"{self.plate_masked} ({self.vehicle_kind})"


class BusinessStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("business status", "Active")  # 存续、在业
    DEREGISTERED = "deregistered", _("Deregistered")  # 注销
    REVOKED = "revoked", _("Licence revoked")  # 吊销


class BusinessRecord(ReferenceRecord):
    """A registered business; ``id_hash`` is its legal representative's or owner's."""

    business_name = models.CharField(_("business name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=BusinessStatus.choices)
    registered_on = models.DateField(_("registered on"))

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("business registration")
        verbose_name_plural = _("business registrations")

    def __str__(self) -> str:
        return f"{self.business_name} ({self.credit_code})"


class PayrollRecord(ReferenceRecord):
    employer = models.CharField(_("employer"), max_length=200)
    position = models.CharField(_("position"), max_length=100, blank=True)
    valid_from = models.DateField(_("on the payroll from"))
    valid_until = models.DateField(_("on the payroll until"), null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("public payroll record")
        verbose_name_plural = _("public payroll records")

    def __str__(self) -> str:
        return f"{self.id_masked} @ {self.employer}"


class UrbanBenefitKind(models.TextChoices):
    SUBSISTENCE = "subsistence", _("Urban minimum living allowance")  # 城市低保
    EXTREME_POVERTY = "extreme_poverty", _("Urban extreme-poverty support")  # 城市特困人员供养


class UrbanBenefitRecord(ReferenceRecord):
    benefit = models.CharField(_("benefit"), max_length=16, choices=UrbanBenefitKind.choices)
    valid_from = models.DateField(_("drawn from"))
    valid_until = models.DateField(_("drawn until"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=100)  # the city district or street paying it

    class Meta:
        ordering = ["batch_id", "id"]
        verbose_name = _("urban benefit record")
        verbose_name_plural = _("urban benefit records")

    def __str__(self) -> str:
        return f"{self.id_masked} {self.benefit} ({self.place})"
