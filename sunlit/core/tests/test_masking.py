"""Validation and masking of resident ID numbers, phones, bank cards and names, alone and in text."""

from datetime import date

import pytest

from sunlit.core.masking import (
    PiiKind,
    bank_card_valid,
    find_pii,
    id_number_valid,
    mask_bank_card,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_pii,
    normalize_id_number,
)

SAMPLE_ID = "11010519491231002X"  # the standard's well-known example


def id_with_check(first17: str) -> str:
    """Append the ISO 7064 MOD 11-2 check character, computed as (12 - S mod 11) mod 11."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    check = (12 - sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


def card_with_check(body: str) -> str:
    """Append the Luhn check digit to ``body``."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return card_with_check(number[:-1]) == number


GUANGSHAN_ID = id_with_check("41152219850612123")  # 光山县, born 12 June 1985
CARD_19 = card_with_check("622202000000000000")  # a 19-digit UnionPay-style number
CARD_16 = "4111111111111111"  # the classic Luhn-valid test number


def test_helpers_reproduce_the_sample():
    assert id_with_check(SAMPLE_ID[:17]) == SAMPLE_ID
    assert luhn_ok(CARD_16)


# --- ID numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        SAMPLE_ID,
        SAMPLE_ID.lower(),  # lowercase x
        GUANGSHAN_ID,
        " 110105 19491231 002x ",  # spaces anywhere
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as typed with a Chinese IME
        id_with_check("82000020000229001"),  # Macao, 29 Feb of a leap year
        id_with_check("83000019900101001"),  # Taiwan residents' residence permit
    ],
)
def test_valid_id_numbers(value):
    assert id_number_valid(value)


def test_every_wrong_check_character_is_refused():
    for check in "0123456789X":
        candidate = SAMPLE_ID[:17] + check
        assert id_number_valid(candidate) is (check == "X"), candidate


@pytest.mark.parametrize(
    "value",
    [
        id_with_check("11010519490230002"),  # 30 February
        id_with_check("11010519000229002"),  # 1900 was not a leap year
        id_with_check("11010520010229002"),  # neither was 2001
        id_with_check("11010519491301002"),  # month 13
        id_with_check("11010519490000002"),  # month 0
        id_with_check("11010518991231002"),  # before 1900
        id_with_check("00010519491231002"),  # region 00
        id_with_check("10010519491231002"),  # 10 is no province
        id_with_check("90010519491231002"),  # 90 is no province
        id_with_check("39010519491231002"),  # 39 is no province
        SAMPLE_ID[:17],  # 17 characters
        SAMPLE_ID + "1",  # 19 characters
        "1101051949123100",  # 16
        "110105491231002",  # 15-digit first-generation number: not an 18-character one
        "X10105194912310021",  # X only as the last character
        "11010519491231002Y",
        "",
        "   ",
        None,
    ],
)
def test_invalid_id_numbers(value):
    assert not id_number_valid(value)


def test_birth_date_in_the_future_is_refused(time_machine):
    time_machine.move_to(date(2025, 6, 15))
    assert id_number_valid(id_with_check("41152220250615123"))  # born today
    assert not id_number_valid(id_with_check("41152220250616123"))  # born tomorrow


def test_normalize_id_number():
    assert normalize_id_number(" 110105 19491231 002x\t") == SAMPLE_ID
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == SAMPLE_ID
    assert normalize_id_number(None) == ""
    assert normalize_id_number("") == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SAMPLE_ID, "110105********002X"),
        ("41152119850612123x", "411521********123X"),
        (" 411521 19850612 1234 ", "411521********1234"),
        ("411521850612123", "411521******123"),  # 15 digits: birth date YYMMDD masked
        ("4115211985", "**********"),  # anything else: fully masked
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, expected):
    assert mask_id_number(value) == expected


# --- Phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("0086-138-1234-5678", "138****5678"),
        ("86 13812345678", "138****5678"),
        ("(+86) 19912345678", "199****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("010-12345678", "***-****5678"),  # landline keeps its punctuation
        ("0376-8123456", "****-***3456"),
        ("12345678901", "*******8901"),  # 11 digits, but 12 is not a mobile prefix
        ("123456", "******"),  # short: nothing kept
        ("", ""),
        ("  ", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


# --- Bank cards -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [CARD_16, "4111 1111 1111 1111", "4111-1111-1111-1111", CARD_19, card_with_check("622202000000")],
)
def test_valid_bank_cards(value):
    assert bank_card_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111112",  # Luhn failure
        CARD_19[:-1] + str((int(CARD_19[-1]) + 1) % 10),  # Luhn failure
        card_with_check("62220200000"),  # 12 digits
        card_with_check("6222020000000000000"),  # 20 digits
        "4111 1111 1111 111a",
        "",
        None,
    ],
)
def test_invalid_bank_cards(value):
    assert not bank_card_valid(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (CARD_16, "**** **** **** 1111"),
        ("6222 0200 0000 0000 0001", "**** **** **** 0001"),
        (CARD_19, "**** **** **** " + CARD_19[-4:]),
        ("1234567", "*******"),  # too short to keep anything
        ("", ""),
        (None, ""),
    ],
)
def test_mask_bank_card(value, expected):
    assert mask_bank_card(value) == expected


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧***"),
        (" 李四 ", "李*"),
        ("张", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(value, expected):
    assert mask_name(value) == expected


# --- Free text --------------------------------------------------------------------------------


def test_find_pii_in_mixed_chinese_text():
    text = f"张三，身份证{SAMPLE_ID.lower()}，电话13812345678，卡号6222 0200 0000 0000 {CARD_19[-3:]}。"

    matches = find_pii(text)

    assert [(m.kind, m.value, m.masked) for m in matches] == [
        (PiiKind.ID_NUMBER, SAMPLE_ID.lower(), "110105********002X"),
        (PiiKind.PHONE, "13812345678", "138****5678"),
        (PiiKind.BANK_CARD, f"6222 0200 0000 0000 {CARD_19[-3:]}", f"**** **** **** 0{CARD_19[-3:]}"),
    ]
    assert all(text[m.start : m.end] == m.value for m in matches)
    assert mask_pii(text) == (
        f"张三，身份证110105********002X，电话138****5678，卡号**** **** **** 0{CARD_19[-3:]}。"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("手机 +86 138 1234 5678 联系", "手机 +86 138****5678 联系"),  # country code stays
        ("手机+8613812345678", "手机+86138****5678"),
        ("电话138-1234-5678。", "电话138****5678。"),
        ("证件 110105 19491231 002X 已核", "证件 110105********002X 已核"),
        (f"卡号{CARD_16}", "卡号**** **** **** 1111"),
        ("卡号 4111-1111-1111-1111", "卡号 **** **** **** 1111"),
        ("号码１３８１２３４５６７８。", "号码138****5678。"),  # full-width digits
        ("13812345678,13912345678", "138****5678,139****5678"),
        ("13812345678 13912345678", "138****5678 139****5678"),
    ],
)
def test_mask_pii_variants(text, expected):
    assert mask_pii(text) == expected


def _id_failing_both_checks() -> str:
    for check in "0123456789":
        candidate = SAMPLE_ID[:17] + check
        if not luhn_ok(candidate):
            return candidate
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "text",
    [
        "订单号 99" + SAMPLE_ID[:17] + "00",  # an ID's digits inside a 21-digit number
        "编号 88" + CARD_19,  # a valid card number inside a 21-digit number
        "流水号 138123456789",  # 12 digits starting like a mobile
        "流水号 913812345678",
        "编号 12345678901",  # 12 is not a mobile prefix
        "卡号 4111111111111112",  # Luhn failure
        "编号 " + card_with_check("4111111111111111111"),  # 20 digits: longer than a card
        "证件" + _id_failing_both_checks(),  # wrong ID check digit, not a card either
        "时间 2024-10-01 08:30，金额 12,345.67 元，电话区号 0376",
        "138 1234 5678 9012",  # a phone's digits inside a longer grouped number
        "",
    ],
)
def test_find_pii_ignores_what_is_not_pii(text):
    assert find_pii(text) == []
    assert mask_pii(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "编号9" + SAMPLE_ID,
        "编号" + SAMPLE_ID + "9",
        "编号" + SAMPLE_ID + "X",
        "证 110105 19491231 002X 1",
        "证 1 110105 19491231 002X",
    ],
)
def test_an_id_number_inside_a_longer_value_is_not_an_id(text):
    assert PiiKind.ID_NUMBER not in [m.kind for m in find_pii(text)]


def test_find_pii_keeps_an_invalid_checksum_id_out_even_if_luhn_valid():
    # An 18-digit number with a wrong ID check digit but a valid Luhn digit is masked as a card,
    # never reported as an ID number.
    candidates = [SAMPLE_ID[:17] + c for c in "0123456789" if luhn_ok(SAMPLE_ID[:17] + c)]
    assert candidates
    matches = find_pii("号码" + candidates[0])
    assert [m.kind for m in matches] == [PiiKind.BANK_CARD]


def test_id_number_wins_over_a_card_reading_of_the_same_digits():
    ids = [id_with_check(f"41152219850612{i:03d}") for i in range(1000)]
    valid_luhn_ids = [number for number in ids if luhn_ok(number)]
    assert valid_luhn_ids
    matches = find_pii(f"身份证：{valid_luhn_ids[0]}")
    assert [m.kind for m in matches] == [PiiKind.ID_NUMBER]


@pytest.mark.parametrize("value", [None, ""])
def test_find_and_mask_pii_accept_nothing(value):
    assert find_pii(value) == []
    assert mask_pii(value) == ""
