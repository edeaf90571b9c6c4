"""Calibration in run folders: `bayescnn train` calibrates by default, `bayescnn calibrate`
calibrates existing runs and ensembles, and a loaded run applies its temperature."""

from __future__ import annotations

import json

import pytest

import bayescnn
from bayescnn.cli.main import main
from bayescnn.runs import open_run


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory, tiny_mnist_dir, train_tiny):
    return train_tiny(tmp_path_factory.mktemp("calibrated") / "run", tiny_mnist_dir, epochs=1)


@pytest.fixture(scope="module")
def uncalibrated_run(tmp_path_factory, tiny_mnist_dir, train_tiny):
    folder = tmp_path_factory.mktemp("raw") / "run"
    return train_tiny(folder, tiny_mnist_dir, "--no-calibrate", epochs=1)


def test_train_fits_a_temperature_and_reports_the_raw_predictive_beside_the_calibrated(
    calibrated_run,
):
    record = json.loads((calibrated_run / "calibration.json").read_text())
    report = json.loads((calibrated_run / "test.json").read_text())
    assert record["checkpoint"] == "best.safetensors"
    assert record["nll_calibrated"] <= record["nll_raw"]
    assert report["temperature"] == pytest.approx(record["temperature"])
    assert set(report["predictive_raw"]) == set(report["predictive"])
    assert report["calibration"]["temperature"] == pytest.approx(record["temperature"])


def test_a_loaded_run_applies_its_temperature_in_its_form(calibrated_run):
    record = json.loads((calibrated_run / "calibration.json").read_text())
    assert record["form"] == "pooled"  # the default form
    assert json.loads((calibrated_run / "test.json").read_text())["temperature_form"] == "pooled"
    model = bayescnn.load_run(calibrated_run)
    assert bayescnn.calibration.temperature_of(model) == pytest.approx(record["temperature"])
    assert bayescnn.calibration.temperature_form(model) == "pooled"


def _with_calibration_record(run, tmp_path, change):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    record = json.loads((copy / "calibration.json").read_text())
    (copy / "calibration.json").write_text(json.dumps(change(record)))
    return copy


def test_a_calibration_record_without_a_form_was_fitted_per_sample(calibrated_run, tmp_path):
    def older(record):
        return {key: value for key, value in record.items() if key != "form"}

    model = bayescnn.load_run(_with_calibration_record(calibrated_run, tmp_path, older))
    assert bayescnn.calibration.temperature_form(model) == "per-sample"


def test_a_calibration_record_of_an_unknown_form_is_a_clear_error(calibrated_run, tmp_path):
    from bayescnn.errors import CorruptFileError

    def unknown(record):
        return record | {"form": "global"}

    copy = _with_calibration_record(calibrated_run, tmp_path, unknown)
    with pytest.raises(CorruptFileError, match=r"not a calibration record.*bayescnn calibrate"):
        bayescnn.load_run(copy)


def test_a_run_trained_without_calibration_loads_uncalibrated(uncalibrated_run):
    assert not (uncalibrated_run / "calibration.json").exists()
    assert "predictive_raw" not in json.loads((uncalibrated_run / "test.json").read_text())
    assert bayescnn.calibration.temperature_of(open_run(uncalibrated_run).model) is None


def test_a_calibration_of_another_epoch_is_not_applied(calibrated_run, tmp_path):
    def later(record):
        return record | {"epoch": record["epoch"] + 1}

    copy = _with_calibration_record(calibrated_run, tmp_path, later)
    assert bayescnn.calibration.temperature_of(bayescnn.load_run(copy)) is None


def test_calibrate_command_calibrates_an_existing_run(uncalibrated_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(uncalibrated_run, copy)
    before = json.loads((copy / "test.json").read_text())
    assert main(["calibrate", str(copy), "--device", "cpu"]) == 0
    after = json.loads((copy / "test.json").read_text())
    assert (copy / "calibration.json").is_file()
    # the same seeded draws as training's own test pass: the raw numbers are unchanged
    assert after["predictive_raw"] == pytest.approx(before["predictive"])
    assert json.loads(capsys.readouterr().out)["temperature"] == after["temperature"]


def test_calibrate_command_can_fit_the_per_sample_form(calibrated_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(calibrated_run, copy)
    assert (
        main(["calibrate", str(copy), "--device", "cpu", "--temperature-form", "per-sample"]) == 0
    )
    assert json.loads((copy / "calibration.json").read_text())["form"] == "per-sample"
    assert json.loads((copy / "test.json").read_text())["temperature_form"] == "per-sample"
    assert bayescnn.calibration.temperature_form(bayescnn.load_run(copy)) == "per-sample"


def test_calibrate_command_fits_one_temperature_for_an_ensemble(
    calibrated_run, uncalibrated_run, tmp_path, capsys
):
    out = tmp_path / "ensemble.json"
    argv = ["calibrate", str(calibrated_run), str(uncalibrated_run), "--out", str(out)]
    assert main([*argv, "--device", "cpu"]) == 0
    record = json.loads(out.read_text())
    assert record["temperature"] > 0
    assert record["samples"] == 4  # two members, two samples each
    assert len(record["members"]) == 2


def test_an_ensemble_of_runs_split_differently_is_refused(
    calibrated_run, tmp_path, tiny_mnist_dir, train_tiny, capsys
):
    other = train_tiny(tmp_path / "seed1", tiny_mnist_dir, "--seed", "1", epochs=1)
    assert main(["calibrate", str(calibrated_run), str(other)]) == 2
    assert "split their data differently" in capsys.readouterr().err


def test_an_ensemble_output_under_a_file_is_refused_before_any_work(
    calibrated_run, tmp_path, capsys
):
    (tmp_path / "file").write_text("")
    argv = ["calibrate", str(calibrated_run), str(calibrated_run), "--out"]
    assert main([*argv, str(tmp_path / "file" / "x.json")]) == 2
    assert "--out" in capsys.readouterr().err


def _write_separable_folder(root, *, per_class: int = 120) -> None:
    """360 images in 3 class folders that a LeNet separates perfectly (a bright block in
    the top, middle or bottom rows of gray noise): the new user's small dataset."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for label in range(3):
        folder = root / f"class{label}"
        folder.mkdir(parents=True)
        for index in range(per_class):
            image = rng.integers(0, 60, (28, 28), dtype=np.uint8)
            image[2 + 9 * label : 8 + 9 * label, 4:24] = 255
            Image.fromarray(image).save(folder / f"{index}.png")


def test_a_small_perfectly_separated_validation_split_keeps_t_1_and_says_why(tmp_path):
    data = tmp_path / "images"
    _write_separable_folder(data)
    folder = tmp_path / "run"
    argv = ["train", "--dataset", str(data), "--batch-size", "16", "--epochs", "2",
            "--image-size", "28", "--test-samples", "4", "--device", "cpu",
            "--run-dir", str(folder)]  # fmt: skip
    assert main(argv) == 0
    record = json.loads((folder / "calibration.json").read_text())
    assert record["temperature"] == 1.0
    assert record["errors"] == 0 and "0 misclassified" in record["declined"]
    assert f"{record['examples']} held-out examples" in record["declined"]
    log = (folder / "train.log").read_text()
    assert "calibration: kept T = 1 (pooled): " in log
    assert "-0.0000" not in log
    assert json.loads((folder / "test.json").read_text())["temperature"] == 1.0
