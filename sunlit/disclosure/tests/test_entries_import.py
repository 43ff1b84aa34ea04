"""Benefit-list files: all or nothing, every bad line reported, forbidden columns refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunlit.core.tabular import ImportRejected
from sunlit.disclosure.entries_import import read_entries

from .conftest import PHONE, id_number, luhn_card


def test_csv_gb18030_with_chinese_headers():
    data = "姓名,村民小组,补助项目,金额,期间\n张三,三组,低保,350,2026年3月\n李四,,五保,,\n".encode("gb18030")
    rows = read_entries(data, "list.csv")
    assert [(r.name, r.village_group, r.benefit, r.amount) for r in rows] == [
        ("张三", "三组", "低保", Decimal("350.00")),
        ("李四", "", "五保", None),
    ]


def test_every_bad_line_is_reported():
    data = (
        "name,benefit,amount,period\n"
        f"张三,低保,abc,\n"
        f"李四,{PHONE},1,\n"
        f",低保,1,\n"
        f"王五,低保,1,{luhn_card()}\n"
        "赵六,低保,1,\n"
    ).encode()
    with pytest.raises(ImportRejected) as info:
        read_entries(data, "list.csv")
    lines = sorted((e.line, e.column) for e in info.value.errors)
    assert lines == [(2, "amount"), (3, "benefit"), (4, "name"), (5, "period")]


@pytest.mark.parametrize("column", ["身份证号", "phone", "bank_card", "住址"])
def test_forbidden_columns_refused(column):
    data = f"姓名,补助项目,{column}\n张三,低保,{id_number()}\n".encode()
    with pytest.raises(ImportRejected) as info:
        read_entries(data, "list.csv")
    assert column in info.value.errors[0].message


def test_unknown_column_and_empty_file():
    with pytest.raises(ImportRejected):
        read_entries("姓名,补助项目,备注\n张三,低保,x\n".encode(), "a.csv")
    with pytest.raises(ImportRejected):
        read_entries("姓名,补助项目\n".encode(), "a.csv")
