"""Runs from a config: they learn, write their run folder, resume exactly (tiny data; real data
marked slow)."""

import functools
import json
import warnings
from pathlib import Path

import pytest
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn.errors import ConfigError
from bayescnn.io import load_checkpoint, save_checkpoint
from bayescnn.nn import PosteriorSpec, bayesian_layers
from bayescnn.priors import ScaleMixturePrior
from bayescnn.runs import (
    LoadedRun,
    TrainConfig,
    build_posterior,
    open_run,
    read_config_file,
    read_run_progress,
    resume_config,
    resume_run,
    train_run,
)
from bayescnn.train import read_metrics

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def make_config(tmp_path, short_run_config):
    """This file's run: 2 epochs, 2 validation samples, written under ``tmp_path``."""
    return functools.partial(short_run_config, out_dir=str(tmp_path), epochs=2, valid_samples=2)


@pytest.mark.slow  # two full runs through the CLI: the slowest of tests/runs
@pytest.mark.parametrize("bayesian", [True, False])
def test_a_short_run_learns_and_writes_its_run_folder(tmp_path, make_config, bayesian):
    folder, report = train_run(make_config(bayesian=bayesian), tmp_path / "run")
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert report["predictive"]["accuracy"] > 0.5, "well above the 10% of chance"
    for name in ["config.yaml", "best.safetensors", "last.safetensors", "test.json"]:
        assert (folder / name).is_file(), name
    assert open_run(folder).config.bayesian is bayesian


def test_a_run_folder_loads_back_with_the_posterior_spec_it_was_trained_with(tmp_path, make_config):
    config = make_config(
        epochs=1,
        estimator="lrt",
        prior="mixture",
        prior_pi=0.25,
        posterior_mu_init=[0.0, 0.05],
        posterior_rho_init=[-4.0, 0.2],
    )
    folder, _ = train_run(config, tmp_path / "run")
    loaded = open_run(folder)
    expected = build_posterior(config)
    assert build_posterior(loaded.config) == expected
    assert expected == PosteriorSpec(
        "lrt",
        ScaleMixturePrior(0.25, 1.0, 0.0025),
        (0, 0.05),
        (-4, 0.2),
        rho_scale=defaults.MODEL_RHO_SCALE,  # a single network's, resolved and saved
    )
    assert all(layer.posterior_spec == expected for layer in bayesian_layers(loaded.model))


def _cut_after_one_epoch_of_two(folder: Path) -> None:
    """Pretend a run asked for 2 epochs was stopped after the first."""
    last = folder / "last.safetensors"
    checkpoint = load_checkpoint(last)
    metadata = dict(checkpoint.metadata)
    metadata["config"] = metadata["config"] | {"epochs": 2}
    save_checkpoint(
        last, model_state=checkpoint.model_state, metadata=metadata, extra=checkpoint.extra
    )


@pytest.mark.slow  # three runs, one resumed
def test_an_interrupted_run_resumed_ends_exactly_like_an_uninterrupted_one(tmp_path, make_config):
    _, straight = train_run(make_config(), tmp_path / "straight")
    train_run(make_config(epochs=1), tmp_path / "cut")
    _cut_after_one_epoch_of_two(tmp_path / "cut")
    _, resumed = resume_run(tmp_path / "cut")
    assert resumed == straight
    straight_rows = (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()
    resumed_rows = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    strip = lambda line: {k: v for k, v in json.loads(line).items() if k != "seconds"}  # noqa: E731
    assert [strip(r) for r in resumed_rows] == [strip(r) for r in straight_rows]


def test_the_last_checkpoint_keeps_the_history_a_resume_needs_and_the_best_keeps_none(
    tmp_path, make_config
):
    folder, _ = train_run(make_config(epochs=2), tmp_path / "run")
    history = load_checkpoint(folder / "last.safetensors").metadata["history"]
    assert history == [
        json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()
    ]
    assert "layers" in history[-1], "the diagnostics are in the row before it is saved"
    assert "history" not in load_checkpoint(folder / "best.safetensors").metadata


def test_starting_a_new_run_in_a_finished_run_folder_is_refused(tmp_path, make_config):
    config = make_config(epochs=1)
    train_run(config, tmp_path / "run")
    before = (tmp_path / "run" / "last.safetensors").read_bytes()
    with pytest.raises(FileExistsError, match="--resume"):
        train_run(config, tmp_path / "run")
    assert (tmp_path / "run" / "last.safetensors").read_bytes() == before


def test_mixed_precision_training_runs_and_keeps_the_kl_in_float32(tmp_path, make_config):
    folder, report = train_run(make_config(amp=True), tmp_path / "amp")
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert rows[1]["train_loss"] < rows[0]["train_loss"] and rows[1]["train_kl"] > 0
    assert report["predictive"]["accuracy"] > 0.3


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist")
@pytest.mark.parametrize("bayesian", [True, False])
def test_a_short_real_fashion_mnist_run_learns(tmp_path, short_run_config, bayesian):
    config = short_run_config(
        out_dir=str(tmp_path), epochs=2, valid_samples=2, data_dir=str(FASHION), dataset="fashion-mnist", train_subset=3000, batch_size=100,
        bayesian=bayesian,
    )  # fmt: skip
    _, report = train_run(config, tmp_path / "run")
    assert report["predictive"]["accuracy"] > 0.5, "well above the 10% of chance"


def test_a_finished_run_resumed_with_more_epochs_trains_on_like_a_longer_run(tmp_path, make_config):
    _, straight = train_run(make_config(), tmp_path / "straight")
    train_run(make_config(epochs=1), tmp_path / "short")
    folder, longer = resume_run(tmp_path / "short", epochs=2)
    assert longer == straight
    assert [row["epoch"] for row in read_metrics(folder / "metrics.jsonl")] == [1, 2]
    assert read_run_progress(folder).config.epochs == 2
    assert "epochs: 2" in (folder / "config.yaml").read_text()


def test_a_run_trained_longer_and_killed_before_its_test_report_is_not_finished_by_the_old_one(
    tmp_path, make_config, monkeypatch
):
    _, straight = train_run(make_config(), tmp_path / "straight")
    folder, _ = train_run(make_config(epochs=1), tmp_path / "run")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:  # trained to 2 epochs, killed before test.json
        patched.setattr(bayescnn.runs.run, "build_test_report", killed)
        with pytest.raises(KeyboardInterrupt):
            resume_run(folder, epochs=2)
    progress = read_run_progress(folder)
    assert progress.epochs_done == 2 and not progress.tested, "test.json is the 1-epoch run's"
    assert resume_run(folder) == (folder, straight)  # scores the test set, trains nothing
    assert read_run_progress(folder).finished
    (folder / "test.json").write_text("{truncated")  # damaged by hand: scored again
    assert not read_run_progress(folder).tested
    assert resume_run(folder) == (folder, straight)


def test_resuming_a_finished_run_asked_for_no_more_epochs_returns_its_report_untrained(
    tmp_path, make_config
):
    folder, report = train_run(make_config(epochs=1), tmp_path / "run")
    before = (folder / "last.safetensors").read_bytes()
    assert resume_run(folder) == (folder, report)
    assert (folder / "last.safetensors").read_bytes() == before


def test_resuming_with_no_more_epochs_than_trained_is_refused_naming_the_key(tmp_path, make_config):
    folder, _ = train_run(make_config(epochs=2), tmp_path / "run")
    with pytest.raises(ConfigError, match="more than the 2 the run") as raised:
        resume_config(folder, epochs=1)
    assert raised.value.key == "epochs"


@pytest.fixture(scope="module")
def run_before_the_renames(tmp_path_factory, short_run_config):
    """A run folder as older versions wrote it: config key ``objective``, not ``likelihood``."""
    tmp_path = tmp_path_factory.mktemp("old-run")
    config = short_run_config(
        out_dir=str(tmp_path), train_subset=100, likelihood="logmeanexp", valid_samples=2
    )
    folder, _ = train_run(config, tmp_path / "run")
    for name in ("best.safetensors", "last.safetensors"):
        checkpoint = load_checkpoint(folder / name)
        metadata = dict(checkpoint.metadata)
        values = dict(metadata["config"])
        values["objective"] = values.pop("likelihood")
        metadata["config"] = values
        save_checkpoint(
            folder / name,
            model_state=checkpoint.model_state,
            metadata=metadata,
            extra=checkpoint.extra,
        )
    text = (folder / "config.yaml").read_text()
    (folder / "config.yaml").write_text(text.replace("likelihood:", "objective:"))
    return folder


def test_a_run_folder_from_before_the_likelihood_rename_still_opens(run_before_the_renames):
    with pytest.warns(DeprecationWarning, match="the config key .objective. is deprecated"):
        run = open_run(run_before_the_renames)
    assert run.config.likelihood == "logmeanexp"
    with pytest.warns(DeprecationWarning):
        values = read_config_file(run_before_the_renames / "config.yaml")
    assert TrainConfig.from_dict(values).likelihood == "logmeanexp"


def test_runs_load_run_is_a_deprecated_name_of_open_run(run_before_the_renames):
    with pytest.warns(DeprecationWarning) as caught:  # and the old config key's
        run = bayescnn.runs.load_run(run_before_the_renames)
    assert any("open_run" in str(warning.message) for warning in caught)
    assert isinstance(run, LoadedRun) and isinstance(run.model, nn.Module)


def test_bayescnn_load_run_returns_the_model_alone(run_before_the_renames):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the old config key
        model = bayescnn.load_run(run_before_the_renames)
    assert isinstance(model, nn.Module) and not isinstance(model, LoadedRun)
