import pytest

from sunlit.core.tabular import parse_date, read_tables, write_csv


def test_csv_export_defuses_formula_cells():
    data = write_csv(["a", "b"], [["=1+1", "-2"], ["@cmd", "-x"], ["+86", "普通"]])
    text = data.decode("utf-8-sig")
    assert "'=1+1" in text
    assert "'@cmd" in text
    assert "'-x" in text
    assert "'+86" in text
    assert ",-2" in text  # negative numbers stay numbers


def test_line_numbers_count_blank_rows_above_the_header():
    tables = read_tables(b"\n\ncode,name\n1,a\n\n2,b\n", "x.csv")
    rows = tables[""].rows
    assert [r.line for r in rows] == [4, 6]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2025-03-01", "2025-03-01"),
        (" 2025/3/1 ", "2025-03-01"),
        ("20250301", "2025-03-01"),
        ("2025-03-01 00:00:00", "2025-03-01"),
        ("", None),
    ],
)
def test_parse_date_reads_the_forms_spreadsheets_give(cell, expected):

    value = parse_date(cell)
    assert (value.isoformat() if value else None) == expected


@pytest.mark.parametrize("cell", ["2025-13-45", "1 March", "2025-02-30"])
def test_parse_date_refuses_what_is_not_a_date(cell):

    with pytest.raises(ValueError, match=r"\d|March"):
        parse_date(cell)
