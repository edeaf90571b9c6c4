"""bayescnn shift on a tiny trained run: its files, its rows, and its answers to bad input."""

import csv
import json

import pytest

from bayescnn.cli.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_mnist_dir, train_tiny):
    return train_tiny(tmp_path_factory.mktemp("shift") / "run", tiny_mnist_dir)


@pytest.fixture(scope="module")
def twin(tmp_path_factory, tiny_mnist_dir):
    folder = tmp_path_factory.mktemp("shift") / "twin"
    argv = ["train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size",
            "28", "--epochs", "1", "--frequentist", "--device", "cpu", "--run-dir", str(folder)]  # fmt: skip
    assert main(argv) == 0
    return folder


@pytest.fixture(scope="module")
def shifted(run, twin):
    argv = ["shift", str(run), "--frequentist", str(twin), "--corruptions", "gaussian_noise,rotate",
            "--severities", "1,5", "--samples", "2", "--limit", "60", "--device", "cpu"]  # fmt: skip
    assert main(argv) == 0
    return run / "shift"


def test_shift_writes_its_records_table_and_figures_into_the_run_folder(shifted) -> None:
    for name in ("shift.json", "shift.csv", "shift_boxplots.png", "risk_coverage.png"):
        assert (shifted / name).is_file(), name
    for name in ("shift_boxplots.png", "risk_coverage.png"):
        assert (shifted / name).read_bytes().startswith(PNG_SIGNATURE)


def test_shift_json_has_a_clean_row_and_one_per_corruption_and_severity_per_model(shifted) -> None:
    rows = json.loads((shifted / "shift.json").read_text())
    keys = [(r["model"], r["corruption"], r["severity"]) for r in rows]
    expected = [
        (model, corruption, severity)
        for model in ("bayesian", "frequentist")
        for corruption, severity in [("clean", 0), ("gaussian_noise", 1), ("gaussian_noise", 5),
                                     ("rotate", 1), ("rotate", 5)]
    ]  # fmt: skip
    assert keys == expected
    for row in rows:
        assert {"accuracy", "nll", "ece", "aleatoric", "epistemic", "aurc_entropy"} <= set(row)
        assert row["num_examples"] == 60


def test_shift_csv_holds_the_same_rows_as_the_json(shifted) -> None:
    rows = json.loads((shifted / "shift.json").read_text())
    with (shifted / "shift.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows)
    assert [t["corruption"] for t in table] == [r["corruption"] for r in rows]
    assert float(table[1]["accuracy"]) == pytest.approx(rows[1]["accuracy"], rel=1e-5)


def test_accuracy_falls_from_severity_one_to_five_of_gaussian_noise(run, tmp_path) -> None:
    argv = ["shift", str(run), "--corruptions", "gaussian_noise", "--severities", "1,5",
            "--samples", "4", "--limit", "300", "--device", "cpu", "--out-dir", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    accuracy = {
        r["severity"]: r["accuracy"] for r in json.loads((tmp_path / "shift.json").read_text())
    }
    assert accuracy[5] < accuracy[1]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--corruptions", "gaussian_noise,fog", "unknown corruption 'fog'"),
     ("--severities", "0", "from 1 to 5"),
     ("--severities", "6", "from 1 to 5"),
     ("--severities", "1-", "like 1-5 or 1,3,5"),
     ("--severities", "5-1", "backwards")],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_code_2(run, tmp_path, capsys, option, value, message):
    argv = ["shift", str(run), option, value, "--device", "cpu", "--out-dir", str(tmp_path)]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("bayescnn: error:") and message in error
    assert error.count("\n") == 1
    assert not (tmp_path / "shift.json").exists()


def test_a_bayesian_run_as_the_frequentist_twin_is_refused(run, capsys):
    assert main(["shift", str(run), "--frequentist", str(run), "--device", "cpu"]) == 2
    assert "frequentist TWIN" in capsys.readouterr().err
