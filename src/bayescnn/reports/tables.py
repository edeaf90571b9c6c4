"""The two table writers every report uses: aligned plain text and Markdown (GitHub).

Both take a header and rows of cells (any object, written with ``str``) and an
alignment: one character per column, ``"<"`` (left) or ``">"`` (right), or a single
character for every column. The command line, the uncertainty report and the
benchmarks' results tables all go through these two functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from bayescnn.errors import InvalidArgumentError

__all__ = ["markdown_table", "text_table"]

_ALIGNMENTS = ("<", ">")


def _alignment(align: str | None, columns: int) -> str:
    """One ``<``/``>`` per column; ``None`` is the first column left, the others right."""
    if align is None:
        return "<" + ">" * (columns - 1)
    if len(align) == 1:
        align *= columns
    if len(align) != columns or any(a not in _ALIGNMENTS for a in align):
        raise InvalidArgumentError(
            f"align must be one of {_ALIGNMENTS} per column ({columns} columns) or one for "
            f"all, got {align!r}"
        )
    return align


def _cells(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[list[str]]:
    """Header and rows as strings, every row as long as the header."""
    lines = [[str(cell) for cell in row] for row in (header, *rows)]
    for number, line in enumerate(lines[1:], start=1):
        if len(line) != len(header):
            raise InvalidArgumentError(
                f"row {number} has {len(line)} cells, the header {len(header)}: give every "
                "row one cell per column"
            )
    return lines


def text_table(
    header: Sequence[object],
    rows: Sequence[Sequence[object]],
    *,
    align: str | None = None,
    rule: bool = True,
    gap: str = "  ",
) -> str:
    """Columns padded to their widest cell and joined by ``gap``, lines right-stripped.

    Args:
        header: The column names.
        rows: One sequence of cells per line, as many as the header.
        align: ``"<"``/``">"`` per column, or one for all; by default the first column is
            left-aligned and the others right-aligned (names, then numbers).
        rule: A line of dashes, one run per column, under the header.
        gap: What separates two columns.

    Returns:
        The table without a trailing newline.
    """
    lines = _cells(header, rows)
    aligns = _alignment(align, len(header))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def joined(cells: Sequence[str]) -> str:
        padded = (
            cell.ljust(width) if a == "<" else cell.rjust(width)
            for cell, width, a in zip(cells, widths, aligns, strict=True)
        )
        return gap.join(padded).rstrip()

    ruler = [gap.join("-" * width for width in widths)] if rule else []
    return "\n".join([joined(lines[0]), *ruler, *(joined(line) for line in lines[1:])])


def markdown_table(
    header: Sequence[object], rows: Sequence[Sequence[object]], *, align: str | None = None
) -> str:
    """A GitHub Markdown table, ``| a | b |`` rows under a ``| --- | --- |`` rule.

    Args:
        header: The column names.
        rows: One sequence of cells per line, as many as the header.
        align: ``"<"``/``">"`` per column, or one for all; ``">"`` writes ``---:`` (right),
            ``"<"`` the plain ``---``. By default the first column is plain and the others
            right-aligned, as in :func:`text_table`.

    Returns:
        The table without a trailing newline.
    """
    lines = _cells(header, rows)
    aligns = _alignment(align, len(header))
    ruler = ["---:" if a == ">" else "---" for a in aligns]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [lines[0], ruler, *lines[1:]])
