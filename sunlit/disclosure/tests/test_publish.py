"""Publication, masking, blocking, corrections, redactions and originals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from sunlit.core.errors import NotFound, PermissionDenied
from sunlit.core.models import AuditEvent
from sunlit.disclosure.errors import DisclosureError
from sunlit.disclosure.models import (
    BenefitListEntry,
    Disclosure,
    DisclosureAttachment,
    DisclosureOriginal,
    DisclosureVersion,
)
from sunlit.disclosure.privacy import AttachmentInput, EntryInput
from sunlit.disclosure.services import (
    disclosure_correct,
    disclosure_original_reveal,
    disclosure_redact,
    disclosure_withdraw,
)
from sunlit.disclosure.vocab import AttachmentState, DisclosureModule

from .conftest import PHONE, docx_bytes, id_number, luhn_card, pdf_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_nine_modules():
    assert DisclosureModule.values == [
        "organisation", "services", "economy", "livelihood", "assets", "projects", "decisions",
        "revitalisation", "complaints",
    ]  # fmt: skip


def test_publish_creates_version_one_with_ledger_event(publish, staff, tree):
    d = publish(period_start=datetime.date(2026, 3, 1), period_end=datetime.date(2026, 3, 8))
    assert d.code.startswith("GK")
    assert d.publisher == staff.chair
    assert d.village == tree.village
    v = d.current
    assert (v.number, v.title, v.period_start, v.period_end, v.reason) == (
        1, "关于修建村道的决议公示", datetime.date(2026, 3, 1), datetime.date(2026, 3, 8), "",
    )  # fmt: skip
    assert len(v.content_hash) == 64
    event = AuditEvent.objects.filter(kind="disclosure.published").get()
    assert event.subject == f"disclosure.disclosure:{d.pk}"
    assert event.region_code == tree.village.code
    assert not DisclosureOriginal.objects.exists()  # nothing masked, nothing to keep


def test_body_pii_masked_and_original_kept_encrypted(publish, staff):
    ident, card = id_number(), luhn_card()
    d = publish(body=f"申请人身份证{ident}，电话{PHONE}，银行卡{card}。", title=f"联系{PHONE}")
    v = d.current
    assert ident not in v.body
    assert PHONE not in v.body
    assert card not in v.body
    assert "411522********" in v.body
    assert "138****5678" in v.body
    assert "**** **** **** " + card[-4:] in v.body
    assert v.title == "联系138****5678"
    assert sorted(m["kind"] for m in v.masked) == ["bank_card", "id_number", "phone", "phone"]
    token = DisclosureOriginal.objects.get(version=v).token
    assert ident not in token
    assert PHONE not in token
    content = disclosure_original_reveal(actor=staff.township_discipline, version=v, reason="核查异议")
    assert ident in content["body"]
    assert content["title"] == f"联系{PHONE}"
    viewed = AuditEvent.objects.filter(kind="disclosure.original_viewed").get()
    assert viewed.actor_id == staff.township_discipline.pk


def test_original_refused_without_redact_perm(publish, staff):
    d = publish(body=f"电话{PHONE}")
    for user in (staff.chair, staff.other_chair, staff.far_discipline, staff.nobody):
        with pytest.raises(NotFound):
            disclosure_original_reveal(actor=user, version=d.current, reason="看看")
    assert not AuditEvent.objects.filter(kind="disclosure.original_viewed").exists()


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [("name", id_number(), "id"), ("village_group", PHONE, "phone"), ("period", luhn_card(), "card")],
)
def test_pii_in_entries_blocks_naming_the_field(publish, column, value, kind):
    entry = {
        "name": "张三",
        "benefit": "低保",
        "amount": "350",
        "village_group": "三组",
        "period": "2026年3月",
    }
    entry[column] = value
    with pytest.raises(DisclosureError) as info:
        publish(module="livelihood", entries=[{"name": "李四", "benefit": "低保"}, entry])
    assert info.value.code == "pii_blocked"
    assert list(info.value.fields) == [f"entries[1].{column}"]
    assert Disclosure.objects.count() == 0
    assert DisclosureVersion.objects.count() == 0


def test_forbidden_entry_column_blocks(publish):
    with pytest.raises(DisclosureError) as info:
        publish(module="livelihood", entries=[{"name": "张三", "benefit": "低保", "id_number": ""}])
    assert info.value.code == "pii_blocked"
    assert "entries[0].id_number" in info.value.fields


def test_benefit_entries_published_with_full_name(publish):
    d = publish(
        module="livelihood",
        entries=[
            EntryInput(
                name="张三丰", benefit="低保", village_group="三组", amount=Decimal("350"), period="2026-03"
            )
        ],
    )
    (row,) = BenefitListEntry.objects.filter(version=d.current)
    assert (row.name, row.village_group, row.amount) == ("张三丰", "三组", Decimal("350.00"))


def test_docx_attachment_with_id_number_blocks(publish):
    with pytest.raises(DisclosureError) as info:
        publish(
            attachments=[
                AttachmentInput(name="名单", data=docx_bytes(f"王五 {id_number()}"), filename="a.docx")
            ]
        )
    assert info.value.code == "pii_blocked"
    assert "attachments[0]" in info.value.fields
    assert "名单" in info.value.message
    assert not DisclosureAttachment.objects.exists()


def test_xlsx_attachment_with_phone_blocks_and_clean_one_passes(publish):
    with pytest.raises(DisclosureError):
        publish(
            attachments=[AttachmentInput(name="表", data=xlsx_bytes([["姓名", "电话"], ["王五", PHONE]]))]
        )
    d = publish(attachments=[AttachmentInput(name="表", data=xlsx_bytes([["项目", "金额"], ["村道", 5000]]))])
    (a,) = d.current.attachments.all()
    assert a.scanned
    assert not a.reviewed
    assert a.state == AttachmentState.PUBLIC


def test_unscannable_pdf_blocks_unless_reviewed(publish):
    with pytest.raises(DisclosureError) as info:
        publish(attachments=[AttachmentInput(name="决议扫描件", data=pdf_bytes())])
    assert info.value.code == "pii_blocked"
    d = publish(attachments=[AttachmentInput(name="决议扫描件", data=pdf_bytes(), reviewed=True)])
    (a,) = d.current.attachments.all()
    assert a.reviewed
    assert not a.scanned


def test_permissions_publish(publish, staff, tree):
    for user in (staff.chair, staff.committee, staff.accountant):
        assert publish(actor=user).publisher == user
    for user in (staff.supervisor, staff.township_discipline, staff.county_discipline):
        with pytest.raises(PermissionDenied):
            publish(actor=user)
    for user in (staff.other_chair, staff.far_discipline, staff.nobody):
        with pytest.raises(NotFound):
            publish(actor=user)


def test_system_publication_and_source_idempotent(publish):
    first = publish(actor=None, source="cases.notice:1")
    again = publish(actor=None, source="cases.notice:1", title="别的")
    assert first.pk == again.pk
    assert Disclosure.objects.count() == 1
    assert first.publisher is None


def test_refusals_change_nothing(publish, tree):
    with pytest.raises(DisclosureError) as info:
        publish(village=tree.township)
    assert info.value.code == "not_a_village"
    with pytest.raises(DisclosureError):
        publish(module="bogus")
    with pytest.raises(DisclosureError):
        publish(title="  ")
    with pytest.raises(DisclosureError) as info:
        publish(period_start=datetime.date(2026, 3, 8), period_end=datetime.date(2026, 3, 1))
    assert info.value.code == "period_invalid"
    assert Disclosure.objects.count() == 0
    assert not AuditEvent.objects.filter(kind__startswith="disclosure").exists()


def test_correction_is_a_new_version_and_history_kept(publish, staff):
    d = publish()
    with pytest.raises(DisclosureError) as info:
        disclosure_correct(actor=staff.chair, disclosure=d, title="改", body="新", reason=" ")
    assert info.value.code == "reason_required"
    v2 = disclosure_correct(
        actor=staff.chair,
        disclosure=d,
        title="关于修建村道的决议公示（更正）",
        body=f"更正：电话{PHONE}",
        reason="金额笔误",
    )
    assert v2.number == 2
    assert v2.reason == "金额笔误"
    assert "138****5678" in v2.body
    d.refresh_from_db()
    assert d.current_id == v2.pk
    assert list(d.versions.values_list("number", "title")) == [
        (1, "关于修建村道的决议公示"), (2, "关于修建村道的决议公示（更正）"),
    ]  # fmt: skip
    with pytest.raises(DisclosureError) as info:
        disclosure_correct(
            actor=staff.chair, disclosure=d, title=v2.title, body=f"更正：电话{PHONE}", reason="再改"
        )
    assert info.value.code == "unchanged"
    with pytest.raises(NotFound):
        disclosure_correct(actor=staff.other_chair, disclosure=d, title="x", body="y", reason="z")


def test_redact_body_passage_entry_and_attachment(publish, staff):
    d = publish(
        module="livelihood",
        body="张三家庭情况：患有重病。",
        entries=[{"name": "张三", "benefit": "低保", "amount": "350"}],
        attachments=[AttachmentInput(name="照片", data=pdf_bytes("p"), reviewed=True)],
    )
    with pytest.raises(PermissionDenied):
        disclosure_redact(actor=staff.chair, disclosure=d, field="body", text="患有重病", reason="健康信息")
    with pytest.raises(NotFound):
        disclosure_redact(actor=staff.far_discipline, disclosure=d, field="body", text="患有重病", reason="x")
    v2 = disclosure_redact(
        actor=staff.township_discipline, disclosure=d, field="body", text="患有重病", reason="健康信息"
    )
    assert v2.body == "张三家庭情况：■■■。"
    assert v2.redactions == [{"target": "body", "reason": "健康信息"}]
    v3 = disclosure_redact(
        actor=staff.township_discipline, disclosure=d, field="entries.1.amount", reason="待核"
    )
    assert v3.entries.get().amount is None
    attachment = v3.attachments.get()
    v4 = disclosure_redact(
        actor=staff.township_discipline, disclosure=d, attachment=attachment, reason="含住址"
    )
    assert v4.attachments.get().state == AttachmentState.WITHHELD
    original = disclosure_original_reveal(actor=staff.county_discipline, version=v4, reason="复核")
    assert "患有重病" in original["body"]
    assert original["entries"][0]["amount"] == "350.00"
    assert [a["name"] for a in original["withheld"]] == ["照片"]
    with pytest.raises(DisclosureError) as info:
        disclosure_redact(actor=staff.township_discipline, disclosure=d, field="entries.9.name", reason="x")
    assert info.value.code == "redaction_invalid"
    assert d.versions.count() == 4


def test_withdraw(publish, staff):
    d = publish()
    disclosure_withdraw(actor=staff.township_leader, disclosure=d, reason="重复发布")
    d.refresh_from_db()
    assert d.status == "withdrawn"
    with pytest.raises(DisclosureError) as info:
        disclosure_correct(actor=staff.chair, disclosure=d, title="x", body="y", reason="z")
    assert info.value.code == "withdrawn"


def test_publish_masks_grouped_id_number(publish):
    ident = id_number()
    spaced = f"{ident[:6]} {ident[6:14]} {ident[14:]}"
    d = publish(body=f"号码：{spaced}")
    assert ident[6:14] not in d.current.body
    assert d.current.masked == [{"field": "body", "kind": "id_number"}]
