"""`bayescnn train --model package.module:function` trains a user's own architecture."""

import json

import pytest
import yaml

import bayescnn
from bayescnn.cli.main import main

SMALL_CNN = """
from torch import nn


def SmallCNN(num_classes, in_channels, **kwargs):
    return nn.Sequential(
        nn.Conv2d(in_channels, 8, 5, stride=2), nn.ReLU(), nn.Flatten(),
        nn.Linear(8 * 12 * 12, num_classes),
    )
"""


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    package = tmp_path / "userpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "nets.py").write_text(SMALL_CNN)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "userpkg.nets:SmallCNN"


def _train(model, data_dir, run_dir, *extra):
    argv = ["train", "--model", model, "--dataset", "mnist", "--data-dir", str(data_dir),
            "--image-size", "28", "--epochs", "2", "--lr", "0.01", "--device", "cpu",
            "--run-dir", str(run_dir), *extra]  # fmt: skip
    return main(argv)


def test_a_plain_user_module_is_made_bayesian_trains_and_is_rebuilt_by_evaluate(
    tmp_path, tiny_mnist_dir, user_package, capsys
):
    run = tmp_path / "run"
    assert _train(user_package, tiny_mnist_dir, run) == 0
    assert yaml.safe_load((run / "config.yaml").read_text())["model"] == user_package
    assert json.loads((run / "test.json").read_text())["predictive"]["accuracy"] > 0.5
    model = bayescnn.load_run(run)
    bayesian = [n for n, m in model.named_modules() if isinstance(m, bayescnn.nn.BayesianLayer)]
    assert bayesian == ["3"], "by default its fully connected layer, on its plain convolution"
    capsys.readouterr()
    assert main(["evaluate", str(run), "--device", "cpu"]) == 0
    assert "posterior_mean" in json.loads(capsys.readouterr().out)


def test_with_frequentist_the_user_module_stays_plain(tmp_path, tiny_mnist_dir, user_package):
    assert _train(user_package, tiny_mnist_dir, tmp_path / "run", "--frequentist") == 0
    model = bayescnn.load_run(tmp_path / "run")
    assert not bayescnn.nn.bayesian_layers(model)


def test_a_missing_function_in_an_existing_module_is_one_line(
    tmp_path, tiny_mnist_dir, user_package, capsys
):
    assert _train("userpkg.nets:Missing", tiny_mnist_dir, tmp_path / "run") == 2
    assert "has no function 'Missing'" in capsys.readouterr().err
