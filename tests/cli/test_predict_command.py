"""bayescnn predict: class and uncertainty per image, flagged against the run's threshold."""

import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from bayescnn.cli.main import main
from bayescnn.cli.predict_command import CSV_HEADER
from bayescnn.data import DataNotFoundError
from bayescnn.defaults import FLAG_SCORE
from bayescnn.uncertainty import list_ood_scores


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


def read_threshold_file(run):
    return json.loads((run / "uncertainty_threshold.json").read_text())


def test_train_stores_the_95th_percentile_of_every_ood_score_on_the_validation_split(tiny_run):
    stored = read_threshold_file(tiny_run)
    assert set(stored) == {"score", "quantile", "threshold", "samples", "thresholds"}
    assert (stored["score"], stored["quantile"], stored["samples"]) == (FLAG_SCORE, 0.95, 2)
    assert list(stored["thresholds"]) == list_ood_scores()
    assert stored["threshold"] == stored["thresholds"][FLAG_SCORE]


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
    for _, label, probability, aleatoric, epistemic, uncertain, *_ in rows[1:]:
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
    assert read_threshold_file(old_run) == read_threshold_file(tiny_run)


def flag_columns(path):
    """``(uncertain, flag_score, flag_value, flag_threshold)`` of each row of a CSV file."""
    return [(row[5], row[6], float(row[7]), float(row[8])) for row in read_csv(path)[1:]]


def test_each_row_names_the_default_score_and_threshold_that_flagged_it(tiny_run, images, tmp_path):
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(tiny_run), str(images), "--out", str(out)]) == 0
    stored = read_threshold_file(tiny_run)["thresholds"][FLAG_SCORE]
    for uncertain, score, value, threshold in flag_columns(out):
        assert (score, threshold) == (FLAG_SCORE, pytest.approx(stored, rel=1e-5))
        assert uncertain == str(value > threshold).lower()


def test_flag_score_flags_by_any_registered_score_with_its_stored_threshold(
    tiny_run, images, tmp_path, capsys
):
    out = tmp_path / "predictions.csv"
    argv = ["predict", str(tiny_run), str(images), "--flag-score", "max_logit", "--out", str(out)]
    assert main(argv) == 0
    stored = read_threshold_file(tiny_run)["thresholds"]["max_logit"]
    for _, score, _, threshold in flag_columns(out):
        assert (score, threshold) == ("max_logit", pytest.approx(stored, rel=1e-5))
    captured = capsys.readouterr()
    assert "computing" not in captured.err and "max_logit above" in captured.out


def test_another_flag_rate_is_computed_from_the_validation_split_without_rewriting_the_file(
    tiny_run, images, tmp_path, capsys
):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = read_threshold_file(run)
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(run), str(images), "--flag-rate", "0.5", "--out", str(out)]) == 0
    assert "computing it from the run's validation split" in capsys.readouterr().err
    (threshold,) = {threshold for *_, threshold in flag_columns(out)}
    assert threshold <= before["thresholds"][FLAG_SCORE]  # the median, not the 95th percentile
    assert read_threshold_file(run) == before


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--flag-score", "confidence"], "unknown OOD score 'confidence' (choose one of max_prob"),
        (["--flag-rate", "5"], "false-alarm rate must be a number in (0, 1), got 5.0"),
    ],
)
def test_a_bad_flag_option_is_a_clear_error_and_exit_code_2(
    tiny_run, images, capsys, option, message
):
    assert main(["predict", str(tiny_run), str(images), *option]) == 2
    assert message in capsys.readouterr().err


def write_first_format_threshold(run, threshold=0.5):
    """The file of a run trained before per-score thresholds: the mutual information's only."""
    first = {"score": "mutual_info", "quantile": 0.95, "threshold": threshold, "samples": 2}
    (run / "uncertainty_threshold.json").write_text(json.dumps(first))


def test_a_run_with_only_a_mutual_information_threshold_gets_the_others_computed_and_stored(
    tiny_run, images, tmp_path, capsys
):
    old_run = tmp_path / "old-run"
    shutil.copytree(tiny_run, old_run)
    write_first_format_threshold(old_run)
    assert main(["predict", str(old_run), str(images / "digit4.png")]) == 0
    assert f"holds no threshold of {FLAG_SCORE}" in capsys.readouterr().err
    assert read_threshold_file(old_run) == read_threshold_file(tiny_run)


def test_a_run_with_only_a_mutual_information_threshold_and_no_data_flags_by_it(
    tiny_run, images, tmp_path, capsys, monkeypatch
):
    def no_data(config):
        raise DataNotFoundError("no MNIST here")

    monkeypatch.setattr("bayescnn.runs.threshold.load_splits", no_data)
    old_run = tmp_path / "old-run"
    shutil.copytree(tiny_run, old_run)
    write_first_format_threshold(old_run, threshold=0.125)
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(old_run), str(images), "--out", str(out)]) == 0
    assert "flagging by the run's stored mutual_info threshold" in capsys.readouterr().err
    assert {(score, threshold) for _, score, _, threshold in flag_columns(out)} == {
        ("mutual_info", 0.125)
    }


def test_the_summary_counts_the_unreadable_files_it_skipped_and_names_them(
    tiny_run, images, capsys
):
    assert main(["predict", str(tiny_run), str(images)]) == 0
    out = capsys.readouterr().out
    assert f"4 images predicted, 1 skipped (unreadable): {images / 'broken.png'}; " in out


def test_strict_makes_an_unreadable_file_an_error_naming_it(tiny_run, images, tmp_path, capsys):
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(tiny_run), str(images), "--strict", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read {images / 'broken.png'} as an image" in err and "--strict" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_strict_makes_a_path_without_images_an_error_naming_it(tiny_run, images, tmp_path, capsys):
    argv = ["predict", str(tiny_run), str(images / "digit1.png"), str(tmp_path / "nowhere")]
    assert main([*argv, "--strict"]) == 2
    assert f"no such file or folder: {tmp_path / 'nowhere'}" in capsys.readouterr().err


def test_out_refuses_to_replace_an_existing_file_unless_told_to_overwrite(
    tiny_run, images, tmp_path, capsys
):
    out = tmp_path / "notes.csv"
    out.write_text("someone else's file\n")
    assert main(["predict", str(tiny_run), str(images / "digit1.png"), "--out", str(out)]) == 2
    assert f"--out {out} already exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_text() == "someone else's file\n"
    argv = ["predict", str(tiny_run), str(images / "digit1.png"), "--out", str(out), "--overwrite"]
    assert main(argv) == 0
    assert tuple(read_csv(out)[0]) == CSV_HEADER


def test_a_failure_while_writing_the_csv_leaves_the_old_file_whole(
    tiny_run, images, tmp_path, monkeypatch
):
    out = tmp_path / "predictions.csv"
    out.write_text("the old predictions\n")

    class Failing:
        def __init__(self, handle):
            self.handle = handle

        def writerow(self, row):
            self.handle.write("half a table")

        def writerows(self, rows):
            raise OSError("disk full")

    monkeypatch.setattr("bayescnn.cli.predict_command.csv.writer", Failing)
    argv = ["predict", str(tiny_run), str(images / "digit1.png"), "--out", str(out), "--overwrite"]
    with pytest.raises(OSError, match="disk full"):
        main(argv)
    assert out.read_text() == "the old predictions\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["images", "predictions.csv"]
