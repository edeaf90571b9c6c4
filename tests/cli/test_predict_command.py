"""bayescnn predict: class and uncertainty per image, flagged against the run's threshold."""

import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from bayescnn.cli.main import main
from bayescnn.cli.predict_command import CSV_HEADER


def write_digit(path, digit):
    """A 28x28 gray image of the tiny MNIST's class ``digit`` (a bar on rows 2d+4, 2d+5)."""
    pixels = np.full((28, 28), 30, dtype=np.uint8)
    pixels[2 * digit + 4 : 2 * digit + 6, 4:24] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


@pytest.fixture
def images(tmp_path):
    """Three PNG digits, one JPEG digit in a subfolder, and one corrupt PNG."""
    root = tmp_path / "images"
    for digit in (1, 4, 7):
        write_digit(root / f"digit{digit}.png", digit)
    write_digit(root / "more" / "digit2.jpg", 2)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return root


def read_csv(path):
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_train_stores_the_95th_percentile_of_the_validation_mutual_information(tiny_run):
    stored = json.loads((tiny_run / "uncertainty_threshold.json").read_text())
    assert set(stored) == {"score", "quantile", "threshold", "samples"}
    assert (stored["score"], stored["quantile"], stored["samples"]) == ("mutual_info", 0.95, 2)
    assert stored["threshold"] >= 0


def test_predict_writes_one_row_per_readable_image_and_names_the_unreadable_one(
    tiny_run, images, tmp_path, capsys
):
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(tiny_run), str(images), "--out", str(out)]) == 0
    rows = read_csv(out)
    assert tuple(rows[0]) == CSV_HEADER
    assert sorted(row[0].rsplit("/", 1)[-1] for row in rows[1:]) == [
        "digit1.png", "digit2.jpg", "digit4.png", "digit7.png"
    ]  # fmt: skip
    for _, label, probability, aleatoric, epistemic, uncertain in rows[1:]:
        assert label in {str(digit) for digit in range(10)}
        assert 0 < float(probability) <= 1 and float(aleatoric) >= 0 and float(epistemic) >= 0
        assert uncertain in {"true", "false"}
    captured = capsys.readouterr()
    assert "broken.png" in captured.err and "Traceback" not in captured.err
    assert "digit7.png" in captured.out and "uncertain" in captured.out


def test_predict_takes_image_files_as_well_as_folders(tiny_run, images, capsys):
    assert main(["predict", str(tiny_run), str(images / "digit1.png")]) == 0
    assert "digit1.png" in capsys.readouterr().out


def test_predict_gives_the_same_answer_every_time(tiny_run, images, tmp_path):
    for name in ("first.csv", "second.csv"):
        assert main(["predict", str(tiny_run), str(images), "--out", str(tmp_path / name)]) == 0
    assert read_csv(tmp_path / "first.csv") == read_csv(tmp_path / "second.csv")


def test_predict_of_only_unreadable_files_is_one_clear_error_and_exit_code_2(
    tiny_run, tmp_path, capsys
):
    (tmp_path / "bad").mkdir()
    for name in ("a.png", "b.jpg"):
        (tmp_path / "bad" / name).write_bytes(b"garbage")
    assert main(["predict", str(tiny_run), str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "a.png" in err and "b.jpg" in err
    assert "no image could be read" in err and "Traceback" not in err


def test_predict_of_a_missing_path_is_exit_code_2(tiny_run, tmp_path, capsys):
    assert main(["predict", str(tiny_run), str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_run_without_a_threshold_gets_one_computed_stored_and_announced(
    tiny_run, images, tmp_path, capsys
):
    old_run = tmp_path / "old-run"
    shutil.copytree(tiny_run, old_run)
    (old_run / "uncertainty_threshold.json").unlink()
    assert main(["predict", str(old_run), str(images / "digit4.png")]) == 0
    assert "computing it from the run's validation split" in capsys.readouterr().err
    computed = json.loads((old_run / "uncertainty_threshold.json").read_text())
    assert computed == json.loads((tiny_run / "uncertainty_threshold.json").read_text())
