"""Intake: channels, anonymity and the secret, phone codes, attachments without metadata, abuse limits,
duplicates, routing and the signed SMS webhook."""

import datetime
import io
import json

import pytest
import time_machine
from django.test import Client
from PIL import Image

from sunlit.cases import documents as docstore
from sunlit.complaints import config, messaging, selectors, services
from sunlit.complaints.errors import ComplaintErrorCode, ComplaintRefused, NotHandler, RateLimited
from sunlit.complaints.models import Complaint, ComplaintAttachment, PhoneVerification, RoutingRule
from sunlit.complaints.vocab import Channel, Office, Status
from sunlit.core.errors import NotFound
from sunlit.core.models import AuditEvent

from .conftest import NAME, PHONE

pytestmark = pytest.mark.django_db


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (32, 32), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (32.0, 7.0, 0.0), 3: "E", 4: (114.0, 5.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_anonymous_filing_gets_code_and_secret_only_hash_stored(file, tree):
    filed = file()
    c = filed.complaint
    assert c.status == Status.RECEIVED
    assert c.anonymous
    assert len(filed.secret) == 16
    assert filed.secret not in c.secret_hash
    assert (c.reporter_name_enc, c.reporter_phone_enc, c.phone_hash) == ("", "", "")
    assert selectors.access_by_secret(c.code, filed.secret).pk == c.pk
    assert selectors.access_by_secret(c.code.lower(), filed.secret.lower()).pk == c.pk
    with pytest.raises(NotFound):
        selectors.access_by_secret(c.code, "WRONG" + filed.secret[5:])
    with pytest.raises(NotFound):
        selectors.access_by_secret("TXXXXXXXXXXX", filed.secret)


def test_follow_guessing_is_rate_limited_per_ip(file, settings):
    settings.SUNLIT_COMPLAINT_FOLLOW_FAILURES = 3
    filed = file()
    for _ in range(3):
        with pytest.raises(NotFound):
            selectors.access_by_secret(filed.complaint.code, "nope", ip="10.0.0.9")
    with pytest.raises(RateLimited):  # even the right secret, from this address, for an hour
        selectors.access_by_secret(filed.complaint.code, filed.secret, ip="10.0.0.9")
    assert selectors.access_by_secret(filed.complaint.code, filed.secret, ip="10.0.0.10")


def test_real_name_portal_filing_waits_for_the_phone_code(file, outbox):
    filed = file(anonymous=False, name=NAME, phone=PHONE)
    c = filed.complaint
    assert c.status == Status.UNVERIFIED
    assert c.accept_due is None
    assert NAME not in c.reporter_name_enc
    assert PHONE not in c.reporter_phone_enc
    assert len(outbox) == 1
    assert outbox[0].to == PHONE
    code = "".join(ch for ch in outbox[0].text if ch.isdigit())[:6]
    with pytest.raises(ComplaintRefused) as info:
        services.phone_verify(complaint=c, code="000000" if code != "000000" else "111111")
    assert info.value.code == ComplaintErrorCode.CODE_INVALID
    assert PhoneVerification.objects.get(complaint=c).attempts == 1  # counted although refused
    c = services.phone_verify(complaint=c, code=code)
    assert c.status == Status.RECEIVED
    assert c.phone_verified_at
    assert c.accept_due
    with pytest.raises(services.ComplaintConflict):
        services.phone_verify(complaint=c, code=code)


def test_phone_code_expires_and_attempts_are_limited(file, outbox, django_capture_on_commit_callbacks):
    t0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(t0, tick=False):
        c = file(anonymous=False, name=NAME, phone=PHONE).complaint
    code = "".join(ch for ch in outbox[-1].text if ch.isdigit())[:6]
    with (
        time_machine.travel(t0 + datetime.timedelta(minutes=10), tick=False),
        pytest.raises(ComplaintRefused) as info,
    ):
        services.phone_verify(complaint=c, code=code)
    assert info.value.code == ComplaintErrorCode.CODE_EXPIRED
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_code_resend(complaint=c)
    code = "".join(ch for ch in outbox[-1].text if ch.isdigit())[:6]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(services.OTP_ATTEMPTS):
        with pytest.raises(ComplaintRefused):
            services.phone_verify(complaint=c, code=wrong)
    with pytest.raises(ComplaintRefused) as info:
        services.phone_verify(complaint=c, code=code)  # even the right code, now
    assert info.value.code == ComplaintErrorCode.TOO_MANY_ATTEMPTS
    assert Complaint.objects.get(pk=c.pk).status == Status.UNVERIFIED


def test_stale_unverified_filings_are_dropped(file):
    t0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(t0, tick=False):
        c = file(anonymous=False, name=NAME, phone=PHONE).complaint
    assert services.escalate_due(now=t0 + datetime.timedelta(hours=23))["dropped"] == 0
    assert services.escalate_due(now=t0 + datetime.timedelta(days=1, seconds=1))["dropped"] == 1
    assert not Complaint.objects.filter(pk=c.pk).exists()


def test_per_ip_and_per_phone_rate_limits(file, settings):
    settings.SUNLIT_COMPLAINT_FILE_PER_IP = 2
    for n in range(2):
        file(text=f"第{n}件：道路硬化工程偷工减料", ip="10.0.0.1")
    before = Complaint.objects.count()
    with pytest.raises(RateLimited):
        file(text="第三件：道路硬化工程偷工减料", ip="10.0.0.1")
    assert Complaint.objects.count() == before
    file(text="另一个地址：道路硬化工程偷工减料", ip="10.0.0.2")
    settings.SUNLIT_COMPLAINT_FILE_PER_PHONE = 1
    file(text="电话一：低保评定不公", anonymous=False, name=NAME, phone=PHONE, ip="10.0.0.3")
    with pytest.raises(RateLimited):
        file(text="电话二：低保评定不公", anonymous=False, name=NAME, phone=PHONE, ip="10.0.0.4")


def test_duplicates_within_the_window_are_linked(file, tree):
    t0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(t0, tick=False):
        first = file(text="村里的鱼塘承包费去向不明！").complaint
    with time_machine.travel(t0 + datetime.timedelta(days=29), tick=False):
        dup = file(text="村里的鱼塘承包费 去向不明。").complaint
        other_village = file(text="村里的鱼塘承包费去向不明", village=tree.sibling_village).complaint
    assert (dup.status, dup.duplicate_of_id) == (Status.DUPLICATE, first.pk)
    assert other_village.status == Status.RECEIVED
    with time_machine.travel(
        t0 + datetime.timedelta(days=config.duplicate_window_days(), seconds=1), tick=False
    ):
        late = file(text="村里的鱼塘承包费去向不明").complaint
    assert late.status == Status.RECEIVED


def test_attachments_lose_their_metadata(file):
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the upload carries EXIF
    c = file(attachments=[raw]).complaint
    item = ComplaintAttachment.objects.get(complaint=c)
    with docstore.open_stored(item.sha256) as fh:
        stored = fh.read()
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert b"PhoneMaker" not in stored


def test_bad_attachment_refuses_the_whole_filing(file):
    before = Complaint.objects.count()
    with pytest.raises(ComplaintRefused) as info:
        file(attachments=[b"MZ\x90\x00 not a document"])
    assert info.value.code == ComplaintErrorCode.ATTACHMENT
    assert Complaint.objects.count() == before


@pytest.mark.parametrize(
    ("kind", "category", "office", "level"),
    [
        ("report", "assets", Office.TOWNSHIP_DISCIPLINE, "township"),
        ("complaint", "assets", Office.TOWNSHIP, "township"),
        ("complaint", "welfare", Office.COUNTY_CIVIL_AFFAIRS, "county"),
        ("suggestion", "homestead", Office.COUNTY_NATURAL_RESOURCES, "county"),
        ("complaint", "subsidy", Office.COUNTY_AGRICULTURE, "county"),
        ("complaint", "conduct", Office.TOWNSHIP_DISCIPLINE, "township"),
        ("complaint", "other", Office.TOWNSHIP, "township"),
    ],
)
def test_default_routing(file, tree, kind, category, office, level):
    c = file(kind=kind, category=category).complaint
    assert c.office == office
    assert c.unit == (tree.township if level == "township" else tree.county)


def test_routing_rules_override_and_reports_never_leave_discipline(file, tree):
    RoutingRule.objects.create(region=tree.township, category="assets", office=Office.COUNTY_AGRICULTURE)
    RoutingRule.objects.create(kind="report", office=Office.COUNTY_CIVIL_AFFAIRS)  # misconfigured
    assert file().complaint.office == Office.COUNTY_AGRICULTURE
    assert file(village=tree.far_village, text="寨河村三资问题").complaint.office == Office.TOWNSHIP
    assert file(kind="report", text="举报村干部").complaint.office == Office.TOWNSHIP_DISCIPLINE


def test_staff_intake_requires_the_permission_in_the_village(file, staff, tree):
    with pytest.raises(NotHandler):
        file(actor=staff.leader, channel=Channel.PHONE)
    with pytest.raises(NotHandler):
        file(actor=staff.liaison, channel=Channel.LETTER, village=tree.far_village)
    filed = file(actor=staff.liaison, channel=Channel.VISIT, anonymous=False, name=NAME, phone=PHONE)
    assert filed.complaint.status == Status.RECEIVED
    assert filed.complaint.phone_verified_at


def test_invalid_input_changes_nothing(file, tree):
    before = (Complaint.objects.count(), AuditEvent.objects.count())
    for bad in (
        {"text": "短"},
        {"kind": "rumour"},
        {"category": "roads"},
        {"village": tree.township},
        {"anonymous": False, "name": "", "phone": "123"},
    ):
        with pytest.raises(ComplaintRefused):
            file(**bad)
    assert (Complaint.objects.count(), AuditEvent.objects.count()) == before


# --- the SMS webhook ---------------------------------------------------------------------------------------


def _post(client, payload, *, signature=None):
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"X-Sunlit-Signature": signature if signature is not None else messaging.sign(body)}
    return client.post(
        "/api/v1/complaints/inbound/sms", data=body, content_type="application/json", headers=headers
    )


def test_webhook_files_a_complaint_and_texts_back(tree, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(
            Client(), {"from": "+86 138-1234-5678", "text": f"{tree.village.code} 村务公开栏半年没更新"}
        )
    assert r.status_code == 201, r.content
    c = Complaint.objects.get(code=r.json()["code"])
    assert (c.channel, c.village, c.status) == (Channel.SMS, tree.village, Status.RECEIVED)
    assert c.text == "村务公开栏半年没更新"
    assert c.phone_verified_at
    assert any(s.to == PHONE and c.code in s.text for s in outbox)
    # a reply from the same phone joins the thread
    r = _post(Client(), {"from": PHONE, "text": f"{c.code} 补充：公开栏在村部门口"})
    assert r.status_code == 200
    assert r.json()["result"] == "reply"
    assert c.messages.get().body == "补充：公开栏在村部门口"


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha256=" + "a" * 64, "md5=whatever"])
def test_webhook_refuses_bad_signatures_and_changes_nothing(tree, signature):
    before = (Complaint.objects.count(), AuditEvent.objects.count())
    r = _post(Client(), {"from": PHONE, "text": f"{tree.village.code} 测试内容"}, signature=signature)
    assert r.status_code == 403
    assert (Complaint.objects.count(), AuditEvent.objects.count()) == before


def test_webhook_signature_over_another_body_or_secret_fails(tree, settings):
    body = json.dumps({"from": PHONE, "text": f"{tree.village.code} 测试内容"}).encode()
    forged = messaging.sign(body, b"another-secret")
    r = Client().post(
        "/api/v1/complaints/inbound/sms",
        data=body,
        content_type="application/json",
        headers={"X-Sunlit-Signature": forged},
    )
    assert r.status_code == 403
    settings.SUNLIT_COMPLAINT_WEBHOOK_SECRET = ""
    r = Client().post(
        "/api/v1/complaints/inbound/sms",
        data=body,
        content_type="application/json",
        headers={"X-Sunlit-Signature": messaging.sign(body, b"")},
    )
    assert r.status_code == 403  # without a configured secret nothing is accepted


def test_webhook_malformed_bodies_are_not_500(tree):
    client = Client()
    for body in (b"not json", b"[1,2]", b'{"from": "x"}'):
        r = client.post(
            "/api/v1/complaints/inbound/sms",
            data=body,
            content_type="application/json",
            headers={"X-Sunlit-Signature": messaging.sign(body)},
        )
        assert r.status_code in (400, 422), (body, r.status_code)
    r = _post(client, {"from": PHONE, "text": "没有村代码的内容"})
    assert r.status_code == 422
