"""`bayescnn inspect` and `bayescnn prune` on a tiny trained run."""

import json

import pytest

from bayescnn.cli.main import main
from bayescnn.cli.posterior_commands import accuracy_changes


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_mnist_dir):
    folder = tmp_path_factory.mktemp("posterior") / "run"
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size",
            "28", "--epochs", "2", "--lr", "0.01", "--device", "cpu", "--run-dir", str(folder),
            "--bayesian-layers", "all"]  # fmt: skip
    assert main(argv) == 0
    return folder


def test_inspect_prints_each_layers_kl_sigma_and_snr_and_draws_histograms(run, capsys):
    capsys.readouterr()
    assert main(["inspect", str(run)]) == 0
    out = capsys.readouterr().out
    for layer in ("conv1", "conv2", "fc1", "fc2", "fc3"):
        assert layer in out
    assert "SNR<1" in out and (run / "posterior.png").is_file()


def test_prune_reports_both_criteria_from_nothing_removed_to_everything(run, capsys):
    argv = ["prune", str(run), "--fractions", "0.5,1", "--samples", "2", "--save"]
    assert main(argv) == 0
    rows = json.loads((run / "prune" / "prune.json").read_text())
    by = {(r["criterion"], r["fraction"]): r for r in rows}
    assert by[("snr", 0.0)]["removed"] == 0 and by[("snr", 0.0)]["accuracy"] > 0.5
    assert by[("snr", 1.0)]["accuracy"] < 0.3, "only the biases left: about chance"
    assert by[("magnitude", 0.5)]["removed"] == by[("snr", 0.5)]["removed"] > 0
    assert (run / "prune" / "pruning.png").is_file()
    assert (run / "prune" / "pruned-snr-0.5.safetensors").is_file()
    assert "accuracy change from the unpruned model's" in capsys.readouterr().out


@pytest.mark.parametrize("fractions", ["0.5,1.5", "-0.1", "half"])
def test_a_fraction_outside_zero_to_one_is_one_line_and_exit_2(run, capsys, fractions):
    assert main(["prune", str(run), "--fractions", fractions]) == 2
    err = capsys.readouterr().err
    assert "fraction" in err and len(err.strip().splitlines()) == 1


def test_the_prune_summary_gives_each_fractions_signed_accuracy_change_not_a_verdict():
    points = [(0.0, 0.80), (0.5, 0.805), (0.75, 0.811), (0.9, 0.70)]
    line = accuracy_changes("by SNR", points)
    assert line == (
        "by SNR: accuracy change from the unpruned model's 80.00%, in points: "
        "0.5 removed +0.50, 0.75 removed +1.10, 0.9 removed -10.00"
    )


def test_prune_help_shows_the_default_fractions(capsys):
    with pytest.raises(SystemExit):
        main(["prune", "--help"])
    assert "(default: 0.5,0.75,0.9,0.95,0.98)" in " ".join(capsys.readouterr().out.split())
