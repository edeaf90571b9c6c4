"""Smoke tests of ``benchmarks/``: the pieces run and report sane rows; no timing asserted."""

from __future__ import annotations

import json
import math

import pytest
import torch
from benchmarks.data_path import PilTransformDataset, bench_data_path, original_transform
from benchmarks.prediction import bench_predict, bench_predict_vs_loop
from benchmarks.report import Row, Target, format_table, write_json
from benchmarks.timing import interleaved, paired_ratio
from benchmarks.training import bench_engine, bench_epoch, bench_train_step

from bayescnn.data import ImageData
from bayescnn.data.transforms import convert_image_data
from benchmarks import run

CPU = torch.device("cpu")


def synthetic(count: int = 48, size: int = 28) -> ImageData:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 1, size, size), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (count,), generator=generator)
    return ImageData(images, labels, tuple(str(k) for k in range(10)))


def check_rows(rows: list[Row], names: list[str]) -> None:
    assert [row.name for row in rows] == names
    for row in rows:
        assert math.isfinite(row.value) and row.value > 0
        assert row.ratio is None or (math.isfinite(row.ratio) and row.ratio > 0)


def test_interleaved_rotates_and_times_every_round() -> None:
    calls: list[str] = []
    samples = interleaved(
        {name: (lambda n=name: calls.append(n)) for name in "abc"},
        rounds=3,
        reps={"b": 2},
        warmup=1,
    )
    assert calls[:3] == ["a", "b", "c"]  # warm-up
    assert calls[3:] == ["a", "b", "b", "c", "b", "b", "c", "a", "c", "a", "b", "b"]
    assert {name: len(times) for name, times in samples.items()} == {"a": 3, "b": 3, "c": 3}
    assert paired_ratio([2.0, 4.0, 9.0], [1.0, 1.0, 1.0]) == 4.0


def test_step_benchmark_one_round_lenet_tiny_batch() -> None:
    rows = bench_train_step(
        CPU, models=("lenet",), batch_size=4, rounds=1, reps={"lenet": 1}, warmup=0
    )
    check_rows(rows, ["lenet frequentist", "lenet bbb", "lenet lrt", "lenet flipout"])
    assert [row.ratio is None for row in rows] == [True, False, False, False]
    assert rows[1].target == Target(1.15, at_most=True)


def test_engine_benchmark_times_fit_against_a_bare_loop() -> None:
    rows = bench_engine(CPU, batch_size=8, batches=2, rounds=1)
    check_rows(rows, ["bare loop", "bayescnn.fit"])
    assert rows[1].target == Target(1.02, at_most=True) and rows[0].ratio is None


def test_predict_benchmark_one_round() -> None:
    rows = bench_predict(
        CPU, estimators=("lrt",), num_samples=3, batch_size=4, chunk_sizes=(2,), rounds=1
    )
    check_rows(rows, ["lrt loop", "lrt vectorised", "lrt vectorised chunk=2"])


def test_predict_vs_loop_benchmark_one_round() -> None:
    rows = bench_predict_vs_loop(
        CPU, estimators=("bbb",), num_samples=3, batch_sizes=(4,), rounds=1
    )
    check_rows(
        rows, ["bbb batch 4 loop", "bbb batch 4 predict", "bbb batch 4 predict, all summaries"]
    )
    assert rows[1].target is not None and rows[1].target.value == 1.0


def test_data_path_benchmark_one_round() -> None:
    raw = synthetic()
    resized = convert_image_data(raw, image_size=32)
    rows = bench_data_path(
        CPU, raw, resized, (0.5,), (0.25,), batch_size=16, batches=2, workers=(0,), rounds=1
    )
    check_rows(rows, ["torchvision PIL, workers=0", "in-memory loader"])


def test_both_data_paths_give_the_same_images_up_to_rounding() -> None:
    raw = synthetic(count=8)
    mean, std = (0.3,), (0.4,)
    dataset = PilTransformDataset(raw, original_transform(32, mean, std))
    theirs = torch.stack([dataset[i][0] for i in range(len(dataset))])
    ours = (convert_image_data(raw, image_size=32).images.float() / 255 - mean[0]) / std[0]
    assert theirs.shape == ours.shape == (8, 1, 32, 32)
    grey_levels = (theirs - ours).abs() * std[0] * 255
    assert grey_levels.max() <= 1.0 + 1e-3  # PIL and torch round the same bilinear resize


def test_epoch_benchmark_a_few_batches() -> None:
    train = convert_image_data(synthetic(), image_size=32)
    rows = bench_epoch(
        CPU, train, (0.5,), (0.25,), batch_size=8, max_batches=2, rounds=1, warmup_batches=1
    )
    check_rows(rows, ["lenet frequentist", "lenet lrt"])


def test_table_and_json(tmp_path) -> None:
    rows = [
        Row("s", "base", 2.0, "ms"),
        Row("s", "fast", 1.0, "ms", ratio=2.0, ratio_of="x", target=Target(1.5, at_most=False)),
    ]
    table = format_table(rows)
    assert "== s" in table and "2.00x" in table and ">= 1.5x" in table and "yes" in table
    path = tmp_path / "out.json"
    write_json(path, rows, {"mode": "test"})
    data = json.loads(path.read_text())
    assert data["mode"] == "test" and data["rows"][1]["met"] is True


def test_cli_rejects_unknown_sections() -> None:
    assert run.parse_args(["--quick", "--sections", "step,epoch"]).sections == ["step", "epoch"]
    with pytest.raises(SystemExit):
        run.parse_args(["--sections", "nope"])
