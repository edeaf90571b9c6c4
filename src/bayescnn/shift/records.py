"""Writing evaluation-under-shift records as JSON and CSV."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_shift_records"]


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.6g}" if isinstance(value, float) else value


def write_shift_records(
    rows: Sequence[dict[str, Any]], json_path: str | Path, csv_path: str | Path
) -> tuple[Path, Path]:
    """Write flat rows (e.g. :meth:`ShiftRecord.to_dict`, plus any columns of the caller)
    as a JSON list and a CSV with one row each; the CSV's columns are the union of keys,
    in order of first appearance. Returns both paths."""
    json_path, csv_path = Path(json_path), Path(csv_path)
    for path in (json_path, csv_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(list(rows), indent=2) + "\n")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in columns])
    return json_path, csv_path
