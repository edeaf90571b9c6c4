"""Every command that writes checks its output paths before any work: one line, exit 2."""

import shutil

import pytest

from bayescnn.cli.main import main


def _poisoned(*args, **kwargs):
    raise AssertionError("the command worked before checking where it writes")


def _blocker(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text("a file in the way\n")
    return path


CASES = {
    "predict --out FOLDER": (
        "bayescnn.uncertainty.predict_loader",
        lambda run, tmp: ["predict", run, str(tmp), "--out", str(tmp)],
        "is a folder, not a file",
    ),
    "predict --out FILE/x.csv": (
        "bayescnn.uncertainty.predict_loader",
        lambda run, tmp: ["predict", run, str(tmp), "--out", str(_blocker(tmp) / "x.csv")],
        "is a file, not a folder",
    ),
    "predict --out EXISTING": (
        "bayescnn.uncertainty.predict_loader",
        lambda run, tmp: ["predict", run, str(tmp), "--out", str(_blocker(tmp))],
        "already exists; pass --overwrite to replace it",
    ),
    "export --out FOLDER": (
        "bayescnn.deploy.export",
        lambda run, tmp: ["export", run, "--out", str(tmp)],
        "is a folder, not a file",
    ),
    "shift --out-dir FILE": (
        "bayescnn.data.load_dataset",
        lambda run, tmp: ["shift", run, "--out-dir", str(_blocker(tmp))],
        "exists but is not a folder",
    ),
    "uncertainty --out-dir FILE/x": (
        "bayescnn.data.load_dataset",
        lambda run, tmp: ["uncertainty", run, "--out-dir", str(_blocker(tmp) / "x")],
        "is a file, not a folder",
    ),
    "train --run-dir FILE/run": (
        "bayescnn.runs.train_run",
        lambda run, tmp: ["train", "--run-dir", str(_blocker(tmp) / "run")],
        "is a file, not a folder",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_writing_command_refuses_a_bad_output_path_before_any_work(
    case, tiny_run, tmp_path, capsys, monkeypatch
):
    work, argv, reason = CASES[case]
    monkeypatch.setattr(work, _poisoned)
    assert main(argv(str(tiny_run), tmp_path)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert reason in err
    assert err.startswith(f"bayescnn: error: {argv(str(tiny_run), tmp_path)[-2]} ")


def test_prune_refuses_a_run_whose_prune_folder_is_a_file_before_scoring(
    tiny_run, tmp_path, capsys, monkeypatch
):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    shutil.rmtree(run / "prune", ignore_errors=True)  # another test may have pruned tiny_run
    (run / "prune").write_text("in the way\n")
    monkeypatch.setattr("bayescnn.runs.load_splits", _poisoned)
    assert main(["prune", str(run)]) == 2
    assert f"'{run / 'prune'}' exists but is not a folder" in capsys.readouterr().err


def test_predict_writes_its_csv_into_a_new_folder(tiny_run, tmp_path, capsys):
    from PIL import Image

    Image.new("L", (28, 28), 128).save(tmp_path / "gray.png")
    out = tmp_path / "new" / "deeper" / "predictions.csv"
    assert main(["predict", str(tiny_run), str(tmp_path / "gray.png"), "--out", str(out)]) == 0
    assert out.read_text().startswith("path,class")
