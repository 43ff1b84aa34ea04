"""Staff pages, public pages, the API, iCalendar and PDFs: permission matrix, query counts, htmx."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sunlit.deliberation import ical, pdf, services
from sunlit.deliberation.models import Meeting, Publication, Resolution

from .test_services import at, hold

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def motion(village_bodies, tree):
    m = services.motion_open(actor=None, village=tree.village, title="修建文化广场", now=at(0))
    hold(village_bodies.branch_committee, present=3, votes_for=3, motion=m)
    return m


def staff_urls(motion):
    meeting = Meeting.objects.filter(stage__motion=motion).first()
    res = Resolution.objects.get(meeting=meeting)
    return [
        reverse("workbench:deliberation"),
        reverse("workbench:deliberation_motion", args=[motion.pk]),
        reverse("workbench:deliberation_meetings"),
        reverse("workbench:deliberation_meeting", args=[meeting.pk]),
        reverse("workbench:deliberation_minutes_pdf", args=[meeting.pk]),
        reverse("workbench:deliberation_resolution_pdf", args=[res.pk]),
        reverse("workbench:deliberation_bodies"),
        reverse("workbench:deliberation_duty"),
        reverse("workbench:deliberation_scores"),
    ]


# role -> (sees the motion's village, may record there)
MATRIX = {
    "secretary": (True, True),
    "supervisor": (True, False),
    "township": (True, False),
    "county": (True, False),
    "other_chair": (False, True),
    "far": (False, False),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix(who, staff, motion):
    sees, _records = MATRIX[who]
    client = client_for(getattr(staff, who))
    detail = reverse("workbench:deliberation_motion", args=[motion.pk])
    meeting = Meeting.objects.filter(stage__motion=motion).first()
    assert client.get(detail).status_code == (200 if sees else 404)
    assert client.get(reverse("workbench:deliberation_meeting", args=[meeting.pk])).status_code == (
        200 if sees else 404
    )
    # recording in the motion's village: only the secretary (others get 404 or 403 from the service)
    response = client.post(
        reverse("workbench:deliberation_motion_action", args=[motion.pk, "withdraw"]), {"reason": "测试"}
    )
    motion.refresh_from_db()
    if who == "secretary":
        assert response.status_code == 302
        assert motion.status == "withdrawn"
    else:
        assert response.status_code in (403, 404)
        assert motion.status == "open"


def test_every_staff_page_renders(staff, motion):
    client = client_for(staff.secretary)
    for url in staff_urls(motion):
        response = client.get(url)
        assert response.status_code == 200, url
    pdf_bytes = client.get(staff_urls(motion)[4]).content
    assert pdf_bytes.startswith(b"%PDF-")


def test_nobody_gets_404(staff, motion):
    client = client_for(staff.nobody)
    for url in staff_urls(motion):
        assert client.get(url).status_code == 404, url


def test_list_query_counts_do_not_grow(staff, village_bodies, tree, django_assert_max_num_queries):
    client = client_for(staff.secretary)
    for n in range(3):
        services.motion_open(actor=None, village=tree.village, title=f"议题{n}", now=at(0))
    with django_assert_max_num_queries(14) as first:
        client.get(reverse("workbench:deliberation"))
    for n in range(10):
        services.motion_open(actor=None, village=tree.village, title=f"更多{n}", now=at(0))
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("workbench:deliberation"))


def test_htmx_vote_flow_and_refusal_inline(staff, village_bodies, tree):
    client = client_for(staff.secretary)
    body = village_bodies.two_committees
    meeting = services.meeting_convene(
        actor=None, body=body, title="两委会", starts_at=timezone.now() - datetime.timedelta(hours=1),
        notice_sent_at=timezone.now() - datetime.timedelta(days=4), now=timezone.now() - datetime.timedelta(days=4),
    )  # fmt: skip
    members = services.members_on(body, timezone.localdate(meeting.starts_at))
    url = reverse("workbench:deliberation_meeting_action", args=[meeting.pk, "attendance"])
    response = client.post(url, {"present": [p.pk for p in members[:4]]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="meeting-body"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert response["Vary"].find("HX-Request") >= 0
    vote = reverse("workbench:deliberation_meeting_action", args=[meeting.pk, "vote"])
    # 5 votes for with 4 present: refused inline, nothing recorded
    response = client.post(vote, {"text": "同意", "mode": "tally", "votes_for": 5}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "5 votes are counted" in body or "计票 5 票" in body
    assert not Resolution.objects.exists()
    ballots = {f"ballot_{p.pk}": "for" for p in members[:3]}
    response = client.post(vote, {"text": "同意", "mode": "by_name", **ballots})  # plain post
    assert response.status_code == 302
    res = Resolution.objects.get()
    assert (res.present, res.votes_for, res.passed) == (
        4,
        3,
        False,
    )  # exactly half of 6 is not more than half


def test_api_vote_cannot_set_passed(staff, village_bodies):
    client = client_for(staff.secretary)
    body = village_bodies.two_committees
    meeting = services.meeting_convene(
        actor=None, body=body, title="两委会", starts_at=timezone.now() - datetime.timedelta(hours=1),
        notice_sent_at=timezone.now() - datetime.timedelta(days=4), now=timezone.now() - datetime.timedelta(days=4),
    )  # fmt: skip
    members = services.members_on(body, timezone.localdate(meeting.starts_at))
    r = client.post(
        f"/api/v1/deliberation/meetings/{meeting.pk}/attendance",
        json.dumps({"present_ids": [p.pk for p in members[:3]]}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["present"] == 3
    r = client.post(
        f"/api/v1/deliberation/meetings/{meeting.pk}/vote",
        json.dumps({"text": "同意", "tally": {"for": 3, "against": 0, "abstain": 0}, "passed": True}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["passed"] is False
    assert r.json()["quorum_met"] is False


def test_api_scope(staff, motion):
    assert client_for(staff.far).get(f"/api/v1/deliberation/motions/{motion.pk}").status_code == 404
    assert client_for(staff.township).get(f"/api/v1/deliberation/motions/{motion.pk}").status_code == 200
    listed = client_for(staff.other_chair).get("/api/v1/deliberation/motions").json()
    assert listed["count"] == 0


def test_public_pages_show_counts_not_names(village_bodies, tree, client):
    m = services.motion_open(actor=None, village=tree.village, title="修路", now=at(0))
    from .test_services import run_to_resolution

    res = run_to_resolution(m, village_bodies)
    pub = services.motion_publish(
        actor=None, motion=m, kind="resolution", title="决议公开", body="联系电话 13812345678", now=at(21)
    )
    page = client.get(
        reverse("portal:deliberation_publication", args=[tree.village.code, pub.pk])
    ).content.decode()
    assert "13812345678" not in page
    assert str(res.votes_for) in page
    assert all(p.name not in page for p in village_bodies.people)
    listing = client.get(reverse("portal:deliberation_decisions", args=[tree.village.code]))
    assert listing.status_code == 200
    assert "决议公开" in listing.content.decode()
    assert client.get(reverse("portal:deliberation_decisions", args=[tree.township.code])).status_code == 404
    assert client.get(reverse("portal:deliberation_meetings", args=[tree.village.code])).status_code == 200
    ics = client.get(reverse("portal:deliberation_meetings_ics", args=[tree.village.code]))
    assert ics["Content-Type"].startswith("text/calendar")
    assert ics.content.decode().count("BEGIN:VEVENT") == Meeting.objects.filter(village=tree.village).count()


def test_public_publication_of_another_village_is_404(village_bodies, tree, client):
    m = services.motion_open(actor=None, village=tree.village, title="修路", now=at(0))
    from .test_services import run_to_resolution

    run_to_resolution(m, village_bodies)
    pub = m.publications.get()
    assert (
        client.get(
            reverse("portal:deliberation_publication", args=[tree.sibling_village.code, pub.pk])
        ).status_code
        == 404
    )


# --- iCalendar and PDF --------------------------------------------------------------------------------------


def test_ical_is_rfc5545(village_bodies):
    body = village_bodies.two_committees
    meeting = services.meeting_convene(
        actor=None, body=body, title="关于村集体经济合作社年度分红方案、道路硬化工程和文化广场建设的两委联席会议;第二次", location="村委会二楼会议室, 东侧",
        starts_at=at(3), notice_sent_at=at(0), now=at(0),
    )  # fmt: skip
    text = ical.calendar([meeting], name="十里村", stamp=at(1))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends in CRLF
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    unfolded = text.replace("\r\n ", "")
    assert f"UID:{meeting.uid}" in unfolded
    assert "DTSTAMP:20260303T090000Z" in unfolded
    assert "DTSTART:20260305T090000Z" in unfolded
    assert "第二次" in unfolded
    assert "\\;" in unfolded
    assert "\\," in unfolded
    assert unfolded.encode("utf-8").decode("utf-8")  # folding never split a character


def test_fold_exactly_75_octets():
    line = "X" * 75
    assert ical.fold(line) == line
    assert ical.fold("X" * 76) == "X" * 75 + "\r\n X"
    assert ical.fold("中" * 30).split("\r\n ")[0] == "中" * 25  # 75 octets: 25 three-byte characters


def test_pdfs(village_bodies, motion):
    meeting = Meeting.objects.filter(stage__motion=motion).first()
    services.meeting_minutes(actor=None, meeting=meeting, minutes="会议讨论了文化广场建设。")
    assert pdf.minutes_pdf(meeting).startswith(b"%PDF-")
    assert pdf.resolution_pdf(meeting.resolution).startswith(b"%PDF-")


def test_signed_scan_is_typed_by_content(village_bodies, motion, staff):
    from sunlit.deliberation.errors import DeliberationRefused

    meeting = Meeting.objects.filter(stage__motion=motion).first()
    with pytest.raises(DeliberationRefused):
        services.meeting_minutes(
            actor=None, meeting=meeting, minutes="x", scan=b"MZ\x90\x00 not a pdf", scan_name="a.pdf"
        )
    meeting.refresh_from_db()
    assert meeting.minutes == ""
    assert meeting.scan_sha256 == ""
    services.meeting_minutes(
        actor=None, meeting=meeting, minutes="签字扫描件", scan=b"%PDF-1.4\n%%EOF\n", scan_name="s.pdf"
    )
    response = client_for(staff.secretary).get(
        reverse("workbench:deliberation_meeting_scan", args=[meeting.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def _queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_api_and_public_lists_have_bounded_queries(
    staff, village_bodies, tree, client, django_assert_max_num_queries
):
    staff_client = client_for(staff.secretary)
    api = "/api/v1/deliberation/motions"
    meetings = "/api/v1/deliberation/meetings"
    public = reverse("portal:deliberation_decisions", args=[tree.village.code])
    calendar = reverse("portal:deliberation_meetings", args=[tree.village.code])
    duty = reverse("workbench:deliberation_duty")

    def grow(n):
        for i in range(n):
            m = services.motion_open(actor=None, village=tree.village, title=f"议题{i}", now=at(0))
            services.meeting_convene(
                actor=None, body=village_bodies.branch_committee, title=f"会{i}", starts_at=at(3 + i),
                notice_sent_at=at(0), motion=m, now=at(0),
            )  # fmt: skip
            # rows for the public list only (the services' ordering rules are tested elsewhere)
            Publication.objects.create(
                motion=m, village=tree.village, kind="plan", title=f"方案{i}", body="内容", posted_at=at(1),
                period_end=at(16), posted_by=staff.secretary,
            )  # fmt: skip

    grow(2)
    before = {
        url: _queries_for(c, url, django_assert_max_num_queries, 20)
        for url, c in (
            (api, staff_client),
            (meetings, staff_client),
            (public, client),
            (calendar, client),
            (duty, staff_client),
        )
    }
    grow(8)
    for url, c in (
        (api, staff_client),
        (meetings, staff_client),
        (public, client),
        (calendar, client),
        (duty, staff_client),
    ):
        assert _queries_for(c, url, django_assert_max_num_queries, before[url]) <= before[url], url
