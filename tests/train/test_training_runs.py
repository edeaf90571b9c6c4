"""Short real training runs on Fashion-MNIST: it learns, writes its run folder, resumes exactly."""

import json
from pathlib import Path

import pytest

from bayescnn.train import TrainConfig, fit, load_run, resume

FASHION = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist"
)


def _config(tmp_path, **overrides):
    values = dict(
        dataset="fashion-mnist",
        model="lenet",
        activation="relu",
        image_size=28,
        train_subset=3000,
        lr=3e-3,
        batch_size=100,
        epochs=2,
        valid_samples=2,
        test_samples=2,
        out_dir=str(tmp_path),
        device="cpu",
    )
    return TrainConfig(**(values | overrides))


@pytest.mark.parametrize("bayesian", [True, False])
def test_a_short_run_learns_and_writes_its_run_folder(tmp_path, bayesian):
    folder, report = fit(_config(tmp_path, bayesian=bayesian), run_dir=tmp_path / "run")
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert report["predictive"]["accuracy"] > 0.5, "well above the 10% of chance"
    for name in ["config.yaml", "best.safetensors", "last.safetensors", "test.json", "train.log"]:
        assert (folder / name).is_file(), name
    assert load_run(folder).config.bayesian is bayesian


def test_an_interrupted_run_resumed_ends_exactly_like_an_uninterrupted_one(tmp_path):
    _, straight = fit(_config(tmp_path, epochs=2), run_dir=tmp_path / "straight")
    fit(_config(tmp_path, epochs=1), run_dir=tmp_path / "cut")
    config_path = tmp_path / "cut" / "last.safetensors"
    assert config_path.is_file()
    # pretend the run had been asked for 2 epochs and was stopped after the first
    from bayescnn.io import load_checkpoint, save_checkpoint

    checkpoint = load_checkpoint(config_path)
    metadata = dict(checkpoint.metadata)
    metadata["config"] = metadata["config"] | {"epochs": 2}
    save_checkpoint(
        config_path, model_state=checkpoint.model_state, metadata=metadata, extra=checkpoint.extra
    )
    _, resumed = resume(tmp_path / "cut")
    assert resumed == straight


def test_starting_a_new_run_in_a_finished_run_folder_is_refused(tmp_path):
    fit(_config(tmp_path, epochs=1, train_subset=500), run_dir=tmp_path / "run")
    before = (tmp_path / "run" / "last.safetensors").read_bytes()
    with pytest.raises(FileExistsError, match="--resume"):
        fit(_config(tmp_path, epochs=1, train_subset=500), run_dir=tmp_path / "run")
    assert (tmp_path / "run" / "last.safetensors").read_bytes() == before


def test_mixed_precision_training_runs_and_keeps_the_kl_in_float32(tmp_path):
    folder, report = fit(_config(tmp_path, amp=True), run_dir=tmp_path / "amp")
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert rows[1]["train_loss"] < rows[0]["train_loss"] and rows[1]["train_kl"] > 0
    assert report["predictive"]["accuracy"] > 0.5
