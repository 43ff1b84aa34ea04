"""Privacy before publication: what may go public, what is masked, what blocks.

- Free text (title, body): ID numbers, mobile numbers and bank cards found by
  :func:`sunlit.core.masking.find_pii` are masked automatically; the unmasked text is kept encrypted.
- Structured fields (benefit-list rows): a structured field holding personal data cannot be fixed by
  masking one substring (the column itself is wrong), so it blocks publication, naming the field.
  Benefit lists publish the name in full (the point of a 公示 is that villagers can object about
  named people), the village group, the benefit, the amount and the period; never ID numbers,
  phones, bank cards or addresses: columns carrying those are refused.
- Attachments: DOCX and XLSX text is extracted and scanned; any personal data in it blocks
  publication (a file cannot be masked in place). PDF and image files cannot be scanned here (no
  text extraction / OCR), so they block unless the publisher confirms having checked them
  (``reviewed``), which the version and the ledger record.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from sunlit.cases import documents as docstore
from sunlit.cases.errors import CaseRefused
from sunlit.core.masking import PiiKind, find_pii

from .errors import DisclosureError, DisclosureErrorCode

ENTRY_FIELDS = ("name", "village_group", "benefit", "amount", "period")
# Columns a benefit list may never carry, whatever their content.
FORBIDDEN_ENTRY_FIELDS = frozenset(
    {
        "id_number",
        "id_card",
        "phone",
        "mobile",
        "bank_card",
        "account",
        "address",
        "身份证号",
        "电话",
        "银行卡号",
        "住址",
    }
)
SCANNABLE_TYPES = frozenset({docstore.DOCX, docstore.XLSX})
MAX_ENTRIES = 5000


def kind_label(kind: str) -> str:
    return {
        PiiKind.ID_NUMBER: _("an ID number"),
        PiiKind.PHONE: _("a phone number"),
        PiiKind.BANK_CARD: _("a bank card number"),
    }.get(kind, _("personal data"))


def field_label(field: str) -> str:
    labels = {"title": _("title"), "body": _("text")}
    if field in labels:
        return str(labels[field])
    match = re.fullmatch(r"entries\[(\d+)\]\.(\w+)", field)
    if match:
        return _("row %(row)s, column “%(column)s” of the benefit list") % {
            "row": int(match.group(1)) + 1,
            "column": match.group(2),
        }
    return field


def blocked(field: str, kind: str) -> DisclosureError:
    message = _("Publication blocked: %(where)s contains %(what)s, which may not be published.") % {
        "where": field_label(field),
        "what": kind_label(kind),
    }
    return DisclosureError(message, code=DisclosureErrorCode.PII_BLOCKED, fields={field: [message]})


@dataclass(frozen=True)
class MaskedText:
    public: str
    findings: list[dict[str, str]]  # [{"field", "kind"}] without values


def mask_text(field: str, text: str) -> MaskedText:
    parts: list[str] = []
    findings: list[dict[str, str]] = []
    position = 0
    for match in find_pii(text):
        parts.append(text[position : match.start])
        parts.append(match.masked)
        position = match.end
        findings.append({"field": field, "kind": str(match.kind)})
    parts.append(text[position:])
    return MaskedText("".join(parts), findings)


@dataclass(frozen=True)
class EntryInput:
    name: str
    benefit: str
    village_group: str = ""
    amount: Decimal | None = None
    period: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "village_group": self.village_group,
            "benefit": self.benefit,
            "amount": None if self.amount is None else str(self.amount),
            "period": self.period,
        }


def _amount(value: Any, field: str) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        message = _("“%(value)s” is not an amount in yuan.") % {"value": str(value)[:30]}
        raise DisclosureError(message, code=DisclosureErrorCode.ENTRY_INVALID, fields={field: [message]})
    return amount.quantize(Decimal("0.01"))


def clean_entries(entries: Any) -> list[EntryInput]:
    """Validate benefit-list rows (EntryInput or dicts); block any field carrying personal data."""
    rows = list(entries or ())
    if len(rows) > MAX_ENTRIES:
        raise DisclosureError(
            _("A benefit list may have at most %(n)d rows.") % {"n": MAX_ENTRIES},
            code=DisclosureErrorCode.ENTRY_INVALID,
        )
    cleaned: list[EntryInput] = []
    limits = {"name": 60, "village_group": 60, "benefit": 100, "period": 40}
    for index, row in enumerate(rows):
        values = row.as_dict() if isinstance(row, EntryInput) else dict(row)
        for key in values:
            field = f"entries[{index}].{key}"
            if str(key).lower() in FORBIDDEN_ENTRY_FIELDS:
                raise blocked(field, "id_number" if "id" in str(key) or "身份" in str(key) else "other")
            if key not in ENTRY_FIELDS:
                message = _("Benefit lists have no column “%(column)s”.") % {"column": str(key)[:40]}
                raise DisclosureError(
                    message, code=DisclosureErrorCode.ENTRY_INVALID, fields={field: [message]}
                )
        for key in ENTRY_FIELDS:
            value = values.get(key)
            text = "" if value is None else str(value).strip()
            hits = find_pii(text)
            if hits:
                raise blocked(f"entries[{index}].{key}", str(hits[0].kind))
            if key in limits and len(text) > limits[key]:
                message = _("At most %(n)d characters.") % {"n": limits[key]}
                raise DisclosureError(
                    message,
                    code=DisclosureErrorCode.ENTRY_INVALID,
                    fields={f"entries[{index}].{key}": [message]},
                )
        name = str(values.get("name") or "").strip()
        benefit = str(values.get("benefit") or "").strip()
        for key, text in (("name", name), ("benefit", benefit)):
            if not text:
                message = _("“%(column)s” is required.") % {"column": key}
                raise DisclosureError(
                    message,
                    code=DisclosureErrorCode.ENTRY_INVALID,
                    fields={f"entries[{index}].{key}": [message]},
                )
        if any(ch.isdigit() for ch in name):
            raise blocked(f"entries[{index}].name", "other")
        cleaned.append(
            EntryInput(
                name=name,
                benefit=benefit,
                village_group=str(values.get("village_group") or "").strip(),
                amount=_amount(values.get("amount"), f"entries[{index}].amount"),
                period=str(values.get("period") or "").strip(),
            )
        )
    return cleaned


# --- attachments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInput:
    """A file to publish. ``reviewed``: the publisher confirms having checked a file that cannot be
    scanned automatically (PDF, image) for personal data."""

    name: str
    data: bytes
    filename: str = ""
    reviewed: bool = False


def attachment_text(data: bytes, content_type: str) -> str | None:
    """The text of a DOCX or XLSX file, or None when it cannot be read as text."""
    if content_type == docstore.DOCX:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts = [
                    n
                    for n in archive.namelist()
                    if n.startswith("word/") and n.endswith(".xml") and "/_rels/" not in n
                ]
                chunks = []
                for part in parts:
                    xml = archive.read(part).decode("utf-8", errors="replace")
                    # paragraph and cell ends become line breaks; runs of one paragraph stay joined
                    xml = re.sub(r"</w:p>|</w:tc>|<w:br/>|<w:tab/>", "\n", xml)
                    chunks.append(re.sub(r"<[^>]+>", "", xml))
        except (zipfile.BadZipFile, KeyError, ValueError, RuntimeError):
            return None
        import html

        return html.unescape("\n".join(chunks))
    if content_type == docstore.XLSX:
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            return None
        lines = []
        try:
            for sheet in book.worksheets:
                lines.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    lines.append("\t".join("" if v is None else str(v) for v in row))
        finally:
            book.close()
        return "\n".join(lines)
    return None


@dataclass(frozen=True)
class CheckedAttachment:
    name: str
    original_name: str
    file: docstore.CleanFile
    scanned: bool
    reviewed: bool


def check_attachments(attachments: Any) -> list[CheckedAttachment]:
    checked = []
    for index, item in enumerate(attachments or ()):
        field = f"attachments[{index}]"
        name = (item.name or item.filename or "").strip()[:200]
        if not name:
            message = _("Give the attachment a name.")
            raise DisclosureError(
                message, code=DisclosureErrorCode.ATTACHMENT_INVALID, fields={field: [message]}
            )
        try:
            clean = docstore.clean(bytes(item.data or b""))
        except CaseRefused as error:  # too large, empty, not an accepted type, unreadable image
            message = error.message
            raise DisclosureError(
                message, code=DisclosureErrorCode.ATTACHMENT_INVALID, fields={field: [str(message)]}
            ) from None
        text = (
            attachment_text(clean.data, clean.content_type) if clean.content_type in SCANNABLE_TYPES else None
        )
        if text is None:
            if not item.reviewed:
                message = _(
                    "Publication blocked: attachment “%(name)s” cannot be checked for personal data "
                    "automatically. Check it yourself and confirm, or remove it."
                ) % {"name": name}
                raise DisclosureError(
                    message, code=DisclosureErrorCode.PII_BLOCKED, fields={field: [message]}
                )
        else:
            hits = find_pii(text)
            if hits:
                message = _(
                    "Publication blocked: attachment “%(name)s” contains %(what)s. Remove it from the file "
                    "and upload it again."
                ) % {"name": name, "what": kind_label(str(hits[0].kind))}
                raise DisclosureError(
                    message, code=DisclosureErrorCode.PII_BLOCKED, fields={field: [message]}
                )
        checked.append(
            CheckedAttachment(
                name=name,
                original_name=(item.filename or name)[-255:],
                file=clean,
                scanned=text is not None,
                reviewed=bool(item.reviewed) and text is None,
            )
        )
    return checked


def content_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
