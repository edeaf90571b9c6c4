"""``bayescnn train --members K``: a packed ensemble trained in one run, rebuilt from its
config by every command that opens the run."""

from __future__ import annotations

import json

import pytest
import torch

import bayescnn
from bayescnn.cli.main import main
from bayescnn.errors import ConfigError
from bayescnn.runs import TrainConfig, open_run
from bayescnn.runs.scoring import summarize_report


@pytest.fixture(scope="module")
def members_run(tmp_path_factory, tiny_mnist_dir, train_tiny):
    folder = tmp_path_factory.mktemp("members") / "run"
    return train_tiny(folder, tiny_mnist_dir, "--members", "2", "--member-width", "0.5", epochs=1)


def test_the_test_report_says_each_draw_gives_one_sample_per_member(members_run):
    report = json.loads((members_run / "test.json").read_text())
    assert (report["samples"], report["members"]) == (2, 2)
    assert "(2 samples x 2 members)" in summarize_report(report)


def test_open_run_rebuilds_the_packed_members_from_the_config(members_run):
    run = open_run(members_run)
    assert (run.config.members, run.config.member_width) == (2, 0.5)
    assert bayescnn.nn.members_of(run.model) == 2
    prediction = bayescnn.predict(run.model, torch.randn(3, 1, 28, 28), samples=3)
    assert prediction.samples == 6


def test_evaluate_reloads_and_scores_the_run(members_run, capsys):
    assert main(["evaluate", str(members_run), "--samples", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["members"] == 2


def test_export_of_a_members_run_is_one_clear_error(members_run, tmp_path, capsys):
    assert main(["export", str(members_run), "--out", str(tmp_path / "m.onnx")]) == 2
    assert "2 members" in capsys.readouterr().err


@pytest.mark.parametrize(("key", "value"), [("members", 0), ("member_width", 0.0)])
def test_members_and_member_width_out_of_range_are_config_errors(key, value):
    with pytest.raises(ConfigError, match=key):
        TrainConfig(**{key: value})
