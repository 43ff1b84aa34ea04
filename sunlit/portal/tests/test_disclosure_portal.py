"""Public disclosure pages: the village page, module lists, items and their history, feeds, the PDF,
search, “my funds”, caching, view counts and masking."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import cache as default_cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sunlit.accounts.roles import Role
from sunlit.cases.models import Case
from sunlit.cases.vocab import CaseStatus
from sunlit.core.checkpoints import checkpoint_take
from sunlit.disclosure.errors import DisclosureError
from sunlit.disclosure.privacy import AttachmentInput, EntryInput
from sunlit.disclosure.services import disclosure_correct, disclosure_publish
from sunlit.portal import counters, myfunds
from sunlit.portal.cache import HEADER
from sunlit.portal.models import LookupCount, ViewCount

from .pdftext import pdf_text

pytestmark = pytest.mark.django_db

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ATOM = "{http://www.w3.org/2005/Atom}"


def id_number(first17: str) -> str:
    """A resident ID number with a valid check character."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


ID_A = id_number("41152219650304221")  # 411522196503042215-ish, valid check digit
ID_B = id_number("41152219700708332")
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def clean_state(settings):
    settings.SUNLIT_PORTAL_CACHE_SECONDS = 60  # the test settings turn the page cache off
    default_cache.clear()
    counters._take()
    yield
    default_cache.clear()
    counters._take()


@pytest.fixture
def visitor():
    return Client(headers={"Accept-Language": "en"}, REMOTE_ADDR="10.0.0.1")


@pytest.fixture
def chair(tree, make_user):
    return make_user(Role.VILLAGE_CHAIR, tree.village, "chair")


@pytest.fixture
def publish(tree, chair, django_capture_on_commit_callbacks):
    def make(title="十里村2026年11月低保名单公示", body="经村民代表会议评议，以下家庭纳入低保。", **kwargs):
        kwargs.setdefault("module", "livelihood")
        kwargs.setdefault("village", tree.village)
        with django_capture_on_commit_callbacks(execute=True):
            return disclosure_publish(actor=chair, title=title, body=body, **kwargs)

    return make


def page(client, name, *args, **params):
    return client.get(reverse(f"portal:{name}", args=args), params)


# --- the village page ----------------------------------------------------------------------------------


def test_village_page_shows_nine_modules_notices_results_and_contact(visitor, tree, publish, chair):
    from sunlit.disclosure.services import contact_set

    today = timezone.localdate()
    notice = publish(
        title="村道硬化工程项目公示",
        module="projects",
        period_start=today,
        period_end=today + datetime.timedelta(days=6),
    )
    publish(title="第三季度财务收支公开", module="assets")
    contact_set(actor=chair, village=tree.village, chair="李监督", office_phone="0376-1234567")

    body = page(visitor, "region", tree.village.code).content.decode()

    for label in ("Party and organisation", "Benefit lists", "Projects", "Complaints and suggestions"):
        assert label in body
    assert body.count('class="module-grid"') == 1
    assert body.count("<article") == 9
    assert reverse("portal:disclosure_module", args=[tree.village.code, "assets"]) in body
    assert "第三季度财务收支公开" in body
    assert reverse("portal:disclosure", args=[notice.code]) in body
    assert "7 days left" in body  # today counts: six more days after today
    assert "李监督" in body
    assert "0376-1234567" in body


def test_village_page_query_count_does_not_grow_with_disclosures(
    visitor, tree, publish, django_assert_max_num_queries, settings
):
    settings.SUNLIT_PORTAL_CACHE_SECONDS = 0  # measure rendering, not the cache
    publish(module="decisions")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert page(visitor, "region", tree.village.code).status_code == 200
    default_cache.clear()
    for module in ("organisation", "economy", "assets", "projects", "decisions", "complaints"):
        for n in range(4):
            publish(title=f"{module} 公开事项 {n}", module=module)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = page(visitor, "region", tree.village.code)
    assert response.status_code == 200
    assert len(few.captured_queries) <= 20


# --- module list ---------------------------------------------------------------------------------------


def test_module_list_paginates_and_filters_by_date(visitor, tree, publish):
    start = timezone.make_aware(datetime.datetime(2026, 10, 1, 9))
    for n in range(23):
        publish(title=f"集体资产租赁公示 {n:02d}", module="assets", now=start + datetime.timedelta(days=n))
    first = page(visitor, "disclosure_module", tree.village.code, "assets").content.decode()
    assert "集体资产租赁公示 22" in first
    assert "集体资产租赁公示 02" not in first
    assert "Page 1 of 2" in first
    second = page(visitor, "disclosure_module", tree.village.code, "assets", page=2).content.decode()
    assert "集体资产租赁公示 02" in second
    assert "集体资产租赁公示 22" not in second

    filtered = page(
        visitor,
        "disclosure_module",
        tree.village.code,
        "assets",
        date_from="2026-10-05",
        date_to="2026-10-06",
    ).content.decode()
    assert "集体资产租赁公示 04" in filtered
    assert "集体资产租赁公示 05" in filtered
    assert "集体资产租赁公示 03" not in filtered
    assert "集体资产租赁公示 06" not in filtered


def test_module_list_refuses_bad_dates_and_unknown_modules(visitor, tree):
    response = page(visitor, "disclosure_module", tree.village.code, "assets", date_from="2026-13-40")
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    reversed_range = page(
        visitor,
        "disclosure_module",
        tree.village.code,
        "assets",
        date_from="2026-10-06",
        date_to="2026-10-01",
    )
    assert reversed_range.status_code == 400
    assert "The end date is before the start date." in reversed_range.content.decode()
    assert page(visitor, "disclosure_module", tree.village.code, "nonsense").status_code == 404
    assert page(visitor, "disclosure_module", tree.township.code, "assets").status_code == 404


# --- the item page and its history --------------------------------------------------------------------


def test_item_page_shows_everything_and_the_public_history(visitor, tree, publish, chair):
    item = publish(
        title="2026年低保对象名单",
        body="以下三户经评议纳入低保。",
        period_start=datetime.date(2026, 11, 20),
        period_end=datetime.date(2026, 11, 27),
        entries=[EntryInput(name="张三丰", village_group="一组", benefit="低保", amount=Decimal("450.00"))],
        attachments=[
            AttachmentInput(name="评议记录", data=b"%PDF-1.4\n%x\n%%EOF\n", filename="r.pdf", reviewed=True)
        ],
    )
    chair.display_name = "王主任"
    chair.save()
    disclosure_correct(
        actor=chair,
        disclosure=item,
        title="2026年低保对象名单（更正）",
        body="更正：补充一户。",
        reason="漏报一户",
        period_start=datetime.date(2026, 11, 20),
        period_end=datetime.date(2026, 11, 27),
    )

    body = page(visitor, "disclosure", item.code).content.decode()
    assert "2026年低保对象名单（更正）" in body
    assert "更正：补充一户。" in body
    assert "张三丰" in body  # a benefit list shows name, group and amount: what the rules allow
    assert "一组" in body
    assert "450.00" in body
    assert "2026-11-20" in body
    assert "2026-11-27" in body
    assert "王主任" in body
    assert "评议记录" in body
    assert reverse("portal:disclosure_attachment", args=[item.code, 2, 0]) in body
    assert "漏报一户" in body  # the correction's reason
    assert reverse("portal:disclosure_version", args=[item.code, 1]) in body

    old = page(visitor, "disclosure_version", item.code, 1).content.decode()
    assert "以下三户经评议纳入低保。" in old
    assert 'id="old-version"' in old

    download = page(visitor, "disclosure_attachment", item.code, 2, 0)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert page(visitor, "disclosure_attachment", item.code, 2, 9).status_code == 404
    assert page(visitor, "disclosure", "GK000000NOPE").status_code == 404
    assert page(visitor, "disclosure_version", item.code, 7).status_code == 404


# --- masking ---------------------------------------------------------------------------------------------


def test_personal_data_never_reaches_pages_feeds_or_the_pdf(visitor, tree, publish):
    raw = [ID_A, PHONE, f"{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"]
    item = publish(
        title="临时救助公示",
        body=f"申请人身份证号{ID_A}，联系电话{PHONE}，备用 {raw[2]}。",
        module="livelihood",
    )
    # An attachment carrying personal data cannot be published at all.
    from sunlit.disclosure.tests.conftest import docx_bytes

    with pytest.raises(DisclosureError):
        publish(
            title="附件含身份证",
            attachments=[
                AttachmentInput(name="名单", data=docx_bytes(f"李四 {ID_B} {PHONE}"), filename="a.docx")
            ],
        )

    surfaces = {
        "village": page(visitor, "region", tree.village.code).content,
        "module": page(visitor, "disclosure_module", tree.village.code, "livelihood").content,
        "item": page(visitor, "disclosure", item.code).content,
        "feed": page(visitor, "village_feed", tree.village.code).content,
        "module feed": page(visitor, "module_feed", tree.village.code, "livelihood").content,
        "search": page(visitor, "disclosure_search", q="临时救助").content,
    }
    pdf = page(visitor, "disclosure_pdf", item.code).content
    surfaces["pdf"] = pdf_text(pdf).encode()
    for name, content in surfaces.items():
        text = content.decode()
        for value in (ID_A, ID_B, PHONE, raw[2], ID_A[6:14]):
            assert value not in text, f"{value} on the {name}"
    assert "411522********" in page(visitor, "disclosure", item.code).content.decode()
    assert "附件含身份证" not in surfaces["village"].decode()


# --- feeds ---------------------------------------------------------------------------------------------


def _check_atom(content: bytes) -> ET.Element:
    root = ET.fromstring(content)  # noqa: S314 - our own feed, parsed to validate it
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
        assert root.find(f"{ATOM}{required}").text
    datetime.datetime.fromisoformat(root.find(f"{ATOM}updated").text)
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}") is not None
            assert entry.find(f"{ATOM}{required}").text
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None
        assert link.get("href", "").startswith("http")
    return root


def test_feeds_are_valid_atom_per_village_and_module(visitor, tree, publish):
    first = publish(title="党支部换届选举结果公告", module="organisation")
    publish(title="第三季度财务收支公开", module="assets")
    root = _check_atom(page(visitor, "village_feed", tree.village.code).content)
    assert len(root.findall(f"{ATOM}entry")) == 2
    module_root = _check_atom(page(visitor, "module_feed", tree.village.code, "organisation").content)
    entries = module_root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["党支部换届选举结果公告"]
    assert (
        entries[0].find(f"{ATOM}link").get("href").endswith(reverse("portal:disclosure", args=[first.code]))
    )
    response = page(visitor, "village_feed", tree.village.code)
    assert response["Content-Type"].startswith("application/atom+xml")
    assert page(visitor, "module_feed", tree.village.code, "nope").status_code == 404
    assert page(visitor, "village_feed", tree.county.code).status_code == 404


# --- the printable notice -------------------------------------------------------------------------------


def test_pdf_carries_title_village_and_the_covering_checkpoint(visitor, tree, publish):
    item = publish(
        title="村道硬化项目公示",
        period_start=datetime.date(2026, 11, 20),
        period_end=datetime.date(2026, 11, 30),
    )
    from sunlit.core.models import AuditEvent

    event = AuditEvent.objects.get(subject=f"disclosure.disclosure:{item.pk}", kind="disclosure.published")
    text = pdf_text(page(visitor, "disclosure_pdf", item.code).content)
    assert "村道硬化项目公示" in text
    assert "十里村" in text
    assert "2026-11-20" in text
    assert "2026-11-30" in text
    assert "not yet covered" in text
    assert bytes(event.leaf_hash).hex()[:40] in text.replace("\n", "")
    assert reverse("portal:disclosure", args=[item.code]) in text.replace("\n", "")

    checkpoint = checkpoint_take()
    default_cache.clear()
    text = pdf_text(page(visitor, "disclosure_pdf", item.code).content)
    assert "not yet covered" not in text
    assert f"tree size {checkpoint.tree_size}" in text.replace("\n", " ")


def test_pdf_of_an_event_outside_any_checkpoint_says_so_even_when_older_checkpoints_exist(
    visitor, tree, publish
):
    checkpoint_take()  # before the publication: does not cover it
    item = publish(title="征地补偿款分配方案")
    text = pdf_text(page(visitor, "disclosure_pdf", item.code).content)
    assert "not yet covered" in text


# --- search ----------------------------------------------------------------------------------------------


def test_search_in_chinese_with_module_region_and_date_filters(visitor, tree, publish, make_user):
    october = timezone.make_aware(datetime.datetime(2026, 10, 3, 9))
    road = publish(title="村道硬化工程项目公示", module="projects", now=october)
    far_chair = make_user(Role.VILLAGE_CHAIR, tree.far_village, "farchair")
    disclosure_publish(
        actor=far_chair,
        village=tree.far_village,
        module="projects",
        title="寨河村道路维修项目",
        body="维修。",
    )
    publish(title="低保名单公示", module="livelihood")

    body = page(visitor, "disclosure_search", q="道路硬化").content.decode()
    assert "村道硬化工程项目公示" in body
    assert "寨河村道路维修项目" in body
    assert "低保名单公示" not in body

    local = page(visitor, "disclosure_search", q="道路硬化", region=tree.township.code).content.decode()
    assert "村道硬化工程项目公示" in local
    assert "寨河村道路维修项目" not in local
    by_module = page(visitor, "disclosure_search", q="公示", module="livelihood").content.decode()
    assert "低保名单公示" in by_module
    assert "村道硬化工程项目公示" not in by_module
    dated = page(visitor, "disclosure_search", q="项目", date_to="2026-10-31").content.decode()
    assert reverse("portal:disclosure", args=[road.code]) in dated
    assert "寨河村道路维修项目" not in dated
    assert page(visitor, "disclosure_search", q="x", date_from="bad").status_code == 400
    assert page(visitor, "disclosure_search", q="x", region="999999").status_code == 400


# --- caching and view counts -----------------------------------------------------------------------------


def test_anonymous_pages_are_cached_and_refreshed_on_publish(visitor, tree, publish):
    url = reverse("portal:region", args=[tree.village.code])
    assert visitor.get(url)[HEADER] == "miss"
    assert visitor.get(url)[HEADER] == "hit"
    publish(title="新发布的公开事项")  # commits: the listener bumps the village's stamp
    fresh = visitor.get(url)
    assert fresh[HEADER] == "miss"
    assert "新发布的公开事项" in fresh.content.decode()
    assert visitor.get(url)[HEADER] == "hit"
    # another language is another page
    assert Client(headers={"Accept-Language": "zh-hans"}).get(url)[HEADER] == "miss"


def test_cached_pages_carry_each_readers_own_csrf_token(tree):
    url = reverse("portal:region", args=[tree.village.code])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(url)
    response = second.get(url)
    assert response[HEADER] == "hit"
    import re

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)
    assert "placeholder" not in token
    switched = second.post(
        reverse("set_language"), {"language": "en", "next": url, "csrfmiddlewaretoken": token}
    )
    assert switched.status_code == 302  # the token of the cached page is valid for this reader


def test_staff_and_posts_are_never_cached(tree, chair, client):
    url = reverse("portal:region", args=[tree.village.code])
    client.force_login(chair)
    assert HEADER not in client.get(url)
    assert HEADER not in client.get(url)
    anonymous = Client()
    assert HEADER not in anonymous.post(reverse("portal:my_funds"), {"name": "x", "id_number": "y"})
    assert HEADER not in anonymous.get(reverse("portal:my_funds"))


def test_views_are_counted_in_bulk_without_anything_about_the_reader(visitor, tree, publish):
    item = publish()
    for _ in range(3):
        page(visitor, "region", tree.village.code)  # one render, two cache hits
    page(visitor, "disclosure", item.code)
    page(visitor, "disclosure", item.code)
    assert ViewCount.objects.count() == 0  # buffered, not written per request
    assert counters.flush() == 5
    assert counters.views_of(tree.village.pk) == {"": 3, item.code: 2}
    page(visitor, "region", tree.village.code)
    counters.flush()
    assert counters.views_of(tree.village.pk)[""] == 4
    assert ViewCount.objects.count() == 2  # one row per day and item, whatever the traffic
    fields = {f.name for f in ViewCount._meta.get_fields()}
    assert fields == {"id", "day", "village", "item_code", "views"}


def test_view_counts_are_flushed_when_the_interval_passes(visitor, tree, settings):
    settings.SUNLIT_PORTAL_VIEWS_FLUSH_SECONDS = 0
    page(visitor, "region", tree.village.code)
    assert ViewCount.objects.get(village=tree.village, item_code="").views == 1


# --- my funds --------------------------------------------------------------------------------------------


@pytest.fixture
def villagers(tree, standard, make_user):
    from sunlit.cases import services as cases
    from sunlit.people.services import PersonData, person_create

    committee = make_user(Role.VILLAGE_COMMITTEE, tree.village, "committee")
    zhang = person_create(actor=None, data=PersonData(village=tree.village, name="张三丰", id_number=ID_A))
    li = person_create(actor=None, data=PersonData(village=tree.village, name="李四", id_number=ID_B))

    def case(item_code, person, *, end="done", amount=None, status=CaseStatus.COMPLETED, role="applicant"):
        started = cases.case_start(
            actor=committee,
            village=tree.village,
            item_code=item_code,
            title=f"{person.name} {item_code}",
            parties=[{"role": role, "person": person, "name": person.name}],
        )
        Case.objects.filter(pk=started.pk).update(
            status=status, end_step_key=end, closed_at=timezone.now(), amount=amount, current=None
        )
        return started

    approved = case("VS-01", zhang, amount=Decimal("5400.00"))
    subsidy = case("VS-06", zhang, role="beneficiary", amount=Decimal("1200.00"))
    refused = case("VS-03", zhang, end="refused")
    running = case("VS-09", zhang, status=CaseStatus.ACTIVE, end="")
    certificate_for_li = case("VS-08", li, amount=Decimal("80.00"))
    return SimpleNamespace(
        zhang=zhang,
        li=li,
        approved=approved,
        subsidy=subsidy,
        refused=refused,
        running=running,
        li_case=certificate_for_li,
    )


def lookup(client, name, number):
    return client.post(reverse("portal:my_funds"), {"name": name, "id_number": number})


def test_my_funds_shows_only_the_persons_own_approved_benefits(visitor, villagers):
    response = lookup(visitor, "张三丰", ID_A.lower() if ID_A.endswith("X") else f" {ID_A} ")
    body = response.content.decode()
    assert response.status_code == 200
    assert "5400.00" in body
    assert "1200.00" in body
    assert "最低生活保障申请" in body
    assert "惠农补贴" in body
    assert "临时救助" not in body  # refused
    assert "高龄津贴" not in body  # still running
    assert "80.00" not in body
    assert "李四" not in body
    assert ID_A not in body
    assert ID_A[6:14] not in body
    assert response["Cache-Control"].startswith("no-store")
    assert LookupCount.objects.get(outcome="found").count == 1


def test_my_funds_answers_the_same_for_a_wrong_name_an_unknown_and_a_malformed_number(villagers):
    answers = []
    for n, (name, number) in enumerate(
        [
            ("张三", ID_A),
            ("张三丰", id_number("41152219990101000")),
            ("张三丰", ID_A[:-1] + "0" if ID_A[-1] != "0" else ID_A[:-1] + "1"),
        ]
    ):
        response = lookup(Client(REMOTE_ADDR=f"10.1.0.{n}"), name, number)
        assert response.status_code == 200
        answers.append(response.content.decode().split('id="not-found"')[1].split("</div>")[0])
    assert answers[0] == answers[1] == answers[2]
    assert LookupCount.objects.get(outcome="not_found").count == 3


def test_my_funds_is_rate_limited_per_address_and_per_id_number(villagers, settings):
    settings.SUNLIT_MYFUNDS_PER_IP = 3
    settings.SUNLIT_MYFUNDS_PER_ID = 2
    same_address = Client(REMOTE_ADDR="10.2.0.1")
    for first17 in ("41152219800101001", "41152219800101002", "41152219800101003"):
        assert lookup(same_address, "王五", id_number(first17)).status_code == 200
    limited = lookup(same_address, "李四", ID_B)
    assert limited.status_code == 429
    assert 'id="limited"' in limited.content.decode()
    assert "李四" not in limited.content.decode().split('id="myfunds-form"')[0].split("<main")[1]

    # the same ID number from fresh addresses: two lookups, then refused whatever the name
    assert lookup(Client(REMOTE_ADDR="10.3.0.1"), "张三丰", ID_A).status_code == 200
    assert lookup(Client(REMOTE_ADDR="10.3.0.2"), "张三", ID_A).status_code == 200
    assert lookup(Client(REMOTE_ADDR="10.3.0.3"), "张三丰", ID_A).status_code == 429
    assert LookupCount.objects.get(outcome="limited").count == 2

    # a new window lets them in again
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=1)):
        assert lookup(Client(REMOTE_ADDR="10.3.0.4"), "张三丰", ID_A).status_code == 200


def test_my_funds_needs_post_and_csrf(villagers):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("portal:my_funds"), {"name": "张三丰", "id_number": ID_A}).status_code == 403
    form = Client().get(reverse("portal:my_funds"), {"name": "张三丰", "id_number": ID_A})
    assert 'id="result"' not in form.content.decode()  # a GET never looks anything up
    assert Client().put(reverse("portal:my_funds")).status_code == 405
    assert LookupCount.objects.count() == 0


def test_my_funds_lists_finance_payments_when_the_finance_app_provides_them(visitor, villagers, monkeypatch):
    seen = []

    def payments_for_person(*, person):
        seen.append(person)
        return [
            SimpleNamespace(
                date=datetime.date(2026, 10, 8),
                purpose="耕地地力保护补贴",
                amount=Decimal("312.50"),
                source="光山县财政局",
            )
        ]

    monkeypatch.setattr(myfunds, "PAYMENTS_FOR_PERSON", payments_for_person)
    body = lookup(visitor, "张三丰", ID_A).content.decode()
    assert seen == [villagers.zhang]
    assert "耕地地力保护补贴" in body
    assert "312.50" in body
    assert "光山县财政局" in body

    monkeypatch.setattr(myfunds, "PAYMENTS_FOR_PERSON", None)
    body = lookup(visitor, "张三丰", ID_A).content.decode()
    assert 'id="payments-unavailable"' in body


# --- page weight -----------------------------------------------------------------------------------------

PAGE_BUDGET_BYTES = 40_000  # docs/disclosure-portal.md: the village page's HTML, full modules and catalog


def test_a_full_village_page_stays_within_its_weight_budget_and_needs_no_script(
    visitor, tree, publish, standard
):
    for module in ("organisation", "services", "economy", "livelihood", "assets", "projects", "decisions"):
        for n in range(4):
            publish(title=f"{module} 长标题的公开事项，用于检验页面重量预算 {n}", module=module)
    body = page(visitor, "region", tree.village.code).content
    assert b"/r/" + tree.village.code.encode() + b"/items/" in body  # the catalog is on it
    assert len(body) <= PAGE_BUDGET_BYTES, f"village page is {len(body):,} bytes"
    assert b"<script" not in body  # works without JavaScript, and loads none


def test_a_readers_flash_message_is_shown_to_them_and_never_cached(tree, rf):
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage

    url = reverse("portal:region", args=[tree.village.code])
    # given a reader with a pending message (as after logging out)
    request = rf.get("/")
    storage = CookieStorage(request)
    storage.add(messages.INFO, "再见，王主任")
    response = HttpResponseForCookie()
    storage.update(response)
    reader = Client()
    reader.cookies["messages"] = response.cookies["messages"].value

    # when they open the village page, they see it, and the page is not cached
    first = reader.get(url)
    assert "再见，王主任" in first.content.decode()
    assert first.get(HEADER) is None

    # then another reader gets a page without it
    other = Client()
    assert "再见，王主任" not in other.get(url).content.decode()
    assert "再见，王主任" not in other.get(url).content.decode()


class HttpResponseForCookie:
    """The bit of a response that CookieStorage.update writes to."""

    def __init__(self):
        from http.cookies import SimpleCookie

        self.cookies = SimpleCookie()

    def set_cookie(self, key, value, **kwargs):
        self.cookies[key] = value

    def delete_cookie(self, key, **kwargs):
        self.cookies.pop(key, None)


def test_an_item_page_is_cached_until_its_disclosure_changes(
    visitor, tree, publish, chair, django_capture_on_commit_callbacks
):
    item = publish(title="村级公益岗位人员公示", module="decisions")
    other = publish(title="另一个公开事项", module="decisions")
    url = reverse("portal:disclosure", args=[item.code])
    assert visitor.get(url)[HEADER] == "miss"
    assert visitor.get(url)[HEADER] == "hit"
    other_url = reverse("portal:disclosure", args=[other.code])
    visitor.get(other_url)

    with django_capture_on_commit_callbacks(execute=True):
        disclosure_correct(
            actor=chair,
            disclosure=item,
            title="村级公益岗位人员公示（更正）",
            body="更正人数。",
            reason="人数有误",
        )

    fresh = visitor.get(url)
    assert fresh[HEADER] == "miss"
    assert "村级公益岗位人员公示（更正）" in fresh.content.decode()
    assert visitor.get(other_url)[HEADER] == "hit"  # another item of the village keeps its page
    village = visitor.get(reverse("portal:region", args=[tree.village.code]))
    assert "村级公益岗位人员公示（更正）" in village.content.decode()
