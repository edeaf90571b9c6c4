"""The results tables are written between their markers in the documentation's pages."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.report import RESULT_PAGES, write_sections

GENERATED = [
    *(f"{kind}-{tag}" for kind in ("sweep", "compare", "uncertainty", "seeds", "frontier",
                                   "comparison", "comparison-pooled") for tag in ("fmnist", "mnist")),
    "mnist-table", "targets", "targets-23", "peers",
]  # fmt: skip
"""Every section the benchmarks write (results_tables, comparison_tables, peers.tables)."""


def test_write_sections_writes_each_body_in_the_page_that_holds_its_markers(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a\n<!-- results:one -->\nold\n<!-- /results:one -->\nend\n")
    (tmp_path / "b.md").write_text("<!-- results:two -->\n<!-- /results:two -->\n")
    missing = write_sections({"one": "new", "two": "| x |", "three": "lost"}, tmp_path)
    assert missing == ["three"]
    assert (
        tmp_path / "a.md"
    ).read_text() == "a\n<!-- results:one -->\nnew\n<!-- /results:one -->\nend\n"
    assert "| x |" in (tmp_path / "b.md").read_text()


def test_every_generated_section_has_its_markers_in_exactly_one_results_page() -> None:
    texts = {page.name: page.read_text() for page in RESULT_PAGES.glob("*.md")}
    for name in GENERATED:
        holders = [page for page, text in texts.items() if f"<!-- results:{name} -->" in text]
        assert len(holders) == 1, (name, holders)
    readme = (RESULT_PAGES.parent.parent / "README.md").read_text()
    assert not re.search(r"<!-- results:", readme)  # the README holds no generated table
