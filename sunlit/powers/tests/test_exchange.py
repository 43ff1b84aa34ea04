"""Catalog import/export: exact round trips and every class of bad input, all-or-nothing."""

import copy

import pytest
import yaml
from django.utils import translation

from sunlit.core.tabular import ImportRejected
from sunlit.powers import selectors, services
from sunlit.powers.exchange import document_to_xlsx, dump_yaml, read_xlsx
from sunlit.powers.models import Catalog, PowerItem, Step
from sunlit.powers.tests.docs import small_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The assertions quote the English source messages, so read them untranslated."""
    with translation.override("en"):
        yield


def _yaml(doc) -> bytes:
    return dump_yaml(doc).encode()


def test_yaml_round_trip_is_exact(tree):
    source = _yaml(small_document())
    catalog = services.catalog_import(actor=None, owner=tree.county, source=source, filename="c.yaml")
    exported = selectors.catalog_document(catalog)
    # importing the export again gives the same document, byte for byte as YAML
    again = services.catalog_parse(_yaml(exported), "c.yaml")
    assert dump_yaml(again) == dump_yaml(exported)
    assert exported["items"][0]["flow"]["transitions"][1]["guard"] == "amount >= params.tier_amount"
    assert exported["items"][0]["flow"]["steps"][3]["notice_days"] == "param:notice_days"


def test_xlsx_round_trip_is_exact(tree):
    catalog = services.catalog_import(
        actor=None, owner=tree.county, source=_yaml(small_document()), filename="c.yaml"
    )
    exported = selectors.catalog_document(catalog)
    workbook = document_to_xlsx(exported)
    from_xlsx = services.catalog_parse(workbook, "c.xlsx")
    assert from_xlsx == exported


def test_standard_catalog_round_trips_through_xlsx(tree):
    catalog = services.catalog_load_standard(owner=tree.county)
    exported = selectors.catalog_document(catalog)
    assert services.catalog_parse(document_to_xlsx(exported), "c.xlsx") == exported
    assert services.catalog_parse(_yaml(exported), "c.yaml") == exported


def _reject(tree, doc_or_bytes, filename="c.yaml"):
    before = (Catalog.objects.count(), PowerItem.objects.count(), Step.objects.count())
    data = doc_or_bytes if isinstance(doc_or_bytes, bytes) else _yaml(doc_or_bytes)
    with pytest.raises(ImportRejected) as info:
        services.catalog_import(actor=None, owner=tree.county, source=data, filename=filename)
    assert (Catalog.objects.count(), PowerItem.objects.count(), Step.objects.count()) == before
    return info.value


def test_duplicate_item_codes_rejected_with_lines(tree):
    doc = small_document()
    doc["items"][1]["code"] = doc["items"][0]["code"]
    error = _reject(tree, doc)
    dup = [e for e in error.errors if "Duplicate item code" in e.message]
    assert dup
    assert dup[0].line > 1


def test_unknown_role_rejected(tree):
    doc = small_document()
    doc["items"][0]["flow"]["steps"][1]["role"] = "village_king"
    error = _reject(tree, doc)
    assert any("village_king" in e.message for e in error.errors)


def test_invalid_cel_rejected(tree):
    doc = small_document()
    doc["items"][0]["flow"]["transitions"][1]["guard"] = "amount >= params.tier_amount &&"
    error = _reject(tree, doc)
    assert any("does not parse" in e.message for e in error.errors)


def test_unreachable_step_rejected(tree):
    doc = small_document()
    doc["items"][1]["flow"]["steps"].insert(
        2, {"key": "lost", "name": "孤立步骤", "kind": "task", "role": "village_chair"}
    )
    doc["items"][1]["flow"]["transitions"].append({"from": "lost", "to": "end"})
    error = _reject(tree, doc)
    assert any("cannot be reached" in e.message for e in error.errors)


def test_every_error_is_reported_not_just_the_first(tree):
    doc = small_document()
    doc["items"][0]["group"] = "misc"
    doc["items"][1]["responsible_role"] = "nobody"
    doc["negative_list"][0]["text"] = ""
    error = _reject(tree, doc)
    assert len(error.errors) >= 3


def test_yaml_syntax_error_has_line(tree):
    error = _reject(tree, b"format: sunlit-catalog/1\ncatalog: [unclosed\n")
    assert error.errors[0].line >= 2


def test_yaml_alias_bomb_refused(tree):
    bomb = b"format: sunlit-catalog/1\na: &a [1,2,3]\nb: &b [*a,*a,*a]\nc: &c [*b,*b,*b]\n"
    error = _reject(tree, bomb)
    assert "aliases" in error.errors[0].message


def test_not_a_mapping_refused(tree):
    _reject(tree, b"- just\n- a list\n")


def test_binary_garbage_refused(tree):
    _reject(tree, b"\x00\x01\x02\xff\xfe", filename="c.yaml")


def test_huge_file_refused_before_parsing(tree, settings):
    settings.SUNLIT_IMPORT_MAX_BYTES = 1000
    error = _reject(tree, b"#" * 1001)
    assert "limit" in error.errors[0].message


def test_xlsx_wrong_columns_rejected(tree):
    import io

    from openpyxl import load_workbook

    catalog = services.catalog_import(
        actor=None, owner=tree.county, source=_yaml(small_document()), filename="c.yaml"
    )
    data = document_to_xlsx(selectors.catalog_document(catalog))
    Catalog.objects.all().delete()
    wb = load_workbook(io.BytesIO(data))
    wb["Steps"].cell(row=1, column=5).value = "responsible"  # rename the role column
    out = io.BytesIO()
    wb.save(out)
    error = _reject(tree, out.getvalue(), filename="c.xlsx")
    messages = " ".join(e.message for e in error.errors)
    assert "Missing columns: role" in messages
    assert "Unknown columns: responsible" in messages


def test_xlsx_row_errors_point_at_sheet_and_line(tree):
    catalog = services.catalog_import(
        actor=None, owner=tree.county, source=_yaml(small_document()), filename="c.yaml"
    )
    doc = selectors.catalog_document(catalog)
    Catalog.objects.all().delete()
    doc = copy.deepcopy(doc)
    doc["items"][0]["flow"]["steps"][2]["role"] = "chieftain"
    data = document_to_xlsx(doc)
    error = _reject(tree, data, filename="c.xlsx")
    located = [e for e in error.errors if "chieftain" in e.message]
    assert located
    assert located[0].sheet == "Steps"
    assert located[0].line == 4  # header + two steps before it


def test_xlsx_formula_looking_text_stays_text(tree):
    doc = small_document()
    doc["items"][0]["summary"] = '=HYPERLINK("x")'
    catalog = services.catalog_import(actor=None, owner=tree.county, source=_yaml(doc), filename="c.yaml")
    exported = selectors.catalog_document(catalog)
    parsed, _ = read_xlsx(document_to_xlsx(exported))
    assert parsed["items"][0]["summary"] == '=HYPERLINK("x")'


def test_yaml_dates_are_not_coerced():
    doc = small_document()
    doc["items"][0]["summary"] = "2024-01-01"
    data = yaml.safe_load(dump_yaml(doc))
    assert data["items"][0]["summary"] == "2024-01-01"
