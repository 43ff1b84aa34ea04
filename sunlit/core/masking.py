"""Validating and masking personal data: resident ID numbers, phone numbers, bank cards, names.

Mask formats (one rule per kind, applied everywhere, including inside free text):

* resident ID number: the 6-digit region code and the last 4 characters stay, the 8 birth-date
  digits are masked: ``411521********123X``. A 15-digit first-generation number keeps its region
  code and 3-digit sequence: ``411521******123``.
* mainland mobile number: the first 3 and last 4 digits stay: ``138****5678`` (a +86/0086
  prefix is dropped). Any other number keeps its last 4 digits and its punctuation:
  ``***-****5678``; one with fewer than 7 digits is masked entirely.
* bank card: ``**** **** **** 1234`` whatever the length, so the length does not leak either.
* name: the first character stays, every other one is masked: ``张*``, ``王**``, ``欧***``;
  a one-character name is masked entirely.

Everything accepts None or "" and then returns "" (or False / []). Full-width digits, ``Ｘ`` and
full-width spaces, common when typed with a Chinese input method, are read as their ASCII forms.
Masking never returns more of an unrecognised value than the rule for its kind would show.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone

# Full-width digits, X/x and the ideographic space to ASCII: one character for one, so offsets
# in the translated text are offsets in the original.
_ASCII = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "Ｘ": "X",
        "ｘ": "x",
        "\u3000": " ",
        "－": "-",
        "＋": "+",
    }
)

# Province-level codes of GB/T 2260 (11 Beijing … 82 Macao) and 83, which the residence permits
# of Taiwan residents (台湾居民居住证, same 18-character format) use.
_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11 (ISO 7064 MOD 11-2)
# Nobody born before this year holds a current ID card; rejecting older dates cuts false positives.
_ID_MIN_BIRTH_YEAR = 1900

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_PHONE_PREFIX_RE = re.compile(r"^(?:\+|00)?86(?=1[3-9]\d{9}$)")


def _clean(value: str | None) -> str:
    """Full-width to ASCII, and all whitespace removed."""
    if not value:
        return ""
    return "".join(str(value).translate(_ASCII).split())


# --- Resident ID numbers (GB 11643-1999) ------------------------------------------------------


def normalize_id_number(value: str | None) -> str:
    """Remove spaces, read full-width characters as ASCII and uppercase the check character x."""
    return _clean(value).upper()


def _id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def id_number_valid(value: str | None) -> bool:
    """Whether ``value`` is a well-formed 18-character resident ID number.

    Checks the format (17 digits and a digit or X), a province code that exists (11–82, and 83
    for Taiwan residents' residence permits), an embedded birth date (positions 7–14) that is a
    real date from 1900 up to today, and the ISO 7064 MOD 11-2 check character. Spaces and a
    lowercase x are accepted (see :func:`normalize_id_number`).
    """
    number = normalize_id_number(value)
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    if int(number[:2]) not in _PROVINCE_CODES:
        return False
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if birth.year < _ID_MIN_BIRTH_YEAR or birth > timezone.localdate():
        return False
    return number[17] == _id_check_char(number[:17])


def mask_id_number(value: str | None) -> str:
    """Mask the birth date of an ID number: ``411521********123X``.

    Does not validate: whatever is stored gets masked. An 18-character value keeps its first 6
    and last 4 characters, a 15-character one its first 6 and last 3; any other value is masked
    entirely (one ``*`` per character).
    """
    number = normalize_id_number(value)
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[14:]
    if len(number) == 15:
        return number[:6] + "*" * 6 + number[12:]
    return "*" * len(number)


# --- Phone numbers ----------------------------------------------------------------------------


def mask_phone(value: str | None) -> str:
    """Mask a phone number: ``138****5678`` for a mainland mobile, else keep the last 4 digits.

    Spaces, hyphens and a +86/0086/86 country code around a mobile number are ignored. Other
    numbers keep their punctuation and last 4 digits (``***-****5678``); with fewer than 7
    digits every digit is masked.
    """
    text = (value or "").translate(_ASCII).strip()
    if not text:
        return ""
    compact = re.sub(r"[\s()\-]", "", text)
    compact = _PHONE_PREFIX_RE.sub("", compact)
    if _MOBILE_RE.fullmatch(compact):
        return compact[:3] + "****" + compact[7:]
    digit_count = sum(ch.isdigit() for ch in text)
    keep_from = digit_count - 4 if digit_count >= 7 else digit_count
    out = []
    seen = 0
    for ch in text:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


# --- Bank cards -------------------------------------------------------------------------------


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def bank_card_valid(value: str | None) -> bool:
    """Whether ``value`` is 13–19 digits (spaces and hyphens ignored) passing the Luhn check."""
    digits = _clean(value).replace("-", "")
    return 13 <= len(digits) <= 19 and digits.isascii() and digits.isdigit() and _luhn_valid(digits)


def mask_bank_card(value: str | None) -> str:
    """Mask a card number as ``**** **** **** 1234`` (last 4 digits, length hidden).

    Does not validate. A value with fewer than 8 digits keeps nothing: one ``*`` per digit.
    """
    digits = "".join(ch for ch in _clean(value) if ch.isdigit())
    if len(digits) >= 8:
        return "**** **** **** " + digits[-4:]
    return "*" * len(digits or _clean(value))


# --- Names ------------------------------------------------------------------------------------


def mask_name(value: str | None) -> str:
    """Keep the first character of a name and mask the rest: 张三 → 张*, 欧阳娜娜 → 欧***.

    A one-character name is masked entirely, since keeping it would show all of it.
    """
    name = (value or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


# --- Free text --------------------------------------------------------------------------------


class PiiKind(StrEnum):
    """What :func:`find_pii` found."""

    # An 18-character resident ID number with a valid check character and birth date.
    ID_NUMBER = "id_number"
    # A mainland mobile number (1[3-9] and 9 more digits).
    PHONE = "phone"
    # 13–19 digits passing the Luhn check.
    BANK_CARD = "bank_card"


@dataclass(frozen=True)
class PiiMatch:
    """One piece of personal data in a text: ``text[start:end] == value``."""

    kind: PiiKind
    start: int
    end: int
    value: str
    masked: str


# Numbers are found contiguous or in their usual written groups with one consistent separator
# (a space or a hyphen): IDs 6-8-4, mobiles 3-4-4, cards in fours. "Not part of a longer number"
# means no digit right before or after; a grouped form also may not continue across a separator
# (nor, for IDs and cards, be preceded by a digit and a separator).
_ID_RE = re.compile(
    r"(?<!\d)"
    r"(?:\d{17}[\dXx](?![\dXx])"
    r"|(?<!\d[ -])\d{6}(?P<sep>[ -])\d{8}(?P=sep)\d{3}[\dXx](?![\dXx])(?!(?P=sep)\d))"
)
_PHONE_RE = re.compile(
    r"(?<![\d+])"
    r"(?:(?:\+|00)?86[ -]?)?"  # a country code, left as it is
    r"(?P<number>1[3-9]\d(?:\d{8}(?!\d)|(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?!\d)(?!(?P=sep)\d)))"
)
_CARD_RE = re.compile(
    r"(?<!\d)"
    r"(?:\d{13,19}(?!\d)"
    r"|(?<!\d[ -])\d{4}(?P<sep>[ -])\d{4}(?:(?P=sep)\d{4}){1,3}(?:(?P=sep)\d{1,4})?(?!\d)(?!(?P=sep)\d))"
)


def find_pii(text: str | None) -> list[PiiMatch]:
    """Find resident ID numbers, mobile numbers and bank-card numbers in ``text``, in order.

    To limit false positives an ID number must pass :func:`id_number_valid` and a card number
    the Luhn check; digits inside a longer number are never matched. Where candidates overlap,
    an ID number wins over a phone number, which wins over a card number.
    """
    if not text:
        return []
    ascii_text = text.translate(_ASCII)
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def add(kind: PiiKind, start: int, end: int, masked: str) -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return
        taken.append((start, end))
        found.append(PiiMatch(kind=kind, start=start, end=end, value=text[start:end], masked=masked))

    for match in _ID_RE.finditer(ascii_text):
        if id_number_valid(match.group()):
            add(PiiKind.ID_NUMBER, match.start(), match.end(), mask_id_number(match.group()))
    for match in _PHONE_RE.finditer(ascii_text):
        number = match.group("number")
        add(PiiKind.PHONE, match.start("number"), match.end("number"), mask_phone(number))
    for match in _CARD_RE.finditer(ascii_text):
        if bank_card_valid(match.group()):
            add(PiiKind.BANK_CARD, match.start(), match.end(), mask_bank_card(match.group()))
    found.sort(key=lambda m: m.start)
    return found


def mask_pii(text: str | None) -> str:
    """``text`` with every match of :func:`find_pii` replaced by its mask; "" for None."""
    if not text:
        return ""
    parts = []
    position = 0
    for match in find_pii(text):
        parts.append(text[position : match.start])
        parts.append(match.masked)
        position = match.end
    parts.append(text[position:])
    return "".join(parts)
