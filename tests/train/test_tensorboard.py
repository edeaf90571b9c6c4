"""TensorBoardLogger writes each epoch's metrics row as scalars; `tensorboard: true` in a run
config writes them into RUN/tensorboard/; without tensorboard installed it says what to install."""

import json
import sys

import pytest

from bayescnn.runs import TrainConfig, train_run
from bayescnn.train import TensorBoardLogger, TensorBoardMissingError
from bayescnn.train.tensorboard import scalars


def _read_scalars(folder) -> dict[str, list[tuple[int, float]]]:
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator"
    )
    accumulator = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0})
    accumulator.Reload()
    return {
        tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
    }


def test_scalars_are_a_rows_numbers_with_nested_dicts_as_slashed_tags():
    row = {
        "epoch": 2,
        "train_loss": 0.5,
        "lr": 1e-3,
        "kl_share": None,
        "flag": True,
        "layers": {"conv1": {"kl": 3.0, "snr_below_1": 0.25}},
    }
    assert dict(scalars(row)) == {
        "train_loss": 0.5,
        "lr": 1e-3,
        "layers/conv1/kl": 3.0,
        "layers/conv1/snr_below_1": 0.25,
    }


def test_a_run_with_tensorboard_writes_every_epochs_metrics_into_the_run_folder(
    tmp_path, tiny_mnist_dir
):
    pytest.importorskip("tensorboard")
    config = TrainConfig(
        dataset="mnist",
        data_dir=str(tiny_mnist_dir),
        image_size=28,
        train_subset=200,
        batch_size=50,
        epochs=2,
        valid_samples=1,
        test_samples=2,
        device="cpu",
        tensorboard=True,
    )
    folder, _ = train_run(config, tmp_path / "run")
    assert list((folder / "tensorboard").glob("events.out.tfevents.*"))
    written = _read_scalars(folder / "tensorboard")
    for tag in ["train_loss", "train_kl", "valid_nll", "valid_ece", "lr", "snr_below_1"]:
        assert [step for step, _ in written[tag]] == [1, 2], tag
    assert any(tag.startswith("layers/") and tag.endswith("/kl") for tag in written)
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").open()]
    assert [value for _, value in written["train_loss"]] == pytest.approx(
        [row["train_loss"] for row in rows], rel=1e-6
    )


def test_without_tensorboard_installed_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(TensorBoardMissingError, match=r"pip install 'bayescnn\[tensorboard\]'"):
        TensorBoardLogger(tmp_path / "tensorboard")
    with pytest.raises(ImportError):
        TensorBoardLogger(tmp_path / "tensorboard")
    assert not (tmp_path / "tensorboard").exists()
