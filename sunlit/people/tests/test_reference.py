"""Reference datasets: every bad-row class, all or nothing, one ledger event, hashes only, batches."""

import datetime

import pytest

from sunlit.accounts.roles import Role
from sunlit.core.errors import PermissionDenied
from sunlit.core.models import AuditEvent
from sunlit.core.pii_store import id_hash
from sunlit.core.tabular import ImportRejected, write_xlsx
from sunlit.people.models import (
    BusinessRecord,
    DeathRecord,
    PayrollRecord,
    ReferenceImport,
    UrbanBenefitRecord,
    VehicleRecord,
)
from sunlit.people.reference import credit_code_check_char, credit_code_valid, mask_plate, reference_import

pytestmark = pytest.mark.django_db

ID_A = "411522198001011238"
ID_B = "411522198203052222"
BAD_ID = "411522198001011239"  # check digit off by one


def credit(first17="91411522MA44L0AB3"):
    return first17 + credit_code_check_char(first17)


CODE = credit()


def csv(header, *rows):
    return ("\n".join([header, *rows]) + "\n").encode()


def errors_of(kind, data):
    with pytest.raises(ImportRejected) as info:
        reference_import(actor=None, kind=kind, source=data, filename="f.csv")
    return [(e.line, e.column) for e in info.value.errors]


def test_credit_code_check_character():
    assert credit_code_valid("914403001922038216")  # a published code (华为技术有限公司)
    assert credit_code_valid(CODE)
    assert not credit_code_valid(CODE[:-1] + ("0" if CODE[-1] != "0" else "1"))
    assert not credit_code_valid("91411522MA44L0AB")  # too short
    assert not credit_code_valid("91411522MA44L0ABI" + "0")  # I is not in the alphabet
    assert mask_plate("豫S 12345") == "豫S***45"
    assert mask_plate("豫S·D12345") == "豫S****45"


def test_deaths_import_stores_hashes_only_and_writes_one_ledger_event():
    before = AuditEvent.objects.count()
    batch = reference_import(
        actor=None,
        kind="deaths",
        source=csv(
            "id_number,name,died_on,source", f"{ID_A},张大山,2025-03-01,火化", f"{ID_B},李秀英,2025/04/02,"
        ),
        filename="deaths.csv",
    )
    assert (batch.kind, batch.rows, batch.filename) == ("deaths", 2, "deaths.csv")
    record = DeathRecord.objects.get(id_hash=id_hash(ID_A))
    assert (record.died_on, record.source, record.id_masked) == (
        datetime.date(2025, 3, 1),
        "火化",
        "411522********1238",
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_deathrecord")
        assert ID_A not in repr(cursor.fetchall())
    events = AuditEvent.objects.order_by("seq")[before:]
    assert [e.kind for e in events] == ["reference.imported"]
    assert events[0].payload["rows"] == 2
    assert events[0].payload["dataset"] == "deaths"
    assert ID_A not in repr(events[0].payload)


def test_every_bad_row_class_and_nothing_written():
    before = AuditEvent.objects.count()
    found = errors_of(
        "vehicles",
        csv(
            "id_number,plate,vehicle_type,registered_on",
            f"{ID_A},豫S12345,car,2024-01-01",  # 2: fine
            f"{BAD_ID},豫S22222,car,2024-01-01",  # 3: bad check digit
            f"{ID_B},豫S33333,car,2024-13-01",  # 4: bad date
            f"{ID_B},豫S44444,spaceship,2024-01-01",  # 5: unknown type
            f"{ID_A},豫S 12345,truck,2023-01-01",  # 6: the same vehicle as line 2
            f"{ID_B},,car,2024-01-01",  # 7: empty plate
        ),
    )
    assert found == [
        (3, "id_number"),
        (4, "registered_on"),
        (5, "vehicle_type"),
        (6, "id_number"),
        (7, "plate"),
    ]
    assert not VehicleRecord.objects.exists()
    assert not ReferenceImport.objects.exists()
    assert AuditEvent.objects.count() == before


def test_missing_and_unknown_columns_reject_the_file():
    assert errors_of("deaths", csv("id_number,name", f"{ID_A},张大山")) == [(1, "")]
    assert errors_of(
        "payroll", csv("id_number,employer,from_date,salary", f"{ID_A},县教育局,2020-01-01,9")
    ) == [(1, "")]
    assert errors_of("deaths", b"") == [(0, "")]
    with pytest.raises(ImportRejected):
        reference_import(actor=None, kind="horoscopes", source=b"a\n1\n")


def test_businesses_check_the_credit_code_and_status():
    bad_code = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    found = errors_of(
        "businesses",
        csv(
            "id_number,business_name,credit_code,status,registered_on",
            f"{ID_A},光山县大山建材店,{CODE},active,2019-05-01",
            f"{ID_B},秀英超市,{bad_code},active,2019-05-01",
            f"{ID_B},秀英超市,{credit('92411522MA44L0AB3')},closed,2019-05-01",
            f"{ID_B},大山建材店分店,{CODE},active,2020-05-01",
        ),
    )
    assert found == [(3, "credit_code"), (4, "status"), (5, "id_number")]
    reference_import(
        actor=None,
        kind="businesses",
        source=csv(
            "id_number,business_name,credit_code,status,registered_on",
            f"{ID_A},光山县大山建材店,{CODE.lower()},Active,2019-05-01",
        ),
    )
    assert BusinessRecord.objects.get().credit_code == CODE


def test_payroll_and_urban_benefits_periods():
    found = errors_of(
        "payroll",
        csv(
            "id_number,employer,position,from_date,until_date",
            f"{ID_A},十里镇人民政府,科员,2020-01-01,",
            f"{ID_B},十里镇卫生院,,2021-01-01,2020-01-01",  # ends before it starts
            f"{ID_A},十里镇人民政府,副镇长,2020-01-01,",  # same employer and start as line 2
        ),
    )
    assert found == [(3, "until_date"), (4, "id_number")]
    reference_import(
        actor=None,
        kind="payroll",
        source=csv("id_number,employer,from_date", f"{ID_A},十里镇人民政府,2020-01-01"),
    )
    assert PayrollRecord.objects.get().valid_until is None
    found = errors_of(
        "urban_benefits",
        csv(
            "id_number,benefit,from_date,until_date,place",
            f"{ID_A},subsistence,2024-01-01,,浉河区老城街道",
            f"{ID_B},pension,2024-01-01,,浉河区",
            f"{ID_B},subsistence,2024-01-01,,",
        ),
    )
    assert found == [(3, "benefit"), (4, "place")]


def test_future_death_is_rejected():
    from django.utils import timezone

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert errors_of("deaths", csv("id_number,name,died_on", f"{ID_A},张大山,{tomorrow}")) == [(2, "died_on")]


def test_snapshots_supersede_the_previous_batch_and_deaths_accumulate():
    header = "id_number,benefit,from_date,place"
    first = reference_import(
        actor=None, kind="urban_benefits", source=csv(header, f"{ID_A},subsistence,2024-01-01,浉河区")
    )
    second = reference_import(
        actor=None, kind="urban_benefits", source=csv(header, f"{ID_B},subsistence,2024-01-01,浉河区")
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.superseded_at is not None
    assert second.superseded_at is None
    assert UrbanBenefitRecord.objects.filter(batch__superseded_at__isnull=True).get().id_hash == id_hash(ID_B)
    d1 = reference_import(
        actor=None, kind="deaths", source=csv("id_number,name,died_on", f"{ID_A},甲,2025-01-01")
    )
    reference_import(actor=None, kind="deaths", source=csv("id_number,name,died_on", f"{ID_B},乙,2025-01-01"))
    d1.refresh_from_db()
    assert d1.superseded_at is None


def test_xlsx_is_read_like_csv():
    data = write_xlsx([("deaths", ["id_number", "name", "died_on"], [[ID_A, "张大山", "2025-03-01"]])])
    batch = reference_import(actor=None, kind="deaths", source=data, filename="deaths.xlsx")
    assert batch.rows == 1


def test_permission_county_roles_only(tree, make_user):
    data = csv("id_number,name,died_on", f"{ID_A},张大山,2025-03-01")
    for role, region in ((Role.VILLAGE_CHAIR, tree.village), (Role.TOWNSHIP_DISCIPLINE, tree.township)):
        with pytest.raises(PermissionDenied):
            reference_import(actor=make_user(role, region), kind="deaths", source=data)
    assert not DeathRecord.objects.exists()
    for role in (Role.COUNTY_DISCIPLINE, Role.COUNTY_DEPARTMENT):
        user = make_user(role, tree.county)
        batch = reference_import(actor=user, kind="deaths", source=data)
        assert batch.imported_by == user


def test_import_command(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    good = tmp_path / "cars.csv"
    good.write_bytes(csv("id_number,plate,vehicle_type,registered_on", f"{ID_A},豫S12345,car,2024-01-01"))
    call_command("import", "vehicles", str(good))
    assert VehicleRecord.objects.get().plate_masked == "豫S***45"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv("id_number,plate,vehicle_type,registered_on", f"{BAD_ID},豫S12345,car,2024-01-01"))
    with pytest.raises((CommandError, ImportRejected)):
        call_command("import", "vehicles", str(bad))
    assert VehicleRecord.objects.count() == 1
