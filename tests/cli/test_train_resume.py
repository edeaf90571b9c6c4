"""``bayescnn train --resume RUN [--epochs N]``: continue a run, or train it longer."""

import shutil

import pytest
import yaml

from bayescnn.cli.main import main
from bayescnn.train import read_metrics


def _poisoned(*args, **kwargs):
    raise AssertionError("a finished run was trained again")


def test_resuming_a_finished_run_says_so_in_one_line_and_exits_0(tiny_run, capsys, monkeypatch):
    monkeypatch.setattr("bayescnn.runs.train_run", _poisoned)
    assert main(["train", "--resume", str(tiny_run)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"{tiny_run} is finished (1 epoch, tested)")
    assert f"bayescnn train --resume {tiny_run} --epochs N" in out[0]


def test_resume_with_more_epochs_trains_a_finished_run_on_and_records_it(
    tiny_run, tmp_path, capsys
):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0
    assert [row["epoch"] for row in read_metrics(run / "metrics.jsonl")] == [1, 2]
    assert yaml.safe_load((run / "config.yaml").read_text())["epochs"] == 2
    assert "the run's 1 epoch(s) are now 2" in (run / "train.log").read_text()


def test_resume_with_no_more_epochs_than_trained_names_the_flag(tiny_run, capsys):
    assert main(["train", "--resume", str(tiny_run), "--epochs", "0"]) == 2
    err = capsys.readouterr().err
    assert "error: --epochs must be more than the 1 the run in" in err


def test_resume_refuses_other_options_naming_them(tiny_run, capsys):
    assert main(["train", "--resume", str(tiny_run), "--lr", "0.1", "--epochs", "3"]) == 2
    err = capsys.readouterr().err
    assert "give no other options but --epochs N" in err and err.rstrip().endswith("got --lr")


def test_a_bad_flag_value_names_the_flag_and_a_bad_file_value_the_key(tmp_path, capsys):
    assert main(["train", "--batch-size", "0"]) == 2
    assert "error: --batch-size must be >= 1, got 0" in capsys.readouterr().err
    config = tmp_path / "c.yaml"
    config.write_text("batch_size: 0\n")
    assert main(["train", "--config", str(config)]) == 2
    assert "error: batch_size must be >= 1, got 0" in capsys.readouterr().err


def test_resume_if_exists_with_the_runs_own_command_says_it_is_finished_and_exits_0(
    tiny_run, tiny_mnist_dir, tiny_argv, capsys, monkeypatch
):
    monkeypatch.setattr("bayescnn.runs.train_run", _poisoned)
    argv = tiny_argv(tiny_run, tiny_mnist_dir, "--resume-if-exists", epochs=1)
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"{tiny_run} is finished (1 epoch, tested)")


def test_resume_if_exists_refuses_a_run_of_another_config_naming_the_keys_and_values(
    tiny_run, tiny_mnist_dir, tiny_argv, capsys, monkeypatch
):
    monkeypatch.setattr("bayescnn.runs.train_run", _poisoned)
    argv = tiny_argv(tiny_run, tiny_mnist_dir, "--resume-if-exists", "--lr", "0.01", epochs=1)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {tiny_run} holds a run of another config: lr: 0.001 in the run, " in err
    assert "lr: 0.001 in the run, 0.01 asked. To continue it" in err
    assert f"use --resume {tiny_run}" in err and "choose another --run-dir" in err


def test_resume_if_exists_without_a_run_dir_or_run_name_is_refused(tmp_path, capsys):
    out_dir = tmp_path / "runs"
    assert main(["train", "--resume-if-exists", "--out-dir", str(out_dir)]) == 2
    err = capsys.readouterr().err
    assert "error: --resume-if-exists needs a run folder that is the same at every start" in err
    assert "--run-dir RUN or --run-name NAME" in err and not out_dir.exists()


def test_resume_and_resume_if_exists_exclude_each_other(tiny_run, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--resume", str(tiny_run), "--resume-if-exists"])
    assert raised.value.code == 2
    assert "not allowed with argument --resume" in capsys.readouterr().err
