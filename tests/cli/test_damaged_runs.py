"""A run whose best checkpoint is damaged points at the intact last one beside it."""

import shlex
import shutil

import pytest

from bayescnn.cli.main import main


@pytest.fixture
def truncated_best(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    best = run / "best.safetensors"
    best.write_bytes(best.read_bytes()[: best.stat().st_size // 2])
    return run


def test_a_truncated_best_checkpoint_names_the_intact_last_one_and_how_to_use_it(
    truncated_best, capsys
):
    assert main(["evaluate", str(truncated_best)]) == 2
    err = capsys.readouterr().err
    last = truncated_best / "last.safetensors"
    assert "truncated" in err and f"give {last} instead of {truncated_best}" in err
    assert len(err.strip().splitlines()) == 1


def test_the_named_last_checkpoint_works(truncated_best, capsys):
    assert main(["evaluate", str(truncated_best / "last.safetensors"), "--samples", "1"]) == 0


def test_without_an_intact_last_checkpoint_the_error_suggests_none(truncated_best, capsys):
    (truncated_best / "last.safetensors").write_bytes(b"")
    assert main(["evaluate", str(truncated_best)]) == 2
    assert "last.safetensors" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["predict", "{run}", "{images}", "--samples", "1"],
        ["export", "{run}", "--out", "{tmp}/model.onnx"],
        ["evaluate", "--samples", "1", "{run}"],
    ],
    ids=lambda command: command[0],
)
def test_the_hint_repeats_the_command_that_was_run_with_the_intact_checkpoint(
    truncated_best, tmp_path, capsys, command
):
    argv = [word.format(run=truncated_best, images=tmp_path / "images", tmp=tmp_path)
            for word in command]  # fmt: skip
    assert main(argv) == 2
    retry = [str(truncated_best / "last.safetensors") if word == str(truncated_best) else word
             for word in argv]  # fmt: skip
    err = capsys.readouterr().err
    assert err.rstrip().endswith(f"(e.g. bayescnn {shlex.join(retry)})")
    assert len(err.strip().splitlines()) == 1


def test_the_library_names_the_intact_checkpoint_but_no_command(truncated_best):
    from bayescnn.io import DamagedCheckpointError
    from bayescnn.runs import open_run

    with pytest.raises(DamagedCheckpointError) as raised:
        open_run(truncated_best)
    assert raised.value.intact == truncated_best / "last.safetensors"
    assert raised.value.given == truncated_best
    assert "bayescnn " not in str(raised.value)
