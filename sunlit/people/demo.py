"""Deterministic demo residents: households of plausible villagers with valid ID numbers.

Names come from common surnames and given-name characters; ID numbers carry the county's GB/T 2260
code, the birth date, a sequence whose parity matches the gender and a correct check character,
so cross-checks in later stages match them exactly as they would real data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction

from sunlit.core.masking import _id_check_char, mask_id_number, mask_phone
from sunlit.core.pii_store import encrypt, id_hash
from sunlit.regions.models import Region

from .models import Gender, Household, Kinship, Person, PersonStatus, Relation

SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志海东兵新春德福"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华玲桂兰萍红梅琴云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉"


@dataclass
class DemoPeople:
    households: int
    persons: int
    kinships: int


def _name(rng: random.Random, surname: str, gender: str) -> str:
    pool = GIVEN_MALE if gender == Gender.MALE else GIVEN_FEMALE
    length = 1 if rng.random() < 0.35 else 2
    return surname + "".join(rng.choice(pool) for _ in range(length))


def _id_number(
    rng: random.Random, county_code: str, birth: datetime.date, gender: str, used: set[str]
) -> str:
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
        first17 = f"{county_code}{birth:%Y%m%d}{seq:03d}"
        number = first17 + _id_check_char(first17)
        if number not in used:
            used.add(number)
            return number


def _birth(rng: random.Random, age: int, today: datetime.date) -> datetime.date:
    year = today.year - age
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))


def people_generate(
    *, village: Region, rng: random.Random, households: int, used: set[str] | None = None
) -> DemoPeople:
    """Create ``households`` households in ``village`` with 1–6 members each, kinship between them,
    a few deceased members. Bulk inserts; returns counts. ``used`` shares ID numbers across villages."""
    used = used if used is not None else set()
    today = datetime.date(2026, 11, 1)
    county_code = village.code[:6]
    persons: list[Person] = []
    members: list[list[tuple[int, str]]] = []  # per household: (index in persons, role in family)
    with transaction.atomic():
        created = Household.objects.bulk_create(
            [
                Household(village=village, number=f"{village.code[-3:]}{n:04d}", group=f"第{1 + n % 8}村民组")
                for n in range(1, households + 1)
            ]
        )
        for household in created:
            surname = rng.choice(SURNAMES)
            family: list[tuple[int, str]] = []
            head_age = rng.randint(28, 78)
            plan = [("head", Gender.MALE if rng.random() < 0.8 else Gender.FEMALE, head_age)]
            if rng.random() < 0.85:
                plan.append(
                    (
                        "spouse",
                        Gender.FEMALE if plan[0][1] == Gender.MALE else Gender.MALE,
                        head_age - rng.randint(-3, 5),
                    )
                )
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                if head_age > 40:
                    plan.append(
                        ("child", rng.choice((Gender.MALE, Gender.FEMALE)), rng.randint(1, head_age - 22))
                    )
            if head_age < 55 and rng.random() < 0.4:
                plan.append(
                    ("parent", rng.choice((Gender.MALE, Gender.FEMALE)), head_age + rng.randint(22, 30))
                )
            for role, gender, age in plan:
                age = max(0, min(age, 98))
                birth = _birth(rng, age, today)
                number = _id_number(rng, county_code, birth, gender, used)
                own_surname = surname if role != "spouse" else rng.choice(SURNAMES)
                phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" if age >= 18 else ""
                deceased = role == "parent" and age > 75 and rng.random() < 0.3
                died_on = today - datetime.timedelta(days=rng.randint(30, 700)) if deceased else None
                family.append((len(persons), role))
                persons.append(
                    Person(
                        village=village,
                        household=household,
                        name=_name(rng, own_surname, gender),
                        gender=gender,
                        birth_date=birth,
                        id_hash=id_hash(number),
                        id_token=encrypt(number),
                        id_masked=mask_id_number(number),
                        phone_token=encrypt(phone) if phone else "",
                        phone_masked=mask_phone(phone) if phone else "",
                        status=PersonStatus.DECEASED if deceased else PersonStatus.ALIVE,
                        died_on=died_on,
                    )
                )
            members.append(family)
        Person.objects.bulk_create(persons, batch_size=1000)
        links: list[Kinship] = []
        for family in members:
            head = persons[family[0][0]]
            for index, role in family[1:]:
                other = persons[index]
                relation = {"spouse": Relation.SPOUSE, "child": Relation.CHILD, "parent": Relation.PARENT}[
                    role
                ]
                links.append(Kinship(person=head, relative=other, relation=relation))
        Kinship.objects.bulk_create(links, batch_size=1000)
    return DemoPeople(households=len(created), persons=len(persons), kinships=len(links))
