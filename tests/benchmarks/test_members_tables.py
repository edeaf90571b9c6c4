"""The packed members' study: the tables and the targets follow from the records."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import members_tables


def _scores(ece: float, mi: float) -> dict:
    return {"accuracy": 0.9, "nll": 0.3, "ece": ece, "auroc": {"mutual_info": mi}}


def _record(tag: str, method: str, seed: int, ece: float, mi: float, sweep: dict) -> dict:
    return {
        "key": f"{tag}/{method}/seed{seed}", "tag": tag, "method": method, "seed": seed,
        "samples": 25, "calibrated": _scores(ece, mi),
        "by_samples": {str(s): {"calibrated": _scores(*v)} for s, v in sweep.items()},
    }  # fmt: skip


def test_the_targets_compare_the_default_samples_with_the_members_before(tmp_path: Path) -> None:
    records = []
    for seed in (0, 1):
        records += [
            _record("fmnist", "twin", seed, 0.0050, 0.5, {}),
            _record("fmnist", members_tables.BEFORE, seed, 0.0070, 0.940, {}),
            _record("fmnist", members_tables.AFTER, seed, 0.0050, 0.950, {8: (0.0055, 0.930)}),
        ]
    pooled = tmp_path / "pooled.jsonl"
    pooled.write_text("".join(json.dumps(r) + "\n" for r in records))
    costs = tmp_path / "costs.json"
    costs.write_text(
        json.dumps({"ratios": {members_tables.AFTER: 3.2, members_tables.BEFORE: 7.0}})
    )
    packed = tmp_path / "packed.json"
    packed.write_text(json.dumps({"predict": {"ratio": {"members bbb S=8": 4.5}}}))
    page = tmp_path / "members.md"
    markers = ["targets-members", "members-samples-fmnist", "members-samples-mnist"]
    page.write_text("".join(f"<!-- results:{m} -->\n<!-- /results:{m} -->\n" for m in markers))
    members_tables.write(pooled, costs, packed, 8, tmp_path)
    text = page.read_text()
    assert (
        "| training step <= 4.0x the twin's (CPU, controlled) | 3.20x (before: 7.00x) | yes |"
        in text
    )
    assert "(25 samples) | 4.50x | **no** |" in text  # prediction over the limit
    # judged at the default S (8), not at the main run's 25: MI 0.930 < 0.940 - 0.005
    assert (
        "| Fashion-MNIST MI AUROC within 0.005 of the members before | 0.930 vs 0.940 | **no** |"
        in text
    )
    assert "0.0055 vs the twin's 0.0050 (before: 0.0070) | yes |" in text
    assert "| 8 (32 in all) | 2 |" in text and "| 25 (100 in all) | 2 |" in text
    assert text.count("not measured") == 3  # the GPU targets, without a GPU


def test_the_split_batch_table_puts_the_two_members_side_by_side(tmp_path: Path) -> None:
    records = [
        _record(tag, method, seed, ece, 0.95, {8: (ece + 0.001, 0.94)})
        for seed in (0, 1, 2)
        for tag in ("fmnist", "mnist")
        for method, ece in ((members_tables.AFTER, 0.006), (members_tables.SPLIT, 0.009))
    ]
    grouped = {}
    for record in records:
        grouped.setdefault((record["tag"], record["method"]), []).append(record)
    rows = members_tables.split_rows(grouped, {members_tables.AFTER: 3.5}, 8)
    assert [row[:5] for row in rows[:4]] == [
        ["Fashion-MNIST", "shared", "3.50x", "8", "3"],
        ["Fashion-MNIST", "shared", "3.50x", "25", "3"],
        ["Fashion-MNIST", "a 1/4 share each", "not measured", "8", "3"],
        ["Fashion-MNIST", "a 1/4 share each", "not measured", "25", "3"],
    ]
    assert rows[2][7].startswith("0.0100") and rows[3][7].startswith("0.0090")  # the ECE
    assert len(rows) == 8
