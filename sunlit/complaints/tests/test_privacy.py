"""Reporter protection: no identity on any page, API, Open311 response, export, ledger leaf or log for
anyone without reporter.reveal; revealing needs a reason and is recorded every time."""

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from sunlit.complaints import services
from sunlit.complaints.errors import ComplaintRefused, NotHandler
from sunlit.complaints.messaging import ConsoleSmsBackend, Sms
from sunlit.complaints.models import ReporterAccess
from sunlit.complaints.vocab import Channel
from sunlit.core.models import AuditEvent

from .conftest import ID_NUMBER, NAME, PHONE

pytestmark = pytest.mark.django_db

TEXT = f"我是{NAME}，电话{PHONE}，身份证{ID_NUMBER}。村会计挪用鱼塘承包费两万元。"


def _forms(value: str) -> list[str]:
    """The value and the ways it could slip out: JSON-escaped, spaced phone, HTML-escaped."""
    forms = {value, json.dumps(value)[1:-1]}
    if value.isdigit() and len(value) == 11:
        forms |= {f"{value[:3]} {value[3:7]} {value[7:]}", f"{value[:3]}-{value[3:7]}-{value[7:]}"}
    return sorted(forms)


def assert_no_identity(text: str, where: str) -> None:
    for value in (NAME, PHONE, ID_NUMBER):
        for form in _forms(value):
            assert form not in text, f"{value!r} leaked through {where}"


@pytest.fixture
def flow(file, staff, tree, django_capture_on_commit_callbacks, caplog):
    """A real-name complaint taken through intake, a question, a reply, an answer and a rating,
    with every log record captured."""
    caplog.set_level(logging.DEBUG)
    filed = file(
        actor=staff.liaison,
        channel=Channel.VISIT,
        anonymous=False,
        name=NAME,
        phone=PHONE,
        id_number=ID_NUMBER,
        text=TEXT,
        consent_publish=True,
    )
    c = filed.complaint
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_accept(actor=staff.leader, complaint=c)
        services.complaint_ask(actor=staff.leader, complaint=c, question="请说明具体时间。")
        services.reporter_reply(complaint=c, text=f"去年十月，可打{PHONE}找我{NAME}")
        services.complaint_answer(
            actor=staff.leader, complaint=c, answer=f"经核实，已责令退还。{NAME}反映属实。"
        )
    return filed


def _client(user=None):
    client = Client(headers={"Accept-Language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def test_no_identity_on_staff_pages_api_and_export_without_reveal(flow, staff):
    c = flow.complaint
    for user in (staff.leader, staff.department, staff.liaison):
        client = _client(user)
        urls = [
            reverse("workbench:complaints") + "?status=all",
            reverse("workbench:complaint_stats"),
            reverse("workbench:complaint_export"),
            reverse("workbench:complaint", args=[c.pk]),
            "/api/v1/complaints?status=answered",
            f"/api/v1/complaints/{c.pk}",
            "/api/v1/complaints/statistics",
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 404), (user, url, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert_no_identity(body.decode("utf-8"), f"{url} as {user}")
    # the handler does see the complaint and the masked wording
    page = _client(staff.leader).get(reverse("workbench:complaint", args=[c.pk])).content.decode()
    assert "挪用鱼塘承包费" in page
    assert "138****5678" in page


def test_no_identity_on_public_pages_and_open311(flow):
    c = flow.complaint
    client = _client()
    for url in (
        reverse("portal:complaints"),
        reverse("portal:complaints") + f"?village={c.village.code}",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        f"/open311/v2/requests/{c.code}.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_identity(response.content.decode("utf-8"), url)
    assert c.code in client.get("/open311/v2/requests.json").content.decode()


def test_no_identity_in_the_ledger_or_the_logs(flow, caplog):
    for event in AuditEvent.objects.all():
        assert_no_identity(bytes(event.leaf).decode("utf-8"), f"ledger {event.kind}")
    records = caplog.get_records("setup") + caplog.records
    assert any("filed via visit" in r.getMessage() for r in records)  # the flow was logged
    assert_no_identity("\n".join(r.getMessage() for r in records), "logs")


def test_console_sms_backend_masks_the_number(capsys):
    ConsoleSmsBackend().send(Sms(to=PHONE, text="验证码 123456"))
    out = capsys.readouterr().out
    assert PHONE not in out
    assert "138****5678" in out


def test_reveal_requires_reason_and_permission_and_is_recorded(flow, staff):
    c = flow.complaint
    with pytest.raises(ComplaintRefused):
        services.reporter_reveal(actor=staff.tdiscipline, complaint=c, reason=" ")
    with pytest.raises(NotHandler):
        services.reporter_reveal(actor=staff.leader, complaint=c, reason="核实情况需要联系")
    assert not ReporterAccess.objects.exists()
    identity = services.reporter_reveal(actor=staff.tdiscipline, complaint=c, reason="核实情况需要联系")
    assert (identity.name, identity.phone, identity.id_number) == (NAME, PHONE, ID_NUMBER)
    access = ReporterAccess.objects.get()
    assert (access.user, access.reason) == (staff.tdiscipline, "核实情况需要联系")
    assert AuditEvent.objects.filter(kind="complaint.reporter_viewed").count() == 1


def test_reveal_page_shows_identity_only_after_a_reason(flow, staff):
    c = flow.complaint
    client = _client(staff.tdiscipline)
    detail = client.get(reverse("workbench:complaint", args=[c.pk])).content.decode()
    assert_no_identity(detail, "detail before reveal")  # a revealer too sees nothing until asked
    response = client.post(reverse("workbench:complaint_reveal", args=[c.pk]), {"reveal-reason": ""})
    assert response.status_code == 422
    assert_no_identity(response.content.decode(), "refused reveal")
    response = client.post(reverse("workbench:complaint_reveal", args=[c.pk]), {"reveal-reason": "需要回访"})
    assert response.status_code == 200
    assert NAME in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert ReporterAccess.objects.count() == 1
    # the API reveal records too; a user without the permission gets a refusal, no identity
    r = _client(staff.leader).post(
        f"/api/v1/complaints/{c.pk}/reporter", {"reason": "想看看"}, content_type="application/json"
    )
    assert r.status_code == 403
    assert_no_identity(r.content.decode(), "refused API reveal")
    assert ReporterAccess.objects.count() == 1


def test_text_as_written_only_with_the_logged_reveal(flow, staff):
    c = flow.complaint
    for user in (staff.tdiscipline, staff.leader):
        detail = _client(user).get(f"/api/v1/complaints/{c.pk}").json()
        assert_no_identity(json.dumps(detail, ensure_ascii=False), f"API detail as {user}")
        assert "挪用鱼塘承包费" in detail["text"]
    assert not ReporterAccess.objects.exists()
    r = _client(staff.tdiscipline).post(
        f"/api/v1/complaints/{c.pk}/reporter", {"reason": "核实举报内容"}, content_type="application/json"
    )
    assert r.status_code == 200
    revealed = r.json()
    assert (revealed["name"], revealed["phone"], revealed["text"]) == (NAME, PHONE, TEXT)
    assert any(PHONE in m["body"] for m in revealed["messages"])
    assert ReporterAccess.objects.get().reason == "核实举报内容"


def test_public_wording_masks_name_and_numbers():
    out = services.public_wording(TEXT, NAME)
    assert_no_identity(out, "public_wording")
    assert "王**" in out
