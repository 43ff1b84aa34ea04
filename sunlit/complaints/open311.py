"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/) under ``/open311/v2/``.

- ``GET services.json``: one service per category (service_code = the category value).
- ``GET services/{code}.json``: the service definition with its attributes: ``kind`` (required,
  singlevaluelist) and ``village`` (required, the 12-digit village code; ``address_id`` is accepted
  instead).
- ``GET requests.json``: filters ``service_request_id`` (comma-separated), ``service_code``,
  ``start_date``/``end_date`` (W3C datetimes), ``status`` (open/closed); at most 1000 results, by
  default those of the last 90 days. Reports of wrongdoing are not listed; descriptions are masked.
- ``POST requests.json`` (form-encoded): ``service_code``, ``attribute[village]`` or ``address_id``,
  ``description``, optional ``attribute[kind]``, ``first_name``/``last_name``/``phone`` (stored
  encrypted), ``api_key`` when ``SUNLIT_OPEN311_API_KEYS`` is set. Answers
  ``[{"service_request_id", "service_notice", "account_id"}]``; the follow-up secret is given once in
  ``service_notice`` (no ``token``: the id is returned at once).
- ``GET requests/{id}.json``: one request.

Both formats of the spec are served: ``.json`` and ``.xml`` (roots ``services``/``service``,
``service_definition``, ``service_requests``/``request``, ``errors``/``error``); any other extension
answers 400. Errors are ``[{"code": <http status>, "description": "…"}]``.
"""

from __future__ import annotations

import datetime
import hmac
import json
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sunlit.core.errors import DomainError
from sunlit.regions.models import Region, RegionLevel

from . import selectors, services
from .config import setting
from .models import Complaint
from .vocab import Category, Channel, Kind, Status

OPEN = (Status.RECEIVED, Status.ACCEPTED)
MAX_RESULTS = 1000
DEFAULT_DAYS = 90


FORMATS = ("json", "xml")
# XML element names: the root of a list and the element of each item (GeoReport v2).
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}


def _xml_fill(parent: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_fill(ET.SubElement(parent, key), item)
    elif isinstance(value, list):
        for item in value:
            _xml_fill(ET.SubElement(parent, XML_ITEMS.get(parent.tag, "item")), item)
    elif value is None:
        return
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    else:
        parent.text = str(value)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _xml_fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


def _respond(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        response = HttpResponse(to_xml(root, data), content_type="text/xml; charset=utf-8", status=status)
    else:
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
            status=status,
        )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, description: str, fmt: str = "json") -> HttpResponse:
    return _respond(fmt, "errors", [{"code": status, "description": str(description)}], status=status)


def _format_guard(fmt: str) -> HttpResponse | None:
    if fmt not in FORMATS:
        return _error(400, _("Unknown format: use .json or .xml."))
    return None


def w3c(value: datetime.datetime | None) -> str | None:
    """A W3C datetime with the local offset, e.g. 2026-03-02T10:00:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def _service(value: str, label: str) -> dict:
    return {
        "service_code": value,
        "service_name": str(label),
        "description": str(label),
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": str(_("Village affairs")),
    }


@require_GET
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return _format_guard(fmt) or _respond(
        fmt, "services", [_service(v, label) for v, label in Category.choices]
    )


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if guard := _format_guard(fmt):
        return guard
    if code not in Category.values:
        return _error(404, _("Unknown service_code."), fmt)
    return _respond(
        fmt,
        "service_definition",
        {
            "service_code": code,
            "attributes": [
                {
                    "variable": True,
                    "code": "kind",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "datatype_description": str(_("The type of the message.")),
                    "order": 1,
                    "description": str(_("Type")),
                    "values": [{"key": v, "name": str(label)} for v, label in Kind.choices],
                },
                {
                    "variable": True,
                    "code": "village",
                    "datatype": "string",
                    "required": True,
                    "datatype_description": str(_("The 12-digit statistical code of the village concerned.")),
                    "order": 2,
                    "description": str(_("Village concerned")),
                },
            ],
        },
    )


def _request_json(c: Complaint) -> dict:
    status = "open" if c.status in OPEN else "closed"
    notes = c.get_status_display()
    if c.status == Status.REFUSED:
        notes = f"{notes}: {services.public_wording(c.refusal_reason)}"
    elif c.status in (Status.ANSWERED, Status.CLOSED) and c.consent_publish and c.public_answer:
        notes = f"{notes}: {c.public_answer}"
    updated = max(filter(None, [c.created_at, c.accepted_at, c.answered_at, c.rated_at, c.closed_at]))
    return {
        "service_request_id": c.code,
        "status": status,
        "status_notes": str(notes),
        "service_name": c.get_category_display(),
        "service_code": c.category,
        "description": c.public_text,
        "agency_responsible": f"{c.unit.name}{c.get_office_display()}",
        "service_notice": "",
        "requested_datetime": w3c(c.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(
            c.handle_due
            if c.status == Status.ACCEPTED
            else c.accept_due
            if c.status == Status.RECEIVED
            else None
        ),
        "address": f"{c.village.parent.name if c.village.parent_id else ''}{c.village.name}",
        "address_id": c.village.code,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _parse_date(value: str) -> datetime.datetime | None:
    parsed = parse_datetime(value.strip().replace(" ", "+")) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if guard := _format_guard(fmt):
        return guard
    if request.method == "POST":
        return _post_request(request, fmt)
    qs = selectors.public_complaints()
    ids = [i.strip().upper() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        qs = qs.filter(code__in=ids[:MAX_RESULTS])
    else:
        code = request.GET.get("service_code", "")
        if code:
            if code not in Category.values:
                return _error(400, _("Unknown service_code."), fmt)
            qs = qs.filter(category=code)
        raw_start, raw_end = request.GET.get("start_date", ""), request.GET.get("end_date", "")
        start, end = _parse_date(raw_start), _parse_date(raw_end)
        if (raw_start and start is None) or (raw_end and end is None):
            return _error(400, _("start_date and end_date must be W3C datetimes."), fmt)
        if start is None and end is None:
            start = timezone.now() - datetime.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        status = request.GET.get("status", "")
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                return _error(400, _("status must be open or closed."), fmt)
            if wanted == {"open"}:
                qs = qs.filter(status__in=OPEN)
            elif wanted == {"closed"}:
                qs = qs.exclude(status__in=OPEN)
    rows = qs.select_related("village__parent").order_by("-created_at", "-id")[:MAX_RESULTS]
    return _respond(fmt, "service_requests", [_request_json(c) for c in rows])


@require_GET
def request_detail(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if guard := _format_guard(fmt):
        return guard
    complaint = (
        selectors.public_complaints().select_related("village__parent").filter(code=code.upper()[:16]).first()
    )
    if complaint is None:
        return _error(404, _("No service request with this id."), fmt)
    return _respond(fmt, "service_requests", [_request_json(complaint)])


def _api_key_ok(key: str) -> bool:
    keys = [k.strip() for k in setting("SUNLIT_OPEN311_API_KEYS").split(",") if k.strip()]
    if not keys:
        return True
    return any(hmac.compare_digest(key.encode(), k.encode()) for k in keys)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    if not _api_key_ok(data.get("api_key", "")):
        return _error(403, _("Invalid api_key."), fmt)
    code = data.get("service_code", "")
    if code not in Category.values:
        return _error(400, _("service_code is missing or unknown."), fmt)
    village_code = data.get("attribute[village]", "") or data.get("address_id", "")
    village = (
        Region.objects.filter(code=village_code[:12], level=RegionLevel.VILLAGE).first()
        if village_code
        else None
    )
    if village is None:
        return _error(400, _("attribute[village] (or address_id) must be the code of a village."), fmt)
    kind = data.get("attribute[kind]", "") or Kind.COMPLAINT
    if kind not in Kind.values:
        return _error(400, _("attribute[kind] is not one of the listed values."), fmt)
    name = f"{data.get('last_name', '')}{data.get('first_name', '')}".strip()
    phone = data.get("phone", "")
    try:
        filed = services.complaint_file(
            actor=None,
            channel=Channel.OPEN311,
            kind=kind,
            category=code,
            village=village,
            text=data.get("description", ""),
            anonymous=not (name and phone),
            name=name,
            phone=phone,
            ip=request.META.get("REMOTE_ADDR") or "-",
            phone_verified=False,
        )
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items())
        return _error(exc.status if exc.status != 422 else 400, f"{exc.message} {details}".strip(), fmt)
    notice = _(
        "Received. Keep the secret %(secret)s: with the id %(code)s it lets you follow up on the portal."
    ) % {"secret": filed.secret, "code": filed.complaint.code}
    return _respond(
        fmt,
        "service_requests",
        [{"service_request_id": filed.complaint.code, "service_notice": notice, "account_id": None}],
    )
