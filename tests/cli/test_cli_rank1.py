"""``--posterior-family rank1 --members K``: a rank-1 mixture posterior trained end to end,
rebuilt from its run folder, evaluated, and refused by export."""

import json

import pytest
import torch
import yaml

import bayescnn
from bayescnn.cli.main import main


@pytest.fixture(scope="module")
def rank1_run(tmp_path_factory, tiny_mnist_dir, train_tiny):
    folder = tmp_path_factory.mktemp("rank1") / "run"
    extra = ("--posterior-family", "rank1", "--members", "2", "--train-subset", "300")
    return train_tiny(folder, tiny_mnist_dir, *extra, epochs=1)


def test_a_rank1_run_saves_its_family_and_members_in_its_config(rank1_run):
    config = yaml.safe_load((rank1_run / "config.yaml").read_text())
    assert config["posterior_family"] == "rank1" and config["members"] == 2


def test_a_rank1_run_rebuilds_as_a_rank1_network_of_its_members(rank1_run):
    model = bayescnn.load_run(rank1_run)
    assert isinstance(model, bayescnn.nn.Rank1Network) and model.members == 2
    assert bayescnn.sample_forward(model, torch.randn(3, 1, 28, 28), 2).shape == (4, 3, 10)


def test_a_rank1_run_evaluates_over_its_members(rank1_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(rank1_run), "--device", "cpu", "--samples", "2"]) == 0
    assert "posterior_mean" in json.loads(capsys.readouterr().out)


def test_exporting_a_rank1_run_is_one_clear_error(rank1_run, tmp_path, capsys):
    assert main(["export", str(rank1_run), "--out", str(tmp_path / "m.pt2")]) != 0
    assert "rank-1 model" in capsys.readouterr().err
    assert not (tmp_path / "m.pt2").exists()


def test_packed_mean_field_members_of_a_partly_bayesian_model_name_the_flag(
    tmp_path, tiny_mnist_dir, capsys
):
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--epochs", "1",
            "--members", "2", "--bayesian-layers", "fc*", "--run-dir", str(tmp_path / "run")]  # fmt: skip
    assert main(argv) == 2
    assert "bayesian_layers" in capsys.readouterr().err
