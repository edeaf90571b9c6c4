"""Runs survive SIGKILL and divergence: resume continues exactly, the last good checkpoint stays."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.io import load_checkpoint
from bayescnn.runs import TrainConfig, train_run
from bayescnn.train import DivergenceError

FASHION = Path("/usr/share/datasets/fashion-mnist")

ARGS = [
    "--model", "lenet", "--dataset", "fashion-mnist", "--activation", "relu", "--image-size", "28",
    "--train-subset", "2000", "--batch-size", "50", "--epochs", "3", "--lr", "0.003",
    "--valid-samples", "2", "--test-samples", "2", "--device", "cpu", "--seed", "3",
]  # fmt: skip


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bayescnn.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ | {"CI": "1"},
    )


def _epochs_done(run: Path) -> int:
    metrics = run / "metrics.jsonl"
    return len(metrics.read_text().splitlines()) if metrics.is_file() else 0


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_a_run_killed_mid_epoch_and_resumed_ends_with_the_uninterrupted_metrics(tmp_path):
    straight = _cli("train", *ARGS, "--run-dir", str(tmp_path / "straight"))
    assert straight.wait(timeout=600) == 0, straight.stderr.read().decode()

    killed = tmp_path / "killed"
    victim = _cli("train", *ARGS, "--run-dir", str(killed))
    deadline = time.monotonic() + 600
    while _epochs_done(killed) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # into the second epoch (an epoch takes about 0.4 s on 2 cores)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert _epochs_done(killed) < 3 and not (killed / "test.json").exists(), "killed before the end"

    resumed = _cli("train", "--resume", str(killed))
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read().decode()
    expected = json.loads((tmp_path / "straight" / "test.json").read_text())
    assert json.loads((killed / "test.json").read_text()) == expected
    assert _epochs_done(killed) == 3


class _ExplodesAfter(nn.Module):
    """A LeNet whose output turns NaN after its 13th training call."""

    def __init__(self, num_classes: int, in_channels: int) -> None:
        super().__init__()
        self.net = bayescnn.models.create(
            "lenet", num_classes=num_classes, in_channels=in_channels, image_size=28
        )
        self.calls = 0

    def forward(self, x):
        self.calls += self.training
        out = self.net(x)
        return out * float("nan") if self.calls > 12 else out


@pytest.fixture
def exploding_model():
    """Registers the model for the test's duration."""
    bayescnn.models.register_model("explodes-after-12-steps")(_ExplodesAfter)
    yield "explodes-after-12-steps"
    del bayescnn.models.MODELS["explodes-after-12-steps"]


def test_a_diverging_run_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(
    tmp_path, tiny_mnist_dir, exploding_model
):
    config = TrainConfig(
        model=exploding_model, dataset="mnist", data_dir=str(tiny_mnist_dir),
        image_size=28, train_subset=500, batch_size=50, epochs=3, valid_samples=1,
        test_samples=1, log_every=1, out_dir=str(tmp_path), device="cpu",
        bayesian_layers="all",  # the model's own: it is Bayesian already
    )  # fmt: skip
    with pytest.raises(DivergenceError, match=r"epoch 2 by step 3.*--lr.*last.safetensors"):
        train_run(config, tmp_path / "run")
    last = load_checkpoint(tmp_path / "run" / "last.safetensors")
    assert last.metadata["epoch"] == 0
    assert all(torch.isfinite(t).all() for t in last.model_state.values())
