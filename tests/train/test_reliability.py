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

from bayescnn.io import load_checkpoint
from bayescnn.train import DivergenceError, TrainConfig, fit

FASHION = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist"
)

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


def test_a_run_killed_mid_epoch_and_resumed_ends_with_the_uninterrupted_metrics(tmp_path):
    straight = _cli("train", *ARGS, "--run-dir", str(tmp_path / "straight"))
    assert straight.wait(timeout=600) == 0, straight.stderr.read().decode()

    killed = tmp_path / "killed"
    victim = _cli("train", *ARGS, "--run-dir", str(killed))
    deadline = time.monotonic() + 600
    while _epochs_done(killed) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well into the second epoch
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert _epochs_done(killed) < 3 and not (killed / "test.json").exists(), "killed before the end"

    resumed = _cli("train", "--resume", str(killed))
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read().decode()
    expected = json.loads((tmp_path / "straight" / "test.json").read_text())
    assert json.loads((killed / "test.json").read_text()) == expected
    assert _epochs_done(killed) == 3


def test_a_diverging_run_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(
    tmp_path, monkeypatch
):
    import bayescnn.train.loop as loop

    real_kl = loop.kl_divergence
    calls = {"n": 0}

    def kl_that_explodes(model, **kwargs):
        calls["n"] += 1
        kl = real_kl(model, **kwargs)
        return kl * float("nan") if calls["n"] > 12 else kl

    monkeypatch.setattr(loop, "kl_divergence", kl_that_explodes)
    config = TrainConfig(
        image_size=28, train_subset=500, batch_size=50, epochs=3, valid_samples=1,
        test_samples=1, log_every=1, out_dir=str(tmp_path), device="cpu",
    )  # fmt: skip
    with pytest.raises(DivergenceError, match=r"epoch 2 by step 3.*--lr"):
        fit(config, run_dir=tmp_path / "run")
    last = load_checkpoint(tmp_path / "run" / "last.safetensors")
    assert last.metadata["epoch"] == 0
    assert all(torch.isfinite(t).all() for t in last.model_state.values())
