"""The two table writers: aligned plain text and Markdown."""

from __future__ import annotations

import pytest

from bayescnn.errors import BayesCNNError
from bayescnn.reports.tables import markdown_table, text_table

HEADER = ["name", "value"]
ROWS = [["a", 1.5], ["longer", 10]]


def test_text_table_pads_names_left_and_numbers_right_under_a_rule() -> None:
    assert text_table(HEADER, ROWS) == (
        "name    value\n------  -----\na         1.5\nlonger     10"
    )


def test_text_table_takes_one_alignment_per_column_or_one_for_all() -> None:
    assert text_table(HEADER, ROWS, align="<", rule=False) == (
        "name    value\na       1.5\nlonger  10"
    )
    assert text_table(HEADER, ROWS, align="><", rule=False) == (
        "  name  value\n     a  1.5\nlonger  10"
    )


def test_text_table_lines_carry_no_trailing_spaces() -> None:
    table = text_table(["x", "y"], [["long cell", ""]], align="<")
    assert all(line == line.rstrip() for line in table.splitlines())


def test_markdown_table_right_aligns_all_but_the_first_column_by_default() -> None:
    assert markdown_table(HEADER, ROWS) == (
        "| name | value |\n| --- | ---: |\n| a | 1.5 |\n| longer | 10 |"
    )


def test_markdown_table_left_alignment_writes_the_plain_rule() -> None:
    assert markdown_table(HEADER, [], align="<") == "| name | value |\n| --- | --- |"


@pytest.mark.parametrize("align", ["^", "<<<", ""])
def test_an_alignment_that_does_not_fit_the_columns_is_refused(align: str) -> None:
    with pytest.raises(BayesCNNError, match="align"):
        text_table(HEADER, ROWS, align=align)


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    with pytest.raises(BayesCNNError, match="row 2 has 1 cells"):
        markdown_table(HEADER, [["a", 1], ["b"]])
