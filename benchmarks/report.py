"""Result rows, the printed table and the JSON file."""

from __future__ import annotations

import json
import operator
import platform
import re
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from bayescnn.reports import text_table

RESULT_PAGES = Path(__file__).resolve().parent.parent / "docs" / "results"
"""The documentation's results pages: every generated table is written there, between its
``<!-- results:NAME -->`` markers."""


@dataclass(frozen=True)
class Target:
    """A goal for a ratio: ``ratio <= value`` (``at_most``) or ``ratio >= value``."""

    value: float
    at_most: bool

    def met(self, ratio: float) -> bool:
        """Whether ``ratio`` meets the goal."""
        compare = operator.le if self.at_most else operator.ge
        return compare(ratio, self.value)

    def __str__(self) -> str:
        return f"{'<=' if self.at_most else '>='} {self.value:g}x"


@dataclass
class Row:
    """One measured variant: its median, and its ratio to a baseline of the same run."""

    section: str
    name: str
    value: float
    unit: str
    ratio: float | None = None
    ratio_of: str = ""
    target: Target | None = None
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the target (None without a target)."""
        if self.target is None or self.ratio is None:
            return None
        return self.target.met(self.ratio)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the row."""
        data = asdict(self)
        data["target"] = None if self.target is None else str(self.target)
        data["met"] = self.met
        return data


_HEADER = ("variant", "median", "unit", "ratio", "of", "target", "ok", "note")


def _cells(row: Row) -> list[str]:
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    target = "" if row.target is None else str(row.target)
    met = {None: "", True: "yes", False: "NO"}[row.met]
    value = f"{row.value:.4g}" if row.value < 1e5 else f"{row.value:.3e}"
    note = f"({row.note})" if row.note else ""
    return [row.name, value, row.unit, ratio, row.ratio_of, target, met, note]


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table, one block per section."""
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    return "\n\n".join(
        f"== {section}\n" + text_table(_HEADER, [_cells(r) for r in chunk], align="<><><<<<")
        for section, chunk in sections.items()
    )


def environment(device: torch.device) -> dict[str, Any]:
    """Versions and hardware the numbers were taken on."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["git_commit"] = None
    return info


def _section_pattern(name: str) -> re.Pattern[str]:
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    return re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.S)


def has_section(text: str, name: str) -> bool:
    """Whether ``text`` holds the ``<!-- results:NAME -->`` ... end markers."""
    return _section_pattern(name).search(text) is not None


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with ``body`` between its ``<!-- results:NAME -->`` markers (unchanged
    when it has none): how every generated results table is written."""
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    return _section_pattern(name).sub(lambda _: f"{start}\n{body}\n{end}", text)


def write_sections(sections: Mapping[str, str], pages: Path = RESULT_PAGES) -> list[str]:
    """Write each section's body between its markers, in whichever Markdown page of
    ``pages`` holds them; returns the names of the sections that no page holds."""
    written: set[str] = set()
    for page in sorted(pages.glob("*.md")):
        text = updated = page.read_text()
        for name, body in sections.items():
            if has_section(updated, name):
                updated = replace_section(updated, name, body)
                written.add(name)
        if updated != text:
            page.write_text(updated)
    return [name for name in sections if name not in written]


def write_json(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    """Write ``meta`` and the rows to ``path`` as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**meta, "rows": [row.to_json() for row in rows]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
