"""Open311 GeoReport v2 responses checked against the spec's examples (wiki.open311.org/GeoReport_v2):
the same field names, compatible types, open/closed statuses, W3C datetimes, the error list, JSON and XML."""

import datetime
import re
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.test import Client

from sunlit.complaints import services
from sunlit.complaints.models import Complaint
from sunlit.complaints.vocab import Category, Status

pytestmark = pytest.mark.django_db

# The spec's examples (values abbreviated; the field names and shapes are what matters).
SPEC_SERVICE = {
    "service_code": "001",
    "service_name": "Cans left out 24x7",
    "description": "Garbage or recycling cans that have been left out for more than 24 hours after collection.",
    "metadata": True,
    "type": "realtime",
    "keywords": "lorem, ipsum, dolor",
    "group": "sanitation",
}
SPEC_DEFINITION = {
    "service_code": "DMV66",
    "attributes": [
        {
            "variable": True,
            "code": "WHISHETN",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": None,
            "order": 1,
            "description": "What is the ticket/tag/DL number?",
            "values": [{"key": 123, "name": "Ford"}],
        }
    ],
}
SPEC_REQUEST = {
    "service_request_id": 638344,
    "status": "closed",
    "status_notes": "Duplicate request.",
    "service_name": "Sidewalk and Curb Issues",
    "service_code": "006",
    "description": None,
    "agency_responsible": None,
    "service_notice": None,
    "requested_datetime": "2010-04-14T06:37:38-08:00",
    "updated_datetime": "2010-04-14T06:37:38-08:00",
    "expected_datetime": "2010-04-15T06:37:38-08:00",
    "address": "8TH AVE and JUDAH ST",
    "address_id": 545483,
    "zipcode": 94122,
    "lat": 37.762221815301,
    "long": -122.4651145137,
    "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg",
}
SPEC_POST_RESPONSE = {
    "service_request_id": 293944,
    "service_notice": "The City will inspect …",
    "account_id": None,
}
SPEC_ERROR = {"code": 403, "description": "Invalid api_key received -- can't proceed with create_request."}
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")

TZ = datetime.timezone(datetime.timedelta(hours=8))
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own server's response in a test


def compatible(ours, spec) -> bool:
    """Same JSON kind, where the spec's value is not null (ids and codes may be strings for numbers)."""
    if spec is None or ours is None:
        return True
    if isinstance(spec, bool):
        return isinstance(ours, bool)
    if isinstance(spec, int | float):
        return isinstance(ours, int | float | str)
    return isinstance(ours, type(spec))


def assert_like(ours: dict, spec: dict) -> None:
    assert set(ours) == set(spec), set(ours) ^ set(spec)
    for key, value in spec.items():
        assert compatible(ours[key], value), (key, ours[key])


def test_services_list_and_definition():
    client = Client()
    services_json = client.get("/open311/v2/services.json")
    assert services_json.status_code == 200
    assert services_json["Content-Type"].startswith("application/json")
    listed = services_json.json()
    assert [s["service_code"] for s in listed] == Category.values
    for service in listed:
        assert_like(service, SPEC_SERVICE)
        assert service["type"] == "realtime"
    definition = client.get("/open311/v2/services/assets.json").json()
    assert_like(definition, SPEC_DEFINITION)
    for attribute in definition["attributes"]:
        assert_like(
            {k: v for k, v in attribute.items() if k != "values"} | {"values": []},
            SPEC_DEFINITION["attributes"][0],
        )
    kinds = next(a for a in definition["attributes"] if a["code"] == "kind")
    assert [v["key"] for v in kinds["values"]] == ["suggestion", "complaint", "report"]
    missing = client.get("/open311/v2/services/roads.json")
    assert missing.status_code == 404
    assert_like(missing.json()[0], SPEC_ERROR)


def test_post_then_get_request(tree):
    client = Client(REMOTE_ADDR="10.3.1.1")
    with time_machine.travel(T0, tick=False):
        r = client.post(
            "/open311/v2/requests.json",
            {
                "service_code": "works",
                "attribute[village]": tree.village.code,
                "attribute[kind]": "complaint",
                "description": "村道硬化工程开裂，施工方不修复。",
            },
        )
    assert r.status_code == 200, r.content
    body = r.json()
    assert isinstance(body, list)
    assert len(body) == 1
    assert_like(body[0], SPEC_POST_RESPONSE)
    code = body[0]["service_request_id"]
    complaint = Complaint.objects.get(code=code)
    assert complaint.channel == "open311"
    secret = re.search(r"(?:secret|密码) ([0-9A-Z]{16})", body[0]["service_notice"]).group(1)
    assert services.secret_matches(complaint, secret)

    one = client.get(f"/open311/v2/requests/{code}.json").json()
    assert len(one) == 1
    request = one[0]
    assert_like(request, SPEC_REQUEST)
    assert request["status"] == "open"
    assert request["service_code"] == "works"
    assert request["address_id"] == tree.village.code
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(request[key]), (key, request[key])
    assert request["requested_datetime"] == "2026-03-02T10:00:00+08:00"
    assert request["expected_datetime"] == "2026-03-17T23:59:59+08:00"


def test_requests_filters(tree, file, staff):
    with time_machine.travel(T0, tick=False):
        open_one = file(category="works", text="工程问题一").complaint
        closed = file(category="assets", text="三资问题二").complaint
        services.complaint_refuse(actor=staff.leader, complaint=closed, reason="不属于受理范围")
        file(kind="report", category="conduct", text="举报不公开")
    client = Client()
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        every = client.get("/open311/v2/requests.json").json()
        assert {r["service_request_id"] for r in every} == {open_one.code, closed.code}  # no reports
        assert [
            r["service_request_id"] for r in client.get("/open311/v2/requests.json?status=open").json()
        ] == [open_one.code]
        assert [r["status"] for r in client.get("/open311/v2/requests.json?status=closed").json()] == [
            "closed"
        ]
        assert [
            r["service_request_id"] for r in client.get("/open311/v2/requests.json?service_code=works").json()
        ] == [open_one.code]
        ids = client.get(f"/open311/v2/requests.json?service_request_id={closed.code},{open_one.code}").json()
        assert len(ids) == 2
        later = client.get("/open311/v2/requests.json?start_date=2026-03-02T10:00:01%2B08:00").json()
        assert later == []
        window = client.get(
            "/open311/v2/requests.json?start_date=2026-03-02T00:00:00Z&end_date=2026-03-03T00:00:00Z"
        ).json()
        assert len(window) == 2
    for bad in ("status=pending", "start_date=yesterday", "service_code=roads"):
        r = client.get(f"/open311/v2/requests.json?{bad}")
        assert r.status_code == 400
        assert_like(r.json()[0], SPEC_ERROR)


def test_post_errors_follow_the_spec(tree, settings):
    client = Client(REMOTE_ADDR="10.3.1.2")
    cases = [
        ({"service_code": "roads", "attribute[village]": tree.village.code, "description": "xxxxxxxx"}, 400),
        ({"service_code": "works", "description": "没有村代码的请求"}, 400),
        ({"service_code": "works", "attribute[village]": tree.village.code, "description": "短"}, 400),
        (
            {
                "service_code": "works",
                "attribute[village]": tree.village.code,
                "attribute[kind]": "rumour",
                "description": "xxxxxxxxx",
            },
            400,
        ),
    ]
    for data, status in cases:
        r = client.post("/open311/v2/requests.json", data)
        assert r.status_code == status, (data, r.content)
        assert_like(r.json()[0], SPEC_ERROR)
    settings.SUNLIT_OPEN311_API_KEYS = "key-one,key-two"
    data = {
        "service_code": "works",
        "attribute[village]": tree.village.code,
        "description": "有密钥的请求内容",
    }
    r = client.post("/open311/v2/requests.json", data)
    assert r.status_code == 403
    assert r.json()[0]["code"] == 403
    assert client.post("/open311/v2/requests.json", {**data, "api_key": "wrong"}).status_code == 403
    assert not Complaint.objects.exists()
    assert client.post("/open311/v2/requests.json", {**data, "api_key": "key-two"}).status_code == 200


def test_xml_format(tree, file):
    file(category="works", text="工程问题XML")
    client = Client()
    r = client.get("/open311/v2/services.xml")
    assert r["Content-Type"].startswith("text/xml")
    root = parse_xml(r.content)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == Category.values
    root = parse_xml(client.get("/open311/v2/requests.xml").content)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert {child.tag for child in request} == set(SPEC_REQUEST)
    assert request.findtext("status") == "open"
    root = parse_xml(client.get("/open311/v2/services/works.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None
    error = parse_xml(client.get("/open311/v2/requests/TNOPE.xml").content)
    assert (error.tag, error.find("error").findtext("code")) == ("errors", "404")
    assert client.get("/open311/v2/services.csv").status_code == 400


def test_status_mapping(file, staff):
    c = file().complaint
    assert Client().get(f"/open311/v2/requests/{c.code}.json").json()[0]["status"] == "open"
    services.complaint_accept(actor=staff.leader, complaint=c)
    assert Client().get(f"/open311/v2/requests/{c.code}.json").json()[0]["status"] == "open"
    services.complaint_answer(actor=staff.leader, complaint=c, answer="已答复的内容。")
    body = Client().get(f"/open311/v2/requests/{c.code}.json").json()[0]
    assert body["status"] == "closed"
    assert Complaint.objects.get(pk=c.pk).status == Status.ANSWERED
