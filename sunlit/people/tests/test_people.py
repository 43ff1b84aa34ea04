"""The person registry: keyed hashes and encryption, scoping, relatives, reveals, all-or-nothing imports."""

import pytest

from sunlit.accounts.roles import Role
from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.models import AuditEvent
from sunlit.core.pii_store import PiiDecryptError, decrypt, encrypt, id_hash
from sunlit.core.tabular import ImportRejected
from sunlit.people import selectors, services
from sunlit.people.errors import PersonInvalid
from sunlit.people.models import Kinship, Person, PersonAccessLog, PersonStatus

pytestmark = pytest.mark.django_db

# Valid resident ID numbers (checksums correct) with a Guangshan county prefix.
ID_A = "411522198001011238"
ID_B = "411522198203052222"
ID_C = "411522200501011234"
ID_D = "411522195501011230"


def _valid(number):
    from sunlit.core.masking import id_number_valid

    return id_number_valid(number)


def test_fixture_numbers_are_valid():
    assert all(_valid(n) for n in (ID_A, ID_B, ID_C, ID_D))


def csv(*rows, header="village_code,household_number,name,id_number,phone,status,died_on"):
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def registry(tree):
    services.people_import(
        actor=None,
        source=csv(
            f"{tree.village.code},H001,张大山,{ID_A},13800138000,,",
            f"{tree.village.code},H001,李秀英,{ID_B},,,",
            f"{tree.village.code},H001,张小明,{ID_C},,,",
            f"{tree.sibling_village.code},H009,李老汉,{ID_D},,deceased,2025-03-01",
        ),
        filename="people.csv",
    )
    return {p.name: p for p in Person.objects.all()}


def test_clear_numbers_never_reach_the_database(registry):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person")
        dump = repr(cursor.fetchall())
    assert ID_A not in dump
    assert "13800138000" not in dump
    person = registry["张大山"]
    assert person.id_masked == "411522********1238"
    assert person.id_hash == id_hash(ID_A)
    assert decrypt(person.id_token) == ID_A
    assert str(person.birth_date) == "1980-01-01"


def test_tampered_tokens_do_not_decrypt():
    token = encrypt("411522198001011238")
    with pytest.raises(PiiDecryptError):
        decrypt(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    with pytest.raises(PiiDecryptError):
        decrypt("plain text")


def test_import_is_all_or_nothing_with_every_bad_row(tree):
    before = AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as info:
        services.people_import(
            actor=None,
            source=csv(
                f"{tree.village.code},H1,好人,{ID_A},,,",
                f"{tree.village.code},H1,校验错,411522198001011239,,,",
                f"{tree.village.code},H1,重复,{ID_A},,,",
                f"999999999999,H1,无村,{ID_B},,,",
                f"{tree.village.code},H1,坏手机,{ID_C},12345,,",
                f"{tree.village.code},H1,坏日期,{ID_D},,deceased,2025-13-45",
                f"{tree.township.code},H1,乡镇,{ID_D},,,",
            ),
        )
    lines = [(e.line, e.column) for e in info.value.errors]
    assert lines == [
        (3, "id_number"),
        (4, "id_number"),
        (5, "village_code"),
        (6, "phone"),
        (7, "died_on"),
        (8, "village_code"),
    ]
    assert not Person.objects.exists()
    assert AuditEvent.objects.count() == before


def test_import_refuses_wrong_columns_and_registered_numbers(tree, registry):
    with pytest.raises(ImportRejected) as info:
        services.people_import(actor=None, source=b"village,name\nx,y\n")
    assert info.value.errors[0].line == 1
    with pytest.raises(ImportRejected) as info:
        services.people_import(actor=None, source=csv(f"{tree.village.code},H2,再来,{ID_A},,,"))
    assert info.value.errors[0].column == "id_number"


def test_import_outside_the_actors_scope_is_refused(tree, make_user):
    clerk = make_user(Role.VILLAGE_CLERK, tree.sibling_village)
    with pytest.raises(ImportRejected) as info:
        services.people_import(actor=clerk, source=csv(f"{tree.village.code},H1,越权,{ID_A},,,"))
    assert info.value.errors[0].column == "village_code"
    assert not Person.objects.exists()


def test_scope_out_of_region_is_not_found(tree, registry, make_user):
    chair = make_user(Role.VILLAGE_CHAIR, tree.village)
    assert selectors.access_person(chair, registry["张大山"].pk).name == "张大山"
    with pytest.raises(NotFound):
        selectors.access_person(chair, registry["李老汉"].pk)
    with pytest.raises(NotFound):
        selectors.access_person(chair, "abc")
    assert set(selectors.persons_for_user(chair).values_list("name", flat=True)) == {
        "张大山",
        "李秀英",
        "张小明",
    }


def test_relatives_in_both_directions_and_in_laws_through_the_spouse(tree, registry):
    dashan, xiuying, xiaoming, laohan = (registry[n] for n in ("张大山", "李秀英", "张小明", "李老汉"))
    services.kinship_add(actor=None, person=dashan, relative=xiuying, relation="spouse")
    services.kinship_add(actor=None, person=xiaoming, relative=dashan, relation="parent")
    services.kinship_add(actor=None, person=xiuying, relative=laohan, relation="parent")
    of_dashan = {link.person.name: link.relation for link in selectors.relatives_of(dashan)}
    assert of_dashan == {"李秀英": "spouse", "张小明": "child", "李老汉": "parent_in_law"}
    of_laohan = {link.person.name: link.relation for link in selectors.relatives_of(laohan)}
    assert of_laohan == {"李秀英": "child"}


def test_kinship_refusals(registry):
    dashan, xiuying = registry["张大山"], registry["李秀英"]
    services.kinship_add(actor=None, person=dashan, relative=xiuying, relation="spouse")
    with pytest.raises(PersonInvalid) as info:
        services.kinship_add(actor=None, person=xiuying, relative=dashan, relation="spouse")
    assert list(info.value.fields) == ["relative"]
    with pytest.raises(PersonInvalid) as info:
        services.kinship_add(actor=None, person=dashan, relative=dashan, relation="sibling")
    assert list(info.value.fields) == ["relative"]
    assert Kinship.objects.count() == 1


def test_kinship_import_all_or_nothing(registry):
    header = "id_number,relative_id_number,relation"
    with pytest.raises(ImportRejected) as info:
        services.kinship_import(
            actor=None,
            source=csv(
                f"{ID_A},{ID_B},spouse", f"{ID_A},{ID_A},sibling", f"{ID_C},{ID_A},cousin", header=header
            ),
        )
    assert [e.line for e in info.value.errors] == [3, 4]
    assert not Kinship.objects.exists()
    assert services.kinship_import(actor=None, source=csv(f"{ID_A},{ID_B},spouse", header=header)) == {
        "kinships": 1
    }


def test_reveal_is_logged_and_refused_without_permission(tree, registry, make_user):
    person = registry["张大山"]
    chair = make_user(Role.VILLAGE_CHAIR, tree.village)
    discipline = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township)
    with pytest.raises(PermissionDenied):
        services.person_reveal(actor=chair, person=person, field="id_number", reason="核查")
    assert (
        services.person_reveal(actor=discipline, person=person, field="id_number", reason="低保核查") == ID_A
    )
    assert (
        services.person_reveal(actor=discipline, person=person, field="phone", reason="联系") == "13800138000"
    )
    log = PersonAccessLog.objects.filter(user=discipline)
    assert sorted(log.values_list("field", flat=True)) == ["id_number", "phone"]
    assert AuditEvent.objects.filter(kind="person.revealed").count() == 2


def test_export_masks_unless_revealed_with_a_reason(tree, registry, make_user):
    chair = make_user(Role.VILLAGE_CHAIR, tree.village)
    data = services.people_export(actor=chair, region=tree.village)[0].decode()
    assert ID_A not in data
    assert "411522********1238" in data
    with pytest.raises(PermissionDenied):
        services.people_export(actor=chair, region=tree.village, reveal_reason="想看")
    county = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    clear = services.people_export(actor=county, region=tree.village, reveal_reason="专项核查")[0].decode()
    assert ID_A in clear
    assert PersonAccessLog.objects.filter(user=county, field="export").count() == 3


def test_mark_deceased(registry):
    person = services.person_mark_deceased(
        actor=None, person=registry["张大山"], died_on=__import__("datetime").date(2026, 1, 2)
    )
    assert person.status == PersonStatus.DECEASED
    assert str(person.died_on) == "2026-01-02"


def test_declarations_match_registered_relatives(tree, registry, make_user):
    cadre = make_user(Role.VILLAGE_CHAIR, tree.village)
    declaration = services.declaration_add(
        actor=cadre, cadre=cadre, relative_id_number=ID_B, relative_name="李秀英", relation="sibling"
    )
    assert declaration.relative == registry["李秀英"]
    assert selectors.declared_relative_hashes(cadre) == {id_hash(ID_B)}
    with pytest.raises(PersonInvalid):
        services.declaration_add(
            actor=cadre, cadre=cadre, relative_id_number=ID_B, relative_name="x", relation="sibling"
        )


def test_api_lists_masked_and_reveals_with_a_log(tree, registry, make_user, client):
    chair = make_user(Role.VILLAGE_CHAIR, tree.village)
    client.force_login(chair)
    body = client.get("/api/v1/people").json()
    assert body["count"] == 3
    assert ID_A not in str(body)
    other = registry["李老汉"]
    assert client.get(f"/api/v1/people/{other.pk}").status_code == 404
    response = client.post(
        f"/api/v1/people/{registry['张大山'].pk}/reveal",
        {"field": "id_number", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    county = make_user(Role.COUNTY_DISCIPLINE, tree.county)
    client.force_login(county)
    response = client.post(
        f"/api/v1/people/{registry['张大山'].pk}/reveal",
        {"field": "id_number", "reason": "核查低保"},
        content_type="application/json",
    )
    assert response.json() == {"field": "id_number", "value": ID_A}
    assert PersonAccessLog.objects.filter(user=county).count() == 1


def test_import_and_export_commands(tree, tmp_path):
    from django.core.management import call_command

    source = tmp_path / "people.csv"
    source.write_bytes(csv(f"{tree.village.code},H001,张大山,{ID_A},13800138000,,"))
    call_command("import", "people", str(source))
    assert Person.objects.count() == 1
    target = tmp_path / "out.csv"
    call_command("export", "people", str(target), root=tree.county.code)
    text = target.read_text()
    assert "411522********1238" in text
    assert ID_A not in text
    assert "13800138000" not in text


def test_demo_residents_are_valid_and_deterministic(tree):
    import random

    from sunlit.core.masking import id_number_valid
    from sunlit.people.demo import people_generate

    result = people_generate(village=tree.village, rng=random.Random(7), households=20)
    assert result.households == 20
    assert result.persons == Person.objects.count() >= 20
    numbers = [decrypt(p.id_token) for p in Person.objects.all()]
    assert all(id_number_valid(n) and n.startswith("411522") for n in numbers)
    assert Kinship.objects.count() == result.kinships
    names = list(Person.objects.order_by("id").values_list("name", flat=True))
    Person.objects.all().delete()
    from sunlit.people.models import Household

    Household.objects.all().delete()
    people_generate(village=tree.village, rng=random.Random(7), households=20)
    assert list(Person.objects.order_by("id").values_list("name", flat=True)) == names
