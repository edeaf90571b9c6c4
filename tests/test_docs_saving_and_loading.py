"""The guide to saving and loading stays true: its Python blocks run, in order, as a reader
runs them (one namespace; its temporary folders under pytest's)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide" / "saving-and-loading.md"
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_every_python_block_of_the_saving_and_loading_guide_runs(tmp_path, monkeypatch):
    blocks = _FENCE.findall(GUIDE.read_text())
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    namespace: dict[str, object] = {"__name__": "guide"}
    for number, block in enumerate(blocks, start=1):  # a failure names its block
        exec(compile(block, f"{GUIDE.name}, block {number}", "exec"), namespace)
