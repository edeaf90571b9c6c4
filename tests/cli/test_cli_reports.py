"""evaluate, uncertainty and plot run on a run folder written by `bayescnn train`."""

import json
from pathlib import Path

import pytest

from bayescnn.cli.main import main

FASHION = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "run"
    argv = ["train", "--image-size", "28", "--train-subset", "600", "--batch-size", "100",
            "--epochs", "1", "--valid-samples", "1", "--test-samples", "2", "--device", "cpu",
            "--run-dir", str(folder)]  # fmt: skip
    assert main(argv) == 0
    return folder


def test_evaluate_prints_the_predictive_and_posterior_mean_metrics(run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(run), "--samples", "2", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"predictive", "posterior_mean"} <= set(report)
    assert 0 <= report["predictive"]["accuracy"] <= 1


def test_uncertainty_needs_only_the_ood_set_and_writes_its_report(run, capsys):
    assert (
        main(["uncertainty", str(run), "--ood", "noise", "--limit", "200", "--samples", "3"]) == 0
    )
    out = run / "uncertainty-noise"
    for name in ["uncertainty.json", "uncertainty_scores.csv", "reliability_diagram.png"]:
        assert (out / name).is_file(), name
    assert "AUROC" in capsys.readouterr().out


def test_plot_draws_the_training_curves_and_weight_distributions(run):
    assert main(["plot", str(run)]) == 0
    assert (run / "training_curves.png").is_file()
    assert (run / "weight_distributions.png").is_file()
