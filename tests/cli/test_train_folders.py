"""bayescnn train on image folders, and starts that fail leave no run folder behind."""

import json

import numpy as np
import pytest
from PIL import Image

from bayescnn.cli.main import main


def write_bars(root, classes=("top", "bottom"), per_class=15):
    """16x16 gray PNGs: class 'top' has a bright bar near the top, 'bottom' near the bottom."""
    rng = np.random.default_rng(0)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 60, (16, 16)).astype(np.uint8)
            pixels[3 + 8 * label : 5 + 8 * label, 2:14] = 255
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    return root


def train_argv(dataset, run_dir):
    return ["train", "--dataset", str(dataset), "--image-size", "16", "--epochs", "1",
            "--batch-size", "8", "--valid-samples", "1", "--test-samples", "2",
            "--device", "cpu", "--run-dir", str(run_dir)]  # fmt: skip


def test_a_plain_folder_of_class_subfolders_trains_with_a_seeded_fifth_held_out(tmp_path):
    root = write_bars(tmp_path / "bars")
    assert main(train_argv(root, tmp_path / "run")) == 0
    report = json.loads((tmp_path / "run" / "test.json").read_text())
    assert report["test_examples"] == 6  # round(0.2 * 30)


def test_predict_names_the_classes_of_a_run_trained_on_a_folder(tmp_path, capsys):
    root = write_bars(tmp_path / "bars")
    assert main(train_argv(root, tmp_path / "run")) == 0
    out = tmp_path / "p.csv"
    assert main(["predict", str(tmp_path / "run"), str(root / "top"), "--out", str(out)]) == 0
    classes = {line.split(",")[1] for line in out.read_text().splitlines()[1:]}
    assert classes <= {"top", "bottom"} and classes


def test_a_folder_with_train_and_test_subfolders_trains_on_its_own_split(tmp_path):
    write_bars(tmp_path / "bars" / "train", per_class=12)
    write_bars(tmp_path / "bars" / "test", per_class=2)
    assert main(train_argv(f"folder:{tmp_path / 'bars'}", tmp_path / "run")) == 0
    assert json.loads((tmp_path / "run" / "test.json").read_text())["test_examples"] == 4


@pytest.mark.parametrize("dataset", ["/no/such/dir", "folder:/no/such"])
def test_a_mistyped_folder_says_folder_not_found_and_leaves_no_run_folder(
    dataset, tmp_path, capsys
):
    assert main(train_argv(dataset, tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert f"folder not found: {dataset.removeprefix('folder:')}" in err
    assert "unknown dataset" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_folder_of_one_class_is_refused_naming_the_fix_and_leaves_no_run_folder(tmp_path, capsys):
    root = write_bars(tmp_path / "bars", classes=("only",))
    assert main(train_argv(root, tmp_path / "run")) == 2
    assert "put each class's images in its own subfolder" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_failed_start_in_the_default_run_folder_leaves_no_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "./typo", "--device", "cpu"]) == 2
    assert list(tmp_path.iterdir()) == [], "neither runs/ nor the run folder remain"


def test_a_failed_start_in_an_existing_folder_keeps_the_folder_but_adds_no_log(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    assert main(train_argv("/no/such/dir", tmp_path / "run")) == 2
    assert list((tmp_path / "run").iterdir()) == []


def test_a_near_miss_of_a_dataset_name_suggests_the_name(tmp_path, capsys):
    assert main(train_argv("mnsit", tmp_path / "run")) == 2
    assert "did you mean 'mnist'?" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_version_prints_the_version(capsys):
    import bayescnn

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"bayescnn {bayescnn.__version__}"


def test_train_help_says_train_subset_shrinks_the_validation_split_too(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "N // 4 validation examples" in " ".join(capsys.readouterr().out.split())
