"""Smoke tests of ``benchmarks/plain_loop.py``: the issue's plain loop runs and reports sane rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import bayescnn
from bayescnn.data import DataNotFoundError, ImageData, InMemoryLoader, get_spec
from benchmarks import plain_loop


def synthetic(count: int, seed: int) -> ImageData:
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (count, 1, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (count,), generator=generator)
    return ImageData(images, labels, tuple(str(k) for k in range(10)))


def test_both_models_train_and_report_every_metric() -> None:
    data = (synthetic(64, 0), synthetic(32, 1), synthetic(16, 2))
    spec = get_spec("fashion-mnist")
    rows = [plain_loop.run_model(b, data, spec, epochs=1, seed=0) for b in (True, False)]
    assert [row["model"] for row in rows] == ["lenet bayesian", "lenet frequentist"]
    assert [row["samples"] for row in rows] == [plain_loop.SAMPLES, 1]
    for row in rows:
        assert 0 <= row["accuracy"] <= 1 and 0 <= row["ece"] <= 1
        assert math.isfinite(row["nll"]) and row["train_seconds"] > 0
        assert 0 <= row["auroc_mutual_info"] <= 1 and 0 <= row["auroc_entropy"] <= 1
    assert rows[1]["auroc_mutual_info"] == 0.5  # a deterministic model has no disagreement
    assert plain_loop.table(rows).count("\n") == 3


@pytest.mark.slow
def test_command_line_on_fashion_mnist_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "plain.json"
    argv = ["--epochs", "1", "--limit-train", "256", "--limit-test", "100", "--out", str(out)]
    try:
        plain_loop.main(argv)
    except DataNotFoundError:
        pytest.skip("Fashion-MNIST is not on this machine")
    result = json.loads(out.read_text())
    assert (result["ood"], result["num_train"], result["num_test"]) == ("digits", 256, 100)
    assert len(result["rows"]) == 2


def test_a_bayesian_head_with_a_faster_rho_is_one_row_named_after_its_layers() -> None:
    data = (synthetic(64, 0), synthetic(32, 1), synthetic(16, 2))
    spec = get_spec("fashion-mnist")
    options = {"epochs": 1, "seed": 0, "rho_lr_scale": 3.0, "bayesian_layers": "fc*"}
    row = plain_loop.run_model(True, data, spec, **options)
    assert row["model"] == "lenet bayesian (fc* only)" and row["samples"] == plain_loop.SAMPLES
    assert 0 <= row["auroc_mutual_info"] <= 1


def test_rho_lr_scale_reaches_the_optimiser_of_the_plain_loop() -> None:
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", bayesian=True, num_classes=10, in_channels=1)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    loader = InMemoryLoader(synthetic(16, 0), 16, shuffle=True, seed=0, mean=(0.5,), std=(0.5,))
    plain_loop.train(model, loader, 1, bayesian=True, rho_lr_scale=4.0)
    moved = {n: (p.detach() - before[n]).abs().max().item() for n, p in model.named_parameters()}
    assert moved["fc2.weight_rho"] == pytest.approx(4 * moved["fc2.weight_mu"], rel=1e-3)


def test_rho_scale_reaches_the_model_of_the_plain_loop() -> None:
    model = plain_loop.lenet(True, rho_scale=3.0, bayesian_layers="fc*")
    layers = bayescnn.nn.bayesian_layers(model)
    assert layers and {layer.posterior_rho_scale for layer in layers} == {3.0}
