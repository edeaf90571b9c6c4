"""``train_run(config, run_dir, resume="if-exists")``: the same call, made again after a crash
or a requeue, continues its own run, refuses another's and starts where there is none."""

import functools
import json
import shutil

import pytest

from bayescnn.errors import InvalidArgumentError, RunMismatchError
from bayescnn.io import load_checkpoint, save_checkpoint
from bayescnn.runs import matching_run_progress, train_run
from bayescnn.train import read_metrics


@pytest.fixture(scope="module")
def make_config(short_run_config):
    """This file's run: 200 training images, no calibration."""
    return functools.partial(short_run_config, train_subset=200, calibrate=False)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, make_config):
    """A finished one-epoch run and its test report."""
    return train_run(make_config(), tmp_path_factory.mktemp("if-exists") / "run")


def test_the_same_config_finds_its_run_and_how_far_it_got(finished, make_config):
    folder, _ = finished
    progress = matching_run_progress(make_config(), folder)
    assert progress is not None and progress.epochs_done == 1 and progress.finished


def test_a_finished_run_of_the_same_config_returns_its_report_untrained(finished, make_config):
    folder, report = finished
    before = (folder / "last.safetensors").read_bytes()
    assert train_run(make_config(), folder, resume="if-exists") == (folder, report)
    assert (folder / "last.safetensors").read_bytes() == before


def test_an_interrupted_run_of_the_same_config_continues_from_its_last_checkpoint(
    finished, make_config, tmp_path
):
    run = shutil.copytree(finished[0], tmp_path / "run")
    checkpoint = load_checkpoint(run / "last.safetensors")  # a 2-epoch run stopped after one
    metadata = dict(checkpoint.metadata)
    metadata["config"] = metadata["config"] | {"epochs": 2}
    save_checkpoint(run / "last.safetensors", model_state=checkpoint.model_state,
                    metadata=metadata, extra=checkpoint.extra)  # fmt: skip
    (run / "test.json").unlink()
    first = read_metrics(run / "metrics.jsonl")
    train_run(make_config(epochs=2), run, resume="if-exists")
    rows = read_metrics(run / "metrics.jsonl")
    assert [row["epoch"] for row in rows] == [1, 2]
    assert rows[0] == first[0], "epoch 1 was not trained again (its time included)"
    assert (run / "test.json").is_file()


def test_a_run_of_another_config_is_refused_naming_each_key_both_values_and_the_fix(
    finished, make_config
):
    folder, _ = finished
    before = sorted(path.name for path in folder.iterdir())
    with pytest.raises(RunMismatchError) as raised:
        train_run(make_config(lr=0.01, epochs=3), folder, resume="if-exists")
    assert raised.value.differences == {"epochs": (1, 3), "lr": (0.003, 0.01)}
    message = str(raised.value)
    assert "epochs: 1 in the run, 3 asked; lr: 0.003 in the run, 0.01 asked" in message
    assert f"--resume {folder} --epochs N" in message and "another --run-dir" in message
    assert sorted(path.name for path in folder.iterdir()) == before


def test_where_the_data_is_and_where_the_run_runs_and_writes_may_differ(
    finished, make_config, tmp_path
):
    moved = make_config(data_dir=str(tmp_path / "data"), download=True, device="auto", out_dir=str(tmp_path),
                    run_name="again", log_every=7, tensorboard=True)  # fmt: skip
    assert matching_run_progress(moved, finished[0]) is not None


def test_a_missing_folder_or_one_without_a_checkpoint_starts_afresh(tmp_path, make_config):
    started = tmp_path / "started"  # killed before its first epoch ended
    started.mkdir()
    (started / "train.log").write_text("training ...\n")
    assert matching_run_progress(make_config(), started) is None
    assert matching_run_progress(make_config(), tmp_path / "missing") is None
    folder, report = train_run(make_config(), tmp_path / "missing", resume="if-exists")
    assert [row["epoch"] for row in read_metrics(folder / "metrics.jsonl")] == [1]
    assert json.loads((folder / "test.json").read_text()) == report


def test_resume_is_true_false_or_if_exists(tmp_path, make_config):
    with pytest.raises(InvalidArgumentError, match="'if-exists', got 'always'"):
        train_run(make_config(), tmp_path / "run", resume="always")
