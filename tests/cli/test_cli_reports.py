"""train, evaluate, uncertainty and plot on a tiny dataset in the real on-disk layout."""

import json

import pytest

from bayescnn.cli.main import main
from bayescnn.data import DEFAULT_OOD_SETS


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_mnist_dir, train_tiny):
    return train_tiny(tmp_path_factory.mktemp("cli") / "run", tiny_mnist_dir)


def test_train_prints_one_short_summary_of_the_test_metrics(
    tmp_path, tiny_mnist_dir, capsys, caplog
):
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size", "28",
            "--epochs", "1", "--frequentist", "--device", "cpu", "--run-dir", str(tmp_path / "f")]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("test:")]
    assert len(summaries) == 1 and "ECE" in summaries[0] and "{" not in summaries[0]
    assert "{" not in out and "run folder" in out


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


@pytest.fixture(scope="module")
def twin(tmp_path_factory, tiny_mnist_dir):
    folder = tmp_path_factory.mktemp("cli") / "twin"
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size",
            "28", "--epochs", "1", "--frequentist", "--device", "cpu", "--run-dir", str(folder)]  # fmt: skip
    assert main(argv) == 0
    return folder


def test_evaluate_scores_several_runs_as_one_deep_ensemble(twin, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(twin), str(twin), "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 25 and len(report["checkpoint"]) == 2


def test_uncertainty_compares_models_side_by_side_in_one_table(run, twin, capsys):
    capsys.readouterr()
    argv = ["uncertainty", str(run), "--compare", str(twin), "--compare", f"{twin},{twin}",
            "--ood", "noise", "--limit", "100", "--samples", "3", "--out-dir", str(run / "cmp")]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "AUROC mutual_info" in out and "ensemble of 2" in out and "train s" in out
    compared = json.loads((run / "cmp" / "comparison.json").read_text())
    assert [c["members"] for c in compared] == [1, 1, 2]
    assert [c["model"] for c in compared] == [
        run.name,
        twin.name,
        f"ensemble of 2 ({twin.name}, ...)",
    ]
    assert compared[1]["ood_detection"]["mutual_info"]["auroc"] == 0.5, "one plain net: MI is 0"


def test_uncertainty_against_a_notmnist_folder_in_its_published_layout(run, tmp_path, capsys):
    from PIL import Image

    root = tmp_path / "notMNIST_small"  # letters A-J, one folder each, 28x28 gray PNGs
    for letter in "ABCDEFGHIJ":
        (root / letter).mkdir(parents=True)
        for index in range(3):
            Image.new("L", (28, 28), color=40 * index).save(root / letter / f"{letter}{index}.png")
    argv = ["uncertainty", str(run), "--ood", str(root), "--samples", "2", "--limit", "50",
            "--out-dir", str(tmp_path / "report")]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads((tmp_path / "report" / "uncertainty.json").read_text())
    assert summary["num_out"] == 30 and "mutual_info" in summary["ood_detection"]


def test_uncertainty_takes_a_flat_folder_of_unlabelled_images_as_the_ood_set(run, tmp_path, capsys):
    from PIL import Image

    root = tmp_path / "photos"
    root.mkdir()
    for index in range(4):
        Image.new("L", (40, 30), color=60 * index).save(root / f"photo{index}.png")
    argv = ["uncertainty", str(run), "--ood", str(root), "--samples", "2", "--limit", "50",
            "--out-dir", str(tmp_path / "report")]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads((tmp_path / "report" / "uncertainty.json").read_text())
    assert summary["num_out"] == 4


def test_uncertainty_without_ood_uses_the_datasets_default_and_says_so(
    run, tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(DEFAULT_OOD_SETS, "mnist", "noise")  # fashion-mnist may be absent
    argv = ["uncertainty", str(run), "--samples", "2", "--limit", "50",
            "--out-dir", str(tmp_path / "report")]  # fmt: skip
    assert main(argv) == 0
    assert "OOD set: noise (the default for mnist)\n" in capsys.readouterr().out
    summary = json.loads((tmp_path / "report" / "uncertainty.json").read_text())
    assert summary["num_out"] == 50


def test_train_and_evaluate_build_their_test_report_with_one_function(
    tmp_path, tiny_mnist_dir, train_tiny, capsys, monkeypatch
):
    import bayescnn.runs
    import bayescnn.runs.run

    built = []
    original = bayescnn.runs.build_test_report

    def spy(*args, **kwargs):
        built.append(original(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(bayescnn.runs.run, "build_test_report", spy)
    monkeypatch.setattr(bayescnn.runs, "build_test_report", spy)
    run = train_tiny(tmp_path / "run", tiny_mnist_dir, epochs=1)
    written = json.loads((run / "test.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(run), "--device", "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out)

    assert len(built) == 2
    assert {key: written[key] for key in built[0]} == built[0]
    assert {key: printed[key] for key in built[1]} == built[1]
    # train adds what it knows of the run: its epochs, test-set size and calibration fit
    known = {"epoch", "epochs_trained", "test_examples", "calibration"}
    assert set(written) - known == set(printed) - {"checkpoint"}
