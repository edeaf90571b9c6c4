"""benchmarks.cli_way: the command-line way runs only the kinds asked for and keeps each
run's summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import cli_way


def test_only_the_kinds_asked_for_are_run_and_summarised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = []

    def fake_run(tag, kind, seed, args):
        ran.append((tag, kind, seed))
        return {"tag": tag, "kind": kind, "seed": seed, "ood": {"mutual_info": 0.9},
                "test": {"predictive": {"accuracy": 0.9, "ece": 0.01}}}  # fmt: skip

    monkeypatch.setattr(cli_way, "run_one", fake_run)
    out = tmp_path / "summary.json"
    argv = ["--kinds", "default", "--seeds", "0", "1", "--datasets", "mnist",
            "--work", str(tmp_path / "work"), "--out", str(out)]  # fmt: skip
    assert cli_way.main(argv) == 0
    assert sorted(ran) == [("mnist", "default", 0), ("mnist", "default", 1)]
    assert [(r["kind"], r["seed"]) for r in json.loads(out.read_text())] == [
        ("default", 0),
        ("default", 1),
    ]


def test_an_unknown_kind_is_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit):
        cli_way.main(["--kinds", "ensemble"])
