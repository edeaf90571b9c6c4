"""The README stays short, true and current.

Its Python blocks run with the rest of the documentation's (``tests/test_docs.py``); here,
what is particular to it: the first example stays short and reads files on disk, the two
commands exist, every link leads to a file, and it holds no history of how the work was
done.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_LINES = 300


def _block_after(marker: str) -> str:
    text = README.read_text()
    fence = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
    return fence.search(text, text.index(marker)).group(1)


def test_the_readme_is_at_most_300_lines() -> None:
    assert len(README.read_text().splitlines()) <= MAX_LINES


def test_the_first_example_is_short_and_reads_files_on_disk() -> None:
    """At most 15 lines, the data read from disk where ``load_dataset`` looks (no download):
    tests/test_docs.py runs it on a learnable stand-in of Fashion-MNIST in ./data."""
    code = _block_after("<!-- fit-example")
    assert len(code.strip().splitlines()) <= 15
    assert 'load_dataset("fashion-mnist")' in code and "download=True" not in code.split("#")[0]
    assert "bayescnn.fit(" in code and "bayescnn.predict(" in code


def test_the_two_commands_are_the_scripts_ci_runs() -> None:
    text = README.read_text()
    for script in ("scripts/quickstart.sh", "scripts/test.sh"):
        assert f"bash {script}" in text and (ROOT / script).is_file()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text())
    relative = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert relative
    for link in relative:
        assert (ROOT / link).exists(), link


@pytest.mark.parametrize(
    "pattern",
    [r"issue #?\d+", r"#\d{1,3}\b", r"\bsession", r"\blent\b", r"\d+ tests\b", r"\bCI (took|time)"],
)
def test_the_readme_holds_no_history_of_how_the_work_was_done(pattern: str) -> None:
    assert not re.search(pattern, README.read_text(), flags=re.IGNORECASE), pattern
