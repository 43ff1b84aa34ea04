from sunlit.core.tabular import read_tables, write_csv


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
